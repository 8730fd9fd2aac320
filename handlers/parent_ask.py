"""Parent journey: ask a person ("🙋 Tanya kader/bidan", /tanya_kader). The question goes to the cadres of the
child's posyandu; the answer comes back here (handlers/thread_replies.py takes the cadre's reply).

Thin: the rules live in bot/services/parent_threads.py. ORDER 35: a conversation that takes free text (before
the parent's free-text questions, 90). Its state lives in user_data[STATE_KEY]["ask"], so a restart mid-way
resumes. Also registers the repeating job that escalates unanswered questions and retries what was not sent
(stable id, rebuilt at every start).
"""

from __future__ import annotations

import html
import logging
import os
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator
from bot.services import parent_threads as svc

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

ORDER = 35
STATE_KEY = "ortu_tanya"  # the parent's question state: {"pending": ..., "last": ..., "ask": {...}}
CHOOSE, WRITE = range(2)
JOB_ID = "parent_threads:run_due"
DEFAULT_INTERVAL = 300.0  # seconds between runs: escalation is due at a working day's end, minutes do not matter
DEFAULT_FIRST = 10.0


def state(context: BotContext) -> dict[str, Any]:
    """This journey's part of user_data (created on first use)."""
    assert context.user_data is not None
    found = context.user_data.get(STATE_KEY)
    if not isinstance(found, dict):
        found = context.user_data[STATE_KEY] = {}
    return found


def remember_question(context: BotContext, text: str) -> None:
    """The last free-text question, offered when the parent then presses "Tanya kader/bidan"."""
    if context.user_data is not None:
        state(context)["last"] = text[:svc.MAX_QUESTION]


def ask_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(tr.gettext("🙋 Ask a cadre or midwife"), callback_data="kader:ask")


def again_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr.gettext("🙋 Ask another question"),
                                                       callback_data="kader:ask")]])


async def _reply(update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    chat = update.effective_chat
    assert chat
    await context.bot.send_message(chat.id, text, reply_markup=markup)


async def start(update: Update, context: BotContext) -> int:
    """/tanya_kader or the button: choose the child (if several), then write the question."""
    user = update.effective_user
    assert user
    if update.callback_query:
        await update.callback_query.answer()
    tr = context.tr
    target = await svc.targets(context.runtime.repos, user.id)
    ask = state(context)["ask"] = {}
    if not target.children and target.posyandu_id is None:
        await _reply(update, context, tr.gettext(
            "To ask your posyandu's cadre, first link your child: /hubungkan (your phone number or the code from "
            "the cadre)."))
        state(context).pop("ask", None)
        return ConversationHandler.END
    if len(target.children) > 1:
        rows = [[InlineKeyboardButton(c.name.split()[0] if c.name.split() else c.name,
                                      callback_data=f"kader:c:{c.id}")] for c in target.children]
        rows.append([InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="kader:cancel")])
        await _reply(update, context, tr.gettext("Which child is your question about?"), InlineKeyboardMarkup(rows))
        return CHOOSE
    if target.children:
        ask["child_id"] = target.children[0].id
    return await prompt(update, context)


async def prompt(update: Update, context: BotContext) -> int:
    tr = context.tr
    last = state(context).get("last")
    rows = []
    if isinstance(last, str) and last:
        short = last if len(last) <= 40 else last[:39] + "…"
        rows.append([InlineKeyboardButton(tr.gettext("📨 Send: «{question}»").format(question=short),
                                          callback_data="kader:last")])
    rows.append([InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="kader:cancel")])
    await _reply(update, context, tr.gettext(
        "Write your question for the posyandu cadre (and the midwife) in one message. Your phone number is not "
        "shown to them; the answer comes here.\nType /batal to cancel."), InlineKeyboardMarkup(rows))
    return WRITE


async def child_chosen(update: Update, context: BotContext) -> int:
    query = update.callback_query
    user = update.effective_user
    assert query and user
    child_id = callbacks.KADER_CHILD.parse(query.data).id("child")
    target = await svc.targets(context.runtime.repos, user.id)
    if child_id not in {c.id for c in target.children}:
        await query.answer(context.tr.gettext("Sorry, you can only see your own linked children."), show_alert=True)
        return CHOOSE
    await query.answer()
    state(context).setdefault("ask", {})["child_id"] = child_id
    return await prompt(update, context)


async def written(update: Update, context: BotContext) -> int:
    msg = update.effective_message
    assert msg and msg.text
    return await send(update, context, msg.text)


async def send_button(update: Update, context: BotContext) -> int:
    """While writing: "send my last question" or "cancel"."""
    query = update.callback_query
    assert query
    if callbacks.KADER_SEND.parse(query.data).text("action") == "cancel":
        return await cancel(update, context)
    last = state(context).get("last")
    if not isinstance(last, str) or not last:
        await query.answer(context.tr.gettext("This button is no longer active."))
        return WRITE
    await query.answer()
    return await send(update, context, last)


