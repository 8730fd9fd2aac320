"""The families TPK accompany: `/keluarga` (the women of the village by group, at risk first) and a woman's card
with the records that fit her group now (the records themselves: handlers/case_forms.py). Only her TPK, the
health workers of her area and the coordinators see her (bot.services.access)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.i18n import N_
from bot.services import cases as case_svc
from bot.services import families as svc
from bot.services.family_view import format_woman, format_women_page

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

FORM_LABELS = {
    "check": N_("📏 MUAC / Hb check"), "anc": N_("🤰 ANC visit"), "home": N_("🏠 Home visit"),
    "birth": N_("👶 Birth"), "postnatal": N_("🩺 Postnatal visit (KF)"), "pregnancy": N_("🤰 Now pregnant"),
}


async def _scope(update: Update, context: BotContext) -> svc.FamilyScope | None:
    assert update.effective_user
    rt = context.runtime
    scope = await svc.family_scope(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)
    if scope is None:
        text = context.tr.gettext("Sorry, the families' records are for TPK, midwives and coordinators only. Type "
                                  "/help to see what you can do.")
        if update.callback_query:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(text)
    return scope


async def send_women(update: Update, context: BotContext, page: int, *, edit: bool) -> None:
    scope = await _scope(update, context)
    if scope is None:
        return
    if update.callback_query:
        await update.callback_query.answer()
    tr, rt = context.tr, context.runtime
    items = await svc.list_women(rt.repos, scope, rt.today())
    text, shown, pages, numbered = format_women_page(items, page, tr)
    buttons = [InlineKeyboardButton(f"{n}. {item.woman.name}"[:28], callback_data=f"ibu:w:{item.woman.id}")
               for n, item in numbered]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if shown > 0:
        nav.append(InlineKeyboardButton(tr.gettext("‹ Previous"), callback_data=f"ibu:p:{shown - 1}"))
    if shown + 1 < pages:
        nav.append(InlineKeyboardButton(tr.gettext("Next ›"), callback_data=f"ibu:p:{shown + 1}"))
    if nav:
        rows.append(nav)
    if scope.may_record:
        rows.append([InlineKeyboardButton(tr.gettext("➕ Register a woman"), callback_data="kf:new")])
    markup = InlineKeyboardMarkup(rows) if rows else None
    if edit and update.callback_query:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    else:
        assert update.effective_chat
        await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def women_command(update: Update, context: BotContext) -> None:
    await send_women(update, context, 0, edit=False)


async def women_page(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    await send_women(update, context, callbacks.IBU_PAGE.parse(query.data).number("page"), edit=True)


async def woman_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data and update.effective_chat
    tr, rt = context.tr, context.runtime
    p = await case_svc.principal_of(rt.repos, query.from_user.id, rt.settings.admin_telegram_ids)
    view = None if p is None else await svc.woman_view(rt.repos, p, callbacks.IBU_CARD.parse(query.data).id("woman"),
                                                       rt.today())
    if view is None:
        await query.answer(tr.gettext("That record does not exist or is not in your area."), show_alert=True)
        return
    await query.answer()
    buttons = [InlineKeyboardButton(tr.gettext(FORM_LABELS[key]), callback_data=f"kf:{key}:{view.woman.id}")
               for key in view.forms()]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    if view.case is not None:
        rows.append([InlineKeyboardButton(tr.gettext("📁 Her case"), callback_data=f"kasus:c:{view.case.id}")])
    await context.bot.send_message(update.effective_chat.id, format_woman(view, tr),
                                   reply_markup=InlineKeyboardMarkup(rows) if rows else None)


def register(app: PosyanduApplication) -> None:
    app.add_handler(CommandHandler(["keluarga", "families"], women_command))
    app.add_handler(CallbackQueryHandler(women_page, pattern=callbacks.IBU_PAGE.matches))
    app.add_handler(CallbackQueryHandler(woman_button, pattern=callbacks.IBU_CARD.matches))


__all__ = ["register"]
