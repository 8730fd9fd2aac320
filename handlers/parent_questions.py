"""Free text from parents: small talk, questions about their own child (handlers/parent_personal.py), a wish
to ask a person (handlers/parent_ask.py), and general questions answered from content/faq.toml; /tanya.

bot/services/parent_intents.route decides which; the FAQ answers the best entry and offers the next ones as
"did you mean" buttons. ORDER 90: registered after every conversation that takes free text, so this only
sees text nobody else claimed. Callback data starts with `tanya:`. Question texts are never logged (they may
hold names).
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
from bot.services import parent as parent_svc
from bot.services.faq import Confidence, FaqEntry, Match, focus_lines, load_catalog, looks_english
from bot.services.parent_intents import SMALL_TALK, Intent, route
from handlers import common
from handlers.parent_ask import ask_button, remember_question
from handlers.parent_link import looks_like_code, try_code
from handlers.parent_personal import Sent, send_personal

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

# English small talk gets an English answer even from an Indonesian-language account.
_ENGLISH_CHAT = re.compile(r"\b(thank|thanks|hello|hi|good\s+(?:morning|afternoon|evening)|noted|okay)\b",
                           re.IGNORECASE)


def answer_text(entry: FaqEntry, lang: str, tr: Translator, question: str = "") -> str:
    """The answer; when the question was about part of a list ("kapan imunisasi campak?"), that part first."""
    answer = entry.answer(lang)
    focus = "".join(f"👉 {html.escape(line.removeprefix('• '))}\n" for line in focus_lines(answer, question))
    if focus:
        focus += "\n"
    return (f"<b>{html.escape(entry.question(lang))}</b>\n\n{focus}{html.escape(answer)}\n\n<i>"
            + tr.gettext("Source: {source}").format(source=html.escape(entry.source)) + "</i>\n"
            + tr.gettext("General information: for your own child, ask your cadre, midwife or puskesmas."))


def more_keyboard(tr: Translator, alternatives: tuple[Match, ...] = (),
                  lang: str | None = None) -> InlineKeyboardMarkup:
    """Under an answer: the next entries that might be meant ("did you mean"), other topics, a person."""
    suffix = f":{lang}" if lang else ""
    rows = [[InlineKeyboardButton("🔎 " + m.entry.question(tr.lang), callback_data=f"tanya:q:{m.entry.id}{suffix}")]
            for m in alternatives]
    rows.append([InlineKeyboardButton(tr.gettext("❓ Other topics"), callback_data="tanya:menu")])
    rows.append([ask_button(tr)])
    return InlineKeyboardMarkup(rows)


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


async def small_talk(update: Update, context: BotContext, intent: Intent, text: str) -> None:
    """A thank-you, a greeting or an "ok" (often a reply to a reminder or an announcement): a short kind answer."""
    msg = update.effective_message
    assert msg
    tr = get_translator("en") if _ENGLISH_CHAT.search(text) else context.tr
    if intent is Intent.THANKS:
        await msg.reply_text(tr.gettext("You're welcome! Ask again any time."))
    elif intent is Intent.GREETING:
        await msg.reply_text(tr.gettext("Hello! Type a question about your child's growth or food, for example "
                                        "“when to start MPASI?”, or type /help."))
    elif _replies_to_bot(update):
        await msg.reply_text(tr.gettext("🙏 Thank you for your reply! See you at the posyandu."))
    else:
        await msg.reply_text(tr.gettext("👍 Noted. If you have a question, just type it here."))


def _replies_to_bot(update: Update) -> bool:
    replied = update.effective_message.reply_to_message if update.effective_message else None
    return replied is not None and replied.from_user is not None and replied.from_user.is_bot


async def _child_names(context: BotContext, update: Update) -> list[str]:
    """First names of the sender's linked children, lower case ("umur budi berapa")."""
    user = update.effective_user
    if user is None:
        return []
    children = await parent_svc.linked_children(context.runtime.repos, user.id)
    return [c.name.split()[0].lower() for c in children if c.name.split()]


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
    routed = route(text, await _child_names(context, update))
    log.info("message from user %s routed to %s", update.effective_user.id if update.effective_user else None,
             routed.intent)
    if routed.intent in SMALL_TALK:
        assert routed.intent is not None
        await small_talk(update, context, routed.intent, text)
        return
    if routed.intent is Intent.ASK_PERSON:
        await msg.reply_text(tr.gettext("Yes! Press the button below and write your question: the cadre of your "
                                        "posyandu answers here, in this chat."),
                             reply_markup=InlineKeyboardMarkup([[ask_button(tr)]]))
        return
    linked_hint = False
    if routed.intent is not None:
        if await send_personal(update, context, routed, text) is Sent.DONE:
            return
        linked_hint = True  # about one's own child, but no child is linked: the general answer, and how to link
    remember_question(context, text)
    await faq_answer(update, context, text, linked_hint=linked_hint)


async def faq_answer(update: Update, context: BotContext, text: str, *, linked_hint: bool = False) -> None:
    """The catalog's best entry with the next ones offered, a choice when unsure, or an honest no."""
    msg = update.effective_message
    assert msg
    lang = "en" if looks_english(text) else context.lang
    answer_tr = get_translator(lang)
    suffix_lang = lang if lang != context.lang else None  # an English question keeps English answers
    result = load_catalog().match(text)
    log.info("question from user %s: %s %s", update.effective_user.id if update.effective_user else None,
             result.confidence, [(m.entry.id, m.score) for m in (*result.matches, *result.alternatives)])
    hint = ("\n\n" + answer_tr.gettext("For an answer about your own child, link your child: /hubungkan")
            if linked_hint else "")
    if result.confidence is Confidence.ANSWER and result.best is not None:
        await msg.reply_text(answer_text(result.best, lang, answer_tr, text) + hint,
                             reply_markup=more_keyboard(answer_tr, result.alternatives, suffix_lang))
        return
    if result.confidence is Confidence.SUGGEST:
        suffix = f":{suffix_lang}" if suffix_lang else ""
        rows = [[InlineKeyboardButton(m.entry.question(lang), callback_data=f"tanya:q:{m.entry.id}{suffix}")]
                for m in result.matches]
        rows.append([InlineKeyboardButton(answer_tr.gettext("None of these"), callback_data="tanya:none")])
        rows.append([ask_button(answer_tr)])
        await msg.reply_text(answer_tr.gettext("Did you mean one of these? Press a question:") + hint,
                             reply_markup=InlineKeyboardMarkup(rows))
        return
    if _replies_to_bot(update):
        # A reply to a reminder or an announcement that is not a question we know: thank, and offer a person.
        await msg.reply_text(answer_tr.gettext("🙏 Thank you for your reply! I am an automatic bot; to ask the cadre "
                                               "or midwife of your posyandu, press the button below."),
                             reply_markup=InlineKeyboardMarkup([[ask_button(answer_tr)]]))
        return
    await msg.reply_text(no_answer_text(answer_tr) + hint, reply_markup=more_keyboard(answer_tr))


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
