"""Free-text questions about growth, feeding, hygiene and immunisation, answered from content/faq.toml; /tanya.

ORDER 90: registered after every conversation that takes free text, so this only sees text nobody else
claimed. Callback data starts with `tanya:`. Question texts are never logged (they may hold names).
"""

from __future__ import annotations

import html
import logging
import re
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.context import BotContext
from bot.i18n import N_, Translator, get_translator
from bot.services.faq import Confidence, FaqEntry, content_stems, focus_lines, load_catalog, looks_english
from handlers import common
from handlers.parent import looks_like_code, try_code

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

ORDER = 90

TOPICS: dict[str, str] = {
    "growth": N_("🌱 Growth and stunting"),
    "categories": N_("📊 What the results mean"),
    "breastfeeding": N_("🤱 Breastfeeding"),
    "feeding": N_("🥣 Food by age (MPASI)"),
    "sanitation": N_("🧼 Hygiene and clean water"),
    "immunisation": N_("💉 Immunisation"),
    "health": N_("🩺 Illness and when to see a health worker"),
    "posyandu": N_("🏥 Posyandu and development"),
}

_GREETING = re.compile(r"^\s*(halo+|hai+|hi+|hello|helo|pagi|siang|sore|malam|selamat \w+|assalamu\S*|"
                       r"permisi|p)\b", re.IGNORECASE)
_THANKS = re.compile(r"^\s*(terima ?kasih|makasih|makasi|trims|tq|thanks?( you)?|thx|matur ?nuwun|suwun|nuwun|"
                     r"ok(e|ey|ay)?|siap|baik|sip)\b", re.IGNORECASE)


def only(pattern: re.Pattern[str], text: str) -> bool:
    """The text is just a greeting (or thanks) plus words that carry no question ("makasih bu 🙏")."""
    m = pattern.match(text)
    return m is not None and not content_stems(text[m.end():])


def answer_text(entry: FaqEntry, lang: str, tr: Translator, question: str = "") -> str:
    """The answer; when the question was about part of a list ("kapan imunisasi campak?"), that part first."""
    answer = entry.answer(lang)
    focus = "".join(f"👉 {html.escape(line.removeprefix('• '))}\n" for line in focus_lines(answer, question))
    if focus:
        focus += "\n"
    return (f"<b>{html.escape(entry.question(lang))}</b>\n\n{focus}{html.escape(answer)}\n\n<i>"
            + tr.gettext("Source: {source}").format(source=html.escape(entry.source)) + "</i>\n"
            + tr.gettext("General information: for your own child, ask your cadre, midwife or puskesmas."))


def more_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr.gettext("❓ Other topics"), callback_data="tanya:menu")]])


def no_answer_text(tr: Translator) -> str:
    return tr.gettext(
        "Sorry, I don't have a good answer to that question yet. Please ask your posyandu cadre, the midwife or "
        "the nearest puskesmas.\n"
        "Type /tanya to see the topics I can answer.\n"
        "If your child is very ill (won't drink, has seizures, breathes fast or is very weak), go to the "
        "puskesmas at once.")


_STAFF = ("cadre", "coordinator", "admin")
_ENTRY = re.compile(r"^(?:[a-z]{1,2}\s?\d{1,5}\s+\d|(?:ukur|catat|timbang|input)\b)", re.IGNORECASE)


def _looks_like_entry(text: str) -> bool:
    """`A2 10,5 80`, `ukur`, `catat budi`: a measurement typed without its command."""
    return bool(_ENTRY.match(text.strip()))


