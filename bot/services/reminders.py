"""Reminders and scheduled pushes: what is due now, idempotency keys, and dispatch that never double-sends.

How a run works (`run_due`, called by one repeating JobQueue job and directly by tests):
1. From the database and the clock, list every reminder whose send window contains "now" (posyandu
   sessions of each posyandu in its own time zone, children's ages, the week for tips).
2. Each has an idempotency key (recipient + reminder + date). Keys already in `reminders_sent` are dropped;
   the rest are rendered in the recipient's language and *claimed*: inserted as `pending` rows holding the
   text (UNIQUE key, so two runs can never both claim one).
3. Every `pending` row is sent — including ones claimed by a run that crashed — unless the recipient is in
   quiet hours (postponed to a later run) or the row has expired; then marked `sent`. A 403 marks the user
   inactive; a 429 that outlives PTB's AIORateLimiter retries stops the run (the rest waits for the next).
   Several workers (docs/workers.md): the pending rows are claimed a batch at a time with a lease, and a row is
   sent only by the worker still holding it; a killed worker's batch is sent by another once its lease lapses
   (at once by a restarted worker of the same WORKER_ID).

So a restart neither skips (pending rows are retried) nor repeats (sent rows are never sent again). The one
window left is a crash between Telegram accepting a message and our commit of `sent`: that message is sent
again after the restart. We accept that rare duplicate over the alternative, a missed posyandu reminder.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import html
import importlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.clock import Clock
from bot.growth import immunisation
from bot.growth.age import age_text
from bot.growth.immunisation import add_months
from bot.i18n import Translator, fmt_date, get_translator
from bot.services.schedule import PosyanduInfo, Session, active_posyandu_infos, sessions_between
from bot.workers import Worker, worker_of
from storage import reminders_queries as q
from storage import work_queries as wq
from storage.db import Database
from storage.reminders_queries import Claim, ParentChild, Pending

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ policy (local times of the recipient)

PARENT_H1_AT = dt.time(16, 0)  # the afternoon before
PARENT_DAY_AT = dt.time(6, 30)  # the morning of the posyandu day
CADRE_H1_AT = dt.time(16, 0)
FOLLOWUP_AT = dt.time(16, 0)  # end of the session week (its Saturday)
IMMUNISATION_AT = dt.time(16, 0)
IMMUNISATION_WINDOW_DAYS = 14  # a child registered late does not get reminders for long-past vaccines
VITAMIN_A_AT = dt.time(16, 0)
VITAMIN_A_DAYS_BEFORE = 3  # before the month's posyandu, so it does not coincide with the H-1 reminder
TIP_WEEKDAY = 6  # Sunday (Python: Monday = 0)
TIP_AT = dt.time(9, 0)
QUIET_FROM = dt.time(21, 0)
QUIET_UNTIL = dt.time(6, 0)
UNDER_FIVE_MONTHS = 60
MAX_ATTEMPTS = 5  # network errors before a row is given up as failed
SEND_CONCURRENCY = 8  # AIORateLimiter paces the whole bot; this only overlaps network round trips
CLAIM_BATCH = 200  # rows one worker claims at a time: well within a lease at its share of 30/s
MAX_LISTED = 30  # children listed in a cadre's message before "and N more"

ON_THE_DAY = "on_the_day"  # extra of a day-before reminder: {"date": session day, "text": wording for that day}

# Kinds (stored in reminders_sent.kind and used in the keys).
PARENT_H1 = "parent_h1"
PARENT_DAY = "parent_day"
CADRE_H1 = "cadre_h1"
CADRE_FOLLOWUP = "cadre_followup"
IMMUNISATION = "immunisation"
VITAMIN_A = "vitamin_a"
TIP = "tip"

IMMUNISATION_DEADLINE = "immunisation_deadline"
# (immunisation_overdue and deworming: bot.services.immunisation_reminders)
# The immunisation schedule, its catch-up limits and the vitamin A rounds are data with their sources in
# bot.growth.immunisation (docs/clinical-rules.md §7). HB0 is given at birth in the health facility and JE only in
# some districts: neither is reminded.


# ------------------------------------------------------------------ pure helpers


def local(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=tz)


def in_quiet_hours(moment: dt.datetime, tz: ZoneInfo) -> bool:
    """21.00–06.00 in the recipient's zone: no pushes (they wait, they are not dropped)."""
    t = moment.astimezone(tz).time()
    return t >= QUIET_FROM or t < QUIET_UNTIL


