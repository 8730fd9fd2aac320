"""Recording services after a measurement (issue 14): the buttons under the result card for what this child is due
today (one tap each, ✅ to take it back), the services of a `/catat` line (`vita imun:campak cacing pmt`), the
exceptions a guideline allows, and correcting a dose's date.

Thin: the rules are bot.growth.child_services, the recording bot.services.child_services. Callback data starts
with `lay:`. The services written on a /catat line wait in `user_data["catat_layanan"]` until its measurement is
saved (so a question about a doubtful weight loses nothing), and are dropped with the line when it is cancelled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.context import BotContext
from bot.growth.child_services import Override, ServiceKind
from bot.render.services import (
    OVERRIDE_LABELS,
    done_button,
    due_button,
    outcome_lines,
    problem_text,
    recorded_line,
    short_dose,
)
from bot.services import child_services as svc
from bot.services import measurement as measurement_svc
from bot.services import programs as programs_svc
from bot.services import services_due
from bot.services.child_services import Recorded, Refused, Wish
from bot.services.quick_entry import QuickEntry, ServiceWord
from handlers.cadre_shared import RESULT_ROWS, get_staff, send_text
from storage.errors import StorageError
from storage.models import Child

log = logging.getLogger(__name__)

ORDER = 26
QUICK_KEY = "catat_layanan"
CARD_DAYS = 7  # services are offered under the card of a measurement of the past week (not a month-old entry)


def _pairs(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


async def due_rows(context: BotContext, child: Child, saved: measurement_svc.Saved) -> list[list[InlineKeyboardButton]]:
    """The result card's service buttons: what this child is due on the measurement's day."""
    day = saved.measurement.measured_on
    if (context.runtime.today() - day).days > CARD_DAYS:
        return []
    tr = context.tr
    dues = await services_due.due_today(context.runtime.repos, child, day)
    buttons = [InlineKeyboardButton(due_button(tr, d), callback_data=f"lay:g:{child.id}:{d.key}:{day.isoformat()}")
               for d in dues]
    rows = _pairs(buttons)
    rows.append([InlineKeyboardButton(tr.gettext("📒 Services record"), callback_data=f"lay:l:{child.id}")])
    return rows


async def _child_for_staff(update: Update, context: BotContext, child_id: int) -> Child | None:
    staff = await get_staff(update, context)
    child = await context.runtime.repos.children.find_by_id(child_id)
    if staff is None or child is None or not staff.may_access(child.posyandu_id):
        return None
    return child


def _markup_of(update: Update) -> InlineKeyboardMarkup | None:
    message = update.callback_query.message if update.callback_query else None
    return message.reply_markup if isinstance(message, Message) else None


def _swap_button(markup: InlineKeyboardMarkup | None, old_data: str, new: InlineKeyboardButton
                 ) -> InlineKeyboardMarkup | None:
    """The keyboard with the button of `old_data` replaced (None when it is not there any more)."""
    if markup is None:
        return None
    found = False
    rows = []
    for row in markup.inline_keyboard:
        out = []
        for b in row:
            if b.callback_data == old_data and not found:
                out.append(new)
                found = True
            else:
                out.append(b)
        rows.append(out)
    return InlineKeyboardMarkup(rows) if found else None


async def _edit_markup(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    if query is None or markup is None:
        return
    try:
        await query.edit_message_reply_markup(markup)
    except TelegramError:  # an old card or an unchanged keyboard: the record itself is saved
        log.debug("could not update a service button")


def _override_keyboard(context: BotContext, child: Child, wish: Wish, day: dt.date, refused: Refused
                       ) -> InlineKeyboardMarkup | None:
    if not refused.problem.overrides:
        return None
    tr = context.tr
    key = wish.to_key() if wish.kind is not ServiceKind.IMMUNISATION or not refused.code else refused.code
    rows = [[InlineKeyboardButton(("⚠️ " + tr.gettext(OVERRIDE_LABELS[o]))[:60],
                                  callback_data=f"lay:o:{child.id}:{key}:{day.isoformat()}:{o.value}")]
            for o in refused.problem.overrides]
    return InlineKeyboardMarkup(rows)


async def give_pressed(update: Update, context: BotContext) -> None:
    """A service button under the card: record it, and show ✅ (pressing ✅ takes it back)."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    data = callbacks.LAYANAN_GIVE.parse(query.data)
    child = await _child_for_staff(update, context, data.id("child"))
    wish = Wish.from_key(data.text("item"))
    if child is None or wish is None:
        await query.answer(tr.gettext("You can only enter children of your posyandu."), show_alert=True)
        return
    day = data.date("day")
    result = await svc.record(context.runtime.repos, child, wish, day, by=update.effective_user.id,
                              today=context.runtime.today())
    if isinstance(result, Recorded):
        await query.answer(tr.gettext("Recorded ✅"))
        await _edit_markup(update, _swap_button(_markup_of(update), query.data,
                                                InlineKeyboardButton(done_button(tr, result.record),
                                                                     callback_data=f"lay:x:{result.record.id}")))
        return
    text = problem_text(tr, result)
    keyboard = _override_keyboard(context, child, wish, day, result)
    if keyboard is None:
        await query.answer(text.replace("<b>", "").replace("</b>", "")[:200], show_alert=True)
        return
    await query.answer()
    await send_text(update, context, text, keyboard)


