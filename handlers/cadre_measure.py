"""Guided measurement `/ukur` (and corrections through `/koreksi`): child, date, weight, length/height with
position, optional LiLA, head circumference and oedema, confirmation, save, result card.

The half-entered measurement lives in `user_data["ukur"]` as plain JSON and the conversation is persistent,
so a restart of the bot resumes at the same step. Every step has ⬅️ Back and ❌ Cancel; `/batal` always works.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.context import BotContext
from bot.growth.zscores import Problem
from bot.i18n import ParseError, Translator, parse_date
from bot.render import child_line, confirmation_card, plausibility_warning
from bot.render.issues import (
    date_issue,
    example_day,
    field_example,
    number_issue,
    over_five,
    rolled_back_date,
    short_example,
    shown_value,
    value_warning,
)
from bot.services import measurement as svc
from bot.services import status as svc_status
from bot.services.measurement import Draft, InputIssue, NumberField
from handlers.cadre_shared import (
    NOT_TEXT,
    answer_in_background,
    chart_button,
    child_button,
    conversation_open,
    deliver_result,
    escape,
    exclusive,
    get_staff,
    nav_keyboard,
    not_text_note,
    press_buttons_hint,
    refuse_stranger,
    register_exclusive,
    send_text,
)
from handlers.common import START_RESUME_HANDLERS
from storage.errors import StorageError
from storage.models import Child, Position

log = logging.getLogger(__name__)

ORDER = 20
KEY = "ukur"
CHILD, DATE, WEIGHT, LENGTH, MUAC, HEAD, OEDEMA, CONFIRM = range(8)
STEP_FIELD: dict[int, NumberField] = {WEIGHT: "weight_kg", LENGTH: "length_cm", MUAC: "muac_cm", HEAD: "head_cm"}
PREVIOUS_STEP = {DATE: CHILD, WEIGHT: DATE, LENGTH: WEIGHT, MUAC: LENGTH, HEAD: MUAC, OEDEMA: HEAD, CONFIRM: OEDEMA}
MAX_CHILD_BUTTONS = 8
MAX_TEXT = 200
# Fuzzy name search ("budy" finds Budi): the best score of the query against a name word or the whole name.
FUZZY_MIN_SCORE = 75
FUZZY_MAX_CHILDREN = 2000  # children of one posyandu read for fuzzy matching (a posyandu has ~50-150)
SUGGESTION_DIVISORS = (10, 100, 1000)


# ------------------------------------------------------------------ state in user_data


def _state(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    data: dict[str, Any] = context.user_data.setdefault(KEY, {})
    return data


def _draft(context: BotContext) -> Draft:
    return Draft.from_dict(_state(context).get("draft") or {})


def _store(context: BotContext, draft: Draft) -> None:
    _state(context)["draft"] = draft.to_dict()


def _clear(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)


async def _child(context: BotContext, draft: Draft) -> Child | None:
    if draft.child_id is None:
        return None
    # Remembered for the rest of this update only (a context lives for one update): each step reads the
    # child once, not once per helper. Across updates it is read again, so edits are never stale.
    cached: Child | None = getattr(context, "_ukur_child", None)
    if cached is not None and cached.id == draft.child_id:
        return cached
    child = await context.runtime.repos.children.find_by_id(draft.child_id)
    setattr(context, "_ukur_child", child)  # noqa: B010
    return child


def _nav(context: BotContext, *extra: list[InlineKeyboardButton], back: bool = True) -> InlineKeyboardMarkup:
    return nav_keyboard(context, "ukur", *extra, back=back)


# ------------------------------------------------------------------ asking for each step


async def ask(update: Update, context: BotContext, step: int, note: str | None = None) -> int:
    """Send the question of `step` (with `note` above it, e.g. why the last answer was not taken)."""
    tr = context.tr
    draft = _draft(context)
    child = await _child(context, draft)
    _state(context)["step"] = step
    _state(context).pop("pending", None)
    _state(context).pop("rolled_date", None)
    lines = [note] if note else []
    markup: InlineKeyboardMarkup
    if step == CHILD or child is None:
        return await ask_child(update, context, note)
    today = context.runtime.today()
    age_days = ((draft.measured_on or today) - child.birth_date).days
    if step == DATE:
        lines += [child_line(child, tr, today), tr.gettext("When was the child measured? Press a button, or type "
                                                           "the date (for example {example}).").format(
            example=short_example(example_day(today)))]
        markup = _nav(context, [
            InlineKeyboardButton(tr.gettext("Today ({date})").format(date=tr.short_date(today)),
                                 callback_data="ukur:date:0"),
            InlineKeyboardButton(tr.gettext("Yesterday"), callback_data="ukur:date:1"),
        ])
    elif step == WEIGHT:
        lines.append(tr.gettext("Weight in kg? Type the number, for example {example}").format(
            example=field_example(tr, "weight_kg")))
        markup = _nav(context)
    elif step == LENGTH:
        if draft.position is None:
            draft.position = svc.suggested_position(age_days)
            _store(context, draft)
        lines.append(_length_question(tr))
        lines.append(_position_note(context, draft, age_days))
        markup = _nav(context, _position_buttons(context, draft))
        if draft.length_cm is not None:
            markup = _nav(context, _position_buttons(context, draft), [InlineKeyboardButton(
                tr.gettext("Keep {value} cm").format(value=tr.measure(draft.length_cm)),
                callback_data="ukur:keep")])
    elif step == MUAC:
        lines.append(tr.gettext("Upper-arm circumference (LiLA) in cm? Type it, for example {example} — or skip."
                                ).format(example=field_example(tr, "muac_cm")))
        markup = _nav(context, [
            InlineKeyboardButton(tr.gettext("Skip"), callback_data="ukur:skip"),
            InlineKeyboardButton(tr.gettext("No other measures ➡️"), callback_data="ukur:skipall"),
        ])
    elif step == HEAD:
        lines.append(tr.gettext("Head circumference in cm? Type it, for example 46 — or skip."))
        markup = _nav(context, [InlineKeyboardButton(tr.gettext("Skip"), callback_data="ukur:skip")])
    elif step == OEDEMA:
        lines.append(tr.gettext("Is there swelling (oedema) on the tops of both feet?"))
        markup = _nav(context, [
            InlineKeyboardButton(tr.gettext("No"), callback_data="ukur:oedema:0"),
            InlineKeyboardButton(tr.gettext("Yes, both feet"), callback_data="ukur:oedema:1"),
        ])
    else:
        return await ask_confirm(update, context, child, draft)
    if step in (WEIGHT, MUAC, HEAD) and getattr(draft, STEP_FIELD[step]) is not None:
        value = getattr(draft, STEP_FIELD[step])
        unit = "kg" if step == WEIGHT else "cm"
        keep = InlineKeyboardButton(tr.gettext("Keep {value} {unit}").format(value=tr.measure(value), unit=unit),
                                    callback_data="ukur:keep")
        markup = InlineKeyboardMarkup([[keep], *markup.inline_keyboard])
    await send_text(update, context, "\n".join(lines), markup)
    return step


def _length_question(tr: Translator) -> str:
    return tr.gettext("Length/height in cm? Type the number, for example {example}").format(
        example=field_example(tr, "length_cm"))


def _position_note(context: BotContext, draft: Draft, age_days: int) -> str:
    tr = context.tr
    suggested = svc.suggested_position(age_days)
    if draft.position is Position.LYING:
        text = tr.gettext("Measured: <b>lying down</b> (length).")
    else:
        text = tr.gettext("Measured: <b>standing</b> (height).")
    if draft.position is not suggested:
        if suggested is Position.LYING:
            text += " " + tr.gettext("Under 2 years a child is usually measured lying down.")
        else:
            text += " " + tr.gettext("From 2 years a child is usually measured standing.")
    text += " " + tr.gettext("Press a button to change it.")
    return text


def _position_buttons(context: BotContext, draft: Draft) -> list[InlineKeyboardButton]:
    tr = context.tr
    lying = ("✓ " if draft.position is Position.LYING else "") + tr.gettext("Lying")
    standing = ("✓ " if draft.position is Position.STANDING else "") + tr.gettext("Standing")
    return [InlineKeyboardButton(lying, callback_data="ukur:pos:lying"),
            InlineKeyboardButton(standing, callback_data="ukur:pos:standing")]


async def ask_child(update: Update, context: BotContext, note: str | None = None, offset: int = 0) -> int:
    """Which child? Buttons for the children not yet measured this month, a page at a time (➡️ More);
    typing a name or code searches."""
    tr = context.tr
    staff = await get_staff(update, context)
    _state(context)["step"] = CHILD
    lines = [note] if note else []
    lines.append(tr.gettext("Which child? Type the name or the code (for example A12)."))
    rows: list[list[InlineKeyboardButton]] = []
    if staff is not None and staff.posyandu_ids is not None and len(staff.posyandu_ids) == 1:
        # Unmeasured children come first, so the page holds them in order; one extra row says whether the
        # next page still has someone waiting.
        page = await svc_status.month_page(context.runtime.repos, list(staff.posyandu_ids),
                                           context.runtime.today(), offset=offset, limit=MAX_CHILD_BUTTONS + 1,
                                           unmeasured_first=True)
        waiting = [c for c in page[:MAX_CHILD_BUTTONS] if not c.measured]
        if waiting:
            lines.append(tr.gettext("Not yet measured this month:"))
            rows = [[child_button(c.child, prefix="ukur:child:")] for c in waiting]
            if len(page) > MAX_CHILD_BUTTONS and not page[MAX_CHILD_BUTTONS].measured:
                rows.append([InlineKeyboardButton(tr.gettext("➡️ More"),
                                                  callback_data=f"ukur:page:{offset + MAX_CHILD_BUTTONS}")])
    await send_text(update, context, "\n".join(lines), _nav(context, *rows, back=False))
    return CHILD


async def page_pressed(update: Update, context: BotContext) -> int:
    """➡️ More under the child buttons: the next page of children not yet measured."""
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    return await ask_child(update, context, offset=callbacks.UKUR_PAGE.parse(query.data).number("offset"))


def _warning(problem: Problem, tr: Translator, age_days: int, *, confirmable: bool) -> str:
    return value_warning(tr, problem, age_days, confirmable=confirmable) or plausibility_warning(problem, tr,
                                                                                                 age_days)


async def ask_confirm(update: Update, context: BotContext, child: Child, draft: Draft) -> int:
    tr = context.tr
    _state(context)["step"] = CONFIRM
    assert draft.measured_on is not None
    near = await svc.around(context.runtime.repos, child.id)
    age_days = (draft.measured_on - child.birth_date).days
    problems = svc.check_all(child, draft, near)
    # Changes since the last weighing may be confirmed by saving (after measuring again): "unusual". A value
    # WHO calls implausible can only be kept as "perlu ukur ulang": said so above the buttons.
    warnings = [_warning(p, tr, age_days, confirmable=svc.confirmable(p)) for p in problems]
    remeasure = bool(draft.remeasure) or any(not svc.confirmable(p) for p in problems)
    if remeasure:
        warnings.append(tr.gettext("⚠️ Saving keeps this entry as <b>needs re-measuring</b>: it is not counted "
                                   "anywhere until it is corrected. Better: press ✏️ and type the value again "
                                   "after measuring the child again."))
    if svc.is_old_date(draft.measured_on, context.runtime.today()):
        warnings.append(tr.gettext("⚠️ This date is more than 3 months ago: is it right?"))
    others = near.same_month(draft.measured_on, exclude=draft.corrects_id)
    if draft.corrects_id is None and others:
        old = others[-1]
        warnings.append(tr.gettext("ℹ️ {name} was already measured this month ({date}: {values}). Replace that "
                                   "entry, or keep both as a re-measurement? Only the latest one counts.").format(
            name=escape(child.name.split()[0] if child.name.split() else child.name, 40),
            date=tr.short_date(old.measured_on), values=_short_values(tr, old.weight_kg, old.length_cm)))
        save_rows = [[InlineKeyboardButton(tr.gettext("✅ Replace the entry of {date}").format(
                          date=tr.short_date(old.measured_on)), callback_data="ukur:save:replace")],
                     [InlineKeyboardButton(tr.gettext("✅ Keep both (re-measurement)"),
                                           callback_data="ukur:save:keep")]]
    else:
        save_rows = [[InlineKeyboardButton(tr.gettext("⚠️ Save as needs re-measuring") if remeasure
                                           else tr.gettext("✅ Save"), callback_data="ukur:save")]]
    markup = InlineKeyboardMarkup([
        *save_rows,
        [InlineKeyboardButton(tr.gettext("✏️ Date"), callback_data=f"ukur:edit:{DATE}"),
         InlineKeyboardButton(tr.gettext("✏️ Weight"), callback_data=f"ukur:edit:{WEIGHT}"),
         InlineKeyboardButton(tr.gettext("✏️ Length"), callback_data=f"ukur:edit:{LENGTH}")],
        [InlineKeyboardButton(tr.gettext("⬅️ Back"), callback_data="ukur:back"),
         InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="ukur:cancel")],
    ])
    await send_text(update, context, confirmation_card(tr, child, draft, warnings), markup)
    return CONFIRM


def _short_values(tr: Translator, weight: float | None, length: float | None) -> str:
    parts = []
    if weight is not None:
        parts.append(tr.gettext("{value} kg").format(value=tr.measure(weight)))
    if length is not None:
        parts.append(tr.gettext("{value} cm").format(value=tr.measure(length)))
    return ", ".join(parts) or "—"


def _next_step(context: BotContext, step: int) -> int:
    """After answering `step`: the next step, or straight back to the confirmation when editing from there."""
    if _state(context).pop("editing", False):
        return CONFIRM
    return step + 1


# ------------------------------------------------------------------ entry points


async def start(update: Update, context: BotContext) -> int:
    """`/ukur` (optionally with a name or code), or ➕ Next child."""
    if update.callback_query:
        await update.callback_query.answer()
    staff = await get_staff(update, context)
    if staff is None:
        _clear(context)
        await refuse_stranger(update, context)
        return ConversationHandler.END
    _clear(context)
    _store(context, Draft())
    if context.args:
        return await pick_by_text(update, context, " ".join(context.args))
    return await ask_child(update, context)


async def start_with_child(update: Update, context: BotContext) -> int:
    """`ukur:start:<child id>` (the button after registering a child)."""
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return ConversationHandler.END
    _clear(context)
    child = await context.runtime.repos.children.find_by_id(callbacks.UKUR_START.parse(query.data).id("child"))
    if child is None or not staff.may_access(child.posyandu_id):
        _store(context, Draft())
        return await ask_child(update, context, context.tr.gettext("You can only enter children of your posyandu."))
    return await chosen(update, context, child)


async def start_correction(update: Update, context: BotContext) -> int:
    """`ukur:fix:<measurement id>` (from the result card or /koreksi): the same steps, prefilled."""
    query = update.callback_query
    assert query and query.data
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return ConversationHandler.END
    repos = context.runtime.repos
    m = await repos.measurements.find_by_id(callbacks.UKUR_FIX.parse(query.data).id("measurement"))
    child = await repos.children.find_by_id(m.child_id) if m else None
    if m is None or child is None or not staff.may_access(child.posyandu_id):
        await query.answer(tr.gettext("You cannot change this entry."), show_alert=True)
        return ConversationHandler.END
    if m.superseded_by is not None:
        near = await svc.around(repos, child.id)
        newest = next((x for x in reversed(near.history) if x.measured_on == m.measured_on), None)
        if newest is None:
            await query.answer(tr.gettext("This entry was already corrected."), show_alert=True)
            return ConversationHandler.END
        m = newest
    answer_in_background(context, query)
    _clear(context)
    _store(context, Draft.from_measurement(m))
    return await ask_confirm(update, context, child, _draft(context))


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
        found = await _fuzzy_children(context, staff, text)
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


async def _fuzzy_children(context: BotContext, staff: svc.Staff, text: str) -> list[Child]:
    """Children of the cadre's own posyandu whose name is close to `text` ("budy" -> Budi), best first.
    Only when the plain search found nothing, and never across posyandu (admins type the name exactly)."""
    query = default_process(text)
    if staff.posyandu_ids is None or len(query) < 3:
        return []
    scored: list[tuple[float, Child]] = []
    for posyandu_id in staff.posyandu_ids:
        for child in await context.runtime.repos.children.list_by_posyandu(posyandu_id, limit=FUZZY_MAX_CHILDREN):
            name = default_process(child.name)
            score = max([fuzz.ratio(query, word) for word in name.split()] + [fuzz.ratio(query, name)])
            if score >= FUZZY_MIN_SCORE:
                scored.append((score, child))
    scored.sort(key=lambda sc: (-sc[0], sc[1].name.lower(), sc[1].id))
    return [child for _, child in scored[:MAX_CHILD_BUTTONS]]


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
        suggestion = _plausible_correction(child, draft, field, issue.params["value"]) \
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


def _plausible_correction(child: Child, draft: Draft, field: NumberField, value: Decimal) -> Decimal | None:
    """For a value outside every possible range: the first of value/10, /100, /1000 that is inside the range and
    plausible for the child's age (so the suggestion is never questioned in turn); None when there is none."""
    low, high = svc.HARD_LIMITS[field]
    for divisor in SUGGESTION_DIVISORS:
        candidate = (Decimal(value) / divisor).quantize(Decimal("0.1"))
        if not low <= candidate <= high:
            continue
        trial = Draft.from_dict(draft.to_dict())
        setattr(trial, field, candidate)
        trial.confirmed = [f for f in trial.confirmed if f != field]
        if svc.check_value(child, trial, field) is None:
            return candidate
    return None


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


