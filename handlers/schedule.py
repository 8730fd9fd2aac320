"""`/jadwal`: see and set a posyandu's schedule (staff), see the next sessions and switch reminders (parents).

Staff (the posyandu's cadre, a coordinator of its area, an admin) get a card with the rule and the next
three sessions, and buttons to change the rule (guided: weekday → week → start → end, or typed),
move or cancel one date, or add an extra date. Parents see their posyandu's next sessions and can turn
reminders off and on. Also starts the reminders job (bot/scheduler.py) at registration.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks
from bot.context import BotContext
from bot.i18n import ParseError, Translator, fmt_date, parse_date
from bot.scheduler import start_jobs
from bot.services import access
from bot.services import parent as parent_svc
from bot.services import schedule as svc
from bot.services.schedule import LAST_WEEK, WEEK_NAMES, WEEKDAY_NAMES, Rule, RuleParseError
from storage import reminders_queries as q
from storage.models import Role, SessionStatus

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

ORDER = 30  # takes free text (typed rules and dates) while the conversation is open
KEY = "jadwal"  # our slot in user_data: survives a restart with the conversation state
CHOOSE, CARD, WEEKDAY, WEEK, START, END, CONFIRM, PICK, ACTION, NEW_DATE, ADD_DATE = range(11)
MAX_BUTTONS = 20
START_TIMES = ("07:00", "07:30", "08:00", "08:30", "09:00")
END_TIMES = ("10:00", "11:00", "12:00")


# ------------------------------------------------------------------ helpers


def _data(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    slot: dict[str, Any] = context.user_data.setdefault(KEY, {})
    return slot


async def _reply(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Answer a button by editing its message (keeps the chat short), a typed message with a new one."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        if query.message is not None:
            await query.edit_message_text(text, reply_markup=keyboard)
            return
    assert update.effective_message
    await update.effective_message.reply_text(text, reply_markup=keyboard)


def _kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


def _today(context: BotContext, tz: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return context.runtime.today(ZoneInfo(tz))


def _hhmm(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


_TIME_TYPED = re.compile(r"^\s*(?:jam|pukul|pkl)?\s*(\d{1,2})(?:[.:](\d{2}))?\s*$", re.IGNORECASE)


def _typed_time(text: str) -> dt.time | None:
    m = _TIME_TYPED.match(text)
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _future_date(text: str, today: dt.date) -> dt.date:
    """A date typed for an upcoming session: without a year it means the next such date from today."""
    # bot.i18n.parse_date reads a yearless date as the latest one not after its `today`; a year ahead of
    # today turns that into "the next one on or after today".
    return parse_date(text, today + dt.timedelta(days=364))


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


async def _pid_or_end(update: Update, context: BotContext) -> int | None:
    """The chosen posyandu, if the user may still change it (roles can be removed mid-conversation,
    and the conversation survives restarts); otherwise end the conversation politely."""
    assert update.effective_user
    pid = int(_data(context)["pid"])
    if pid in (await editable_posyandu(context, update.effective_user.id) or []):
        return pid
    context.user_data.pop(KEY, None)  # type: ignore[union-attr]
    await _reply(update, context.tr.gettext(
        "You can no longer change the schedule of this posyandu. Type /help to see what you can do."))
    return None


def _in_scope(
    callback: Callable[[Update, BotContext], Coroutine[Any, Any, int]],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, int]]:
    """Re-check the scope before every step that writes."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: BotContext) -> int:
        if await _pid_or_end(update, context) is None:
            return ConversationHandler.END
        return await callback(update, context)

    return wrapper


# ------------------------------------------------------------------ the card


