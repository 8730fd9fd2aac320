"""Parent journey: answers about the parent's own child (age, status, next posyandu, vaccines due, what a child
should weigh, numbers typed in a question), and the buttons that pick the child or the child's sex.

Thin: bot/services/parent_answers.py decides, bot/render/parent_answers.py words. handlers/parent_questions.py
routes free text here. Callback data starts with `jawab:`.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.context import BotContext
from bot.growth.models import Sex
from bot.i18n import Translator
from bot.render import parent_answers as words
from bot.services import parent_answers as svc
from bot.services.faq import load_catalog
from bot.services.parent_intents import Intent, Numbers, Route, route
from handlers.parent_ask import ask_button, state

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)


class Sent(Enum):
    DONE = "done"
    FALLBACK = "fallback"  # not answerable from the child's data (no child linked): the FAQ answers instead


def keyboard(tr: Translator, related: str | None = None, *, chart_child: int | None = None) -> InlineKeyboardMarkup:
    """Under a personal answer: the general information on the topic (a catalog entry), and a person."""
    rows = []
    entry = load_catalog().get(related) if related else None
    if entry is not None:
        rows.append([InlineKeyboardButton("📖 " + entry.question(tr.lang), callback_data=f"tanya:q:{entry.id}")])
    if chart_child is not None:
        rows.append([InlineKeyboardButton(tr.gettext("📈 Chart"), callback_data=f"ortu:grafik:{chart_child}:wfa")])
    rows.append([ask_button(tr)])
    return InlineKeyboardMarkup(rows)


def _sex_keyboard(tr: Translator, numbers: Numbers) -> InlineKeyboardMarkup:
    days = numbers.age_days or 0
    grams = int((numbers.weight_kg or Decimal(0)) * 1000)
    mm = int((numbers.length_cm or Decimal(0)) * 10)
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(tr.gettext("👦 Boy"), callback_data=f"jawab:sex:M:{days}:{grams}:{mm}"),
        InlineKeyboardButton(tr.gettext("👧 Girl"), callback_data=f"jawab:sex:F:{days}:{grams}:{mm}"),
    ]])


async def send_personal(update: Update, context: BotContext, routed: Route, text: str, *,
                        child_id: int | None = None) -> Sent:
    """Answer a question about the parent's own child (or numbers typed); FALLBACK when the FAQ should."""
    user = update.effective_user
    chat = update.effective_chat
    assert user and chat
    tr = context.tr
    rt = context.runtime
    answer = await svc.answer(rt.repos, user.id, routed, text, rt.today(), tr=tr, child_id=child_id)
    send = context.bot.send_message
    related = svc.related_entry(routed.intent)
    if isinstance(answer, svc.NotLinked):
        if answer.intent is Intent.SCHEDULE:
            await send(chat.id, words.not_linked_text(answer.intent, tr), reply_markup=keyboard(tr, related))
            return Sent.DONE
        return Sent.FALLBACK
    if isinstance(answer, svc.ChooseChild):
        state(context)["pending"] = text
        rows = [[InlineKeyboardButton(c.name.split()[0] if c.name.split() else c.name,
                                      callback_data=f"jawab:c:{c.id}")] for c in answer.children]
        await send(chat.id, words.choose_child_text(tr), reply_markup=InlineKeyboardMarkup(rows))
    elif isinstance(answer, svc.NeedSex):
        await send(chat.id, words.need_sex_text(tr), reply_markup=_sex_keyboard(tr, answer.numbers))
    elif isinstance(answer, svc.NeedAge):
        await send(chat.id, words.need_age_text(tr))
    elif isinstance(answer, svc.OverFive):
        await send(chat.id, words.over_five_text(tr), reply_markup=keyboard(tr))
    elif isinstance(answer, svc.AgeAnswer):
        await send(chat.id, words.age_answer_text(answer, tr), reply_markup=keyboard(tr))
    elif isinstance(answer, svc.ScheduleAnswer):
        await send(chat.id, words.schedule_text(answer, tr), reply_markup=keyboard(tr, related))
    elif isinstance(answer, svc.StatusAnswer):
        latest = answer.report.latest
        await send(chat.id, words.status_text(answer.report, tr), reply_markup=keyboard(
            tr, svc.related_entry(routed.intent, latest.growth if latest else None),
            chart_child=answer.report.child.id if latest is not None else None))
    elif isinstance(answer, svc.ImmunisationAnswer):
        await send(chat.id, words.immunisation_text(answer, tr), reply_markup=keyboard(tr, related))
    elif isinstance(answer, svc.ExpectedAnswer):
        await send(chat.id, words.expected_text(answer, tr), reply_markup=keyboard(tr, related))
    else:
        await send(chat.id, words.score_text(answer, tr),
                   reply_markup=keyboard(tr, svc.related_entry(routed.intent, answer.growth)))
    return Sent.DONE


async def child_chosen(update: Update, context: BotContext) -> None:
    """The parent said which child the pending question is about."""
    query = update.callback_query
    assert query
    tr = context.tr
    pending = state(context).get("pending")
    if not isinstance(pending, str) or not pending:
        await query.answer(tr.gettext("This button is no longer active."))
        return
    child_id = callbacks.JAWAB_CHILD.parse(query.data).id("child")
    await query.answer()
    routed = route(pending)
    if routed.intent is None:
        return
    if await send_personal(update, context, routed, pending, child_id=child_id) is Sent.DONE:
        state(context).pop("pending", None)
    else:  # the child is no longer linked to this account
        chat = update.effective_chat
        assert chat
        await context.bot.send_message(chat.id, tr.gettext("Sorry, you can only see your own linked children."))


async def sex_chosen(update: Update, context: BotContext) -> None:
    """Score the typed numbers as a boy or a girl (the numbers travel in the button)."""
    query = update.callback_query
    chat = update.effective_chat
    assert query and chat
    tr = context.tr
    data = callbacks.JAWAB_SEX.parse(query.data)
    days, grams, mm = data.number("days"), data.number("grams"), data.number("mm")
    if (grams == 0 and mm == 0) or days > 1826:
        await query.answer(tr.gettext("This button is no longer active."))
        return
    await query.answer()
    answer = svc.score(Sex(data.text("sex")), days, Decimal(grams) / 1000 if grams else None,
                       Decimal(mm) / 10 if mm else None)
    await context.bot.send_message(chat.id, words.score_text(answer, tr),
                                   reply_markup=keyboard(tr, svc.related_entry(Intent.SCORE, answer.growth)))


def register(app: PosyanduApplication) -> None:
    app.add_handler(CallbackQueryHandler(child_chosen, pattern=callbacks.JAWAB_CHILD.matches))
    app.add_handler(CallbackQueryHandler(sex_chosen, pattern=callbacks.JAWAB_SEX.matches))


__all__ = ["Sent", "keyboard", "register", "send_personal"]