# ------------------------------------------------------------------ navigation, confirmation, saving


async def back_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query
    answer_in_background(context, query)
    step = int(_state(context).get("step", CHILD))
    _state(context).pop("editing", None)
    return await ask(update, context, PREVIOUS_STEP.get(step, CHILD))


async def edit_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    _state(context)["editing"] = True
    return await ask(update, context, callbacks.UKUR_EDIT.parse(query.data).number("step"))


async def save_pressed(update: Update, context: BotContext) -> int:
    """✅ Save (or, when the child was measured this month already, Replace / Keep both)."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    state = _state(context)
    if state.get("step") != CONFIRM or not state.get("draft"):
        await query.answer(tr.gettext("Already saved."))
        return ConversationHandler.END
    draft = _draft(context)
    child = await _child(context, draft)
    staff = await get_staff(update, context)
    if child is None or staff is None or not staff.may_access(child.posyandu_id):
        await query.answer()
        _clear(context)
        await send_text(update, context, tr.gettext("You can only enter children of your posyandu."))
        return ConversationHandler.END
    answer = callbacks.UKUR_SAVE.parse(query.data).optional_text("answer")
    if answer is not None:
        draft.same_month = "replace" if answer == "replace" else "keep"
    near = await svc.around(context.runtime.repos, child.id)
    # The card said so above this button: what WHO calls implausible is kept as "perlu ukur ulang".
    for problem in svc.check_all(child, draft, near):
        if not svc.confirmable(problem):
            draft.keep_as_remeasure(problem.field)
    await query.answer(tr.gettext("Saving…"))
    try:
        saved = await svc.save(context.runtime.repos, child, draft, entered_by=update.effective_user.id, near=near)
    except (svc.SameMonth, svc.Unanswered):  # the month or a value changed since the card was shown: show it again
        _store(context, draft)
        return await ask_confirm(update, context, child, draft)
    except InputIssue as issue:
        return await ask(update, context, DATE, date_issue(tr, issue.code, birth_date=child.birth_date,
                                                           today=context.runtime.today()))
    except StorageError as exc:
        await send_text(update, context, exc.message(tr) + "\n" + tr.gettext("Nothing was lost: press ✅ Save again."),
                        None)
        return await ask_confirm(update, context, child, draft)
    # The draft is gone before anything else is sent: a double tap finds nothing left to save.
    _clear(context)

    async def remove_keyboard() -> None:
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError:  # the old keyboard staying visible is harmless
            log.debug("could not remove the confirmation keyboard")

    # Side by side: on a real network each Bot API call is a round trip, and the card should not wait for
    # the old keyboard to go (measured with benchmarks/cadre_flow.py --latency-ms 50: one round trip less).
    await asyncio.gather(remove_keyboard(), deliver_result(update, context, child, saved))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    _clear(context)
    await send_text(update, context, context.tr.gettext("Cancelled. Nothing was saved. Type /ukur to start again."))
    return ConversationHandler.END


async def resume_after_start(update: Update, context: BotContext) -> bool:
    """`/start` during an open /ukur: remind the cadre of the unfinished entry and ask its question again."""
    if context.user_data is None or KEY not in context.user_data or not conversation_open(update, context,
                                                                                          "cadre_measure"):
        return False
    tr = context.tr
    step = int(_state(context).get("step", CHILD))
    child = await _child(context, _draft(context))
    staff = await get_staff(update, context)
    if child is None and step != CHILD:
        return False  # the child is gone: nothing sensible to resume
    if child is not None and (staff is None or not staff.may_access(child.posyandu_id)):
        return False
    if child is None:
        note = tr.gettext("⏳ You had started /ukur. Answer the question below to go on, or type /batal to stop.")
    else:
        note = tr.gettext("⏳ You have an unfinished entry for {name} ({code}). Answer the question below to go "
                          "on, or type /batal to stop.").format(name=html.escape(child.name), code=child.code)
    if _waiting_on_buttons(context):
        # A question about the last value ("use 10,5 kg?") is open above: asking the step again would drop it.
        await send_text(update, context, note + "\n" + press_buttons_hint(context))
    elif step == CONFIRM and child is not None:
        await send_text(update, context, note)
        await ask_confirm(update, context, child, _draft(context))
    else:
        await ask(update, context, step, note)
    return True


async def unfinished_entry(context: BotContext) -> str | None:
    """"the /ukur entry for Budi (A1)" when values were typed and not saved (None: nothing would be lost)."""
    if context.user_data is None or KEY not in context.user_data:
        return None
    draft = _draft(context)
    if draft.child_id is None or all(getattr(draft, f) is None for f in STEP_FIELD.values()):
        return None
    child = await _child(context, draft)
    if child is None:
        return None
    return context.tr.gettext("The /ukur entry for {name} ({code})").format(name=html.escape(child.name),
                                                                         code=child.code)


def _waiting_on_buttons(context: BotContext) -> bool:
    """A typed value waits for [Use …]/[Keep] or a rolled-back date for [Yes]/[Type again]."""
    state = _state(context)
    return bool(state.get("pending") or state.get("rolled_date"))


async def not_text(update: Update, context: BotContext) -> int:
    """A sticker, photo or voice note mid-entry: say what is readable and ask the same question again."""
    step = int(_state(context).get("step", CHILD))
    if _waiting_on_buttons(context):
        await send_text(update, context, not_text_note(context) + "\n" + press_buttons_hint(context))
        return step
    if step == CONFIRM:
        child, draft = await _child(context, _draft(context)), _draft(context)
        if child is not None:
            await send_text(update, context, not_text_note(context))
            return await ask_confirm(update, context, child, draft)
    return await ask(update, context, step, not_text_note(context))


# ------------------------------------------------------------------ /koreksi


async def koreksi(update: Update, context: BotContext) -> None:
    """The cadre's recent entries as buttons; pressing one opens it for correction."""
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    repos = context.runtime.repos
    recent = await repos.measurements.recent_by_user(staff.user_id, limit=30)
    # Only children still in the user's scope: a cadre who moved posyandu must not see the old names.
    children = {c.id: c for c in await repos.children.get_many({m.child_id for m in recent})
                if staff.may_access(c.posyandu_id)}
    recent = [m for m in recent if m.child_id in children][:8]
    if not recent:
        await send_text(update, context, tr.gettext("You have not entered any measurement yet. Type /ukur to start."))
        return
    rows = []
    for m in recent:
        child = children.get(m.child_id)
        if child is None:
            continue
        weight = tr.gettext("{value} kg").format(value=tr.measure(m.weight_kg)) if m.weight_kg else ""
        label = f"{child.name} ({child.code}) · {tr.short_date(m.measured_on)} {weight}".strip()
        rows.append([InlineKeyboardButton(label[:60], callback_data=f"ukur:fix:{m.id}")])
    await send_text(update, context, tr.gettext("Which entry do you want to correct? The old values stay in the "
                                                "history."), InlineKeyboardMarkup(rows))