async def question(update: Update, context: BotContext) -> None:
    msg = update.effective_message
    assert msg and msg.text
    text = msg.text.strip()
    if len(text) > common.MAX_TEXT:
        await common.free_text(update, context)
        return
    # A link code typed on its own (without /start): try it, with the same rate limit.
    if looks_like_code(text) and await try_code(update, context, text, typed=True):
        return
    tr = context.tr
    if _looks_like_entry(text) and await common.role_of(context, msg.chat_id) in _STAFF:
        # A cadre typing a measurement without the command: point to the command, not to the FAQ.
        await msg.reply_text(tr.gettext(
            "To record a measurement, type /catat followed by the child's code, weight and height, e.g. "
            "/catat A2 10.5 80 — or type /ukur to be guided step by step."))
        return
    if only(_GREETING, text):
        await msg.reply_text(tr.gettext("Hello! Type a question about your child's growth or food, for example "
                                        "“when to start MPASI?”, or type /help."))
        return
    if only(_THANKS, text):
        await msg.reply_text(tr.gettext("You're welcome! Ask again any time."))
        return
    lang = "en" if looks_english(text) else context.lang
    answer_tr = get_translator(lang)
    result = load_catalog().match(text)
    log.info("question from user %s: %s %s", update.effective_user.id if update.effective_user else None,
             result.confidence, [(m.entry.id, m.score) for m in result.matches])
    if result.confidence is Confidence.ANSWER and result.best is not None:
        await msg.reply_text(answer_text(result.best, lang, answer_tr, text), reply_markup=more_keyboard(answer_tr))
        return
    if result.confidence is Confidence.SUGGEST:
        suffix = f":{lang}" if lang != context.lang else ""  # an English question keeps English answers
        rows = [[InlineKeyboardButton(m.entry.question(lang), callback_data=f"tanya:q:{m.entry.id}{suffix}")]
                for m in result.matches]
        rows.append([InlineKeyboardButton(answer_tr.gettext("None of these"), callback_data="tanya:none")])
        await msg.reply_text(answer_tr.gettext("Did you mean one of these? Press a question:"),
                             reply_markup=InlineKeyboardMarkup(rows))
        return
    await msg.reply_text(no_answer_text(answer_tr), reply_markup=more_keyboard(answer_tr))


async def topics_command(update: Update, context: BotContext) -> None:
    """/tanya: the topics, as buttons."""
    chat = update.effective_chat
    assert chat
    tr = context.tr
    rows = [[InlineKeyboardButton(tr.gettext(label), callback_data=f"tanya:t:{key}")]
            for key, label in TOPICS.items() if load_catalog().by_topic(key)]
    await context.bot.send_message(chat.id, tr.gettext("Choose a topic, or just type your question:"),
                                   reply_markup=InlineKeyboardMarkup(rows))


async def button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query and chat
    tr = context.tr
    data = query.data
    catalog = load_catalog()
    if callbacks.TANYA_MENU.matches(data):
        await query.answer()
        await topics_command(update, context)
    elif callbacks.TANYA_TOPIC.matches(data):
        topic = callbacks.TANYA_TOPIC.parse(data).text("topic")
        entries = catalog.by_topic(topic) if topic in TOPICS else []
        if not entries:
            await query.answer(tr.gettext("This button is no longer active."))
            return
        await query.answer()
        rows = [[InlineKeyboardButton(e.question(context.lang), callback_data=f"tanya:q:{e.id}")] for e in entries]
        await context.bot.send_message(chat.id, tr.gettext(TOPICS[topic]), reply_markup=InlineKeyboardMarkup(rows))
    elif callbacks.TANYA_QUESTION.matches(data):
        asked = callbacks.TANYA_QUESTION.parse(data)
        entry = catalog.get(asked.text("entry"))
        if entry is None:
            await query.answer(tr.gettext("This button is no longer active."))
            return
        await query.answer()
        lang = asked.optional_text("lang") or context.lang
        answer_tr = get_translator(lang)
        await context.bot.send_message(chat.id, answer_text(entry, lang, answer_tr),
                                       reply_markup=more_keyboard(answer_tr))
    else:  # tanya:none
        await query.answer()
        await context.bot.send_message(chat.id, no_answer_text(tr), reply_markup=more_keyboard(tr))


def register(app: PosyanduApplication) -> None:
    # Index the catalog now (about 0.2 s, once per process) rather than on some parent's first question.
    load_catalog()
    app.add_handler(CommandHandler(["tanya", "ask", "topik"], topics_command))
    app.add_handler(CallbackQueryHandler(button, pattern=callbacks.any_of(
        callbacks.TANYA_MENU, callbacks.TANYA_TOPIC, callbacks.TANYA_QUESTION, callbacks.TANYA_NONE)))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, question))
