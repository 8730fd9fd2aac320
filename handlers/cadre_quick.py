"""Quick entry `/catat A12 10,5 82 berbaring` for experienced cadres: one line, same checks, same result card.

A line with a doubtful value is kept in `user_data["catat"]` and the cadre answers with a button (use the
suggested value, save as typed, or cancel), so nothing typed is lost and a double tap cannot save twice.
A line for a child who already has a measurement on that date asks before replacing it (no silent overwrite).
"""

from __future__ import annotations

import html
import logging
from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.growth.zscores import Problem
from bot.render import measured_values, plausibility_warning
from bot.render.issues import date_issue, number_issue, over_five, quick_entry_issue
from bot.services import measurement as svc
from bot.services.measurement import Draft, InputIssue
from bot.services.quick_entry import QuickEntryError, parse_quick_entry
from handlers.cadre_shared import deliver_result, get_staff, refuse_stranger
from storage.errors import StorageError
from storage.models import Child, Measurement, Position

log = logging.getLogger(__name__)

ORDER = 25
KEY = "catat"
_FIELD_OF = {"weight_kg": "weight_kg", "length_cm": "length_cm", "muac_cm": "muac_cm", "head_cm": "head_cm"}


async def catat(update: Update, context: BotContext) -> None:
    assert update.effective_message and update.effective_message.text and update.effective_user
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1)
    line = parts[1] if len(parts) > 1 else ""
    today = context.runtime.today()
    try:
        entry = parse_quick_entry(line, today)
    except QuickEntryError as exc:
        await message.reply_text(quick_entry_issue(tr, exc.code, exc.token, exc.field))
        return
    repos = context.runtime.repos
    child = await repos.children.get_by_code(entry.code)
    if child is None:
        await message.reply_text(tr.gettext("No child has the code {code}. Check the code, or find the child by "
                                            "name with /ukur.").format(code=entry.code))
        return
    if not staff.may_access(child.posyandu_id):
        await message.reply_text(tr.gettext("The child with code {code} is registered at another posyandu. You can "
                                            "only enter children of your posyandu.").format(code=child.code))
        return
    measured_on = entry.measured_on or today
    try:
        svc.check_date(measured_on, child, today)
    except InputIssue as issue:
        await message.reply_text(date_issue(tr, issue.code, birth_date=child.birth_date,
                                            age_days=issue.params.get("age_days")))
        return
    age_days = (measured_on - child.birth_date).days
    position = Position(entry.position) if entry.position else svc.suggested_position(age_days)
    draft = Draft(child_id=child.id, measured_on=measured_on, position=position, oedema=entry.oedema)
    forced: list[Problem] = []  # values no child can have, a decimal point away from a good one
    for field, value in (("weight_kg", entry.weight_kg), ("length_cm", entry.length_cm),
                         ("muac_cm", entry.muac_cm), ("head_cm", entry.head_cm)):
        if value is None:
            continue
        try:
            # The same reading as a typed answer in /ukur (grams, hard limits).
            setattr(draft, field, svc.read_number(str(value), field))  # type: ignore[arg-type]
        except InputIssue as issue:
            if issue.code == "out_of_range" and issue.params.get("suggestion") is not None and not forced:
                forced.append(Problem(field=field, code="implausible_for_age", value=float(value),
                                      suggestion=float(issue.params["suggestion"])))
                continue
            await message.reply_text(number_issue(tr, issue.code, issue.params, field))
            return
    previous = await svc.previous_for(repos, child.id, measured_on)
    problems = forced or svc.check_all(child, draft, previous)
    if problems:
        assert context.user_data is not None
        suggestion = next((p for p in problems if p.suggestion is not None), None)
        context.user_data[KEY] = {"draft": draft.to_dict(), "suggestion": (
            {"field": suggestion.field, "value": str(suggestion.suggestion)} if suggestion else None),
            "forced": bool(forced)}
        lines = [plausibility_warning(p, tr, age_days) for p in problems]
        rows = []
        if suggestion is not None and suggestion.suggestion is not None:
            unit = "kg" if suggestion.field == "weight_kg" else "cm"
            rows.append([InlineKeyboardButton(tr.gettext("Use {value} {unit}").format(
                value=tr.decimal(suggestion.suggestion, 1), unit=unit), callback_data="catat:use")])
        last = [InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="catat:cancel")]
        if not forced:
            last.insert(0, InlineKeyboardButton(tr.gettext("Save as typed"), callback_data="catat:asis"))
        rows.append(last)
        lines.append(tr.gettext("Send /catat again with the right values, or press a button."))
        await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
        return
    await _save(update, context, draft)


