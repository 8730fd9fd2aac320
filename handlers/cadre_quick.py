"""Quick entry `/catat A12 10,5 82 berbaring` for experienced cadres: one line, same checks, same result card.

A line with a doubtful value is kept in `user_data["catat"]` and the cadre answers with a button (use the
suggested value, save as typed, or cancel), so nothing typed is lost and a double tap cannot save twice.
A line for a child who already has a measurement on that date asks before replacing it (no silent overwrite).
A date without a year that has not come yet (`tgl 3/12` on 23 November) is read as last year's, and asked
about first ("3 Desember 2026 belum terjadi. Maksudnya 3 Desember 2025?"), like the date step of /ukur.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.growth.zscores import Problem
from bot.i18n import ParseError, Translator, parse_date
from bot.render import measured_values, plausibility_warning
from bot.render.issues import (
    date_issue,
    example_day,
    number_issue,
    over_five,
    quick_entry_issue,
    rolled_back_date,
    short_example,
    value_warning,
)
from bot.services import measurement as svc
from bot.services.measurement import Draft, InputIssue
from bot.services.quick_entry import QuickEntry, QuickEntryError, parse_quick_entry
from handlers.cadre_shared import deliver_result, get_staff, guard_unfinished, refuse_stranger, send_text
from handlers.services_record import forget_services, quick_services, remember_services, send_reply
from storage.errors import StorageError
from storage.models import Child, Measurement, Position

log = logging.getLogger(__name__)

ORDER = 25
KEY = "catat"
_FIELD_OF = {"weight_kg": "weight_kg", "length_cm": "length_cm", "muac_cm": "muac_cm", "head_cm": "head_cm"}


def _example(tr: Translator, today: dt.date) -> str:
    """The shape of a good line, with numbers as the user writes them and a date that is already past."""
    return tr.gettext("For example: /catat A12 {weight} 82 berbaring — or /catat A12 bb {weight} tb 82 lila 13 "
                      "tgl {date}").format(weight=tr.decimal(Decimal("10.5"), 1),
                                           date=short_example(example_day(today)))


def _impossible_date_text(token: str, today: dt.date) -> str | None:
    """The words of `token` that read as a date that does not exist (`30/2/2025`), or None."""
    words = token.split()
    for width in (3, 2, 1):
        if len(words) < width:
            continue
        chunk = " ".join(words[:width])
        try:
            parse_date(chunk, today)
        except ParseError as exc:
            if exc.code == "bad_date":
                return chunk
    return None


def _entry_issue(tr: Translator, exc: QuickEntryError, today: dt.date) -> str:
    if exc.code == "bad_date" and (text := _impossible_date_text(exc.token, today)) is not None:
        return date_issue(tr, "bad_date", text=text, today=today)  # "30 Februari tidak ada"
    # quick_entry_issue ends with a fixed example line ("10,5" in every language, "tgl 3/12" even before
    # 3 December): keep its first line, add an example in the user's conventions.
    text = quick_entry_issue(tr, exc.code, exc.token, exc.field).rsplit("\n", 1)[0]
    return f"{text}\n{_example(tr, today)}"


def _rolled_back(line: str, entry: QuickEntry, today: dt.date) -> dt.date | None:
    """The date as typed this year when parse_date moved a year-less date to last year (else None)."""
    if entry.measured_on is None:
        return None
    try:  # read again as if nothing this year were in the future
        typed = parse_quick_entry(line, dt.date(today.year, 12, 31)).measured_on
    except QuickEntryError:
        return None
    if typed is None or typed <= today or typed == entry.measured_on:
        return None
    # Same day and month, one year apart: a year-less date (not "kemarin", which moves with the reference day).
    return typed if (typed.month, typed.day) == (entry.measured_on.month, entry.measured_on.day) else None


def _entry_to_dict(entry: QuickEntry) -> dict[str, Any]:
    """Plain JSON for user_data (persisted across restarts)."""
    data = dataclasses.asdict(entry)
    for key, value in data.items():
        if isinstance(value, Decimal):
            data[key] = str(value)
        elif isinstance(value, dt.date):
            data[key] = value.isoformat()
    data["fields_given"] = list(entry.fields_given)
    return data


def _entry_from_dict(data: dict[str, Any]) -> QuickEntry:
    def dec(key: str) -> Decimal | None:
        return Decimal(data[key]) if data.get(key) is not None else None

    return QuickEntry(code=data["code"], weight_kg=dec("weight_kg"), length_cm=dec("length_cm"),
                      position=data.get("position"), muac_cm=dec("muac_cm"), head_cm=dec("head_cm"),
                      oedema=bool(data.get("oedema")),
                      measured_on=dt.date.fromisoformat(data["measured_on"]) if data.get("measured_on") else None,
                      fields_given=tuple(data.get("fields_given") or ()))


async def catat(update: Update, context: BotContext) -> None:
    assert update.effective_message and update.effective_message.text and update.effective_user
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    if await guard_unfinished(update, context):
        return  # a half-done /ukur is never dropped silently: the cadre chooses first
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1)
    line = parts[1] if len(parts) > 1 else ""
    today = context.runtime.today()
    try:
        entry = parse_quick_entry(line, today)
    except QuickEntryError as exc:
        await message.reply_text(_entry_issue(tr, exc, today))
        return
    remember_services(context, entry)  # vita, imun:campak ...: recorded with the line's measurement (issue 14)
    await _enter(update, context, entry, typed=_rolled_back(line, entry, today))


async def _enter(update: Update, context: BotContext, entry: QuickEntry, *, typed: dt.date | None) -> None:
    """Check a read line against the child and save it, or ask first. `typed`: the year-less date as typed,
    when it was moved to last year (asked about before anything uses that date)."""
    assert context.user_data is not None
    tr = context.tr
    today = context.runtime.today()
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    repos = context.runtime.repos
    child = await repos.children.get_by_code(entry.code)
    if child is None:
        await send_text(update, context, tr.gettext("No child has the code {code}. Check the code, or find the child "
                                                    "by name with /ukur.").format(code=entry.code))
        return
    if not staff.may_access(child.posyandu_id):
        await send_text(update, context, tr.gettext(
            "The child with code {code} is registered at another posyandu. You can only enter children of your "
            "posyandu.").format(code=child.code))
        return
    measured_on = entry.measured_on or today
    if typed is not None:
        # "3 Desember 2026 belum terjadi. Maksudnya 3 Desember 2025?": a year-old entry is never saved silently.
        context.user_data[KEY] = {"kind": "date", "entry": _entry_to_dict(entry)}
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton(tr.gettext("Yes"), callback_data="catat:date:yes"),
            InlineKeyboardButton(tr.gettext("Type again"), callback_data="catat:date:retype")]])
        await send_text(update, context, rolled_back_date(tr, typed, measured_on), markup)
        return
    try:
        svc.check_date(measured_on, child, today)
    except InputIssue as issue:
        await send_text(update, context, date_issue(tr, issue.code, birth_date=child.birth_date,
                                                    age_days=issue.params.get("age_days"), today=today))
        return
    if not entry.measured:  # services only (`/catat A12 vita imun:campak`): nothing to measure
        await send_reply(update, context, await quick_services(update, context, child, measured_on))
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
            # The same reading as a typed answer in /ukur (grams, hard limits); a suggestion only when it is
            # plausible for this child's age.
            setattr(draft, field, svc.read_number(str(value), field,  # type: ignore[arg-type]
                                                  child=child, draft=draft))
        except InputIssue as issue:
            if issue.code == "out_of_range" and issue.params.get("suggestion") is not None and not forced:
                forced.append(Problem(field=field, code="implausible_for_age", value=float(value),
                                      suggestion=float(issue.params["suggestion"])))
                continue
            await send_text(update, context, number_issue(tr, issue.code, issue.params, field))
            return
    near = await svc.around(repos, child.id)
    problems = forced or svc.check_all(child, draft, near)
    if problems:
        await _ask_values(update, context, child, draft, problems, forced=bool(forced))
        return
    await _save(update, context, draft, child=child, near=near)


async def _ask_values(update: Update, context: BotContext, child: Child, draft: Draft, problems: list[Problem], *,
                      forced: bool) -> None:
    """Doubtful values: [Use the suggestion], [Save as typed] (a change the cadre measured again and confirms)
    or [Save as needs re-measuring] (a value WHO calls implausible: never confirmed as right), [Cancel]."""
    assert context.user_data is not None and draft.measured_on is not None
    tr = context.tr
    age_days = (draft.measured_on - child.birth_date).days
    suggestion = next((p for p in problems if p.suggestion is not None), None)
    context.user_data[KEY] = {"kind": "values", "draft": draft.to_dict(), "suggestion": (
        {"field": suggestion.field, "value": str(suggestion.suggestion)} if suggestion else None),
        "forced": forced}
    only_changes = not forced and all(svc.confirmable(p) for p in problems)
    lines = [value_warning(tr, p, age_days, confirmable=svc.confirmable(p))
             or plausibility_warning(p, tr, age_days, confirmable=svc.confirmable(p)) for p in problems]
    rows = []
    if suggestion is not None and suggestion.suggestion is not None:
        unit = "kg" if suggestion.field == "weight_kg" else "cm"
        rows.append([InlineKeyboardButton(tr.gettext("Use {value} {unit}").format(
            value=tr.measure(suggestion.suggestion), unit=unit), callback_data="catat:use")])
    last = [InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="catat:cancel")]
    if only_changes:
        last.insert(0, InlineKeyboardButton(tr.gettext("Measured again, it is right"), callback_data="catat:asis"))
    elif not forced:
        rows.append([InlineKeyboardButton(tr.gettext("⚠️ Save as needs re-measuring"), callback_data="catat:asis")])
    rows.append(last)
    lines.append(tr.gettext("Measure the child again and send /catat with the right values, or press a button.")
                 if not only_changes else tr.gettext("Send /catat again with the right values, or press a button."))
    await send_text(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


def _values_text(context: BotContext, child: Child, m: Measurement | Draft) -> str:
    """`10,5 kg` when there is a weight (what a cadre compares), else all the values."""
    tr = context.tr
    if m.weight_kg is not None:
        return tr.gettext("{value} kg").format(value=tr.measure(m.weight_kg))
    assert m.measured_on is not None
    return measured_values(tr, age_days=(m.measured_on - child.birth_date).days, weight=m.weight_kg,
                           length=m.length_cm, position=m.position, muac=m.muac_cm, head=m.head_cm, oedema=m.oedema)


async def _ask_same_month(update: Update, context: BotContext, child: Child, draft: Draft,
                          old: Measurement) -> None:
    """"Budi sudah diukur bulan ini (3 Des: 10,5 kg). Ganti, atau simpan sebagai ukur ulang?" — only one counts."""
    assert update.effective_chat and context.user_data is not None and draft.measured_on is not None
    tr = context.tr
    context.user_data[KEY] = {"kind": "month", "draft": draft.to_dict(), "suggestion": None, "forced": False,
                              "replace": old.id}
    first = child.name.split()[0] if child.name.split() else child.name
    text = tr.gettext("{name} was already measured this month ({date}: {old}). Replace that entry with {new}, or "
                      "keep both as a re-measurement? Only the latest one counts.").format(
        name=html.escape(first), date=tr.short_date(old.measured_on), old=_values_text(context, child, old),
        new=_values_text(context, child, draft))
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("Replace"), callback_data="catat:replace"),
         InlineKeyboardButton(tr.gettext("Keep both"), callback_data="catat:keep")],
        [InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="catat:cancel")]])
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def _save(update: Update, context: BotContext, draft: Draft, *, child: Child | None = None,
                near: svc.Around | None = None) -> None:
    """Save the draft (`child`, `near`: when this update already read them)."""
    assert update.effective_user and update.effective_chat
    tr = context.tr
    repos = context.runtime.repos
    if child is None or child.id != draft.child_id:
        child = await repos.children.find_by_id(draft.child_id or 0)
    staff = await get_staff(update, context)
    if child is None or staff is None or not staff.may_access(child.posyandu_id):
        await context.bot.send_message(update.effective_chat.id,
                                       tr.gettext("You can only enter children of your posyandu."))
        return
    try:
        saved = await svc.save(repos, child, draft, entered_by=update.effective_user.id, near=near)
    except svc.SameMonth as same:
        await _ask_same_month(update, context, child, draft, same.existing)  # saving waits for the answer
        return
    except svc.Unanswered:
        problems = svc.check_all(child, draft, await svc.around(repos, child.id))
        await _ask_values(update, context, child, draft, problems, forced=False)
        return
    except InputIssue as issue:
        text = over_five(tr, int(issue.params.get("age_days", 0))) if issue.code == "age_over_five" else \
            date_issue(tr, issue.code, birth_date=child.birth_date, today=context.runtime.today())
        await context.bot.send_message(update.effective_chat.id, text)
        return
    except StorageError as exc:
        await context.bot.send_message(update.effective_chat.id, exc.message(tr))
        return
    # The line's services before the card, so that its buttons offer only what is still due.
    services = await quick_services(update, context, child, saved.measurement.measured_on)
    await deliver_result(update, context, child, saved)
    await send_reply(update, context, services)


async def _take_pending(context: BotContext, query: CallbackQuery,
                        fits: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """The question waiting in user_data for this button (removed, the button answered and its keyboard
    taken away), or None after telling the cadre the button is stale."""
    assert context.user_data is not None
    pending: dict[str, Any] | None = context.user_data.get(KEY)
    if pending is None or not fits(pending):
        await query.answer(context.tr.gettext("This button is no longer active."))
        return None
    context.user_data.pop(KEY, None)
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:  # an old keyboard left on screen is harmless
        log.debug("could not remove a quick-entry keyboard")
    return pending


async def pending_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data and context.user_data is not None
    tr = context.tr
    # None, or a date question waiting for its own buttons: this button is stale.
    pending = await _take_pending(context, query, lambda p: "draft" in p)
    if pending is None:
        return
    action = callbacks.CATAT_PENDING.parse(query.data).text("action")
    if action == "cancel":
        assert update.effective_chat
        forget_services(context)
        await context.bot.send_message(update.effective_chat.id, tr.gettext("Cancelled. Nothing was saved."))
        return
    draft = Draft.from_dict(pending["draft"])
    suggestion = pending.get("suggestion")
    if action in ("replace", "keep"):
        if pending.get("kind") != "month":
            return
        draft.same_month = "replace" if action == "replace" else "keep"
        if action == "replace":
            draft.corrects_id = int(pending["replace"])  # the entry the cadre saw in the question
    elif action == "use" and suggestion:
        setattr(draft, suggestion["field"], Decimal(suggestion["value"]))
    elif pending.get("forced"):
        return  # a value no child can have is never saved as typed
    elif action == "asis":
        child = await context.runtime.repos.children.find_by_id(draft.child_id or 0)
        if child is not None:
            # Changes measured again are confirmed; values WHO calls implausible are kept as "perlu ukur ulang".
            for problem in svc.check_all(child, draft, await svc.around(context.runtime.repos, child.id)):
                if svc.confirmable(problem):
                    draft.confirmed.append(f"change:{problem.field}")
                else:
                    draft.keep_as_remeasure(problem.field)
    await _save(update, context, draft)


async def date_pressed(update: Update, context: BotContext) -> None:
    """[Yes] / [Type again] under "3 Desember 2026 belum terjadi. Maksudnya 3 Desember 2025?"."""
    query = update.callback_query
    assert query and query.data and context.user_data is not None
    tr = context.tr
    pending = await _take_pending(context, query, lambda p: p.get("kind") == "date")
    if pending is None:
        return
    if query.data.endswith(":yes"):
        await _enter(update, context, _entry_from_dict(pending["entry"]), typed=None)
        return
    forget_services(context)
    await send_text(update, context, tr.gettext(
        "Nothing was saved. Send /catat again with the right date, for example tgl {example}.").format(
        example=short_example(example_day(context.runtime.today()))))


def register(app: Any) -> None:
    app.add_handler(CommandHandler("catat", catat))
    app.add_handler(CallbackQueryHandler(pending_pressed, pattern=callbacks.CATAT_PENDING.matches))
    app.add_handler(CallbackQueryHandler(date_pressed, pattern=callbacks.CATAT_DATE.matches))
