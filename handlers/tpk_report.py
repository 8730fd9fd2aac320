"""`/laporan_tpk [bulan]`: the TPK report per village for a month, in the chat, with its Excel file behind a button
(bot.services.tpk_report). For coordinators, health workers and TPK, each for their own area."""

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
from bot.i18n import fmt_month
from bot.services import access
from bot.services import cases as case_svc
from bot.services import recap as rsvc
from bot.services import tpk_report as svc
from storage import Role

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)
REPORT_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.HEALTH_WORKER, Role.TPK})


async def _principal(update: Update, context: BotContext) -> access.Principal | None:
    assert update.effective_user
    rt = context.runtime
    p = await case_svc.principal_of(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)
    if p is None or not p.active or p.role not in REPORT_ROLES:
        text = context.tr.gettext("Sorry, the TPK report is for coordinators, midwives and TPK. Type /help to see "
                                  "what you can do.")
        if update.callback_query:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(text)
        return None
    return p


async def report_command(update: Update, context: BotContext) -> None:
    msg = update.effective_message
    assert msg
    p = await _principal(update, context)
    if p is None:
        return
    tr, rt = context.tr, context.runtime
    text = " ".join(context.args or [])
    try:
        month = rsvc.parse_month_arg(text, rt.today())
    except rsvc.MonthParseError:
        await msg.reply_text(tr.gettext("I could not read the month “{text}”. Write it like /laporan_tpk 2024-11 or "
                                        "/laporan_tpk nov (future months have no data yet).").format(
            text=html.escape(text[:40])))
        return
    reports = await svc.build(rt.repos, p, month, rt.clock.now())
    excel = InlineKeyboardButton(tr.gettext("⬇️ Excel"), callback_data=f"tpk:xlsx:{month:%Y-%m}")
    markup = InlineKeyboardMarkup([[excel]]) if reports else None
    await msg.reply_text(svc.format_chat(reports, month, tr), reply_markup=markup)


async def xlsx_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data and update.effective_chat
    p = await _principal(update, context)
    if p is None:
        return
    await query.answer()
    tr, rt = context.tr, context.runtime
    month: dt.date = callbacks.TPK_XLSX.parse(query.data).date("month")
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    reports = await svc.build(rt.repos, p, month, rt.clock.now())
    content = await asyncio.to_thread(svc.xlsx_bytes, reports, month)
    await context.bot.send_document(update.effective_chat.id, content, filename=f"laporan-tpk-{month:%Y-%m}.xlsx",
                                    caption=tr.gettext("TPK report {month}: families accompanied and cases, per "
                                                       "village.").format(month=fmt_month(month, tr.lang)))
    log.info("tpk report %s for user %s: %s villages", f"{month:%Y-%m}", p.user_id, len(reports))


def register(app: PosyanduApplication) -> None:
    app.add_handler(CommandHandler(["laporan_tpk", "tpk_report"], report_command))
    app.add_handler(CallbackQueryHandler(xlsx_button, pattern=callbacks.TPK_XLSX.matches))


__all__ = ["register"]
