"""What the `/jadwal` modules share (not a journey module): the conversation's states and its slot in
user_data, who may change which posyandu, the staff card, and small reply helpers.

handlers/schedule.py registers the conversation; the monthly-rule form is in handlers/schedule_rule.py, one
date (move, cancel, add) in handlers/schedule_dates.py, the parents' view in handlers/schedule_parent.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.i18n import Translator
from bot.services import access
from bot.services import schedule as svc
from storage.models import Role

KEY = "jadwal"  # our slot in user_data: survives a restart with the conversation state
# The numbers are stored with the conversation (persistent): never renumber them.
CHOOSE, CARD, WEEKDAY, WEEK, START, END, CONFIRM, PICK, ACTION, NEW_DATE, ADD_DATE = range(11)


def data(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    slot: dict[str, Any] = context.user_data.setdefault(KEY, {})
    return slot


async def reply(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Answer a button by editing its message (keeps the chat short), a typed message with a new one."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        if query.message is not None:
            await query.edit_message_text(text, reply_markup=keyboard)
            return
    assert update.effective_message
    await update.effective_message.reply_text(text, reply_markup=keyboard)


def kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=value) for label, value in row]
                                 for row in rows])


def today(context: BotContext, tz: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return context.runtime.today(ZoneInfo(tz))


def hhmm(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


async def editable_posyandu(context: BotContext, user_id: int) -> list[int] | None:
    """Posyandu whose schedule this user may change (bot/services/access.py rules); None: not staff.

    Cadre: their posyandu; coordinator: every posyandu in their area; admin (role or ADMIN_TELEGRAM_IDS): all.
    """
    repos = context.runtime.repos
    if user_id in context.runtime.settings.admin_telegram_ids:
        return [p.id for p in await repos.posyandu.list_all()]
    principal = await access.load_principal(repos, user_id)
    if principal is None or principal.role in (None, Role.PARENT) or not principal.active:
        return None
    ids = await access.posyandu_ids_in_scope(repos, principal)
    if ids is None:
        return [p.id for p in await repos.posyandu.list_all()]
    return list(ids)


async def pid_or_end(update: Update, context: BotContext) -> int | None:
    """The chosen posyandu, if the user may still change it (roles can be removed mid-conversation,
    and the conversation survives restarts); otherwise end the conversation politely."""
    assert update.effective_user
    pid = int(data(context)["pid"])
    if pid in (await editable_posyandu(context, update.effective_user.id) or []):
        return pid
    context.user_data.pop(KEY, None)  # type: ignore[union-attr]
    await reply(update, context.tr.gettext(
        "You can no longer change the schedule of this posyandu. Type /help to see what you can do."))
    return None


def in_scope(
    callback: Callable[[Update, BotContext], Coroutine[Any, Any, int]],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, int]]:
    """Re-check the scope before every step that writes."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: BotContext) -> int:
        if await pid_or_end(update, context) is None:
            return ConversationHandler.END
        return await callback(update, context)

    return wrapper


# ------------------------------------------------------------------ the card


async def card(update: Update, context: BotContext, note: str | None = None) -> int:
    tr = context.tr
    checked = await pid_or_end(update, context)
    if checked is None:
        return ConversationHandler.END
    pid = checked
    info = await svc.posyandu_info(context.runtime.repos, pid)
    if info is None:
        await reply(update, tr.gettext("This posyandu no longer exists. Type /jadwal to start again."))
        return ConversationHandler.END
    upcoming = await svc.upcoming_sessions(context.runtime.repos, pid, today(context, info.timezone), 3)
    lines = [note, ""] if note else []
    lines.append(tr.gettext("🗓 Schedule of {posyandu}").format(posyandu=f"<b>{html.escape(info.name)}</b>"))
    if info.rule is not None:
        lines.append(tr.gettext("Every month: {rule}").format(rule=svc.describe_rule(info.rule, tr)))
    else:
        lines.append(tr.gettext("No monthly schedule yet."))
    if upcoming:
        lines.append(tr.gettext("Next sessions:"))
        lines += [session_line(s, tr) for s in upcoming]
    else:
        lines.append(tr.gettext("No upcoming sessions."))
    keyboard = kb([
        [(tr.gettext("✏️ Change monthly schedule"), "jadwal:edit")],
        [(tr.gettext("📅 Move or cancel a date"), "jadwal:change")],
        [(tr.gettext("➕ Add a date"), "jadwal:add"), (tr.gettext("✅ Done"), "jadwal:done")],
    ])
    await reply(update, "\n".join(lines), keyboard)
    return CARD


def session_line(s: svc.Session, tr: Translator) -> str:
    line = "• " + s.when(tr)
    if s.moved_from is not None:
        line += " " + tr.gettext("(moved from {date})").format(date=tr.short_date(s.moved_from))
    return line