async def _card(update: Update, context: BotContext, note: str | None = None) -> int:
    tr = context.tr
    checked = await _pid_or_end(update, context)
    if checked is None:
        return ConversationHandler.END
    pid = checked
    info = await svc.posyandu_info(context.runtime.repos, pid)
    if info is None:
        await _reply(update, tr.gettext("This posyandu no longer exists. Type /jadwal to start again."))
        return ConversationHandler.END
    upcoming = await svc.upcoming_sessions(context.runtime.repos, pid, _today(context, info.timezone), 3)
    lines = [note, ""] if note else []
    lines.append(tr.gettext("🗓 Schedule of {posyandu}").format(posyandu=f"<b>{html.escape(info.name)}</b>"))
    if info.rule is not None:
        lines.append(tr.gettext("Every month: {rule}").format(rule=svc.describe_rule(info.rule, tr)))
    else:
        lines.append(tr.gettext("No monthly schedule yet."))
    if upcoming:
        lines.append(tr.gettext("Next sessions:"))
        lines += [_session_line(s, tr) for s in upcoming]
    else:
        lines.append(tr.gettext("No upcoming sessions."))
    keyboard = _kb([
        [(tr.gettext("✏️ Change monthly schedule"), "jadwal:edit")],
        [(tr.gettext("📅 Move or cancel a date"), "jadwal:change")],
        [(tr.gettext("➕ Add a date"), "jadwal:add"), (tr.gettext("✅ Done"), "jadwal:done")],
    ])
    await _reply(update, "\n".join(lines), keyboard)
    return CARD


def _session_line(s: svc.Session, tr: Translator) -> str:
    line = "• " + s.when(tr)
    if s.moved_from is not None:
        line += " " + tr.gettext("(moved from {date})").format(date=tr.short_date(s.moved_from))
    return line


# ------------------------------------------------------------------ entry


async def jadwal(update: Update, context: BotContext) -> int:
    assert update.effective_user and update.effective_message
    tr = context.tr
    assert context.user_data is not None
    context.user_data[KEY] = {}
    allowed = await editable_posyandu(context, update.effective_user.id)
    if allowed is None:
        await _parent_view(update, context)
        return ConversationHandler.END
    if not allowed:
        await update.effective_message.reply_text(tr.gettext("There is no posyandu in your area yet."))
        return ConversationHandler.END
    if len(allowed) == 1:
        _data(context)["pid"] = allowed[0]
        return await _card(update, context)
    return await _choose(update, context, allowed)


async def _choose(update: Update, context: BotContext, allowed: list[int], query: str = "") -> int:
    tr = context.tr
    places = await context.runtime.repos.posyandu.get_many(allowed)
    if query:
        needle = query.casefold()
        places = [p for p in places if needle in p.name.casefold()]
    if not places:
        await _reply(update, tr.gettext("No posyandu matches “{text}”. Type another part of the name, or /batal.")
                     .format(text=html.escape(query[:40])))
        return CHOOSE
    rows = [[(p.name[:40], f"jadwal:p:{p.id}")] for p in places[:MAX_BUTTONS]]
    text = tr.gettext("Which posyandu?")
    if len(places) > MAX_BUTTONS:
        text += "\n" + tr.gettext("Not in the list? Type part of its name.")
    await _reply(update, text, _kb(rows))
    return CHOOSE


async def choose_typed(update: Update, context: BotContext) -> int:
    assert update.effective_user and update.effective_message and update.effective_message.text
    allowed = await editable_posyandu(context, update.effective_user.id) or []
    return await _choose(update, context, allowed, update.effective_message.text.strip())


async def chosen(update: Update, context: BotContext) -> int:
    assert update.callback_query and update.effective_user
    pid = callbacks.JADWAL_POSYANDU.parse(update.callback_query.data).id("posyandu")
    if pid not in (await editable_posyandu(context, update.effective_user.id) or []):
        await update.callback_query.answer(context.tr.gettext("You cannot change this posyandu."))
        return CHOOSE
    _data(context)["pid"] = pid
    return await _card(update, context)


# ------------------------------------------------------------------ parents


