"""Coordinator numbers: `/rekap [bulan]` (monthly recap with a chart; its follow-up button opens the case list of
handlers/case_list.py) and `/ekspor [bulan]` (the e-PPGBM Excel file of the area)."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator, fmt_month
from bot.services import recap as rsvc
from bot.services.team import StaffScope, area_label
from handlers.area_picker import scope_or_refuse
from handlers.case_list import send_list

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)


def _month_or_explain(text: str, today: dt.date, tr: Translator) -> tuple[dt.date | None, str | None]:
    try:
        return rsvc.parse_month_arg(text, today), None
    except rsvc.MonthParseError:
        return None, tr.gettext(
            "I could not read the month “{text}”. Write it like /rekap 2024-11, /rekap 11/2024, "
            "/rekap November 2024 or /rekap nov (future months have no data yet).").format(
            text=html.escape(text[:40]))


def _recap_keyboard(month: dt.date, tr: Translator) -> InlineKeyboardMarkup:
    key = month.strftime("%Y-%m")
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("📊 Chart per posyandu"), callback_data=f"rekap:chart:{key}"),
         InlineKeyboardButton(tr.gettext("📋 Follow-up list"), callback_data="rekap:tl:0")],
        [InlineKeyboardButton(tr.gettext("⬇️ Excel"), callback_data=f"rekap:xlsx:{key}")],
    ])


async def recap_command(update: Update, context: BotContext) -> None:
    msg = update.effective_message
    assert msg
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    tr = context.tr
    month, error = _month_or_explain(" ".join(context.args or []), context.runtime.today(), tr)
    if month is None:
        await msg.reply_text(error or "")
        return
    if not scope.posyandu_ids:
        await msg.reply_text(tr.gettext("There is no posyandu in {area} yet, so there is nothing to count.").format(
            area=html.escape(area_label(scope.area, tr))))
        return
    await context.bot.send_chat_action(msg.chat_id, ChatAction.TYPING)
    recap = await rsvc.build_recap(context.runtime.repos, scope, month, tr)
    await msg.reply_text(rsvc.format_recap(recap, tr), reply_markup=_recap_keyboard(month, tr))
    log.info("recap %s for user %s: %s posyandu", month.strftime("%Y-%m"), scope.user_id, len(scope.posyandu_ids))


async def recap_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data and query.message
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    tr = context.tr
    if callbacks.REKAP_FOLLOW_UP.matches(query.data):
        page = callbacks.REKAP_FOLLOW_UP.parse(query.data).number("page")
        await _send_follow_up(update, context, scope, page, edit=False)
        return
    data = callbacks.REKAP_MONTH.parse(query.data)
    action, month = data.text("action"), data.date("month")
    await query.answer()
    if action == "chart":
        await context.bot.send_chat_action(query.message.chat.id, ChatAction.UPLOAD_PHOTO)
        recap = await rsvc.build_recap(context.runtime.repos, scope, month, tr)
        # Drawing takes ~0.3 s of CPU: in a thread, so other users' updates are not held up meanwhile.
        png = await asyncio.to_thread(rsvc.render_stunting_chart, recap, tr)
        await context.bot.send_photo(query.message.chat.id, png, caption=tr.gettext(
            "Stunting by posyandu — {area}, {month}").format(area=html.escape(recap.title),
                                                             month=fmt_month(month, tr.lang)))
    elif action == "xlsx":
        await _send_export(update, context, scope, month)


# ------------------------------------------------------------------ follow-up


async def _send_follow_up(update: Update, context: BotContext, scope: StaffScope, page: int, *, edit: bool) -> None:
    # The follow-up list is the case list now (issue 16: handlers/case_list.py), for every role that follows cases.
    await send_list(update, context, page, edit=edit)


# ------------------------------------------------------------------ export


async def export_command(update: Update, context: BotContext) -> None:
    msg = update.effective_message
    assert msg
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    month, error = _month_or_explain(" ".join(context.args or []), context.runtime.today(), context.tr)
    if month is None:
        await msg.reply_text((error or "").replace("/rekap", "/ekspor"))
        return
    await _send_export(update, context, scope, month)


async def _send_export(update: Update, context: BotContext, scope: StaffScope, month: dt.date) -> None:
    from bot.services import export as xsvc

    chat = update.effective_chat
    assert chat
    tr = context.tr
    if not scope.posyandu_ids:
        await context.bot.send_message(chat.id, tr.gettext("There is no posyandu in {area} yet, so there is "
                                                           "nothing to export.").format(
            area=html.escape(area_label(scope.area, tr))))
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    data = await xsvc.collect_export(context.runtime.repos, month, scope.posyandu_ids)
    content = await asyncio.to_thread(xsvc.export_bytes, data, "xlsx")  # seconds of CPU for a city
    name = f"eppgbm-{month.strftime('%Y-%m')}.xlsx"
    await context.bot.send_document(chat.id, content, filename=name, caption=tr.gettext(
        "e-PPGBM data {area}, {month}: one sheet per posyandu and a summary.").format(
        area=html.escape(area_label(scope.area, tr)), month=fmt_month(month, tr.lang)))
    log.info("export %s for user %s: %s posyandu", month.strftime("%Y-%m"), scope.user_id, len(scope.posyandu_ids))


def register(app: PosyanduApplication) -> None:
    app.add_handler(CommandHandler(["rekap", "recap"], recap_command))
    app.add_handler(CallbackQueryHandler(recap_button, pattern=callbacks.any_of(callbacks.REKAP_MONTH,
                                                                                callbacks.REKAP_FOLLOW_UP)))
    app.add_handler(CommandHandler(["ekspor", "export"], export_command))


__all__ = ["register"]