def _values_text(context: BotContext, child: Child, m: Measurement | Draft) -> str:
    """`10,5 kg` when there is a weight (what a cadre compares), else all the values."""
    tr = context.tr
    if m.weight_kg is not None:
        return tr.gettext("{value} kg").format(value=tr.decimal(m.weight_kg, 1))
    assert m.measured_on is not None
    return measured_values(tr, age_days=(m.measured_on - child.birth_date).days, weight=m.weight_kg,
                           length=m.length_cm, position=m.position, muac=m.muac_cm, head=m.head_cm, oedema=m.oedema)


async def _ask_replace(update: Update, context: BotContext, child: Child, draft: Draft, old: Measurement) -> None:
    """"Budi sudah diukur hari ini (10,5 kg). Ganti dengan 10,1 kg?" [Ganti] [Batal]."""
    assert update.effective_chat and context.user_data is not None and draft.measured_on is not None
    tr = context.tr
    context.user_data[KEY] = {"draft": draft.to_dict(), "suggestion": None, "forced": False, "replace": old.id}
    first = child.name.split()[0] if child.name.split() else child.name
    when = tr.gettext("today") if draft.measured_on == context.runtime.today() else tr.date(draft.measured_on)
    text = tr.gettext("{name} was already measured {when} ({old}). Replace it with {new}?").format(
        name=html.escape(first), when=when, old=_values_text(context, child, old),
        new=_values_text(context, child, draft))
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(tr.gettext("Replace"), callback_data="catat:replace"),
        InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="catat:cancel")]])
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def _save(update: Update, context: BotContext, draft: Draft) -> None:
    assert update.effective_user and update.effective_chat
    tr = context.tr
    repos = context.runtime.repos
    child = await repos.children.find_by_id(draft.child_id or 0)
    staff = await get_staff(update, context)
    if child is None or staff is None or not staff.may_access(child.posyandu_id):
        await context.bot.send_message(update.effective_chat.id,
                                       tr.gettext("You can only enter children of your posyandu."))
        return
    if draft.corrects_id is None and draft.measured_on is not None:
        old = await svc.same_day(repos, child.id, draft.measured_on)
        if old is not None:
            await _ask_replace(update, context, child, draft, old)  # saving waits for [Replace]
            return
    try:
        saved = await svc.save(repos, child, draft, entered_by=update.effective_user.id)
    except InputIssue as issue:
        text = over_five(tr, int(issue.params.get("age_days", 0))) if issue.code == "age_over_five" else \
            date_issue(tr, issue.code, birth_date=child.birth_date)
        await context.bot.send_message(update.effective_chat.id, text)
        return
    except StorageError as exc:
        await context.bot.send_message(update.effective_chat.id, exc.message(tr))
        return
    await deliver_result(update, context, child, saved)


async def pending_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data and context.user_data is not None
    tr = context.tr
    pending: dict[str, Any] | None = context.user_data.pop(KEY, None)
    if pending is None:
        await query.answer(tr.gettext("This button is no longer active."))
        return
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:  # an old keyboard left on screen is harmless
        log.debug("could not remove the quick-entry keyboard")
    action = query.data.split(":", 1)[1]
    if action == "cancel":
        assert update.effective_chat
        await context.bot.send_message(update.effective_chat.id, tr.gettext("Cancelled. Nothing was saved."))
        return
    draft = Draft.from_dict(pending["draft"])
    suggestion = pending.get("suggestion")
    if action == "replace":
        if pending.get("replace") is None:
            return
        draft.corrects_id = int(pending["replace"])  # the entry the cadre saw in the question
    elif action == "use" and suggestion:
        setattr(draft, suggestion["field"], Decimal(suggestion["value"]))
    elif pending.get("forced"):
        return  # a value no child can have is never saved as typed
    await _save(update, context, draft)


def register(app: Any) -> None:
    app.add_handler(CommandHandler("catat", catat))
    app.add_handler(CallbackQueryHandler(pending_pressed, pattern=r"^catat:(use|asis|cancel|replace)$"))
