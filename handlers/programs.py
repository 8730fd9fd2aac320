"""`/program`: a coordinator's intervention programs (issue 14): the program card, the children its criteria
propose (enrol one or all), the children followed, the monthly report (text and Excel) and the sponsor invite.
Creating one is handlers/programs_new.py; the rules are bot.services.programs. Callback data starts with `prog:`.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.render.programs import followed_text, program_card, proposals_text, report_text
from bot.services import access
from bot.services import programs as svc
from bot.services import sponsor as sponsor_svc
from bot.services.program_export import report_xlsx
from bot.services.team import area_label
from handlers.cadre_shared import send_text
from storage.errors import StorageError

log = logging.getLogger(__name__)

ORDER = 33
MAX_ENROL_BUTTONS = 20
REPORT_MONTHS_SHOWN = 6  # the chat shows the last months; the Excel file has every month


async def _manager(update: Update, context: BotContext) -> access.Principal | None:
    assert update.effective_user
    rt = context.runtime
    return await svc.manager(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)


async def _refuse(update: Update, context: BotContext) -> None:
    text = context.tr.gettext("Sorry, programs are managed by coordinators (puskesmas, kelurahan or city). Type /help "
                              "to see what you can do.")
    if update.callback_query:
        await update.callback_query.answer(text[:200], show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(text)


async def program_command(update: Update, context: BotContext) -> None:
    assert update.effective_message
    tr = context.tr
    principal = await _manager(update, context)
    if principal is None:
        await _refuse(update, context)
        return
    programs = await svc.programs_for(context.runtime.repos, principal)
    if not programs:
        await update.effective_message.reply_text(tr.gettext(
            "No program in your area yet. Define one with /program_baru."))
        return
    rows = [[InlineKeyboardButton(f"🤝 {p.name}"[:60], callback_data=f"prog:o:{p.id}")] for p in programs[:30]]
    await update.effective_message.reply_text(
        tr.gettext("Programs of your area. Choose one (new: /program_baru):"), reply_markup=InlineKeyboardMarkup(rows))


async def _program_for(update: Update, context: BotContext, program_id: int) -> svc.Program | None:
    """The program when the caller manages it; else a polite refusal and None."""
    principal = await _manager(update, context)
    repos = context.runtime.repos
    program = await svc.get_program(repos.db, program_id)
    if principal is None or program is None or not await svc.may_manage(repos, principal, program):
        await _refuse(update, context)
        return None
    return program


async def _place_name(context: BotContext, program: svc.Program) -> str:
    repos = context.runtime.repos
    if program.posyandu_id is not None:
        return (await repos.posyandu.get(program.posyandu_id)).name
    assert program.area_id is not None
    return area_label(await repos.areas.get(program.area_id), context.tr)


def _card_keyboard(context: BotContext, program: svc.Program) -> InlineKeyboardMarkup:
    tr = context.tr
    pid = program.id
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("👶 Proposed children"), callback_data=f"prog:u:{pid}"),
         InlineKeyboardButton(tr.gettext("📋 Enrolled"), callback_data=f"prog:f:{pid}")],
        [InlineKeyboardButton(tr.gettext("📊 Report"), callback_data=f"prog:r:{pid}"),
         InlineKeyboardButton(tr.gettext("⬇️ Excel"), callback_data=f"prog:x:{pid}")],
        [InlineKeyboardButton(tr.gettext("🤝 Invite a sponsor member"), callback_data=f"prog:i:{pid}")],
    ])


async def show_card(update: Update, context: BotContext, program_id: int, *, edit: bool) -> None:
    program = await _program_for(update, context, program_id)
    if program is None:
        return
    repos = context.runtime.repos
    enrolled = [e for e in await svc.enrolled_in(repos.db, program.id) if e.left_on is None]
    members = await svc.members_of(repos.db, program.id)
    text = program_card(context.tr, program, await _place_name(context, program), enrolled=len(enrolled),
                        proposed=None, members=len(members))
    await send_text(update, context, text, _card_keyboard(context, program))


async def card_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    await show_card(update, context, callbacks.PROGRAM_CARD.parse(query.data).id("program"), edit=False)


async def _show_proposals(update: Update, context: BotContext, program: svc.Program, *, edit: bool) -> None:
    tr = context.tr
    items = await svc.proposals(context.runtime.repos, program, context.runtime.today())
    text = proposals_text(tr, program, items)
    rows = [[InlineKeyboardButton(f"➕ {p.child.name} ({p.child.code})"[:60],
                                  callback_data=f"prog:e:{program.id}:{p.child.id}")]
            for p in items[:MAX_ENROL_BUTTONS]]
    if len(items) > 1:
        rows.append([InlineKeyboardButton(tr.gettext("✅ Enrol all {n}").format(n=len(items)),
                                          callback_data=f"prog:ea:{program.id}")])
    rows.append([InlineKeyboardButton(tr.gettext("⬅️ Program"), callback_data=f"prog:o:{program.id}")])
    markup = InlineKeyboardMarkup(rows)
    query = update.callback_query
    if edit and query is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
        except TelegramError:
            log.debug("could not edit the proposals")
    await send_text(update, context, text, markup)


async def proposals_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    program = await _program_for(update, context, callbacks.PROGRAM_PROPOSALS.parse(query.data).id("program"))
    if program is None:
        return
    await query.answer()
    await _show_proposals(update, context, program, edit=False)


async def enrol_pressed(update: Update, context: BotContext) -> None:
    """➕ one child, or ✅ every child proposed now."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    repos = context.runtime.repos
    today = context.runtime.today()
    if callbacks.PROGRAM_ENROL_ALL.matches(query.data):
        program = await _program_for(update, context, callbacks.PROGRAM_ENROL_ALL.parse(query.data).id("program"))
        child_ids = [p.child.id for p in await svc.proposals(repos, program, today)] if program else []
    else:
        data = callbacks.PROGRAM_ENROL.parse(query.data)
        program = await _program_for(update, context, data.id("program"))
        child_ids = [data.id("child")]
    if program is None:
        return
    try:
        added = await svc.enrol(repos, program, child_ids, today, update.effective_user.id)
    except StorageError as exc:
        await query.answer(exc.message(tr)[:200], show_alert=True)
        return
    await query.answer(tr.ngettext("{n} child enrolled", "{n} children enrolled", added).format(n=added))
    log.info("program %s: %s children enrolled by %s", program.id, added, update.effective_user.id)
    await _show_proposals(update, context, program, edit=True)


