"""Ask a person: a parent's question goes to the cadres of the child's posyandu (and the health workers of its
area); the first cadre who replies answers it; a question nobody answered within one working day goes to the
area's coordinators.

Who gets it (bot.services.access.can_answer_parent_question is asked again when someone replies, so a cadre
moved to another posyandu in between cannot answer): active cadres of the posyandu, active health workers
of its kelurahan, kecamatan or city; on escalation, the coordinators of the nearest area level that has any.

Working day (docs/parents.md): a question is due at 16.00 (posyandu time) of the first working day, Monday to
Friday, whose working hours (08.00-16.00) begin after it was asked. So a question asked on Monday 10.00 is
due Tuesday 16.00, one asked on Friday evening or at the weekend is due Monday 16.00, and one asked on
Monday 07.00 is due Monday 16.00: every question gets at least one whole working day (Perpres 21/2023: a
five-day working week for government staff, which coordinators and health workers are), and a volunteer
cadre is never chased on a weekend. Public holidays are not counted out (documented limitation).

Delivery never loses a message across restarts: copies are rows claimed with a lease before they are sent and
marked sent after; the answer to the parent is marked when delivered. The repeating job (`run_due`, registered
by handlers/parent_ask.py with a stable id) escalates, sends what is unsent and delivers what is undelivered.
The one window left, as with reminders: a crash after Telegram accepted a message and before we recorded it
sends that message again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.i18n import get_translator
from bot.render import parent_threads as render
from bot.services import access
from bot.services import parent as parent_svc
from bot.services import status as status_svc
from bot.workers import Worker, worker_of
from storage import thread_queries as q
from storage import work_queries as wq
from storage.errors import NotFound
from storage.models import Child, Role
from storage.thread_queries import Thread, ThreadCopy

log = logging.getLogger(__name__)

WORK_DAYS = frozenset({0, 1, 2, 3, 4})  # Monday to Friday (Perpres 21/2023)
WORK_START = dt.time(8, 0)
WORK_END = dt.time(16, 0)
COPY_LEASE = dt.timedelta(minutes=10)  # a claimed copy not sent by then is tried again (a killed process)
MAX_ATTEMPTS = 5  # network errors before a copy is given up
MAX_QUESTION = 1000  # characters; longer is almost always a paste by mistake


def escalation_due(asked_at: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """End (16.00 local) of the first working day whose working hours begin at or after `asked_at`."""
    local = asked_at.astimezone(tz)
    day = local.date()
    if day.weekday() not in WORK_DAYS or local.time() > WORK_START:
        day += dt.timedelta(days=1)
    while day.weekday() not in WORK_DAYS:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, WORK_END, tzinfo=tz)


# ------------------------------------------------------------------ who gets a question


async def first_recipients(repos: Any, posyandu_id: int, exclude: int) -> list[tuple[int, str]]:
    """Cadres of the posyandu, then health workers of its area (kelurahan, kecamatan, city)."""
    out: list[tuple[int, str]] = []
    for u in await repos.users.list_users(role=Role.CADRE, posyandu_ids=[posyandu_id]):
        out.append((u.telegram_id, "cadre"))
    chain = await repos.posyandu.area_chain(posyandu_id)
    if chain:
        for u in await repos.users.list_users(role=Role.HEALTH_WORKER, area_ids=chain):
            out.append((u.telegram_id, "health_worker"))
    unique: dict[int, str] = {}
    for uid, role in out:
        if uid != exclude:
            unique.setdefault(uid, role)
    return list(unique.items())


async def coordinators_for(repos: Any, posyandu_id: int, exclude: int) -> list[tuple[int, str]]:
    """The coordinators of the nearest area level (kelurahan, else kecamatan, else city) that has any."""
    for area_id in await repos.posyandu.area_chain(posyandu_id):
        found = [(u.telegram_id, "coordinator") for u in await repos.users.list_users(role=Role.COORDINATOR,
                                                                                      area_ids=[area_id])
                 if u.telegram_id != exclude]
        if found:
            return found
    return []


# ------------------------------------------------------------------ asking


class AskOutcome(StrEnum):
    SENT = "sent"  # to the cadres (and health workers)
    SENT_TO_COORDINATOR = "sent_to_coordinator"  # nobody at the posyandu uses the bot: straight to the coordinator
    NO_ONE = "no_one"  # nobody to send it to at all
    NOT_LINKED = "not_linked"  # no child linked and no posyandu: nothing to route by
    EMPTY = "empty"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class AskResult:
    outcome: AskOutcome
    thread: Thread | None = None
    recipients: int = 0
    posyandu_name: str = ""


@dataclass(frozen=True)
class AskTarget:
    """What a parent can ask about: each linked child, or (no child linked) the posyandu they registered with."""

    children: tuple[Child, ...]
    posyandu_id: int | None


async def targets(repos: Any, parent_id: int) -> AskTarget:
    children = tuple(await parent_svc.linked_children(repos, parent_id))
    if children:
        return AskTarget(children, None)
    user = await repos.users.find(parent_id)
    if user is not None and user.active and user.posyandu_id is not None and user.role in (None, Role.PARENT):
        return AskTarget((), user.posyandu_id)
    return AskTarget((), None)


async def ask(repos: Any, parent_id: int, question: str, now: dt.datetime, *,
              child_id: int | None = None) -> AskResult:
    """Store the question and its copies (sent by `send_copies`). The child must be linked to the parent."""
    text = " ".join(question.split()) if question else ""
    if not text:
        return AskResult(AskOutcome.EMPTY)
    if len(text) > MAX_QUESTION:
        return AskResult(AskOutcome.TOO_LONG)
    target = await targets(repos, parent_id)
    child = next((c for c in target.children if c.id == child_id), None)
    if child is None and child_id is None and len(target.children) == 1:
        child = target.children[0]
    posyandu_id = child.posyandu_id if child is not None else target.posyandu_id
    if posyandu_id is None:
        return AskResult(AskOutcome.NOT_LINKED)
    posyandu = await repos.posyandu.find_by_id(posyandu_id)
    tz = ZoneInfo(posyandu.timezone if posyandu else "Asia/Jakarta")
    recipients = await first_recipients(repos, posyandu_id, parent_id)
    outcome = AskOutcome.SENT
    if not recipients:
        recipients = await coordinators_for(repos, posyandu_id, parent_id)
        outcome = AskOutcome.SENT_TO_COORDINATOR if recipients else AskOutcome.NO_ONE
    thread = await q.create_thread(repos.db, parent_id=parent_id, child_id=child.id if child else None,
                                   posyandu_id=posyandu_id, question=text, now=now,
                                   due_at=now if outcome is not AskOutcome.SENT else escalation_due(now, tz),
                                   recipients=recipients if outcome is AskOutcome.SENT else [])
    if outcome is not AskOutcome.SENT:
        # Nobody at the posyandu to answer: the coordinators get it at once, as an escalation.
        await q.claim_escalation(repos.db, thread.id, now, recipients)
    log.info("parent %s asked thread %s (posyandu %s, %d recipients, %s)", parent_id, thread.id, posyandu_id,
             len(recipients), outcome)
    return AskResult(outcome, thread, len(recipients), posyandu.name if posyandu else "")


# ------------------------------------------------------------------ sending copies


def _today(tz_name: str, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(tz_name)).date()


async def copy_message(repos: Any, thread: Thread, copy: ThreadCopy, now: dt.datetime, *,
                       answered_by: str | None = None) -> str:
    """The text of one copy, in its recipient's language, with the child's current status."""
    user = await repos.users.find(copy.recipient_id)
    tr = get_translator(user.language if user else None)
    posyandu = await repos.posyandu.find_by_id(thread.posyandu_id)
    child = await repos.children.find_by_id(thread.child_id) if thread.child_id is not None else None
    status = None
    if child is not None:
        status = render.status_line(await status_svc.child_status(repos, child), tr)
    tz = posyandu.timezone if posyandu else "Asia/Jakarta"
    return render.copy_text(thread, tr, posyandu_name=posyandu.name if posyandu else "", child=child, status=status,
                            today=_today(tz, now), asked_on=_today(tz, thread.created_at),
                            escalated=copy.escalation, answered_by=answered_by)


async def send_copies(repos: Any, bot: Any, now: dt.datetime, *, thread_id: int | None = None) -> int:
    """Send the unsent copies (of one thread, or every thread); returns how many went out."""
    sent = 0
    for copy in await q.claim_unsent_copies(repos.db, now, COPY_LEASE, thread_id):
        thread = await q.get_thread(repos.db, copy.thread_id)
        if thread is None or not thread.open:
            await q.mark_copy_attempt(repos.db, copy.thread_id, copy.recipient_id, failed=True)
            continue  # answered meanwhile: nothing to ask any more
        try:
            text = await copy_message(repos, thread, copy, now)
            msg = await bot.send_message(copy.recipient_id, text)
        except Forbidden:
            await repos.users.mark_blocked(copy.recipient_id)
            await q.mark_copy_attempt(repos.db, copy.thread_id, copy.recipient_id, failed=True)
            log.info("thread %s: recipient %s blocked the bot", copy.thread_id, copy.recipient_id)
            continue
        except BadRequest:
            await q.mark_copy_attempt(repos.db, copy.thread_id, copy.recipient_id, failed=True)
            log.warning("thread %s: copy to %s refused", copy.thread_id, copy.recipient_id, exc_info=True)
            continue
        except TelegramError:
            await q.mark_copy_attempt(repos.db, copy.thread_id, copy.recipient_id,
                                      failed=copy.attempts + 1 >= MAX_ATTEMPTS)
            log.info("thread %s: copy to %s will be retried", copy.thread_id, copy.recipient_id)
            continue
        await q.mark_copy_sent(repos.db, copy.thread_id, copy.recipient_id, msg.message_id, now)
        sent += 1
    return sent


# ------------------------------------------------------------------ answering


class ReplyOutcome(StrEnum):
    ANSWERED = "answered"
    ALREADY = "already"  # someone else answered first
    NOT_ALLOWED = "not_allowed"  # the replier's role or scope no longer covers this posyandu
    UNKNOWN = "unknown"  # not a reply to a question copy (or the thread was deleted)
    EMPTY = "empty"


@dataclass(frozen=True)
class ReplyResult:
    outcome: ReplyOutcome
    thread: Thread | None = None
    answered_by: str = ""  # ALREADY: who answered


async def _name(repos: Any, user_id: int | None) -> str:
    user = await repos.users.find(user_id) if user_id is not None else None
    return user.display_name if user and user.display_name else ""


async def may_answer(repos: Any, user_id: int, thread: Thread, *, admin: bool = False) -> bool:
    """`admin`: an admin named in the settings (ADMIN_TELEGRAM_IDS), who may have no role row."""
    principal = (access.Principal(user_id=user_id, role=Role.ADMIN) if admin
                 else await access.load_principal(repos, user_id))
    if principal is None:
        return False
    try:
        place = await access.place_of_posyandu(repos, thread.posyandu_id)
    except NotFound:
        return False
    return access.can_answer_parent_question(principal, place)


async def answer_by_reply(repos: Any, replier_id: int, replied_message_id: int, text: str,
                          now: dt.datetime, *, admin: bool = False) -> ReplyResult:
    """A staff member replied to a copy: the first allowed reply answers the thread."""
    copy = await q.copy_by_message(repos.db, replier_id, replied_message_id)
    thread = await q.get_thread(repos.db, copy.thread_id) if copy is not None else None
    if thread is None:
        return ReplyResult(ReplyOutcome.UNKNOWN)
    if not await may_answer(repos, replier_id, thread, admin=admin):
        log.warning("user %s replied to thread %s outside their scope", replier_id, thread.id)
        return ReplyResult(ReplyOutcome.NOT_ALLOWED, thread)
    answer = text.strip()
    if not answer:
        return ReplyResult(ReplyOutcome.EMPTY, thread)
    if not thread.open or not await q.claim_answer(repos.db, thread.id, replier_id, answer[:3000], now):
        current = await q.get_thread(repos.db, thread.id)
        return ReplyResult(ReplyOutcome.ALREADY, current or thread,
                           await _name(repos, current.answered_by if current else None))
    log.info("thread %s answered by %s", thread.id, replier_id)
    return ReplyResult(ReplyOutcome.ANSWERED, await q.get_thread(repos.db, thread.id))


async def deliver_answer(repos: Any, bot: Any, thread_id: int, now: dt.datetime,
                         reply_markup: Any = None, worker: Worker | None = None) -> bool:
    """Send the answer to the parent (once) and mark every other copy as answered. False: not delivered now.

    Several workers (their jobs, the replier's own worker): the one that claims the answer sends it.
    """
    thread = await q.get_thread(repos.db, thread_id)
    if thread is None or thread.open or thread.answered_by is None:
        return False
    if thread.answer_sent_at is None:
        worker = worker or worker_of(None)
        if not await wq.claim_one(repos.db, wq.ANSWERS, thread.id, worker.id, repos.db.now(), worker.lease):
            return False  # another worker is delivering it right now
        try:
            return await _deliver(repos, bot, thread, now, reply_markup)
        finally:
            await wq.release(repos.db, wq.ANSWERS, [thread.id], worker.id)
    return True


async def _deliver(repos: Any, bot: Any, thread: Thread, now: dt.datetime, reply_markup: Any) -> bool:
    assert thread.answered_by is not None
    parent = await repos.users.find(thread.parent_id)
    if parent is None or not parent.active:
        await q.mark_answer_sent(repos.db, thread.id, now)  # nobody to tell any more
        return False
    tr = get_translator(parent.language)
    answerer = await repos.users.find(thread.answered_by)
    posyandu = await repos.posyandu.find_by_id(thread.posyandu_id)
    copy_role = next((c.role for c in await q.copies_of(repos.db, thread.id)
                      if c.recipient_id == thread.answered_by), answerer.role.value if answerer and answerer.role
                     else "cadre")
    text = render.answer_for_parent(thread, tr, answerer=answerer.display_name if answerer else "",
                                    role_label=render.role_label(copy_role, tr),
                                    posyandu_name=posyandu.name if posyandu else "")
    try:
        await bot.send_message(thread.parent_id, text, reply_markup=reply_markup(tr) if reply_markup else None)
    except Forbidden:
        await repos.users.mark_blocked(thread.parent_id)
        await q.mark_answer_sent(repos.db, thread.id, now)
        return False
    except TelegramError:
        log.info("answer of thread %s to the parent will be retried", thread.id)
        return False
    await q.mark_answer_sent(repos.db, thread.id, now)
    await _mark_copies_answered(repos, bot, thread, now)
    return True


async def _mark_copies_answered(repos: Any, bot: Any, thread: Thread, now: dt.datetime) -> None:
    """Other recipients see that the question was answered (their copy is edited); failures do not matter."""
    name = await _name(repos, thread.answered_by)
    for copy in await q.copies_of(repos.db, thread.id):
        if copy.message_id is None or copy.recipient_id == thread.answered_by:
            continue
        try:
            text = await copy_message(repos, thread, copy, now, answered_by=name)
            await bot.edit_message_text(text, chat_id=copy.recipient_id, message_id=copy.message_id)
        except TelegramError:
            log.info("thread %s: copy %s not marked answered", thread.id, copy.recipient_id)


# ------------------------------------------------------------------ the repeating job


@dataclass
class ThreadsReport:
    escalated: int = 0
    copies_sent: int = 0
    answers_delivered: int = 0


_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _lock_for(db: Any) -> asyncio.Lock:
    """One run at a time per database (the job and the simulator's clock command may overlap)."""
    lock = _LOCKS.get(db)
    if lock is None:
        lock = _LOCKS[db] = asyncio.Lock()
    return lock


async def escalate_due(repos: Any, now: dt.datetime) -> int:
    """Questions open past their working day: add the coordinators' copies (once per thread)."""
    escalated = 0
    for thread in await q.due_for_escalation(repos.db, now):
        recipients = await coordinators_for(repos, thread.posyandu_id, thread.parent_id)
        if await q.claim_escalation(repos.db, thread.id, now, recipients):
            escalated += 1
            log.info("thread %s escalated to %d coordinator(s)", thread.id, len(recipients))
    return escalated


async def run_due(runtime: Any, bot: Any, reply_markup: Any = None) -> ThreadsReport:
    """Escalate, send unsent copies, deliver undelivered answers (idempotent; the job and tests call it)."""
    report = ThreadsReport()
    repos = runtime.repos
    async with _lock_for(runtime.db):
        now = runtime.clock.now()
        report.escalated = await escalate_due(repos, now)
        report.copies_sent = await send_copies(repos, bot, now)
        for thread in await q.answers_not_sent(repos.db):
            if await deliver_answer(repos, bot, thread.id, now, reply_markup, worker_of(runtime)):
                report.answers_delivered += 1
    if report.escalated or report.copies_sent or report.answers_delivered:
        log.info("parent threads run: escalated=%d copies=%d answers=%d", report.escalated, report.copies_sent,
                 report.answers_delivered)
    return report


async def send_now(runtime: Any, bot: Any, thread_id: int) -> int:
    """Right after a question is asked: send its copies (the job would, a few minutes later)."""
    async with _lock_for(runtime.db):
        return await send_copies(runtime.repos, bot, runtime.clock.now(), thread_id=thread_id)


async def deliver_now(runtime: Any, bot: Any, thread_id: int, reply_markup: Any = None) -> bool:
    async with _lock_for(runtime.db):
        return await deliver_answer(runtime.repos, bot, thread_id, runtime.clock.now(), reply_markup,
                                    worker_of(runtime))


# ------------------------------------------------------------------ staff: the open questions of my scope


async def open_for_staff(repos: Any, user_id: int, *, admin: bool = False) -> tuple[list[Thread], str] | None:
    """Unanswered questions a staff member may answer, and the role they answer as; None for non-staff."""
    principal = (access.Principal(user_id=user_id, role=Role.ADMIN) if admin
                 else await access.load_principal(repos, user_id))
    if principal is None or not principal.active:
        return None
    if principal.role == Role.HEALTH_WORKER and principal.area_id is not None:
        posyandu_ids: list[int] | None = await repos.areas.posyandu_ids_within(principal.area_id)
    elif principal.role in (Role.CADRE, Role.COORDINATOR, Role.ADMIN):
        posyandu_ids = await access.posyandu_ids_in_scope(repos, principal)
    else:
        return None
    return await q.open_threads(repos.db, posyandu_ids), principal.role.value if principal.role else "cadre"


async def resend_to(repos: Any, bot: Any, user_id: int, thread: Thread, role: str, now: dt.datetime, *,
                    admin: bool = False) -> None:
    """Show an open question again to a staff member in scope; their reply to this new message answers it."""
    if not await may_answer(repos, user_id, thread, admin=admin):
        return
    copy = ThreadCopy(thread_id=thread.id, recipient_id=user_id, role=role, escalation=False, message_id=None,
                      claimed_at=None, sent_at=None, attempts=0, failed=False)
    msg = await bot.send_message(user_id, await copy_message(repos, thread, copy, now))
    await q.resend_copy(repos.db, thread.id, user_id, role, msg.message_id, now)


__all__ = [
    "AskOutcome", "AskResult", "AskTarget", "ReplyOutcome", "ReplyResult", "ThreadsReport", "answer_by_reply", "ask",
    "coordinators_for", "deliver_answer", "deliver_now", "escalate_due", "escalation_due", "first_recipients",
    "may_answer", "open_for_staff", "resend_to", "run_due", "send_copies", "send_now", "targets",
]
