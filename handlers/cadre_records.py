"""Looking things up: `/riwayat <kode>` (a child's measurements) and `/daftar` (the posyandu's month, paged)."""

from __future__ import annotations

import math
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.i18n import fmt_month
from bot.render import history_text
from bot.render.lists import month_line
from bot.render.services import due_compact
from bot.services import measurement as svc
from bot.services.services_due import due_for_children
from bot.services.status import child_status, month_page, page_counts
from handlers.cadre_shared import child_button, escape, get_staff, refuse_stranger

ORDER = 30
PAGE_SIZE = 10


async def riwayat(update: Update, context: BotContext) -> None:
    assert update.effective_message
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    query = " ".join(context.args or [])
    if not query:
        await update.effective_message.reply_text(tr.gettext("Whose measurements? Write the code or name after the "
                                                             "command, for example: /riwayat A12"))
        return
    found, elsewhere = await svc.find_child(context.runtime.repos, staff, query)
    if elsewhere is not None:
        await update.effective_message.reply_text(tr.gettext(
            "The child with code {code} is registered at another posyandu. You can only see children of your "
            "posyandu.").format(code=elsewhere.code))
        return
    if not found:
        await update.effective_message.reply_text(tr.gettext(
            "No child named “{text}” in your posyandu. Check the spelling or the code.").format(text=escape(query)))
        return
    if len(found) > 1:
        rows = [[child_button(c, prefix="riwayat:")] for c in found]
        await update.effective_message.reply_text(tr.gettext("Several children match. Which one?"),
                                                  reply_markup=InlineKeyboardMarkup(rows))
        return
    await _show_history(update, context, found[0].id)


async def history_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    await _show_history(update, context, callbacks.RIWAYAT.parse(query.data).id("child"))


async def _show_history(update: Update, context: BotContext, child_id: int) -> None:
    assert update.effective_chat
    tr = context.tr
    repos = context.runtime.repos
    staff = await get_staff(update, context)
    child = await repos.children.find_by_id(child_id)
    if staff is None or child is None or not staff.may_access(child.posyandu_id):
        await context.bot.send_message(update.effective_chat.id, tr.gettext("You can only see children of your "
                                                                            "posyandu."))
        return
    status = await child_status(repos, child)
    text = history_text(tr, child, status, context.runtime.today())
    rows = [[InlineKeyboardButton(tr.gettext("📏 Measure now"), callback_data=f"ukur:start:{child.id}")]]
    if status.assessments:
        rows[0].append(InlineKeyboardButton(tr.gettext("📈 Chart"), callback_data=f"ukur:chart:{child.id}:wfa"))
        rows.append([InlineKeyboardButton(tr.gettext("✏️ Correct the last entry"),
                                          callback_data=f"ukur:fix:{status.assessments[-1].visit.id}")])
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=InlineKeyboardMarkup(rows))


async def daftar(update: Update, context: BotContext) -> None:
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    await _show_page(update, context, 0, edit=False)


async def page_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    await _show_page(update, context, callbacks.DAFTAR_PAGE.parse(query.data).number("page"), edit=True)


async def _show_page(update: Update, context: BotContext, page: int, *, edit: bool) -> None:
    assert update.effective_chat
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    repos = context.runtime.repos
    ids = [p.id for p in await repos.posyandu.list()] if staff.posyandu_ids is None else list(staff.posyandu_ids)
    month = context.runtime.today()
    counts = await page_counts(repos, ids, month)
    pages = max(1, math.ceil(counts.total / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows_data = await month_page(repos, ids, month, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    title = tr.gettext("Children — {month}").format(month=fmt_month(month, tr.lang))
    if len(ids) == 1:
        posyandu = await repos.posyandu.find_by_id(ids[0])
        if posyandu is not None:
            title = f"<b>{escape(posyandu.name, 60)}</b> · {title}"
    lines = [title, tr.gettext("Measured {measured} of {total} · need follow-up: {red}").format(
        measured=counts.measured, total=counts.total, red=counts.follow_up)]
    if counts.remeasure:
        lines.append(tr.ngettext("⚠️ {n} child needs re-measuring (not counted yet)",
                                 "⚠️ {n} children need re-measuring (not counted yet)", counts.remeasure).format(
            n=counts.remeasure))
    lines.append("")
    if not rows_data:
        lines.append(tr.gettext("No children registered yet. Register one with /anak_baru."))
    # Who is due what today (issue 14), compactly after each child: 💉 doses, 💊 vitamin A, 🪱 deworming, 🍲 PMT.
    dues = await due_for_children(repos, [item.child for item in rows_data], month)
    for item in rows_data:
        suffix = due_compact(tr, dues.get(item.child.id, []))
        lines.append(month_line(tr, item) + (f" · {suffix}" if suffix else ""))
    lines += ["", tr.gettext("✅ measured · 🔴 needs follow-up · ⚠️ needs re-measuring · ⬜ not yet measured")]
    if any(dues.values()):
        lines.append(tr.gettext("Due today: 💉 vaccine · 💊 vitamin A · 🪱 deworming · 🍲 PMT (record them with "
                                "/catat, e.g. /catat A12 vita imun:mr)"))
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(tr.gettext("⬅️ Previous"), callback_data=f"daftar:p:{page - 1}"))
    nav.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=f"daftar:p:{page}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(tr.gettext("Next ➡️"), callback_data=f"daftar:p:{page + 1}"))
    markup = InlineKeyboardMarkup([nav, [InlineKeyboardButton(tr.gettext("📏 Measure a child"),
                                                                callback_data="ukur:next")]])
    text = "\n".join(lines)
    if edit and update.callback_query:
        try:
            await update.callback_query.edit_message_text(text, reply_markup=markup)
        except TelegramError:  # "message is not modified" when the same page is pressed: nothing to do
            return
    else:
        await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


def register(app: Any) -> None:
    app.add_handler(CommandHandler("riwayat", riwayat))
    app.add_handler(CommandHandler("daftar", daftar))
    app.add_handler(CallbackQueryHandler(history_pressed, pattern=callbacks.RIWAYAT.matches))
    app.add_handler(CallbackQueryHandler(page_pressed, pattern=callbacks.DAFTAR_PAGE.matches))