async def send(update: Update, context: BotContext, text: str) -> int:
    user = update.effective_user
    assert user
    tr = context.tr
    rt = context.runtime
    ask = state(context).get("ask") or {}
    result = await svc.ask(rt.repos, user.id, text, rt.clock.now(), child_id=ask.get("child_id"))
    O = svc.AskOutcome  # noqa: E741 - a short alias keeps the branches readable
    if result.outcome is O.EMPTY:
        await _reply(update, context, tr.gettext("Please type your question as text, or /batal to cancel."))
        return WRITE
    if result.outcome is O.TOO_LONG:
        await _reply(update, context, tr.gettext("That is very long. Please send a shorter question (up to 1000 "
                                                 "characters), or /batal to cancel."))
        return WRITE
    state(context).pop("ask", None)
    state(context).pop("last", None)
    place = html.escape(result.posyandu_name)
    if result.outcome is O.NOT_LINKED:
        await _reply(update, context, tr.gettext(
            "To ask your posyandu's cadre, first link your child: /hubungkan (your phone number or the code from "
            "the cadre)."))
        return ConversationHandler.END
    if result.thread is not None:
        await svc.send_now(rt, context.bot, result.thread.id)
    if result.outcome is O.SENT:
        text = tr.gettext("✅ Sent to the cadres of {posyandu}. Their answer will come here. If nobody answers "
                          "within one working day, your question goes to the coordinator.").format(posyandu=place)
    elif result.outcome is O.SENT_TO_COORDINATOR:
        text = tr.gettext("✅ Sent to the coordinator of your area (no cadre of {posyandu} uses this bot yet). "
                          "The answer will come here.").format(posyandu=place)
    else:
        text = tr.gettext("Your question is saved, but nobody at {posyandu} uses this bot yet. Please ask at the "
                          "posyandu or the puskesmas.").format(posyandu=place)
    await _reply(update, context, text)
    return ConversationHandler.END


async def not_text(update: Update, context: BotContext) -> int:
    await _reply(update, context, context.tr.gettext("Please type your question as text, or /batal to cancel."))
    return WRITE


async def remind_choose(update: Update, context: BotContext) -> int:
    await _reply(update, context, context.tr.gettext("Please press the button with your child's name, or /batal to "
                                                     "cancel."))
    return CHOOSE


async def cancel_button(update: Update, context: BotContext) -> int | None:
    """Outside the writing step only "cancel" can still act (None: the step stays as it is)."""
    query = update.callback_query
    assert query
    if callbacks.KADER_SEND.parse(query.data).text("action") != "cancel":
        await query.answer(context.tr.gettext("This button is no longer active."))
        return None
    return await cancel(update, context)


async def cancel(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    state(context).pop("ask", None)
    await _reply(update, context, context.tr.gettext("OK, nothing was sent."))
    return ConversationHandler.END


# ------------------------------------------------------------------ the repeating job


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return max(float(raw), 0.05) if raw else default
    except ValueError:
        return default


async def run_job(context: BotContext) -> None:
    await svc.run_due(context.runtime, context.bot, again_keyboard)


def register(app: PosyanduApplication) -> None:
    conversation = ConversationHandler(
        entry_points=[CommandHandler(["tanya_kader", "tanya_bidan", "ask_person"], start),
                      CallbackQueryHandler(start, pattern=callbacks.KADER_ASK.matches)],
        states={
            CHOOSE: [CallbackQueryHandler(child_chosen, pattern=callbacks.KADER_CHILD.matches),
                     MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, remind_choose)],
            WRITE: [MessageHandler(filters.TEXT & ~filters.COMMAND, written),
                    CallbackQueryHandler(send_button, pattern=callbacks.KADER_SEND.matches),
                    MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, not_text)],
        },
        fallbacks=[CommandHandler(["batal", "cancel"], cancel),
                   CallbackQueryHandler(cancel_button, pattern=callbacks.KADER_SEND.matches)],
        name="parent_ask",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    if app.job_queue is not None:
        # The same knobs as the reminders job (tests keep both quiet and call run_due themselves).
        app.job_queue.run_repeating(
            run_job, interval=_seconds("POSYANDU_REMINDER_INTERVAL", DEFAULT_INTERVAL),
            first=_seconds("POSYANDU_REMINDER_FIRST", DEFAULT_FIRST), name=JOB_ID,
            job_kwargs={"id": JOB_ID, "replace_existing": True, "max_instances": 1, "coalesce": True,
                        "misfire_grace_time": None})


__all__ = ["STATE_KEY", "again_keyboard", "ask_button", "register", "remember_question", "run_job", "state"]
