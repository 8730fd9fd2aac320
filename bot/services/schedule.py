"""Posyandu schedules: recurring rules ("Selasa minggu ke-2, 08.00–11.00"), one-off changes, next sessions.

The pure part (parsing a typed rule, storing it as JSON in `posyandu.schedule_rule`, computing the
sessions in a date range with the one-off changes applied) has no I/O, so it is tested table-driven and
with hypothesis. The async helpers at the bottom read the posyandu and its one-off changes from the
database; `next_session(repos, posyandu_id, after)` is the entry point other journeys call.

Meaning of rows in `posyandu_sessions` (one per posyandu and date):
- status `scheduled`: an explicit session on `session_date` (an extra date, or a rule date with other times);
- status `cancelled`: the rule's session on `session_date` does not take place (holiday);
- status `moved`: the session of `session_date` takes place on `moved_to` instead.
Times come from the row when given, else from the rule (08.00 when there is neither).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_time

from bot.i18n import N_, fmt_date
from storage import reminders_queries as q
from storage.models import PosyanduSession, SessionStatus

if TYPE_CHECKING:
    from storage.db import Database

DEFAULT_START = dt.time(8, 0)
LAST_WEEK = -1  # "minggu terakhir": the last such weekday of the month
RuleKind = Literal["weekday", "monthday"]

# ------------------------------------------------------------------ the rule


@dataclass(frozen=True)
class Rule:
    """A monthly rule: the n-th (or last) weekday of the month, or a day of the month; with times.

    weekday: 0 = Monday ... 6 = Sunday (Python's convention). week: 1–4 or LAST_WEEK. day: 1–31 (a day
    past the end of a short month means that month's last day, so "tanggal 31" still happens in February).
    """

    kind: RuleKind
    start: dt.time
    end: dt.time | None = None
    weekday: int | None = None
    week: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.kind == "weekday":
            if self.weekday is None or not 0 <= self.weekday <= 6:
                raise ValueError("weekday must be 0..6")
            if self.week is None or self.week not in (1, 2, 3, 4, LAST_WEEK):
                raise ValueError("week must be 1..4 or -1 (last)")
        elif self.kind == "monthday":
            if self.day is None or not 1 <= self.day <= 31:
                raise ValueError("day must be 1..31")
        else:
            raise ValueError(f"unknown rule kind {self.kind!r}")
        if self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")

    # -- storage format: small JSON, versioned so the format can grow

    def to_json(self) -> str:
        data: dict[str, Any] = {"v": 1, "kind": self.kind, "start": self.start.strftime("%H:%M")}
        if self.end is not None:
            data["end"] = self.end.strftime("%H:%M")
        if self.kind == "weekday":
            data["weekday"], data["week"] = self.weekday, self.week
        else:
            data["day"] = self.day
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Rule:
        data = json.loads(text)
        end = data.get("end")
        return cls(kind=data["kind"], start=dt.time.fromisoformat(data["start"]),
                   end=dt.time.fromisoformat(end) if end else None,
                   weekday=data.get("weekday"), week=data.get("week"), day=data.get("day"))

    # -- dates

    def date_in_month(self, year: int, month: int) -> dt.date:
        """The rule's date in that month (every rule has exactly one per month)."""
        days = calendar.monthrange(year, month)[1]
        if self.kind == "monthday":
            assert self.day is not None
            return dt.date(year, month, min(self.day, days))
        assert self.weekday is not None and self.week is not None
        if self.week == LAST_WEEK:
            last = dt.date(year, month, days)
            return last - dt.timedelta(days=(last.weekday() - self.weekday) % 7)
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.week - 1))

    def dates_between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Rule dates d with start <= d <= end, in order."""
        out: list[dt.date] = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            d = self.date_in_month(year, month)
            if start <= d <= end:
                out.append(d)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


def load_rule(text: str | None) -> Rule | None:
    """The rule stored on a posyandu, or None (no rule, or a value this version cannot read).

    Stored as JSON (`Rule.to_json`); the words a person types ("Selasa minggu ke-2 08.00-11.00") are read
    too, because older versions of `posyandu add --schedule` stored them as given, and those posyandu
    silently had no schedule and no reminders.
    """
    if not text:
        return None
    try:
        return Rule.from_json(text)
    except (ValueError, KeyError, TypeError):
        pass
    try:
        return parse_rule(text)
    except RuleParseError:
        return None


def read_rule(text: str) -> Rule:
    """A rule given by an operator: the stored JSON form, or the words /jadwal accepts; RuleParseError else."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            return Rule.from_json(stripped)
        except (ValueError, KeyError, TypeError):
            raise RuleParseError("no_day") from None
    return parse_rule(stripped)


# ------------------------------------------------------------------ parsing a typed rule