async def followed_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    program = await _program_for(update, context, callbacks.PROGRAM_FOLLOWED.parse(query.data).id("program"))
    if program is None:
        return
    await query.answer()
    items = await svc.followed(context.runtime.repos, program, context.runtime.today())
    text = followed_text(context.tr, program, items)
    if len(text) > 4000:
        text = text[:3990].rsplit("\n", 1)[0] + "\n…"
    await send_text(update, context, text)


async def report_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    program = await _program_for(update, context, callbacks.PROGRAM_REPORT.parse(query.data).id("program"))
    if program is None:
        return
    await query.answer()
    report = await svc.report(context.runtime.repos, program.id, today=context.runtime.today())
    await send_text(update, context, report_text(context.tr, report, last=REPORT_MONTHS_SHOWN))


async def send_xlsx(update: Update, context: BotContext, program: svc.Program) -> None:
    """The report as Excel, the children by code only (the same file suits a sponsor)."""
    assert update.effective_chat
    repos = context.runtime.repos
    today = context.runtime.today()
    report = await svc.report(repos, program.id, today=today)
    children = await sponsor_svc.anonymised_children(repos, program, today)
    content = await asyncio.to_thread(report_xlsx, report, children)
    name = f"program-{program.id}-{today:%Y-%m}.xlsx"
    await context.bot.send_document(update.effective_chat.id, InputFile(content, filename=name),
                                    caption=context.tr.gettext("📊 {name}").format(name=html.escape(program.name)))


async def xlsx_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    program = await _program_for(update, context, callbacks.PROGRAM_XLSX.parse(query.data).id("program"))
    if program is None:
        return
    await query.answer()
    await send_xlsx(update, context, program)


async def invite_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    tr = context.tr
    program_id = callbacks.PROGRAM_INVITE.parse(query.data).id("program")
    program = await _program_for(update, context, program_id)
    principal = await _manager(update, context)
    if program is None or principal is None:
        return
    invite = await sponsor_svc.create_invite(context.runtime.repos, principal, program)
    await query.answer()
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    expiry = invite.expires_at.astimezone(context.runtime.settings.timezone).date()
    await send_text(update, context, "\n".join([
        tr.gettext("✅ Invitation for a sponsor member of {name}").format(name=html.escape(program.name)),
        "", tr.gettext("Send this link to the person you invite:"), html.escape(link), "",
        tr.gettext("Or they open the bot and type: <code>/start {code}</code>").format(code=invite.code),
        tr.gettext("Valid until {date}, for one person.").format(date=tr.date(expiry)),
        tr.gettext("Sponsors see the program's children by code only: no name, NIK, phone number or address.")]))


def register(app: Any) -> None:
    app.add_handler(CommandHandler(["program", "programs"], program_command))
    app.add_handler(CallbackQueryHandler(card_pressed, pattern=callbacks.PROGRAM_CARD.matches))
    app.add_handler(CallbackQueryHandler(proposals_pressed, pattern=callbacks.PROGRAM_PROPOSALS.matches))
    app.add_handler(CallbackQueryHandler(enrol_pressed, pattern=callbacks.any_of(callbacks.PROGRAM_ENROL,
                                                                                callbacks.PROGRAM_ENROL_ALL)))
    app.add_handler(CallbackQueryHandler(followed_pressed, pattern=callbacks.PROGRAM_FOLLOWED.matches))
    app.add_handler(CallbackQueryHandler(report_pressed, pattern=callbacks.PROGRAM_REPORT.matches))
    app.add_handler(CallbackQueryHandler(xlsx_pressed, pattern=callbacks.PROGRAM_XLSX.matches))
    app.add_handler(CallbackQueryHandler(invite_pressed, pattern=callbacks.PROGRAM_INVITE.matches))


__all__ = ["register", "send_xlsx", "show_card"]
