"""Follow-up cases in the chat: `/tindak_lanjut` (the case list, paged, a button per case), `/kasus` (open and
overdue cases per posyandu; `/kasus 12` or the `/kasus_12` links open one case) and the case card with the actions
the reader may record (the forms are in handlers/case_forms.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.context import BotContext
from bot.growth.case_rules import Action
from bot.i18n import N_
from bot.services import case_list as list_svc
from bot.services import case_reminders
from bot.services import cases as svc
from bot.services.case_view import case_card, format_card
from bot.services.team import area_label, load_tree

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

CASE_LINK = re.compile(r"^/kasus_(\d{1,18})(?:@\w+)?$")
ACTION_LABELS = {
    Action.VISIT: N_("🏠 Record a visit"), Action.REFERRAL: N_("🏥 Referral"),
    Action.OUTCOME: N_("🩺 Puskesmas outcome"), Action.NOTE: N_("📝 Note"),
    Action.CLOSE: N_("📦 Close (moved, died, lost)"),
}


async def scope_or_refuse(update: Update, context: BotContext) -> svc.CaseScope | None:
    assert update.effective_user
    rt = context.runtime
    scope = await svc.case_scope(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)
    if scope is None:
        text = context.tr.gettext("Sorry, follow-up cases are for cadres, TPK, midwives and coordinators. Type /help "
                                  "to see what you can do.")
        if update.callback_query:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(text)
    return scope


# ------------------------------------------------------------------ the list


async def send_list(update: Update, context: BotContext, page: int, *, edit: bool) -> None:
    """One page of the case list (also the recap's [Follow-up list] button)."""
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    if update.callback_query:
        await update.callback_query.answer()
    tr, rt = context.tr, context.runtime
    items = await list_svc.build(rt.repos, scope, rt.today(), rt.clock.now())
    text, shown, pages, numbered = list_svc.format_page(items, page, tr)
    rows: list[list[InlineKeyboardButton]] = []
    buttons = [InlineKeyboardButton(f"{n}. {item.name}"[:28], callback_data=f"kasus:c:{item.case.id}")
               for n, item in numbered if item.case is not None]
    rows += [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    nav: list[InlineKeyboardButton] = []
    if shown > 0:
        nav.append(InlineKeyboardButton(tr.gettext("‹ Previous"), callback_data=f"tl:page:{shown - 1}"))
    if shown + 1 < pages:
        nav.append(InlineKeyboardButton(tr.gettext("Next ›"), callback_data=f"tl:page:{shown + 1}"))
    if nav:
        rows.append(nav)
    markup = InlineKeyboardMarkup(rows) if rows else None
    if edit and update.callback_query:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    else:
        chat = update.effective_chat
        assert chat
        await context.bot.send_message(chat.id, text, reply_markup=markup)


async def list_command(update: Update, context: BotContext) -> None:
    await send_list(update, context, 0, edit=False)


async def list_page(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    await send_list(update, context, callbacks.TL_PAGE.parse(query.data).number("page"), edit=True)


# ------------------------------------------------------------------ one case


async def show_case(update: Update, context: BotContext, case_id: int) -> None:
    assert update.effective_user and update.effective_chat
    tr, rt = context.tr, context.runtime
    p = await svc.principal_of(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)
    card = None if p is None else await case_card(rt.repos, p, case_id, rt.clock.now(), rt.today(), tr)
    if card is None:
        text = tr.gettext("That case does not exist or is not in your area.")
        if update.callback_query:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
        return
    if update.callback_query:
        await update.callback_query.answer()
    order = [Action.VISIT, Action.REFERRAL, Action.OUTCOME, Action.NOTE, Action.CLOSE]
    buttons = [InlineKeyboardButton(tr.gettext(ACTION_LABELS[a]), callback_data=f"kf:{a.value}:{card.case.id}")
               for a in order if a in card.actions]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    if card.case.woman_id is not None:
        rows.append([InlineKeyboardButton(tr.gettext("👩 Her record"), callback_data=f"ibu:w:{card.case.woman_id}")])
    await context.bot.send_message(update.effective_chat.id, format_card(card, tr),
                                   reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def case_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    await show_case(update, context, callbacks.KASUS_CARD.parse(query.data).id("case"))


async def case_link(update: Update, context: BotContext) -> None:
    msg = update.effective_message
    assert msg and msg.text
    m = CASE_LINK.match(msg.text.strip())
    assert m
    await show_case(update, context, int(m.group(1)))


async def kasus_command(update: Update, context: BotContext) -> None:
    """`/kasus`: open and overdue cases per posyandu; `/kasus 12`: case 12."""
    msg = update.effective_message
    assert msg
    args = context.args or []
    if args and args[0].lstrip("#").isdigit() and len(args[0]) <= 18:
        await show_case(update, context, int(args[0].lstrip("#")))
        return
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    rt, tr = context.runtime, context.tr
    title = tr.gettext("your posyandu")
    if scope.principal.area_id is not None:
        tree = await load_tree(rt.repos)
        title = area_label(tree.areas.get(scope.principal.area_id), tr)
    elif scope.principal.role is not None and scope.principal.role.value == "admin":
        title = area_label(None, tr)
    text = await list_svc.overview_text(rt.repos, scope, rt.clock.now(), tr, title)
    await msg.reply_text(text, reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(
        tr.gettext("📋 Follow-up list"), callback_data="tl:page:0")]]))


def register(app: PosyanduApplication) -> None:
    svc.install()
    case_reminders.install()
    app.add_handler(CommandHandler(["tindak_lanjut", "followup"], list_command))
    app.add_handler(CallbackQueryHandler(list_page, pattern=callbacks.TL_PAGE.matches))
    app.add_handler(CommandHandler(["kasus", "cases"], kasus_command))
    app.add_handler(MessageHandler(filters.Regex(CASE_LINK), case_link))
    app.add_handler(CallbackQueryHandler(case_button, pattern=callbacks.KASUS_CARD.matches))


__all__ = ["register", "scope_or_refuse", "send_list", "show_case"]
