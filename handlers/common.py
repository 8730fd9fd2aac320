"""Commands every user has: /start, /help, /bahasa, /batal, and the polite catch-alls."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

from bot import callbacks
from bot.context import LANG_KEY, BotContext
from bot.i18n import get_translator, normalise_language

log = logging.getLogger(__name__)

# Deep-link payloads (`/start <code>`): journeys append a handler that returns True when it took the code.
StartPayloadHandler = Callable[[Update, BotContext, str], Awaitable[bool]]
START_PAYLOAD_HANDLERS: list[StartPayloadHandler] = []
# Plain `/start` in the middle of a conversation: journeys append a handler that, when the user has unfinished
# work there, says so and asks its pending question again (returns True); the first that does wins.
ResumeHandler = Callable[[Update, BotContext], Awaitable[bool]]
START_RESUME_HANDLERS: list[ResumeHandler] = []

MAX_TEXT = 1000  # longer free text is almost always a paste by mistake


async def remember_user(update: Update, context: BotContext) -> None:
    """Load the user's language once per user (cached in user_data, which is persisted)."""
    tg_user = update.effective_user
    if tg_user is None or context.user_data is None:
        return
    if LANG_KEY in context.user_data:
        # Writing to the bot again after blocking it makes the user reachable (one indexed UPDATE).
        await context.runtime.repos.users.unblock_if_blocked(tg_user.id)
        return
    stored = await context.runtime.repos.users.find(tg_user.id)
    if stored is not None:
        context.user_data[LANG_KEY] = stored.language
        await context.runtime.repos.users.unblock_if_blocked(tg_user.id)
    else:
        context.user_data[LANG_KEY] = normalise_language(tg_user.language_code)
        await context.runtime.repos.users.upsert(
            telegram_id=tg_user.id,
            display_name=tg_user.first_name or "",
            language=context.user_data[LANG_KEY],
        )


async def role_of(context: BotContext, user_id: int) -> str | None:
    """The user's role as a plain string (admins from ADMIN_TELEGRAM_IDS count as admin)."""
    if user_id in context.runtime.settings.admin_telegram_ids:
        return "admin"
    user = await context.runtime.repos.users.find(user_id)
    if user is None or not user.active or user.role is None:
        return None
    return str(user.role.value)


async def start(update: Update, context: BotContext) -> None:
    assert update.effective_message and update.effective_user
    if context.args:
        payload = context.args[0].strip()
        for handler in START_PAYLOAD_HANDLERS:
            if await handler(update, context, payload):
                return
        await update.effective_message.reply_text(
            context.tr.gettext("This link or code is not valid any more. Ask your cadre or coordinator "
                               "for a new one, or type /help.")
        )
        return
    tr = context.tr
    name = html.escape(update.effective_user.first_name or "")
    role = await role_of(context, update.effective_user.id)
    if role in ("cadre", "coordinator", "admin"):
        await update.effective_message.reply_text(tr.gettext(
            "Welcome back, {name}! Type /ukur to enter a measurement, or /help for all your commands.").format(
            name=name))
        for resume in START_RESUME_HANDLERS:
            if await resume(update, context):
                break
        return
    if role == "parent":
        await update.effective_message.reply_text(tr.gettext(
            "Welcome back, {name}! Type /anakku to see how your child is growing, or just type a question.").format(
            name=name))
        return
    if role in ("tpk", "health_worker"):  # issue 16
        await update.effective_message.reply_text(tr.gettext(
            "Welcome back, {name}! Type /tindak_lanjut for the cases to follow up, /keluarga for the families, or "
            "/help for all your commands.").format(name=name))
        for resume in START_RESUME_HANDLERS:
            if await resume(update, context):
                break
        return
    text = tr.gettext(
        "Hello {name}! I am Posyandu Bot, helping posyandu fight stunting.\n\n"
        "• <b>Cadres</b> enter a child's weight and height and get the WHO z-scores, the status per "
        "Permenkes 2/2020 and what to do next.\n"
        "• <b>Parents</b> see how their child is growing, get tips and posyandu reminders.\n"
        "• <b>Coordinators</b> send announcements and get monthly recaps.\n\n"
        "Got a code from a cadre or coordinator? Send /start followed by the code.\n"
        "Type /help for the commands, /bahasa to change language."
    ).format(name=name)
    await update.effective_message.reply_text(text)


