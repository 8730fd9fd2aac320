"""`/ukur` answers: the child (code, name, fuzzy name), the date, and the values (weight, length with position,
LiLA, head circumference, oedema). Each answer is checked by the measurement service before the next question.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from telegram import InlineKeyboardButton, Update
from telegram.ext import (
    ConversationHandler,
)

from bot import callbacks
from bot.context import BotContext
from bot.growth.zscores import Problem
from bot.i18n import ParseError, parse_date
from bot.render.issues import (
    date_issue,
    number_issue,
    over_five,
    rolled_back_date,
    shown_value,
)
from bot.services import measurement as svc
from bot.services.measurement import Draft, InputIssue
from handlers.cadre_measure_ask import (
    CHILD,
    CONFIRM,
    DATE,
    LENGTH,
    MAX_CHILD_BUTTONS,
    MAX_TEXT,
    MUAC,
    STEP_FIELD,
    WEIGHT,
    _child,
    _clear,
    _draft,
    _length_question,
    _nav,
    _next_step,
    _position_buttons,
    _position_note,
    _state,
    _store,
    _warning,
    ask,
    ask_child,
)
from handlers.cadre_shared import (
    answer_in_background,
    child_button,
    escape,
    get_staff,
    press_buttons_hint,
    refuse_stranger,
    send_text,
)
from storage.models import Child, Position

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ the child


async def pick_by_text(update: Update, context: BotContext, text: str) -> int:
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        _clear(context)
        await refuse_stranger(update, context)
        return ConversationHandler.END
    if len(text) > MAX_TEXT or not any(ch.isalnum() for ch in text):
        return await ask_child(update, context, tr.gettext("Please type a child's name or code, for example "
                                                           "Budi or A12."))
    found, elsewhere = await svc.find_child(context.runtime.repos, staff, text)
    if not found and elsewhere is None:
        found = await svc.fuzzy_children(context.runtime.repos, staff, text, limit=MAX_CHILD_BUTTONS)
    if elsewhere is not None:
        return await ask_child(update, context, tr.gettext(
            "The child with code {code} is registered at another posyandu. You can only enter children of your "
            "posyandu.").format(code=elsewhere.code))
    if not found:
        return await ask_child(update, context, tr.gettext(
            "No child named “{text}” in your posyandu. Check the spelling, or register the child with /anak_baru."
        ).format(text=escape(text)))
    if len(found) == 1:
        return await chosen(update, context, found[0])
    rows = [[child_button(c, prefix="ukur:child:")] for c in found[:MAX_CHILD_BUTTONS]]
    await send_text(update, context, tr.gettext("Several children match “{text}”. Which one?").format(
        text=escape(text)), _nav(context, *rows, back=False))
    return CHILD


async def child_text(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    return await pick_by_text(update, context, update.effective_message.text)


async def child_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    staff = await get_staff(update, context)
    child = await context.runtime.repos.children.find_by_id(callbacks.UKUR_CHILD.parse(query.data).id("child"))
    if staff is None or child is None or not staff.may_access(child.posyandu_id):
        return await ask_child(update, context, context.tr.gettext("You can only enter children of your posyandu."))
    return await chosen(update, context, child)


async def chosen(update: Update, context: BotContext, child: Child) -> int:
    today = context.runtime.today()
    age = (today - child.birth_date).days
    if age > svc.MAX_AGE_DAYS:
        _store(context, Draft())
        return await ask_child(update, context, over_five(context.tr, age))
    draft = Draft(child_id=child.id)
    _store(context, draft)
    return await ask(update, context, DATE)


# ------------------------------------------------------------------ date


async def _set_date(update: Update, context: BotContext, day: dt.date) -> int:
    draft = _draft(context)
    child = await _child(context, draft)
    if child is None:
        return await ask_child(update, context)
    try:
        svc.check_date(day, child, context.runtime.today())
    except InputIssue as issue:
        note = date_issue(context.tr, issue.code, birth_date=child.birth_date, age_days=issue.params.get("age_days"),
                          today=context.runtime.today())
        return await ask(update, context, DATE, note)
    draft.measured_on = day
    _store(context, draft)
    return await ask(update, context, _next_step(context, DATE))


async def date_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    back = callbacks.UKUR_DATE.parse(query.data).number("days_back")
    return await _set_date(update, context, context.runtime.today() - dt.timedelta(days=back))


async def date_text(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    text = update.effective_message.text[:MAX_TEXT]
    today = context.runtime.today()
    try:
        day = parse_date(text, today)
    except ParseError as exc:
        code = "bad_date" if exc.code == "bad_date" else "not_a_date"
        return await ask(update, context, DATE, date_issue(context.tr, code, text=text, today=today))
    typed = _as_typed_this_year(text, today)
    # Only a year moved back counts ("kemarin" read against 31 December is another day, not a roll-back).
    if typed is not None and typed > today and (typed.month, typed.day) == (day.month, day.day) and typed != day:
        # A date without a year that has not come yet was read as last year's: say so before any check
        # uses that age (a year-old measurement must not be saved by accident).
        return await ask_rolled_date(update, context, typed, day)
    return await _set_date(update, context, day)


def _as_typed_this_year(text: str, today: dt.date) -> dt.date | None:
    """The date as parse_date reads it when nothing this year is in the future (None if unreadable so)."""
    try:
        return parse_date(text, dt.date(today.year, 12, 31))
    except ParseError:
        return None


async def ask_rolled_date(update: Update, context: BotContext, typed: dt.date, meant: dt.date) -> int:
    tr = context.tr
    _state(context)["step"] = DATE
    _state(context)["rolled_date"] = meant.isoformat()
    markup = _nav(context, [InlineKeyboardButton(tr.gettext("Yes"), callback_data="ukur:date:yes"),
                            InlineKeyboardButton(tr.gettext("Type again"), callback_data="ukur:date:retype")])
    await send_text(update, context, rolled_back_date(tr, typed, meant), markup)
    return DATE


async def rolled_date_pressed(update: Update, context: BotContext) -> int:
    """[Yes] / [Type again] under "3 December 2026 has not happened yet. Did you mean 3 December 2025?"."""
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    meant = _state(context).pop("rolled_date", None)
    if query.data.endswith(":yes") and meant:
        return await _set_date(update, context, dt.date.fromisoformat(meant))
    return await ask(update, context, DATE)


# ------------------------------------------------------------------ numbers (weight, length, LiLA, head)


async def number_text(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    step = int(_state(context).get("step", WEIGHT))
    field = STEP_FIELD[step]
    tr = context.tr
    draft = _draft(context)
    child = await _child(context, draft)
    if child is None or draft.measured_on is None:
        return await ask_child(update, context)
    allow_keep = True
    try:
        value = svc.read_number(update.effective_message.text, field)
        setattr(draft, field, value)
        draft.clear_answers(field)
        problem = svc.check_value(child, draft, field)
    except InputIssue as issue:
        suggestion = svc.plausible_correction(child, draft, field, issue.params["value"]) \
            if issue.code == "out_of_range" else None
        if suggestion is None:
            await send_text(update, context, number_issue(tr, issue.code, issue.params, field), _nav(context))
            return step
        # Out of every possible range, but a decimal point away from a good value: ask, never save as typed.
        value, allow_keep = issue.params["value"], False
        problem = Problem(field=field, code="implausible_for_age", value=float(value), suggestion=float(suggestion))
    if problem is not None:
        _store(context, draft)
        age_days = (draft.measured_on - child.birth_date).days
        _state(context)["pending"] = {"field": field, "suggestion": str(problem.suggestion)
                                      if problem.suggestion is not None else None}
        unit = "kg" if field == "weight_kg" else "cm"
        rows = []
        if problem.suggestion is not None:
            rows.append([InlineKeyboardButton(tr.gettext("Use {value} {unit}").format(
                value=shown_value(tr, problem.suggestion), unit=unit), callback_data="ukur:use:suggestion")])
        if allow_keep:
            # Not "yes, it is right": WHO calls it impossible for the age. Kept, it is "perlu ukur ulang".
            rows.append([InlineKeyboardButton(tr.gettext("⚠️ Keep {value} {unit}, needs re-measuring").format(
                value=shown_value(tr, value), unit=unit), callback_data="ukur:use:asis")])
        text = _warning(problem, tr, age_days, confirmable=False) + "\n" + tr.gettext(
            "Please measure the child again and type the value.")
        await send_text(update, context, text, _nav(context, *rows))
        return step
    _store(context, draft)
    return await ask(update, context, _next_step(context, step))


async def use_pressed(update: Update, context: BotContext) -> int:
    """Answer to a plausibility question: take the suggested value, or keep the typed one (confirmed)."""
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    step = int(_state(context).get("step", WEIGHT))
    pending = _state(context).get("pending")
    draft = _draft(context)
    if not pending or pending.get("field") != STEP_FIELD.get(step):
        return step  # an old warning's button: the value was typed again since
    field = pending["field"]
    if query.data.endswith("suggestion") and pending.get("suggestion"):
        setattr(draft, field, Decimal(pending["suggestion"]))
        draft.clear_answers(field)
    elif getattr(draft, field) is None:
        return step  # nothing typed that could be kept
    else:
        draft.keep_as_remeasure(field)
    _store(context, draft)
    return await ask(update, context, _next_step(context, step))


async def keep_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query
    answer_in_background(context, query)
    step = int(_state(context).get("step", WEIGHT))
    return await ask(update, context, _next_step(context, step))


async def position_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data and update.effective_message
    answer_in_background(context, query)
    draft = _draft(context)
    draft.position = Position(callbacks.UKUR_POSITION.parse(query.data).text("position"))
    _store(context, draft)
    child = await _child(context, draft)
    if child is None or draft.measured_on is None:
        return await ask_child(update, context)
    age_days = (draft.measured_on - child.birth_date).days
    tr = context.tr
    text = "\n".join([_length_question(tr),
                      _position_note(context, draft, age_days)])
    # Edit in place: the question stays the same, only the ticked position changes.
    await query.edit_message_text(text, reply_markup=_nav(context, _position_buttons(context, draft)))
    return LENGTH


async def skip_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    step = int(_state(context).get("step", MUAC))
    draft = _draft(context)
    if step in STEP_FIELD:
        setattr(draft, STEP_FIELD[step], None)
    _store(context, draft)
    if query.data.endswith("skipall"):
        draft.head_cm = None
        draft.oedema = False
        _store(context, draft)
        _state(context).pop("editing", None)
        return await ask(update, context, CONFIRM)
    return await ask(update, context, _next_step(context, step))


async def oedema_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    draft = _draft(context)
    draft.oedema = query.data.endswith(":1")
    _store(context, draft)
    _state(context).pop("editing", None)
    return await ask(update, context, CONFIRM)


async def buttons_only(update: Update, context: BotContext) -> int:
    """Text where a button is expected (oedema, confirmation): say so, keep everything."""
    step = int(_state(context).get("step", CONFIRM))
    await send_text(update, context, press_buttons_hint(context))
    return step