async def _parent_view(update: Update, context: BotContext) -> None:
    assert update.effective_user and update.effective_message
    tr = context.tr
    repos = context.runtime.repos
    uid = update.effective_user.id
    # Through the parent service: a deactivated account no longer learns where its children go.
    children = await parent_svc.linked_children(repos, uid)
    if not children:
        await update.effective_message.reply_text(tr.gettext(
            "I don't know your posyandu yet. Ask your cadre for the link code of your child, then send /start "
            "followed by the code."))
        return
    lines: list[str] = []
    for pid in dict.fromkeys(c.posyandu_id for c in children):
        info = await svc.posyandu_info(repos, pid)
        if info is None:
            continue
        sessions = await svc.upcoming_sessions(repos, pid, _today(context, info.timezone), 3)
        lines.append(tr.gettext("🗓 Next sessions of {posyandu}:").format(posyandu=f"<b>{html.escape(info.name)}</b>"))
        if info.place != info.name:
            lines.append("📍 " + html.escape(info.place))
        lines += [_session_line(s, tr) for s in sessions] or [tr.gettext("No dates set yet; ask your cadre.")]
        lines.append("")
    user = await repos.users.find(uid)
    await update.effective_message.reply_text("\n".join(lines).strip() + "\n\n" + _optout_text(tr, user),
                                              reply_markup=_optout_keyboard(tr, user))


def _optout_text(tr: Translator, user: Any) -> str:
    if user is not None and user.opted_out:
        return tr.gettext("🔕 Reminders and tips are off.")
    return tr.gettext("🔔 You get a reminder the day before and on the morning of posyandu day, and a weekly tip.")


def _optout_keyboard(tr: Translator, user: Any) -> InlineKeyboardMarkup:
    if user is not None and user.opted_out:
        return _kb([[(tr.gettext("🔔 Turn reminders on"), "jadwal:opt:on")]])
    return _kb([[(tr.gettext("🔕 Turn reminders off"), "jadwal:opt:off")]])


async def optout_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and update.effective_user
    tr = context.tr
    off = callbacks.JADWAL_OPT.parse(query.data).text("turn") == "off"
    await q.set_opt_out(context.runtime.db, update.effective_user.id, off)
    await query.answer()
    text = tr.gettext("🔕 Reminders and tips are off. Type /jadwal to turn them on again.") if off else \
        tr.gettext("🔔 Reminders and tips are on again.")
    await query.edit_message_text(text)


# ------------------------------------------------------------------ the monthly rule


def _weekday_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    names = [(tr.gettext(WEEKDAY_NAMES[i]), f"jadwal:wd:{i}") for i in range(7)]
    return _kb([names[0:3], names[3:6], names[6:7]])


async def edit_pressed(update: Update, context: BotContext) -> int:
    tr = context.tr
    await _reply(update, tr.gettext(
        "On which day is the posyandu? Choose the weekday,\n"
        "or type the whole rule, e.g. “Selasa minggu ke-2 08.00-11.00” or “tanggal 15 08.00”."),
        _weekday_keyboard(tr))
    return WEEKDAY


async def weekday_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    tr = context.tr
    wd = callbacks.JADWAL_WEEKDAY.parse(update.callback_query.data).number("weekday")
    _data(context)["weekday"] = wd
    weeks = [(tr.gettext(WEEK_NAMES[w]), f"jadwal:wk:{w}") for w in (1, 2, 3, 4, LAST_WEEK)]
    await _reply(update, tr.gettext("{weekday} of which week of the month?").format(
        weekday=tr.gettext(WEEKDAY_NAMES[wd])), _kb([weeks]))
    return WEEK


async def week_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    tr = context.tr
    _data(context)["week"] = callbacks.JADWAL_WEEK.parse(update.callback_query.data).number("week")
    times = [(svc.fmt_time(_hhmm(t), tr.lang), f"jadwal:st:{t.replace(':', '')}") for t in START_TIMES]
    await _reply(update, tr.gettext("What time does it start? Choose, or type the time, e.g. 08.30."), _kb([times]))
    return START


async def _ask_end(update: Update, context: BotContext) -> int:
    tr = context.tr
    start = _hhmm(_data(context)["start"])
    times = [(svc.fmt_time(_hhmm(t), tr.lang), f"jadwal:en:{t.replace(':', '')}") for t in END_TIMES
             if _hhmm(t) > start]
    await _reply(update, tr.gettext("Until what time? Choose, or type the time, e.g. 11.00."),
                 _kb([times, [(tr.gettext("No end time"), "jadwal:en:-")]]))
    return END


async def start_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    _data(context)["start"] = callbacks.JADWAL_START.parse(update.callback_query.data).time("time").strftime("%H:%M")
    return await _ask_end(update, context)


