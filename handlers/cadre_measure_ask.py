"""`/ukur` questions: the draft kept in user_data, the question of each step, the child picker and the confirmation
card. Shared by the step handlers (handlers/cadre_measure_steps.py) and the conversation (handlers/cadre_measure.py).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import BotContext
from bot.growth.zscores import Problem
from bot.i18n import Translator
from bot.render import child_line, confirmation_card, plausibility_warning
from bot.render.issues import (
    example_day,
    field_example,
    short_example,
    value_warning,
)
from bot.services import measurement as svc
from bot.services import status as svc_status
from bot.services.measurement import Draft, NumberField
from handlers.cadre_shared import (
    answer_in_background,
    child_button,
    escape,
    get_staff,
    nav_keyboard,
    send_text,
)
from storage.models import Child, Position

log = logging.getLogger(__name__)


KEY = "ukur"
CHILD, DATE, WEIGHT, LENGTH, MUAC, HEAD, OEDEMA, CONFIRM = range(8)
STEP_FIELD: dict[int, NumberField] = {WEIGHT: "weight_kg", LENGTH: "length_cm", MUAC: "muac_cm", HEAD: "head_cm"}
PREVIOUS_STEP = {DATE: CHILD, WEIGHT: DATE, LENGTH: WEIGHT, MUAC: LENGTH, HEAD: MUAC, OEDEMA: HEAD, CONFIRM: OEDEMA}
MAX_CHILD_BUTTONS = 8
MAX_TEXT = 200


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