async def undo_pressed(update: Update, context: BotContext) -> None:
    """✅ under the card: take the record back (a removal supersedes it; the history keeps both)."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    repos = context.runtime.repos
    record = await programs_svc.find_record(repos.db, callbacks.LAYANAN_UNDO.parse(query.data).id("record"))
    child = await _child_for_staff(update, context, record.child_id) if record is not None else None
    if record is None or child is None:
        await query.answer(tr.gettext("You can only enter children of your posyandu."), show_alert=True)
        return
    if not record.current:
        await query.answer(tr.gettext("This button is no longer active."))
        return
    try:
        await svc.remove(repos, record.id, by=update.effective_user.id)
    except StorageError as exc:
        await query.answer(exc.message(tr)[:200], show_alert=True)
        return
    await query.answer(tr.gettext("Taken back: {what}").format(what=done_button(tr, record)[2:])[:200])
    program = await programs_svc.get_program(repos.db, record.program_id) if record.program_id else None
    due = services_due.Due(ServiceKind(record.kind), str(record.program_id) if record.program_id else record.code,
                           program=program)
    await _edit_markup(update, _swap_button(_markup_of(update), query.data,
                                            InlineKeyboardButton(due_button(tr, due), callback_data=(
                                                f"lay:g:{child.id}:{due.key}:{record.given_on.isoformat()}"))))


async def override_pressed(update: Update, context: BotContext) -> None:
    """An exception the guideline allows (4-day grace, KLB campak, disaster): recorded with that mark."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    data = callbacks.LAYANAN_OVERRIDE.parse(query.data)
    child = await _child_for_staff(update, context, data.id("child"))
    wish = Wish.from_key(data.text("item"))
    if child is None or wish is None:
        await query.answer(tr.gettext("You can only enter children of your posyandu."), show_alert=True)
        return
    result = await svc.record(context.runtime.repos, child, wish, data.date("day"), by=update.effective_user.id,
                              today=context.runtime.today(), override=Override(data.text("reason")))
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:
        log.debug("could not remove an exception keyboard")
    if isinstance(result, Recorded):
        await send_text(update, context, recorded_line(tr, result.record))
    else:
        await send_text(update, context, problem_text(tr, result))


