"""`/layanan <kode>`: a child's service record for cadres (every dose with its state, capsules, tablets, deliveries),
with a button per record to take a wrong one back (the history keeps it). Issue 14."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.render.services import done_button, records_text
from bot.services import child_services as svc
from bot.services import measurement as measurement_svc
from bot.services import programs as programs_svc
from bot.services import services_due
from handlers.cadre_shared import child_button, escape, get_staff, refuse_stranger, send_text
from storage.errors import StorageError
from storage.models import Child

log = logging.getLogger(__name__)

ORDER = 31
MAX_REMOVE_BUTTONS = 12  # the newest records; older ones are rarely wrong and the keyboard stays short


async def layanan(update: Update, context: BotContext) -> None:
    assert update.effective_message
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    query = " ".join(context.args or [])
    if not query:
        await update.effective_message.reply_text(tr.gettext(
            "Whose services? Write the code or name after the command, for example: /layanan A12\n"
            "To record a service: /catat A12 vita imun:campak cacing"))
        return
    found, elsewhere = await measurement_svc.find_child(context.runtime.repos, staff, query)
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
        rows = [[child_button(c, prefix="lay:l:")] for c in found]
        await update.effective_message.reply_text(tr.gettext("Several children match. Which one?"),
                                                  reply_markup=InlineKeyboardMarkup(rows))
        return
    await show(update, context, found[0])


async def show(update: Update, context: BotContext, child: Child) -> None:
    tr = context.tr
    repos = context.runtime.repos
    page = await services_due.kia_page(repos, child, context.runtime.today())
    programs = {pid: p for pid in {r.program_id for r in page.records if r.program_id}
                if (p := await programs_svc.get_program(repos.db, pid)) is not None}
    text = records_text(tr, child.code, child.name, page, programs)
    text += "\n" + tr.gettext("To record one from the Buku KIA: /catat {code} imun:bcg tgl 5/1/2025").format(
        code=child.code)
    newest = sorted(page.records, key=lambda r: (r.given_on, r.id), reverse=True)[:MAX_REMOVE_BUTTONS]
    rows = [[InlineKeyboardButton(f"🗑 {done_button(tr, r)[2:]} · {tr.short_date(r.given_on)}"[:60],
                                  callback_data=f"lay:r:{r.id}")] for r in newest]
    await send_text(update, context, text, InlineKeyboardMarkup(rows) if rows else None)


async def list_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    tr = context.tr
    staff = await get_staff(update, context)
    child = await context.runtime.repos.children.find_by_id(callbacks.LAYANAN_LIST.parse(query.data).id("child"))
    if staff is None or child is None or not staff.may_access(child.posyandu_id):
        await query.answer(tr.gettext("You can only see children of your posyandu."), show_alert=True)
        return
    await query.answer()
    await show(update, context, child)


async def remove_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    repos = context.runtime.repos
    staff = await get_staff(update, context)
    record = await programs_svc.find_record(repos.db, callbacks.LAYANAN_REMOVE.parse(query.data).id("record"))
    child = await repos.children.find_by_id(record.child_id) if record is not None else None
    if staff is None or record is None or child is None or not staff.may_access(child.posyandu_id):
        await query.answer(tr.gettext("You can only enter children of your posyandu."), show_alert=True)
        return
    if not record.current:
        await query.answer(tr.gettext("This button is no longer active."))
        return
    try:
        await svc.remove(repos, record.id, by=update.effective_user.id)
    except StorageError as exc:
        await query.answer(exc.message(tr)[:200], show_alert=True)
        return
    await query.answer()
    log.info("service record %s removed by %s", record.id, update.effective_user.id)
    await send_text(update, context, tr.gettext("🗑 Taken back: {what} ({date}). The history keeps it.").format(
        what=done_button(tr, record)[2:], date=tr.short_date(record.given_on)))
    await show(update, context, child)


def register(app: Any) -> None:
    app.add_handler(CommandHandler(["layanan", "services"], layanan))
    app.add_handler(CallbackQueryHandler(list_pressed, pattern=callbacks.LAYANAN_LIST.matches))
    app.add_handler(CallbackQueryHandler(remove_pressed, pattern=callbacks.LAYANAN_REMOVE.matches))