def register(app: Any) -> None:
    text = filters.TEXT & ~filters.COMMAND
    number_steps: list[BaseHandler[Update, BotContext, Any]] = [
        MessageHandler(text, number_text),
        CallbackQueryHandler(use_pressed, pattern=r"^ukur:use:(suggestion|asis)$"),
        CallbackQueryHandler(keep_pressed, pattern=r"^ukur:keep$"),
    ]
    common_nav: list[BaseHandler[Update, BotContext, Any]] = [
        CallbackQueryHandler(back_pressed, pattern=r"^ukur:back$"),
    ]
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("ukur", start),
            CallbackQueryHandler(start, pattern=r"^ukur:next$"),
            CallbackQueryHandler(start_with_child, pattern=callbacks.UKUR_START.matches),
            CallbackQueryHandler(start_correction, pattern=callbacks.UKUR_FIX.matches),
        ],
        states={
            CHILD: [MessageHandler(text, child_text),
                    CallbackQueryHandler(child_pressed, pattern=callbacks.UKUR_CHILD.matches),
                    CallbackQueryHandler(page_pressed, pattern=callbacks.UKUR_PAGE.matches)],
            DATE: [MessageHandler(text, date_text),
                   CallbackQueryHandler(date_pressed, pattern=callbacks.UKUR_DATE.matches),
                   CallbackQueryHandler(rolled_date_pressed, pattern=r"^ukur:date:(yes|retype)$"),
                   *common_nav],
            WEIGHT: [*number_steps, *common_nav],
            LENGTH: [*number_steps, CallbackQueryHandler(position_pressed, pattern=callbacks.UKUR_POSITION.matches),
                     *common_nav],
            MUAC: [*number_steps, CallbackQueryHandler(skip_pressed, pattern=r"^ukur:skip(all)?$"), *common_nav],
            HEAD: [*number_steps, CallbackQueryHandler(skip_pressed, pattern=r"^ukur:skip$"), *common_nav],
            OEDEMA: [CallbackQueryHandler(oedema_pressed, pattern=r"^ukur:oedema:[01]$"), MessageHandler(text,
                                                                                                     buttons_only),
                     *common_nav],
            CONFIRM: [CallbackQueryHandler(save_pressed, pattern=callbacks.UKUR_SAVE.matches),
                      CallbackQueryHandler(edit_pressed, pattern=callbacks.UKUR_EDIT.matches),
                      MessageHandler(text, buttons_only), *common_nav],
        },
        fallbacks=[
            CommandHandler(["batal", "cancel"], cancel),
            CallbackQueryHandler(cancel, pattern=r"^ukur:cancel$"),
            MessageHandler(NOT_TEXT, not_text),
        ],
        name="cadre_measure",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(exclusive(conversation, {"ukur"}, ("ukur:next", "ukur:start:", "ukur:fix:"),
                              unfinished=unfinished_entry, resume=resume_after_start, discard=_clear))
    if resume_after_start not in START_RESUME_HANDLERS:  # one Application after another (tests, restarts)
        START_RESUME_HANDLERS.append(resume_after_start)
    register_exclusive(app)
    app.add_handler(CommandHandler("koreksi", koreksi))
    app.add_handler(CallbackQueryHandler(chart_button, pattern=callbacks.UKUR_CHART.matches))