class RuleParseError(ValueError):
    """`code`: no_day, no_time, bad_time, end_before_start, bad_week, bad_day."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


RULE_ERRORS: dict[str, str] = {
    "no_day": N_("I couldn't find the day. Write the weekday and the week, e.g. “Selasa minggu ke-2 08.00-11.00”, "
                 "or a date of the month, e.g. “tanggal 15 08.00”."),
    "no_time": N_("I couldn't find the time. Add the start time, e.g. “Selasa minggu ke-2 08.00-11.00”."),
    "bad_time": N_("That time is not valid. Write it like 08.00 or 8:30."),
    "end_before_start": N_("The end time must be after the start time, e.g. 08.00-11.00."),
    "bad_week": N_("The week must be 1 to 4, or “terakhir” (last), e.g. “Selasa minggu ke-2”."),
    "bad_day": N_("The date of the month must be between 1 and 31, e.g. “tanggal 15”."),
}

def rule_error_text(code: str, tr: Any) -> str:
    """The translated explanation of a RuleParseError code."""
    return str(tr.gettext(RULE_ERRORS[code]))


WEEKDAY_WORDS: dict[str, int] = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "jumaat": 4, "sabtu": 5,
    "minggu": 6, "ahad": 6,
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "thursday": 3, "thu": 3,
    "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}
_ORDINALS: dict[str, int] = {
    "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "pertama": 1, "kesatu": 1, "satu": 1, "kedua": 2, "dua": 2,
    "ketiga": 3, "tiga": 3, "keempat": 4, "empat": 4, "kelima": 5, "lima": 5, "terakhir": LAST_WEEK,
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
    "5th": 5, "last": LAST_WEEK,
}
_ORD = "|".join(sorted((re.escape(k) for k in _ORDINALS), key=len, reverse=True))
_WEEK_RE = re.compile(rf"\b(?:minggu|pekan|week)\s*(?:ke)?\s*-?\s*({_ORD})\b")
_WEEK_ALONE_RE = re.compile(rf"(?:\bke\s*-?\s*(\d)\b|\b({_ORD})\b)")
_DAY_RE = re.compile(r"\b(?:tanggal|tgl|day|date)\.?\s*(\d{1,2})\b")
_TIME = r"(\d{1,2})(?:[.:](\d{2}))?"
_RANGE_RE = re.compile(rf"{_TIME}\s*(?:-|–|—|s\.?\s*d\.?|sampai|hingga|until|to)\s*{_TIME}")
_CLOCK_RE = re.compile(r"(\d{1,2})[.:](\d{2})")
_AT_RE = re.compile(rf"\b(?:jam|pukul|pkl|at)\.?\s*{_TIME}")
_WORD_RE = re.compile(r"[a-z']+")


def _time(h: str, m: str | None) -> dt.time:
    hour, minute = int(h), int(m or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise RuleParseError("bad_time")
    return dt.time(hour, minute)


def _parse_times(s: str) -> tuple[dt.time, dt.time | None]:
    if m := _RANGE_RE.search(s):
        start, end = _time(m.group(1), m.group(2)), _time(m.group(3), m.group(4))
        if end <= start:
            raise RuleParseError("end_before_start")
        return start, end
    if m := _AT_RE.search(s):
        return _time(m.group(1), m.group(2)), None
    if m := _CLOCK_RE.search(s):
        return _time(m.group(1), m.group(2)), None
    raise RuleParseError("no_time")


def parse_rule(text: str) -> Rule:
    """Read a rule typed in Indonesian or English.

    Accepts e.g. "Selasa minggu ke-2 setiap bulan, 08:00–11:00", "selasa kedua jam 8-11",
    "Jumat terakhir pukul 08.30", "tanggal 15, 09.00 s.d. 12.00", "2nd Tuesday 8:00-11:00", "day 5 at 9".
    Time zone words (WIB/WITA/WIT) are ignored: the time zone belongs to the posyandu.
    """
    s = " ".join(text.lower().replace("’", "'").split())
    s = re.sub(r"\b(wib|wita|wit)\b", " ", s)
    # The time is read from what remains once the day part is cut out, so "ke-2" is not read as 2 o'clock.
    if m := _DAY_RE.search(s):
        day = int(m.group(1))
        if not 1 <= day <= 31:
            raise RuleParseError("bad_day")
        rest = s[:m.start()] + " " + s[m.end():]
        start, end = _parse_times(rest)
        return Rule(kind="monthday", day=day, start=start, end=end)
    week: int | None = None
    rest = s
    if m := _WEEK_RE.search(rest):
        week = _ORDINALS[m.group(1)]
        rest = rest[:m.start()] + " " + rest[m.end():]  # "minggu" here meant "week", not Sunday
    weekday: int | None = None
    for word in _WORD_RE.findall(rest):
        if word in WEEKDAY_WORDS:
            weekday = WEEKDAY_WORDS[word]
            rest = re.sub(rf"\b{re.escape(word)}\b", " ", rest, count=1)
            break
    if weekday is None:
        raise RuleParseError("no_day")
    if week is None and (m := _WEEK_ALONE_RE.search(rest)):
        week = int(m.group(1)) if m.group(1) else _ORDINALS[m.group(2)]
        rest = rest[:m.start()] + " " + rest[m.end():]
    if week is None:
        raise RuleParseError("bad_week")
    if week == 5:
        raise RuleParseError("bad_week")
    start, end = _parse_times(rest)
    return Rule(kind="weekday", weekday=weekday, week=week, start=start, end=end)


# ------------------------------------------------------------------ describing


WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
                 N_("Sunday"))
WEEK_NAMES = {1: N_("1st"), 2: N_("2nd"), 3: N_("3rd"), 4: N_("4th"), LAST_WEEK: N_("last")}


def fmt_time(value: dt.time, lang: str) -> str:
    """`08.00` in Indonesian, `08:00` in English."""
    return format_time(value, "HH.mm" if lang == "id" else "HH:mm", locale=lang)


def fmt_hours(start: dt.time | None, end: dt.time | None, lang: str) -> str:
    """`08.00–11.00` (or just `08.00`)."""
    text = fmt_time(start or DEFAULT_START, lang)
    return f"{text}–{fmt_time(end, lang)}" if end else text


def describe_rule(rule: Rule, tr: Any) -> str:
    """"Selasa minggu ke-2 setiap bulan, pukul 08.00–11.00"."""
    hours = fmt_hours(rule.start, rule.end, tr.lang)
    if rule.kind == "weekday":
        assert rule.weekday is not None and rule.week is not None
        text: str = tr.gettext("{weekday} of the {week} week of every month, {hours}")
        return text.format(weekday=tr.gettext(WEEKDAY_NAMES[rule.weekday]),
                           week=tr.gettext(WEEK_NAMES[rule.week]), hours=hours)
    text = tr.gettext("Day {day} of every month, {hours}")
    return text.format(day=rule.day, hours=hours)


# ------------------------------------------------------------------ sessions


@dataclass(frozen=True)
class Session:
    """One posyandu session, local date and times in the posyandu's time zone."""

    posyandu_id: int
    date: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    place: str
    timezone: str = "Asia/Jakarta"
    moved_from: dt.date | None = None
    note: str | None = None
    posyandu_name: str = field(default="", compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def starts_at(self) -> dt.datetime:
        """Aware start time (08.00 local when no time is known)."""
        return dt.datetime.combine(self.date, self.start_time or DEFAULT_START, tzinfo=self.tz)

    def when(self, tr: Any) -> str:
        """"Selasa, 14 Januari 2025, pukul 08.00–11.00"."""
        text: str = tr.gettext("{date}, at {hours}")
        return text.format(date=fmt_date(self.date, tr.lang), hours=fmt_hours(self.start_time, self.end_time, tr.lang))


@dataclass(frozen=True)
class PosyanduInfo:
    """What session computation needs to know about a posyandu."""

    id: int
    name: str
    place: str
    timezone: str
    rule: Rule | None


def sessions_between(info: PosyanduInfo, overrides: Iterable[PosyanduSession], start: dt.date,
                     end: dt.date) -> list[Session]:
    """Sessions with start <= date <= end: the rule's dates with the one-off changes applied, in date order.

    `overrides` must contain every row whose `session_date` or `moved_to` lies in the range.
    """
    rows = {o.session_date: o for o in overrides}
    rule = info.rule
    found: dict[dt.date, Session] = {}

    def make(day: dt.date, row: PosyanduSession | None, moved_from: dt.date | None = None) -> Session:
        start_time: dt.time | None
        end_time: dt.time | None
        if row is not None and row.start_time is not None:  # the row's own times replace the rule's
            start_time, end_time = row.start_time, row.end_time
        else:
            start_time, end_time = (rule.start, rule.end) if rule else (None, None)
        return Session(posyandu_id=info.id, date=day, start_time=start_time, end_time=end_time, place=info.place,
                       timezone=info.timezone, moved_from=moved_from, note=row.note if row else None,
                       posyandu_name=info.name)

    if rule is not None:
        for day in rule.dates_between(start, end):
            if day not in rows:
                found[day] = make(day, None)
    # storage's SessionRepository.move writes both a `moved` row and a `scheduled` row on the new date;
    # a lone `moved` row (set_session_override) is enough too. Either way the session keeps `moved_from`.
    moved_onto = {o.moved_to: o.session_date for o in rows.values()
                  if o.status == SessionStatus.MOVED and o.moved_to is not None}
    for row in rows.values():
        if row.status == SessionStatus.SCHEDULED and start <= row.session_date <= end:
            found[row.session_date] = make(row.session_date, row, moved_onto.get(row.session_date))
        elif (row.status == SessionStatus.MOVED and row.moved_to and start <= row.moved_to <= end
              and (row.moved_to not in rows or rows[row.moved_to].status != SessionStatus.SCHEDULED)):
            found[row.moved_to] = make(row.moved_to, row, moved_from=row.session_date)
    return [found[d] for d in sorted(found)]


def upcoming(info: PosyanduInfo, overrides: Sequence[PosyanduSession], after: dt.date, count: int = 3,
             *, horizon_days: int = 400) -> list[Session]:
    """The first `count` sessions on `after` or later (within `horizon_days`)."""
    return sessions_between(info, overrides, after, after + dt.timedelta(days=horizon_days))[:count]


# ------------------------------------------------------------------ async helpers over the database


def _db_of(repos: Any) -> Database:
    """Repositories share one Database; any repository exposes it as `.db`."""
    db = getattr(repos, "db", None)
    if db is None:
        db = repos.posyandu.db
    return db


def info_of(row: q.PosyanduRow) -> PosyanduInfo:
    """A posyandu with its schedule rule read (storage keeps the rule as text)."""
    return PosyanduInfo(id=row.id, name=row.name, place=row.address or row.name, timezone=row.timezone,
                        rule=load_rule(row.schedule_rule))


async def active_posyandu_infos(db: Any) -> list[PosyanduInfo]:
    return [info_of(r) for r in await q.active_posyandu_rows(db)]


async def _info(db: Any, posyandu_id: int) -> PosyanduInfo | None:
    row = await q.posyandu_row(db, posyandu_id)
    return info_of(row) if row is not None else None


async def posyandu_info(repos: Any, posyandu_id: int) -> PosyanduInfo | None:

    return await _info(_db_of(repos), posyandu_id)


async def sessions_for(repos: Any, posyandu_id: int, start: dt.date, end: dt.date) -> list[Session]:
    db = _db_of(repos)
    info = await _info(db, posyandu_id)
    if info is None:
        return []
    return sessions_between(info, await q.session_overrides(db, [posyandu_id], start, end), start, end)


async def upcoming_sessions(repos: Any, posyandu_id: int, after: dt.date, count: int = 3) -> list[Session]:
    """The next `count` sessions of the posyandu on `after` or later."""
    db = _db_of(repos)
    info = await _info(db, posyandu_id)
    if info is None:
        return []
    end = after + dt.timedelta(days=400)
    return upcoming(info, await q.session_overrides(db, [posyandu_id], after, end), after, count)


async def next_session(repos: Any, posyandu_id: int, after: dt.date) -> Session | None:
    """The posyandu's next session on `after` or later (pass tomorrow to skip today's), or None.

    None when the posyandu has no rule and no explicit dates ahead, or does not exist.
    """
    found = await upcoming_sessions(repos, posyandu_id, after, 1)
    return found[0] if found else None


# ------------------------------------------------------------------ changes made in /jadwal


async def set_opt_out(db: Database, user_id: int, opted_out: bool) -> None:
    """A parent turns reminders and tips off (True) or on again (False) from /jadwal."""
    await q.set_opt_out(db, user_id, opted_out)


async def cancel_session(db: Database, posyandu_id: int, session: Session, day: dt.date, *, actor_id: int) -> None:
    """Cancel the session on `day` (a holiday)."""
    if session.moved_from is not None:
        # A moved session is cancelled where it came from, so the rule does not bring it back.
        await q.delete_session_override(db, posyandu_id, session.date)
        await q.set_session_override(db, posyandu_id, session.moved_from, SessionStatus.CANCELLED,
                                     actor_id=actor_id)
    else:
        await q.set_session_override(db, posyandu_id, day, SessionStatus.CANCELLED, actor_id=actor_id)


async def move_session(db: Database, posyandu_id: int, session: Session, old: dt.date, new: dt.date, *,
                       actor_id: int) -> None:
    """Move the session on `old` to `new`, keeping its times; a session moved before is moved from its origin."""
    origin = session.moved_from or old
    if session.moved_from is not None:
        await q.delete_session_override(db, posyandu_id, session.date)
    await q.set_session_override(db, posyandu_id, origin, SessionStatus.MOVED, moved_to=new,
                                 start_time=session.start_time, end_time=session.end_time, actor_id=actor_id)


async def add_session(db: Database, posyandu_id: int, day: dt.date, rule: Rule | None, *, actor_id: int) -> None:
    """An extra session on `day`, at the usual times of `rule` (if any)."""
    await q.set_session_override(db, posyandu_id, day, SessionStatus.SCHEDULED,
                                 start_time=rule.start if rule else None, end_time=rule.end if rule else None,
                                 actor_id=actor_id)