async def start_typed(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    value = _typed_time(update.effective_message.text)
    if value is None:
        await update.effective_message.reply_text(svc.rule_error_text("bad_time", context.tr))
        return START
    _data(context)["start"] = value.strftime("%H:%M")
    return await _ask_end(update, context)


async def end_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    data = update.callback_query.data
    end = None if callbacks.JADWAL_NO_END.matches(data) else callbacks.JADWAL_END.parse(data).time("time")
    if end is not None and end <= _hhmm(_data(context)["start"]):
        return await _ask_end(update, context)  # a forged end before the start: ask again
    _data(context)["end"] = end.strftime("%H:%M") if end is not None else None
    return await _confirm_guided(update, context)


async def end_typed(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    tr = context.tr
    value = _typed_time(update.effective_message.text)
    if value is None:
        await update.effective_message.reply_text(svc.rule_error_text("bad_time", tr))
        return END
    if value <= _hhmm(_data(context)["start"]):
        await update.effective_message.reply_text(svc.rule_error_text("end_before_start", tr))
        return END
    _data(context)["end"] = value.strftime("%H:%M")
    return await _confirm_guided(update, context)


async def _confirm_guided(update: Update, context: BotContext) -> int:
    d = _data(context)
    rule = Rule("weekday", _hhmm(d["start"]), _hhmm(d["end"]) if d.get("end") else None,
                weekday=int(d["weekday"]), week=int(d["week"]))
    return await _confirm(update, context, rule)


async def rule_typed(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    try:
        rule = svc.parse_rule(update.effective_message.text[:200])
    except RuleParseError as exc:
        await update.effective_message.reply_text(svc.rule_error_text(exc.code, context.tr))
        return WEEKDAY
    return await _confirm(update, context, rule)


async def _confirm(update: Update, context: BotContext, rule: Rule) -> int:
    tr = context.tr
    d = _data(context)
    d["rule"] = rule.to_json()
    info = await svc.posyandu_info(context.runtime.repos, int(d["pid"]))
    assert info is not None
    preview = svc.upcoming(svc.PosyanduInfo(info.id, info.name, info.place, info.timezone, rule), [],
                           _today(context, info.timezone), 3)
    lines = [tr.gettext("New schedule: {rule}").format(rule=svc.describe_rule(rule, tr)),
             tr.gettext("The next three dates would be:"), *[_session_line(s, tr) for s in preview],
             tr.gettext("Save it?")]
    await _reply(update, "\n".join(lines), _kb([[(tr.gettext("✅ Save"), "jadwal:save"),
                                                (tr.gettext("✖️ Cancel"), "jadwal:back")]]))
    return CONFIRM


@_in_scope
async def save_pressed(update: Update, context: BotContext) -> int:
    assert update.effective_user
    d = _data(context)
    rule = svc.load_rule(d.get("rule"))
    if rule is None:
        return await _card(update, context)
    await context.runtime.repos.posyandu.set_schedule_rule(int(d["pid"]), rule.to_json(),
                                                           actor_id=update.effective_user.id)
    d.pop("rule", None)
    return await _card(update, context, context.tr.gettext("✅ Schedule saved."))


async def back_pressed(update: Update, context: BotContext) -> int:
    return await _card(update, context)


# ------------------------------------------------------------------ one date: move, cancel, add


async def change_pressed(update: Update, context: BotContext) -> int:
    tr = context.tr
    pid = int(_data(context)["pid"])
    info = await svc.posyandu_info(context.runtime.repos, pid)
    assert info is not None
    sessions = await svc.upcoming_sessions(context.runtime.repos, pid, _today(context, info.timezone), 4)
    if not sessions:
        return await _card(update, context, tr.gettext("There is no upcoming session to change."))
    rows = [[(fmt_date(s.date, tr.lang), f"jadwal:d:{s.date.isoformat()}")] for s in sessions]
    rows.append([(tr.gettext("↩️ Back"), "jadwal:back")])
    await _reply(update, tr.gettext("Which date do you want to move or cancel?"), _kb(rows))
    return PICK


async def date_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    tr = context.tr
    day = callbacks.JADWAL_DAY.parse(update.callback_query.data).date("day")
    _data(context)["date"] = day.isoformat()
    await _reply(update, tr.gettext("Posyandu on {date}:").format(date=fmt_date(day, tr.lang)),
                 _kb([[(tr.gettext("➡️ Move to another date"), "jadwal:mv")],
                      [(tr.gettext("❌ Cancel this session (holiday)"), "jadwal:cx")],
                      [(tr.gettext("↩️ Back"), "jadwal:back")]]))
    return ACTION


async def _session_on(context: BotContext, day: dt.date) -> svc.Session | None:
    pid = int(_data(context)["pid"])
    found = await svc.sessions_for(context.runtime.repos, pid, day, day)
    return found[0] if found else None


@_in_scope
async def cancel_session_pressed(update: Update, context: BotContext) -> int:
    assert update.effective_user
    tr = context.tr
    day = dt.date.fromisoformat(_data(context)["date"])
    session = await _session_on(context, day)
    if session is None:
        return await _card(update, context)
    db, pid = context.runtime.db, int(_data(context)["pid"])
    if session.moved_from is not None:
        # A moved session is cancelled where it came from, so the rule does not bring it back.
        await q.delete_session_override(db, pid, session.date)
        await q.set_session_override(db, pid, session.moved_from, SessionStatus.CANCELLED,
                                     actor_id=update.effective_user.id)
    else:
        await q.set_session_override(db, pid, day, SessionStatus.CANCELLED, actor_id=update.effective_user.id)
    return await _card(update, context, tr.gettext("❌ The posyandu of {date} is cancelled.").format(
        date=fmt_date(day, tr.lang)))


async def move_pressed(update: Update, context: BotContext) -> int:
    await _reply(update, context.tr.gettext("Type the new date, e.g. 21/1 or 21 Januari. Or /batal."))
    return NEW_DATE


async def _typed_date(update: Update, context: BotContext) -> dt.date | None:
    """The date typed by the staff member (today or later, within a year); None after explaining the problem."""
    assert update.effective_message and update.effective_message.text
    tr = context.tr
    info = await svc.posyandu_info(context.runtime.repos, int(_data(context)["pid"]))
    assert info is not None
    today = _today(context, info.timezone)
    try:
        day = _future_date(update.effective_message.text[:40], today)
    except ParseError:
        await update.effective_message.reply_text(tr.gettext(
            "I couldn't read that date. Write it like 21/1/2025 or 21 Januari."))
        return None
    if day < today or day > today + dt.timedelta(days=366):
        await update.effective_message.reply_text(tr.gettext(
            "Choose a date from today up to a year ahead, e.g. 21/1."))
        return None
    return day


@_in_scope
async def new_date_typed(update: Update, context: BotContext) -> int:
    assert update.effective_user
    tr = context.tr
    new = await _typed_date(update, context)
    if new is None:
        return NEW_DATE
    old = dt.date.fromisoformat(_data(context)["date"])
    session = await _session_on(context, old)
    if session is None:
        return await _card(update, context)
    if new == old:
        await update.effective_message.reply_text(tr.gettext(  # type: ignore[union-attr]
            "That is the same date. Type another date, or /batal."))
        return NEW_DATE
    if await _session_on(context, new) is not None:
        await update.effective_message.reply_text(tr.gettext(  # type: ignore[union-attr]
            "There is already a posyandu session on that date. Type another date, or /batal."))
        return NEW_DATE
    db, pid, actor = context.runtime.db, int(_data(context)["pid"]), update.effective_user.id
    origin = session.moved_from or old
    if session.moved_from is not None:
        await q.delete_session_override(db, pid, session.date)
    await q.set_session_override(db, pid, origin, SessionStatus.MOVED, moved_to=new, start_time=session.start_time,
                                 end_time=session.end_time, actor_id=actor)
    return await _card(update, context, tr.gettext("✅ The posyandu of {old} is moved to {new}.").format(
        old=fmt_date(old, tr.lang), new=fmt_date(new, tr.lang)))


async def add_pressed(update: Update, context: BotContext) -> int:
    await _reply(update, context.tr.gettext(
        "Type the date of the extra session, e.g. 21/1 or 21 Januari. It uses the usual times. Or /batal."))
    return ADD_DATE


@_in_scope
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
    pid = int(_data(context)["pid"])
    info = await svc.posyandu_info(context.runtime.repos, pid)
    rule = info.rule if info else None
    await q.set_session_override(context.runtime.db, pid, day, SessionStatus.SCHEDULED,
                                 start_time=rule.start if rule else None, end_time=rule.end if rule else None,
                                 actor_id=update.effective_user.id)
    return await _card(update, context, tr.gettext("✅ Extra session added on {date}.").format(
        date=fmt_date(day, tr.lang)))


# ------------------------------------------------------------------ leaving


async def done_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    context.user_data.pop(KEY, None)  # type: ignore[union-attr]
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    assert update.effective_message
    context.user_data.pop(KEY, None)  # type: ignore[union-attr]
    await update.effective_message.reply_text(context.tr.gettext(
        "Cancelled; nothing else was changed. Type /jadwal to open the schedule again."))
    return ConversationHandler.END


async def typed_where_buttons_expected(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(context.tr.gettext(
        "Please choose one of the buttons above, or type /batal to stop."))


def _card_button(action: str) -> Callable[[object], bool]:
    """Pattern for one button of the card (`jadwal:edit`, `jadwal:change`, ...)."""
    return lambda data: callbacks.JADWAL_CARD.matches(data) and callbacks.JADWAL_CARD.parse(
        str(data)).text("action") == action


def register(app: PosyanduApplication) -> None:
    text = filters.TEXT & ~filters.COMMAND
    # Typed as Any: PTB's handler generics are invariant in the callback's return type, and a state list
    # mixes handlers returning int and None.
    buttons_only: Any = MessageHandler(text, typed_where_buttons_expected)
    back: Any = CallbackQueryHandler(back_pressed, pattern=callbacks.JADWAL_BACK.matches)
    conversation: ConversationHandler[BotContext] = ConversationHandler(
        entry_points=[CommandHandler("jadwal", jadwal)],
        states={
            CHOOSE: [CallbackQueryHandler(chosen, pattern=callbacks.JADWAL_POSYANDU.matches),
                     MessageHandler(text, choose_typed)],
            CARD: [CallbackQueryHandler(edit_pressed, pattern=_card_button("edit")),
                   CallbackQueryHandler(change_pressed, pattern=_card_button("change")),
                   CallbackQueryHandler(add_pressed, pattern=_card_button("add")),
                   CallbackQueryHandler(done_pressed, pattern=_card_button("done")), buttons_only],
            WEEKDAY: [CallbackQueryHandler(weekday_pressed, pattern=callbacks.JADWAL_WEEKDAY.matches),
                      MessageHandler(text, rule_typed), back],
            WEEK: [CallbackQueryHandler(week_pressed, pattern=callbacks.JADWAL_WEEK.matches), back, buttons_only],
            START: [CallbackQueryHandler(start_pressed, pattern=callbacks.JADWAL_START.matches),
                    MessageHandler(text, start_typed), back],
            END: [CallbackQueryHandler(end_pressed, pattern=lambda d: callbacks.JADWAL_END.matches(d)
                                       or callbacks.JADWAL_NO_END.matches(d)),
                  MessageHandler(text, end_typed), back],
            CONFIRM: [CallbackQueryHandler(save_pressed, pattern=callbacks.JADWAL_SAVE.matches), back, buttons_only],
            PICK: [CallbackQueryHandler(date_pressed, pattern=callbacks.JADWAL_DAY.matches), back, buttons_only],
            ACTION: [CallbackQueryHandler(move_pressed, pattern=callbacks.JADWAL_MOVE.matches),
                     CallbackQueryHandler(cancel_session_pressed, pattern=callbacks.JADWAL_CANCEL_DAY.matches), back,
                     buttons_only],
            NEW_DATE: [MessageHandler(text, new_date_typed), back],
            ADD_DATE: [MessageHandler(text, add_date_typed), back],
        },
        fallbacks=[CommandHandler(["batal", "cancel"], cancel)],
        name="jadwal",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(CallbackQueryHandler(optout_pressed, pattern=callbacks.JADWAL_OPT.matches))
    start_jobs(app)
