"""Sponsors (orang tua asuh), issue 14: joining a program through its invite (`/start <code>`), `/asuh` (the
program's children by code, age, sex and status trend: never a name, NIK, phone number or address), the report
(text and Excel) and `/pesan_kader <text>` to the program's cadres. The monthly report arrives by itself
(bot.services.sponsor_reports, registered here). Callback data starts with `asuh:`."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.i18n import get_translator
from bot.render.programs import report_text, sponsor_children_text
from bot.services import programs as programs_svc
from bot.services import reminders, sponsor_reports
from bot.services import sponsor as svc
from bot.services.parent import code_lock, note_wrong_code
from bot.services.sponsor import JoinOutcome
from handlers.cadre_shared import send_text
from handlers.common import START_PAYLOAD_HANDLERS
from handlers.programs import send_xlsx

log = logging.getLogger(__name__)

ORDER = 60  # before handlers/parent.py (85), whose /start handler answers any code nobody else took
PROGRAM_KEY = "asuh_program"  # user_data: the program /pesan_kader writes to
MAX_MESSAGE = 1000


async def redeem(update: Update, context: BotContext, payload: str) -> bool:
    """`/start <code>` of a sponsor invite."""
    user = update.effective_user
    msg = update.effective_message
    if user is None or msg is None:
        return False
    tr = context.tr
    repos = context.runtime.repos
    now = context.runtime.clock.now()
    if await code_lock(repos, user.id, now) is not None:
        return False  # too many wrong codes: the parent handler (asked last) answers, nothing is looked up here
    join = await svc.redeem(repos, user.id, payload, now, display_name=user.first_name or "", language=context.lang)
    if join is None:
        return False
    if join.outcome in (JoinOutcome.EXPIRED, JoinOutcome.USED):
        await note_wrong_code(repos, user.id, now)
    name = html.escape(join.program.name if join.program else "")
    texts = {
        JoinOutcome.EXPIRED: tr.gettext("This invitation code has expired. Please ask the program's coordinator for "
                                        "a new one (codes are valid for 7 days)."),
        JoinOutcome.USED: tr.gettext("This invitation code has already been used. Each code is for one person: "
                                     "please ask the program's coordinator for your own code."),
        JoinOutcome.STAFF: tr.gettext("Your account is a staff account, so it was not made a sponsor account. Ask "
                                      "the coordinator for a report instead."),
        JoinOutcome.ALREADY: tr.gettext("You already follow {program}. Type /asuh to see its children.").format(
            program=name),
        JoinOutcome.JOINED: tr.gettext(
            "✅ Welcome! You now follow the program {program} as a sponsor (orang tua asuh).\n\n"
            "/asuh — the program's children (by code only) and the report\n"
            "/pesan_kader — write to the program's cadres\n"
            "The monthly report comes here at the start of each month.").format(program=name),
    }
    await msg.reply_text(texts[join.outcome])
    return True


async def _programs_or_refuse(update: Update, context: BotContext) -> list[programs_svc.Program]:
    assert update.effective_user
    programs = await svc.sponsor_programs(context.runtime.repos, update.effective_user.id)
    if not programs:
        text = context.tr.gettext("This command is for sponsors (orang tua asuh) of a program. Ask the program's "
                                  "coordinator for an invitation.")
        if update.callback_query:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(text)
    return programs


def _keyboard(context: BotContext, program: programs_svc.Program) -> InlineKeyboardMarkup:
    tr = context.tr
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("📊 Report"), callback_data=f"asuh:r:{program.id}"),
         InlineKeyboardButton(tr.gettext("⬇️ Excel"), callback_data=f"asuh:x:{program.id}")],
        [InlineKeyboardButton(tr.gettext("✉️ Write to the cadres"), callback_data=f"asuh:m:{program.id}")]])


async def asuh(update: Update, context: BotContext) -> None:
    for program in await _programs_or_refuse(update, context):
        await _show(update, context, program)


async def _show(update: Update, context: BotContext, program: programs_svc.Program) -> None:
    children = await svc.anonymised_children(context.runtime.repos, program, context.runtime.today())
    text = sponsor_children_text(context.tr, program, children)
    if len(text) > 4000:
        text = text[:3990].rsplit("\n", 1)[0] + "\n…"
    await send_text(update, context, text, _keyboard(context, program))


async def _program_pressed(update: Update, context: BotContext, schema: callbacks.Callback
                          ) -> programs_svc.Program | None:
    query = update.callback_query
    assert query and query.data and update.effective_user
    program = await svc.program_for_sponsor(context.runtime.repos, update.effective_user.id,
                                            schema.parse(query.data).id("program"))
    if program is None:
        await query.answer(context.tr.gettext("You can only see the programs you follow."), show_alert=True)
        return None
    await query.answer()
    return program


async def program_pressed(update: Update, context: BotContext) -> None:
    if (program := await _program_pressed(update, context, callbacks.ASUH_PROGRAM)) is not None:
        await _show(update, context, program)


async def report_pressed(update: Update, context: BotContext) -> None:
    if (program := await _program_pressed(update, context, callbacks.ASUH_REPORT)) is not None:
        report = await programs_svc.report(context.runtime.repos, program.id, today=context.runtime.today())
        await send_text(update, context, report_text(context.tr, report, last=6))


async def xlsx_pressed(update: Update, context: BotContext) -> None:
    if (program := await _program_pressed(update, context, callbacks.ASUH_XLSX)) is not None:
        await send_xlsx(update, context, program)


async def message_pressed(update: Update, context: BotContext) -> None:
    program = await _program_pressed(update, context, callbacks.ASUH_MESSAGE)
    if program is None or context.user_data is None:
        return
    context.user_data[PROGRAM_KEY] = program.id
    await send_text(update, context, context.tr.gettext(
        "Write your message after the command, for example:\n/pesan_kader Thank you for this month's work!\n"
        "It goes to the cadres of {program}.").format(program=html.escape(program.name)))


async def write_to_cadres(update: Update, context: BotContext) -> None:
    """`/pesan_kader <text>`: to the cadres of the program (the one chosen with ✉️, or the only one)."""
    msg = update.effective_message
    assert msg and msg.text and update.effective_user and context.user_data is not None
    tr = context.tr
    programs = await _programs_or_refuse(update, context)
    if not programs:
        return
    parts = msg.text.split(maxsplit=1)
    text = parts[1].strip() if len(parts) > 1 else ""
    if not text:
        await msg.reply_text(tr.gettext("Write your message after the command, for example: /pesan_kader Thank you "
                                        "for this month's work!"))
        return
    if len(text) > MAX_MESSAGE:
        await msg.reply_text(tr.gettext("That message is very long. Please send a short message or a command; type "
                                        "/help."))
        return
    chosen = context.user_data.get(PROGRAM_KEY)
    program = next((p for p in programs if p.id == chosen), programs[0] if len(programs) == 1 else None)
    if program is None:
        await msg.reply_text(tr.gettext("You follow several programs: press ✉️ under the program in /asuh first."))
        return
    repos = context.runtime.repos
    recipients = await svc.cadre_recipients(repos, program)
    sent = 0
    for uid in recipients:
        user = await repos.users.find(uid)
        ctr = get_translator(user.language if user else "id")
        body = ctr.gettext("📨 Message from a sponsor of the program {program}:").format(
            program=html.escape(program.name)) + "\n" + html.escape(text)
        try:
            await context.bot.send_message(uid, body)
            sent += 1
        except Forbidden:
            await repos.users.mark_blocked(uid)
        except TelegramError:
            log.warning("sponsor message to cadre %s failed", uid)
    await svc.record_message(repos, update.effective_user.id, program, recipients)
    await msg.reply_text(tr.ngettext("✅ Sent to {n} cadre of {program}.", "✅ Sent to {n} cadres of {program}.",
                                     sent).format(n=sent, program=html.escape(program.name)) if sent else
                         tr.gettext("No cadre of {program} can receive messages yet.").format(
                             program=html.escape(program.name)))


def register(app: Any) -> None:
    app.add_handler(CommandHandler(["asuh", "sponsor"], asuh))
    app.add_handler(CommandHandler(["pesan_kader", "message_cadres"], write_to_cadres))
    app.add_handler(CallbackQueryHandler(program_pressed, pattern=callbacks.ASUH_PROGRAM.matches))
    app.add_handler(CallbackQueryHandler(report_pressed, pattern=callbacks.ASUH_REPORT.matches))
    app.add_handler(CallbackQueryHandler(xlsx_pressed, pattern=callbacks.ASUH_XLSX.matches))
    app.add_handler(CallbackQueryHandler(message_pressed, pattern=callbacks.ASUH_MESSAGE.matches))
    if redeem not in START_PAYLOAD_HANDLERS:  # register runs again for every Application built
        START_PAYLOAD_HANDLERS.append(redeem)
    if sponsor_reports.collect not in reminders.COLLECTORS:
        reminders.COLLECTORS.append(sponsor_reports.collect)


__all__ = ["register"]