async def redate_pressed(update: Update, context: BotContext) -> None:
    """"MR 1 is recorded on 5 Dec: change it to 3 Dec?" — the correction supersedes the old record."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    repos = context.runtime.repos
    data = callbacks.LAYANAN_REDATE.parse(query.data)
    record = await programs_svc.find_record(repos.db, data.id("record"))
    child = await _child_for_staff(update, context, record.child_id) if record is not None else None
    if record is None or child is None:
        await query.answer(tr.gettext("You can only enter children of your posyandu."), show_alert=True)
        return
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:
        log.debug("could not remove a correction keyboard")
    result = await svc.change_date(repos, child, record.id, data.date("day"), by=update.effective_user.id,
                                   today=context.runtime.today())
    if isinstance(result, Recorded):
        await send_text(update, context, tr.gettext("Corrected: {what}, {date}. The earlier entry stays in the "
                                                    "history.").format(what=short_dose(result.record.code)
                                                                       if result.record.kind == "immunisation"
                                                                       else done_button(tr, result.record)[2:],
                                                                       date=tr.date(result.record.given_on)))
    else:
        await send_text(update, context, problem_text(tr, result))


# ------------------------------------------------------------------ the services of a /catat line


def remember_services(context: BotContext, entry: QuickEntry) -> None:
    """Keep the line's services until its measurement is saved (or the line is cancelled)."""
    assert context.user_data is not None
    if entry.services:
        context.user_data[QUICK_KEY] = {"code": entry.code,
                                        "services": [dataclasses.asdict(w) for w in entry.services]}
    else:
        context.user_data.pop(QUICK_KEY, None)


def forget_services(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(QUICK_KEY, None)


@dataclass(frozen=True)
class Reply:
    text: str
    markup: InlineKeyboardMarkup | None = None


async def quick_services(update: Update, context: BotContext, child: Child, day: dt.date) -> Reply | None:
    """Record the services the /catat line named for this child (taken from user_data), and say what happened."""
    assert update.effective_user and context.user_data is not None
    pending = context.user_data.get(QUICK_KEY)
    if not pending or pending.get("code") != child.code:
        return None
    context.user_data.pop(QUICK_KEY, None)
    tr = context.tr
    repos = context.runtime.repos
    words = [ServiceWord(**w) for w in pending.get("services", [])]
    wishes = await svc.wishes_from_words(repos, child, words, day)
    results = await svc.record_many(repos, child, wishes, day, by=update.effective_user.id,
                                    today=context.runtime.today(), source="quick")
    programs = {r.record.program_id: p for r in results if isinstance(r, Recorded) and r.record.program_id
                and (p := await programs_svc.get_program(repos.db, r.record.program_id)) is not None}
    lines = [tr.gettext("Services of {code} on {date}:").format(code=child.code, date=tr.short_date(day))]
    lines += outcome_lines(tr, results, programs)
    rows: list[list[InlineKeyboardButton]] = []
    current = await svc.records_of(repos, child.id)
    for r in results:
        if not isinstance(r, Refused):
            continue
        if r.problem.code == "already_given" and r.problem.on is not None and r.problem.on != day and r.code:
            old = next((x for x in current if x.kind == "immunisation" and x.code == r.code), None)
            if old is not None:
                rows.append([InlineKeyboardButton(tr.gettext("📅 {dose}: change the date to {date}").format(
                    dose=short_dose(r.code), date=tr.short_date(day))[:60],
                    callback_data=f"lay:c:{old.id}:{day.isoformat()}")])
        keyboard = _override_keyboard(context, child, r.wish, day, r)
        if keyboard is not None:
            rows += [list(row) for row in keyboard.inline_keyboard]
    return Reply("\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


async def send_reply(update: Update, context: BotContext, reply: Reply | None) -> None:
    if reply is not None:
        await send_text(update, context, reply.text, reply.markup)


def register(app: Any) -> None:
    if due_rows not in RESULT_ROWS:  # register runs again for every Application built
        RESULT_ROWS.append(due_rows)
    app.add_handler(CallbackQueryHandler(give_pressed, pattern=callbacks.LAYANAN_GIVE.matches))
    app.add_handler(CallbackQueryHandler(undo_pressed, pattern=callbacks.LAYANAN_UNDO.matches))
    app.add_handler(CallbackQueryHandler(override_pressed, pattern=callbacks.LAYANAN_OVERRIDE.matches))
    app.add_handler(CallbackQueryHandler(redate_pressed, pattern=callbacks.LAYANAN_REDATE.matches))


__all__ = ["QUICK_KEY", "Reply", "due_rows", "forget_services", "quick_services", "register", "remember_services",
           "send_reply"]