async def help_command(update: Update, context: BotContext) -> None:
    assert update.effective_message and update.effective_user
    tr = context.tr
    role = await role_of(context, update.effective_user.id)
    lines = [tr.gettext("<b>Commands</b>")]
    if role in ("cadre", "coordinator", "admin"):
        lines += [
            tr.gettext("/ukur — enter a measurement step by step"),
            tr.gettext("/catat A12 10.5 82 — quick entry: code, weight kg, height cm"),
            tr.gettext("/anak_baru — register a new child"),
            tr.gettext("/daftar — children of the posyandu this month"),
            tr.gettext("/riwayat A12 — a child's measurements"),
            tr.gettext("/koreksi — correct a recent entry"),
            tr.gettext("/jadwal — posyandu schedule: set, move or cancel dates"),
            tr.gettext("/layanan A12 — a child's immunisation, vitamin A, deworming and PMT record"),
            tr.gettext("/kode_ortu A12 — a link code for a parent of a registered child"),
            tr.gettext("/pertanyaan — parents' questions waiting for an answer"),
        ]
    if role == "cadre":
        lines.append(tr.gettext("/tindak_lanjut — follow-up cases of your posyandu"))
    if role in ("tpk", "health_worker"):  # issue 16
        lines += [
            tr.gettext("/tindak_lanjut — cases to follow up (visits, referrals, outcomes)"),
            tr.gettext("/kasus — open and overdue cases per posyandu"),
            tr.gettext("/keluarga — brides-to-be, pregnant women and mothers after birth"),
            tr.gettext("/ibu_baru — register a woman"),
            tr.gettext("/laporan_tpk — monthly TPK report (Excel too)"),
        ]
    if role in ("coordinator", "admin"):
        lines += [
            tr.gettext("/kasus — open and overdue cases per posyandu"),
            tr.gettext("/keluarga — the families TPK accompany"),
            tr.gettext("/laporan_tpk — monthly TPK report (Excel too)"),
        ]
    if role in ("coordinator", "admin"):
        lines += [
            tr.gettext("/rekap — monthly recap of your area"),
            tr.gettext("/tindak_lanjut — children who need follow-up"),
            tr.gettext("/siaran — send an announcement"),
            tr.gettext("/siaran_status — announcements sent and their delivery"),
            tr.gettext("/tim — your cadres and their last activity"),
            tr.gettext("/ekspor — Excel file for e-PPGBM"),
            tr.gettext("/undang — invite cadres (and coordinators of smaller areas)"),
            tr.gettext("/program — intervention programs (PMT, orang tua asuh); /program_baru to define one"),
        ]
    if role == "sponsor":
        lines += [
            tr.gettext("/asuh — the children of your program (by code only) and its report"),
            tr.gettext("/pesan_kader — write to the program's cadres"),
        ]
    if role is None or role == "parent":
        lines += [
            tr.gettext("/anakku — how my child is growing"),
            tr.gettext("/tips — a tip for my child's age"),
            tr.gettext("/tanya — questions about growth, food and immunisation"),
            tr.gettext("/hubungkan — link your child (phone number or code)"),
            tr.gettext("/tanya_kader — ask your posyandu cadre or midwife"),
            tr.gettext("/berhenti — stop reminders and tips (/mulai to resume)"),
            tr.gettext("/hapus_saya — delete my data"),
            tr.gettext("/jadwal — next posyandu dates, reminders on/off"),
            tr.gettext("Or just type a question, e.g. “what food for a 7 month old?”"),
        ]
    lines += [
        tr.gettext("/bahasa — change language"),
        tr.gettext("/batal — cancel what is in progress"),
    ]
    if role is None:
        lines.append("")
        lines.append(tr.gettext("Cadre or coordinator? Ask your puskesmas for an invitation code, "
                                "then send /start followed by the code."))
    await update.effective_message.reply_text("\n".join(lines))


async def language_command(update: Update, context: BotContext) -> None:
    assert update.effective_message
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton("🇮🇩 Bahasa Indonesia", callback_data="lang:id"),
        InlineKeyboardButton("🇬🇧 English", callback_data="lang:en"),
    ]])
    await update.effective_message.reply_text(context.tr.gettext("Choose your language:"), reply_markup=keyboard)


async def language_chosen(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and update.effective_user and context.user_data is not None
    lang = callbacks.LANG.parse(query.data).text("lang")
    await query.answer()
    context.user_data[LANG_KEY] = lang
    await context.runtime.repos.users.set_language(update.effective_user.id, lang)
    await query.edit_message_text(get_translator(lang).gettext("Language set to English."))


async def cancel_outside_conversation(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(context.tr.gettext("Nothing to cancel. Type /help to see what I can do."))


async def unknown_command(update: Update, context: BotContext) -> None:
    assert update.effective_message and update.effective_message.text
    command = update.effective_message.text.split()[0].split("@")[0][:40]
    await update.effective_message.reply_text(
        context.tr.gettext("I don't know the command {command}. Type /help to see the commands.").format(
            command=html.escape(command))
    )


async def not_text(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(
        context.tr.gettext("Sorry, I can only read text messages for now. Please type your message, "
                           "or type /help.")
    )


async def free_text(update: Update, context: BotContext) -> None:
    assert update.effective_message and update.effective_message.text
    tr = context.tr
    if len(update.effective_message.text) > MAX_TEXT:
        await update.effective_message.reply_text(
            tr.gettext("That message is very long. Please send a short message or a command; type /help."))
        return
    await update.effective_message.reply_text(
        tr.gettext("I didn't understand that. Type /help to see what I can do.")
    )


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an old or finished conversation (or a double tap), or callback data no schema accepts
    (forged): say so instead of spinning, and change nothing."""
    query = update.callback_query
    assert query
    if not callbacks.known(query.data):
        log.info("callback data of no known shape from user %s", update.effective_user.id
                 if update.effective_user else None)
    await query.answer(context.tr.gettext("This button is no longer active."), show_alert=False)


def register_commands(app: PosyanduApplication) -> None:
    app.add_handler(TypeHandler(Update, remember_user), group=-1)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler(["help", "bantuan"], help_command))
    app.add_handler(CommandHandler(["bahasa", "language"], language_command))
    app.add_handler(CallbackQueryHandler(language_chosen, pattern=callbacks.LANG.matches))


def register_fallbacks(app: PosyanduApplication) -> None:
    app.add_handler(CommandHandler(["batal", "cancel"], cancel_outside_conversation))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, free_text))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, not_text))