def age_months(birth: dt.date, on: dt.date) -> int:
    """Completed calendar months (as parents count them)."""
    return immunisation.completed_months(birth, on)


def followup_date(session_day: dt.date) -> dt.date:
    """The Saturday that ends the session's week (the next one when the session is on Saturday or Sunday)."""
    ahead = (5 - session_day.weekday()) % 7
    return session_day + dt.timedelta(days=ahead or 7)


def followup_since(session_day: dt.date) -> dt.date:
    """Measurements from this day on count as "weighed for this session" (its month, or its week if earlier)."""
    monday = session_day - dt.timedelta(days=session_day.weekday())
    return min(session_day.replace(day=1), monday)


def tip_day(today: dt.date) -> dt.date:
    """The tip day of the ISO week containing `today`."""
    return today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=TIP_WEEKDAY)


def key(kind: str, recipient_id: int, *parts: object) -> str:
    """Idempotency key: one per recipient + reminder + date (or child/month)."""
    return ":".join([kind, str(recipient_id), *(str(p) for p in parts)])


# ------------------------------------------------------------------ rendering (recipient's language)


def _names(children: Sequence[ParentChild], tr: Translator) -> str:
    names = [f"<b>{html.escape(c.child_name)}</b>" for c in children]
    if len(names) == 1:
        return names[0]
    return tr.gettext("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def _where(session: Session) -> str:
    name = html.escape(session.posyandu_name)
    if session.place and session.place != session.posyandu_name:
        return f"📍 {name}, {html.escape(session.place)}"
    return f"📍 {name}"


def _moved_line(session: Session, tr: Translator) -> list[str]:
    if session.moved_from is None:
        return []
    return [tr.gettext("⚠️ Please note: this session was moved from {date}.").format(
        date=fmt_date(session.moved_from, tr.lang))]


def render_parent_h1(session: Session, children: Sequence[ParentChild], tr: Translator) -> str:
    lines = [tr.gettext("🔔 Tomorrow is posyandu day!"), "🗓 " + session.when(tr), _where(session),
             *_moved_line(session, tr),
             tr.gettext("Please bring {children} and the Buku KIA.").format(children=_names(children, tr)),
             "", tr.gettext("To stop reminders, open /jadwal.")]
    return "\n".join(lines)


def render_parent_day(session: Session, children: Sequence[ParentChild], tr: Translator) -> str:
    lines = [tr.gettext("☀️ Good morning! Posyandu is today."), "🗓 " + session.when(tr), _where(session),
             *_moved_line(session, tr),
             tr.gettext("{children} will be weighed and measured. See you there!").format(
                 children=_names(children, tr))]
    return "\n".join(lines)


def _child_lines(children: Sequence[q.ChildRow], on: dt.date, tr: Translator) -> list[str]:
    lines = [f"• {html.escape(c.code)} {html.escape(c.name)} ({age_text(max(0, (on - c.birth_date).days), tr)})"
             for c in children[:MAX_LISTED]]
    if len(children) > MAX_LISTED:
        lines.append(tr.gettext("… and {n} more. Type /daftar for the full list.").format(
            n=len(children) - MAX_LISTED))
    return lines


def render_cadre_h1(session: Session, children: Sequence[q.ChildRow], tr: Translator, *,
                    on_the_day: bool = False) -> str:
    """The cadre's list the day before; `on_the_day`: the same list when it could only go out on the day."""
    head = tr.gettext("📋 Today: posyandu {posyandu}") if on_the_day else tr.gettext("📋 Tomorrow: posyandu {posyandu}")
    lines = [head.format(posyandu=html.escape(session.posyandu_name)),
             "🗓 " + session.when(tr), *_moved_line(session, tr)]
    if children:
        lines.append(tr.ngettext("{n} child to weigh:", "{n} children to weigh:", len(children)).format(
            n=len(children)))
        lines += _child_lines(children, session.date, tr)
    else:
        lines.append(tr.gettext("No children registered yet. Register them with /anak_baru."))
    return "\n".join(lines)


def render_cadre_followup(session: Session, missing: Sequence[q.ChildRow], tr: Translator) -> str:
    head = tr.ngettext("⚠️ {n} child not yet weighed since the posyandu of {date} ({posyandu}):",
                       "⚠️ {n} children not yet weighed since the posyandu of {date} ({posyandu}):", len(missing))
    lines = [head.format(n=len(missing), date=fmt_date(session.date, tr.lang),
                         posyandu=html.escape(session.posyandu_name)),
             *_child_lines(missing, session.date, tr),
             tr.gettext("Please visit them or remind their parents. Enter the results with /ukur.")]
    return "\n".join(lines)


def render_tip(child: ParentChild, text: str, tr: Translator) -> str:
    """`text` is plain text (bot.services.tips): escaped for HTML parse mode."""
    title = tr.gettext("💡 Tip of the week for {child}:").format(child=f"<b>{html.escape(child.child_name)}</b>")
    return f"{title}\n{html.escape(text)}"


# ------------------------------------------------------------------ what is due now


class TipsService(Protocol):
    async def next_tip(self, repos: Any, user_id: int, child_id: int, today: dt.date, lang: str) -> Any: ...

    async def mark_sent(self, repos: Any, user_id: int, tip_id: Any, when: dt.datetime) -> None: ...


def tips_service() -> Any | None:
    """The parent engineer's `bot.services.tips` (next_tip / mark_sent), or None while it does not exist."""
    try:
        return importlib.import_module("bot.services.tips")
    except ImportError:
        return None


@dataclass
class _Candidate:
    """A reminder whose window contains now; rendered only when its key is new (rendering may query)."""

    key: str
    recipient_id: int
    kind: str
    tz: str
    due_at: dt.datetime
    expires_at: dt.datetime
    render: Callable[[], Any]  # async () -> (text, extra) or None (nothing to send)


# Journeys with pushes of their own (a sponsor's monthly report, issue 14) add a collector here in their register():
# async (db, repos, now) -> the candidates whose window contains now. Claimed and sent like every other reminder.
Collector = Callable[[Database, Any, dt.datetime], Awaitable[list[_Candidate]]]
COLLECTORS: list[Collector] = []


def _by_user(links: Sequence[ParentChild]) -> dict[int, list[ParentChild]]:
    grouped: dict[int, list[ParentChild]] = defaultdict(list)
    for link in links:
        grouped[link.user_id].append(link)
    return grouped


def _window(due: dt.datetime, expires: dt.datetime, now: dt.datetime) -> bool:
    return due <= now < expires


# Reminders of other journeys (follow-up case deadlines, bot.services.case_reminders): each source is asked every
# run for its candidates, which then go through the same claim, quiet hours and send as the posyandu reminders.
Candidate = _Candidate
CandidateSource = Callable[[Database, Any, dt.datetime], Awaitable[list[_Candidate]]]
CANDIDATE_SOURCES: list[CandidateSource] = []


async def collect_due(db: Database, repos: Any, now: dt.datetime) -> list[_Candidate]:
    """Every reminder whose send window contains `now` (already-sent ones included; the caller filters)."""
    extra: list[_Candidate] = []
    for source in CANDIDATE_SOURCES:
        extra += await source(db, repos, now)
    return extra + await _posyandu_due(db, repos, now)


async def _posyandu_due(db: Database, repos: Any, now: dt.datetime) -> list[_Candidate]:
    infos = await active_posyandu_infos(db)
    if not infos:
        return []
    ids = [i.id for i in infos]
    # Imported here: it builds on this module's candidates (and this module on it).
    from bot.services import immunisation_reminders as imm
    from bot.services.services_due import load_rounds

    years = sorted({(now + dt.timedelta(hours=h)).year for h in (-12, 12)})
    rounds = await load_rounds(repos, ids, years)
    span_from = now.date() - dt.timedelta(days=40)
    span_to = now.date() + dt.timedelta(days=40)
    overrides = await q.session_overrides(db, ids, span_from, span_to)
    by_pos: dict[int, list[Any]] = defaultdict(list)
    for o in overrides:
        by_pos[o.posyandu_id].append(o)
    parents = await q.parents_of_posyandu(db, ids)
    parents_by_pos: dict[int, list[ParentChild]] = defaultdict(list)
    for link in parents:
        parents_by_pos[link.posyandu_id].append(link)
    cadres = await q.cadres_of_posyandu(db, ids)
    cadres_by_pos: dict[int, list[q.Staff]] = defaultdict(list)
    for c in cadres:
        cadres_by_pos[c.posyandu_id].append(c)

    out: list[_Candidate] = []
    tips_seen: set[int] = set()
    for info in infos:
        tz = ZoneInfo(info.timezone)
        today = now.astimezone(tz).date()
        month_start = today.replace(day=1)
        month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
        sessions = sessions_between(info, by_pos[info.id], min(today - dt.timedelta(days=10), month_start),
                                    max(today + dt.timedelta(days=35), month_end))
        nxt = next((s for s in sessions if s.date >= today), None)
        families = _by_user(parents_by_pos[info.id])
        for s in sessions:
            out += _session_candidates(db, info, s, tz, now, families, cadres_by_pos[info.id])
        # Immunisation, vitamin A and deworming from the children's records (issue 14).
        out += imm.immunisation_candidates(repos, info, tz, today, now, families, nxt)
        out += imm.deadline_candidates(repos, info, tz, today, now, families, nxt)
        in_month = [s for s in sessions if s.date.year == today.year and s.date.month == today.month]
        out += imm.round_candidates(repos, info, tz, today, now, families, in_month, rounds)
        out += _tip_candidates(repos, info, tz, today, now, families, tips_seen)
    for collect in COLLECTORS:
        out += await collect(db, repos, now)
    return out


def _session_candidates(db: Database, info: PosyanduInfo, s: Session, tz: ZoneInfo, now: dt.datetime,
                        families: dict[int, list[ParentChild]], cadres: Sequence[q.Staff]) -> list[_Candidate]:
    out: list[_Candidate] = []
    eve = s.date - dt.timedelta(days=1)
    tzname = info.timezone
    starts = s.starts_at
    ends = dt.datetime.combine(s.date, s.end_time, tzinfo=tz) if s.end_time else starts + dt.timedelta(hours=3)

    def family_candidate(kind: str, uid: int, kids: list[ParentChild], due: dt.datetime,
                         expires: dt.datetime, renderer: Callable[[Session, Sequence[ParentChild], Translator], str]
                         ) -> _Candidate:
        async def render() -> tuple[str, dict[str, Any]]:
            return renderer(s, kids, get_translator(kids[0].language)), {}
        return _Candidate(key(kind, uid, info.id, s.date.isoformat()), uid, kind, tzname, due, expires, render)

    # "Tomorrow is posyandu day!" is only true until midnight; after that the morning reminder (06.30) says
    # what is true, so a day-before reminder that missed the evening (bot down, quiet hours) is dropped.
    h1_due, h1_exp = local(eve, PARENT_H1_AT, tz), local(s.date, dt.time(0, 0), tz)
    day_due = local(s.date, PARENT_DAY_AT, tz)
    for due, expires, kind, renderer in ((h1_due, h1_exp, PARENT_H1, render_parent_h1),
                                         (day_due, ends, PARENT_DAY, render_parent_day)):
        if not _window(due, expires, now):
            continue
        for uid, links in families.items():
            kids = [c for c in links if age_months(c.birth_date, s.date) < UNDER_FIVE_MONTHS]
            if kids:
                out.append(family_candidate(kind, uid, kids, due, expires, renderer))

    cadre_due = local(eve, CADRE_H1_AT, tz)
    if _window(cadre_due, starts, now):
        for staff in cadres:
            async def render_h1(staff: q.Staff = staff) -> tuple[str, dict[str, Any]]:
                # The cadre has no morning reminder, so a list that misses the evening still goes out (until
                # the session starts), worded for the day it arrives on: both wordings are kept with the claim.
                kids = await q.children_of_posyandu(db, info.id, add_months(s.date, -UNDER_FIVE_MONTHS))
                tr = get_translator(staff.language)
                on_the_day = render_cadre_h1(s, kids, tr, on_the_day=True)
                late = {ON_THE_DAY: {"date": s.date.isoformat(), "text": on_the_day}}
                if now.astimezone(tz).date() >= s.date:
                    return on_the_day, late
                return render_cadre_h1(s, kids, tr), late
            out.append(_Candidate(key(CADRE_H1, staff.user_id, info.id, s.date.isoformat()), staff.user_id,
                                  CADRE_H1, tzname, cadre_due, starts, render_h1))

    fday = followup_date(s.date)
    f_due = local(fday, FOLLOWUP_AT, tz)
    f_exp = f_due + dt.timedelta(days=3)
    if _window(f_due, f_exp, now):
        for staff in cadres:
            async def render_followup(staff: q.Staff = staff) -> tuple[str, dict[str, Any]] | None:
                kids = await q.children_of_posyandu(db, info.id, add_months(s.date, -UNDER_FIVE_MONTHS))
                done = await q.measured_child_ids(db, info.id, followup_since(s.date), fday)
                missing = [c for c in kids if c.id not in done]
                if not missing:
                    return None
                return render_cadre_followup(s, missing, get_translator(staff.language)), {}
            out.append(_Candidate(key(CADRE_FOLLOWUP, staff.user_id, info.id, s.date.isoformat()), staff.user_id,
                                  CADRE_FOLLOWUP, tzname, f_due, f_exp, render_followup))
    return out


def _tip_candidates(repos: Any, info: PosyanduInfo, tz: ZoneInfo, today: dt.date, now: dt.datetime,
                    families: dict[int, list[ParentChild]], seen: set[int]) -> list[_Candidate]:
    service = tips_service()
    if service is None:
        return []
    day = tip_day(today)
    due = local(day, TIP_AT, tz)
    # Tips go out on the tip day only (a predictable moment, and a parent linked mid-week waits for Sunday);
    # an outage over the whole day skips that week's tip: unlike a posyandu reminder, nothing is missed.
    expires = local(day, QUIET_FROM, tz)
    if not _window(due, expires, now):
        return []
    iso_year, iso_week, _ = day.isocalendar()
    out: list[_Candidate] = []
    for uid, links in families.items():
        if uid in seen:  # one tip a week per parent, even with children at two posyandu
            continue
        seen.add(uid)
        kids = [c for c in links if age_months(c.birth_date, today) < UNDER_FIVE_MONTHS]
        if not kids:
            continue
        child = kids[0]  # the youngest: the one whose feeding changes fastest

        async def render(child: ParentChild = child) -> tuple[str, dict[str, Any]] | None:
            tip = await service.next_tip(repos, child.user_id, child.child_id, today, child.language)
            if tip is None:
                return None
            return render_tip(child, str(tip.text), get_translator(child.language)), {"tip_id": tip.id}
        out.append(_Candidate(key(TIP, uid, f"{iso_year}-W{iso_week:02d}"), uid, TIP, info.timezone, due, expires,
                              render))
    return out


# ------------------------------------------------------------------ dispatch


@dataclass
class DispatchReport:
    """What one run did (counts only: safe to log)."""

    due: int = 0  # candidates in their window now (sent before or not)
    claimed: int = 0
    nothing_to_send: int = 0  # e.g. every child already weighed, no tip left
    sent: int = 0
    postponed_quiet: int = 0
    expired: int = 0
    blocked: int = 0
    failed: int = 0
    retry_later: int = 0
    taken_over: int = 0  # claimed by this worker, but another took it over before the send (lease lapsed)
    rate_limited: bool = False
    sent_by_kind: dict[str, int] = field(default_factory=dict)


class Sender(Protocol):
    async def send_message(self, chat_id: int, text: str) -> Any: ...


_locks: dict[int, asyncio.Lock] = {}


def _lock_for(db: Database) -> asyncio.Lock:
    # One run at a time per database: the job and a test (or a slow previous run) must not interleave.
    return _locks.setdefault(id(db), asyncio.Lock())


async def claim_due(db: Database, repos: Any, now: dt.datetime, report: DispatchReport) -> None:
    candidates = await collect_due(db, repos, now)
    report.due = len(candidates)
    if not candidates:
        return
    done = await q.existing_keys(db, {c.key for c in candidates})
    claims: list[Claim] = []
    seen: set[str] = set()
    for c in candidates:
        if c.key in done or c.key in seen:
            continue
        seen.add(c.key)
        rendered = await c.render()
        if rendered is None:
            report.nothing_to_send += 1
            claims.append(Claim(c.key, c.recipient_id, c.kind, "", c.tz, c.due_at, c.expires_at, None,
                                status="skipped"))
            continue
        text, extra = rendered
        claims.append(Claim(c.key, c.recipient_id, c.kind, text, c.tz, c.due_at, c.expires_at, extra))
    report.claimed = await q.claim_many(db, claims, now)


async def send_pending(db: Database, repos: Any, bot: Sender, clock: Clock, report: DispatchReport,
                       worker: Worker | None = None) -> None:
    """Send every pending row, a claimed batch at a time (several workers: each row goes to one of them).

    `worker`: who claims (default: this process). Lease times are the database's wall clock, not `clock`, which
    is the reminders' business time (tests and the simulator move it).
    """
    worker = worker or worker_of(None)
    after = 0
    stop = asyncio.Event()
    while not stop.is_set():
        rows = await q.claim_pending(db, worker.id, db.now(), worker.lease, max_attempts=MAX_ATTEMPTS,
                                     after_id=after, limit=CLAIM_BATCH)
        if not rows:
            return
        after = rows[-1].id
        try:
            await _send_batch(db, repos, bot, clock, report, worker, rows, stop)
        finally:
            # Postponed (quiet hours), retried later or not reached: back to the pool for the next run of any worker.
            await wq.release(db, wq.REMINDERS, [r.id for r in rows], worker.id)


async def _send_batch(db: Database, repos: Any, bot: Sender, clock: Clock, report: DispatchReport, worker: Worker,
                      rows: list[Pending], stop: asyncio.Event) -> None:
    gate = asyncio.Semaphore(SEND_CONCURRENCY)
    tips = tips_service()

    async def one(row: Pending) -> str | None:
        """Send one row; "blocked" when Telegram answered 403 (the recipient's other rows are not tried)."""
        async with gate:
            if stop.is_set():
                return None
            now = clock.now()
            if row.expires_at is not None and now >= row.expires_at:
                report.expired += 1
                await q.mark(db, row.id, "skipped", now, "expired")
                log.info("reminder %s expired unsent (kind=%s)", row.id, row.kind)
                return None
            if in_quiet_hours(now, ZoneInfo(row.tz)):
                report.postponed_quiet += 1
                return None
            text = text_when_sent(row, now)
            if text is None:
                report.expired += 1
                await q.mark(db, row.id, "skipped", now, "covered by the reminder of the day")
                log.info("reminder %s outdated unsent (kind=%s)", row.id, row.kind)
                return None
            if not await wq.confirm(db, wq.REMINDERS, row.id, worker.id, db.now(), worker.lease):
                report.taken_over += 1  # our lease lapsed and another worker took it (or it is done)
                return None
            try:
                await bot.send_message(chat_id=row.recipient_id, text=text)
            except Forbidden:
                report.blocked += 1
                await q.mark(db, row.id, "failed", clock.now(), "blocked")
                await q.deactivate_user(db, row.recipient_id, clock.now())  # with its audit row
                await repos.users.mark_blocked(row.recipient_id)
                log.info("user %s blocked the bot; marked inactive", row.recipient_id)
                return "blocked"
            except RetryAfter as exc:
                # AIORateLimiter already waited and retried: back off until the next run, don't hammer.
                report.rate_limited = True
                report.retry_later += 1
                stop.set()
                log.warning("flood control persists (retry_after=%s); stopping this run", exc.retry_after)
                return None
            except BadRequest as exc:
                # Deterministic (chat not found, bad HTML): retrying cannot help.
                report.failed += 1
                await q.mark(db, row.id, "failed", clock.now(), str(exc)[:200])
                log.warning("reminder %s failed: %s", row.id, exc)
                return None
            except TelegramError as exc:  # network errors, timeouts, 5xx: try again next run
                report.retry_later += 1
                await q.record_attempt(db, row.id, type(exc).__name__)
                if row.attempts + 1 >= MAX_ATTEMPTS:
                    await q.mark(db, row.id, "failed", clock.now(), type(exc).__name__)
                    report.failed += 1
                return None
            except Exception as exc:  # an unexpected error must not abort the other sends of this run
                report.retry_later += 1
                await q.record_attempt(db, row.id, type(exc).__name__)
                log.exception("reminder %s: unexpected error", row.id)
                return None
            sent_at = clock.now()
            await q.mark(db, row.id, "sent", sent_at)
            report.sent += 1
            report.sent_by_kind[row.kind] = report.sent_by_kind.get(row.kind, 0) + 1
            if row.kind == TIP and tips is not None and "tip_id" in row.extra:
                try:
                    await tips.mark_sent(repos, row.recipient_id, row.extra["tip_id"], sent_at)
                except Exception:  # the tip went out; a bookkeeping failure must not resend it
                    log.exception("tips.mark_sent failed for reminder %s", row.id)
            return None

    async def for_recipient(own: list[Pending]) -> None:
        # One recipient's rows one after the other: a 403 on the first spares the others (they are not sent
        # to someone who blocked the bot), and one chat never gets two messages at the same moment.
        for i, row in enumerate(own):
            if await one(row) == "blocked":
                for rest in own[i + 1:]:
                    await q.mark(db, rest.id, "failed", clock.now(), "blocked")
                return

    by_recipient: dict[int, list[Pending]] = defaultdict(list)
    for row in rows:
        by_recipient[row.recipient_id].append(row)
    await asyncio.gather(*(for_recipient(own) for own in by_recipient.values()))




def _session_day(row: Pending) -> dt.date | None:
    """The posyandu day a day-before reminder is about (the last part of its key, see `key`)."""
    try:
        return dt.date.fromisoformat(row.key.rsplit(":", 1)[-1])
    except ValueError:
        return None


def text_when_sent(row: Pending, now: dt.datetime) -> str | None:
    """What a pending reminder says if sent at `now`; None when it is no longer true and another covers it.

    A day-before reminder claimed in the evening can only go out the next morning (quiet hours from 21.00,
    a network failure, a bot that was down): on the day itself it must not say "tomorrow". The parents'
    one is then covered by the morning reminder; the cadre's list is sent worded for today.
    """
    if row.kind not in (PARENT_H1, CADRE_H1):
        return row.text
    day = _session_day(row)
    if day is None or now.astimezone(ZoneInfo(row.tz)).date() < day:
        return row.text
    late = row.extra.get(ON_THE_DAY)
    if row.kind == CADRE_H1 and isinstance(late, dict) and late.get("text"):
        return str(late["text"])
    return None


async def run_due(runtime: Any, bot: Sender) -> DispatchReport:
    """Claim what is due now (by `runtime.clock`) and send every pending reminder. Called by the job and tests."""
    db: Database = runtime.db
    report = DispatchReport()
    async with _lock_for(db):
        now = runtime.clock.now()
        await claim_due(db, runtime.repos, now, report)
        await send_pending(db, runtime.repos, bot, runtime.clock, report, worker_of(runtime))
    if report.claimed or report.sent or report.blocked or report.failed or report.expired:
        log.info("reminders run: claimed=%d sent=%d postponed=%d expired=%d blocked=%d failed=%d retry=%d",
                 report.claimed, report.sent, report.postponed_quiet, report.expired, report.blocked,
                 report.failed, report.retry_later)
    return report


# ------------------------------------------------------------------ vitamin A rounds (an admin may move a round)


class VitaminAMonthsError(ValueError):
    pass


def parse_vitamin_a_months(text: str) -> tuple[int, ...]:
    """`2,8` or `feb,okt` or `Februari Oktober` -> (2, 8) / (2, 10); VitaminAMonthsError when unreadable."""
    from bot.i18n import parse_date

    months: list[int] = []
    for part in text.replace(",", " ").split():
        if part.isdigit():
            month = int(part)
        else:
            try:
                month = parse_date(f"1 {part}", dt.date(2000, 12, 31)).month
            except ValueError:
                raise VitaminAMonthsError(part) from None
        if not 1 <= month <= 12:
            raise VitaminAMonthsError(part)
        if month not in months:
            months.append(month)
    if not months:
        raise VitaminAMonthsError(text)
    return tuple(sorted(months))


async def vitamin_a_months(db: Database, year: int) -> tuple[int, ...]:
    """The year's vitamin A months: as an admin set them, else February and August."""
    return (await q.vitamin_a_rounds(db)).get(year, immunisation.VITAMIN_A_MONTHS)


async def set_vitamin_a_months(db: Database, year: int, months: tuple[int, ...] | None, *,
                               actor_id: int | None = None) -> tuple[int, ...]:
    """Move a year's rounds (None: back to February and August); returns the months now in force."""
    await q.set_vitamin_a_rounds(db, year, months, actor_id=actor_id)
    return await vitamin_a_months(db, year)
