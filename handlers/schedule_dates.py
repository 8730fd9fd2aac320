"""`/jadwal`, one date (not a journey module: handlers/schedule.py registers these steps): move or cancel an
upcoming session, or add an extra one. The writes are in bot/services/schedule.py."""

from __future__ import annotations

import datetime as dt

from telegram import Update

from bot import callbacks
from bot.context import BotContext
from bot.i18n import ParseError, fmt_date, parse_date
from bot.services import schedule as svc
from handlers.schedule_shared import ACTION, ADD_DATE, NEW_DATE, PICK, card, data, in_scope, kb, reply, today


def _future_date(text: str, today: dt.date) -> dt.date:
    """A date typed for an upcoming session: without a year it means the next such date from today."""
    # bot.i18n.parse_date reads a yearless date as the latest one not after its `today`; a year ahead of
    # today turns that into "the next one on or after today".
    return parse_date(text, today + dt.timedelta(days=364))


async def change_pressed(update: Update, context: BotContext) -> int:
    tr = context.tr
    pid = int(data(context)["pid"])
    info = await svc.posyandu_info(context.runtime.repos, pid)
    assert info is not None
    sessions = await svc.upcoming_sessions(context.runtime.repos, pid, today(context, info.timezone), 4)
    if not sessions:
        return await card(update, context, tr.gettext("There is no upcoming session to change."))
    rows = [[(fmt_date(s.date, tr.lang), f"jadwal:d:{s.date.isoformat()}")] for s in sessions]
    rows.append([(tr.gettext("↩️ Back"), "jadwal:back")])
    await reply(update, tr.gettext("Which date do you want to move or cancel?"), kb(rows))
    return PICK


async def date_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    tr = context.tr
    day = callbacks.JADWAL_DAY.parse(update.callback_query.data).date("day")
    data(context)["date"] = day.isoformat()
    await reply(update, tr.gettext("Posyandu on {date}:").format(date=fmt_date(day, tr.lang)),
                kb([[(tr.gettext("➡️ Move to another date"), "jadwal:mv")],
                    [(tr.gettext("❌ Cancel this session (holiday)"), "jadwal:cx")],
                    [(tr.gettext("↩️ Back"), "jadwal:back")]]))
    return ACTION


async def _session_on(context: BotContext, day: dt.date) -> svc.Session | None:
    pid = int(data(context)["pid"])
    found = await svc.sessions_for(context.runtime.repos, pid, day, day)
    return found[0] if found else None


@in_scope
async def cancel_session_pressed(update: Update, context: BotContext) -> int:
    assert update.effective_user
    tr = context.tr
    day = dt.date.fromisoformat(data(context)["date"])
    session = await _session_on(context, day)
    if session is None:
        return await card(update, context)
    await svc.cancel_session(context.runtime.db, int(data(context)["pid"]), session, day,
                             actor_id=update.effective_user.id)
    return await card(update, context, tr.gettext("❌ The posyandu of {date} is cancelled.").format(
        date=fmt_date(day, tr.lang)))


async def move_pressed(update: Update, context: BotContext) -> int:
    await reply(update, context.tr.gettext("Type the new date, e.g. 21/1 or 21 Januari. Or /batal."))
    return NEW_DATE


async def _typed_date(update: Update, context: BotContext) -> dt.date | None:
    """The date typed by the staff member (today or later, within a year); None after explaining the problem."""
    assert update.effective_message and update.effective_message.text
    tr = context.tr
    info = await svc.posyandu_info(context.runtime.repos, int(data(context)["pid"]))
    assert info is not None
    local_today = today(context, info.timezone)
    try:
        day = _future_date(update.effective_message.text[:40], local_today)
    except ParseError:
        await update.effective_message.reply_text(tr.gettext(
            "I couldn't read that date. Write it like 21/1/2025 or 21 Januari."))
        return None
    if day < local_today or day > local_today + dt.timedelta(days=366):
        await update.effective_message.reply_text(tr.gettext(
            "Choose a date from today up to a year ahead, e.g. 21/1."))
        return None
    return day


@in_scope
async def new_date_typed(update: Update, context: BotContext) -> int:
    assert update.effective_user
    tr = context.tr
    new = await _typed_date(update, context)
    if new is None:
        return NEW_DATE
    old = dt.date.fromisoformat(data(context)["date"])
    session = await _session_on(context, old)
    if session is None:
        return await card(update, context)
    if new == old:
        await update.effective_message.reply_text(tr.gettext(  # type: ignore[union-attr]
            "That is the same date. Type another date, or /batal."))
        return NEW_DATE
    if await _session_on(context, new) is not None:
        await update.effective_message.reply_text(tr.gettext(  # type: ignore[union-attr]
            "There is already a posyandu session on that date. Type another date, or /batal."))
        return NEW_DATE
    await svc.move_session(context.runtime.db, int(data(context)["pid"]), session, old, new,
                           actor_id=update.effective_user.id)
    return await card(update, context, tr.gettext("✅ The posyandu of {old} is moved to {new}.").format(
        old=fmt_date(old, tr.lang), new=fmt_date(new, tr.lang)))


async def add_pressed(update: Update, context: BotContext) -> int:
    await reply(update, context.tr.gettext(
        "Type the date of the extra session, e.g. 21/1 or 21 Januari. It uses the usual times. Or /batal."))
    return ADD_DATE


@in_scope
async def add_date_typed(update: Update, context: BotContext) -> int:
    assert update.effective_user and update.effective_message
    tr = context.tr
    day = await _typed_date(update, context)
    if day is None:
        return ADD_DATE
    if await _session_on(context, day) is not None:
        await update.effective_message.reply_text(tr.gettext(
            "There is already a posyandu session on that date. Type another date, or /batal."))
        return ADD_DATE
    pid = int(data(context)["pid"])
    info = await svc.posyandu_info(context.runtime.repos, pid)
    await svc.add_session(context.runtime.db, pid, day, info.rule if info else None,
                          actor_id=update.effective_user.id)
    return await card(update, context, tr.gettext("✅ Extra session added on {date}.").format(
        date=fmt_date(day, tr.lang)))
