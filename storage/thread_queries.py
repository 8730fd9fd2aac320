"""SQL of the parents' questions to a person (migration 0080; bot/services/parent_threads.py decides).

Portable SQL; times are UTC ISO text (storage.values.to_db_time), so they compare as text. Every "claim" is a
conditional UPDATE, so two senders (the handler and the job, or two processes) never both take one row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence

from pydantic import BaseModel, ConfigDict, Field

from storage.db import Database
from storage.repositories.base import AUDIT_SQL, in_list
from storage.values import to_db_time

_THREAD_COLS = ("id, parent_id, child_id, posyandu_id, question, status, created_at, due_at, escalated_at,"
                " answered_at, answered_by, answer, answer_sent_at")
_COPY_COLS = "thread_id, recipient_id, role, escalation, message_id, claimed_at, sent_at, attempts, failed"


class Thread(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    parent_id: int
    child_id: int | None
    posyandu_id: int
    question: str = Field(repr=False)
    status: str
    created_at: dt.datetime
    due_at: dt.datetime
    escalated_at: dt.datetime | None
    answered_at: dt.datetime | None
    answered_by: int | None
    answer: str | None = Field(repr=False)
    answer_sent_at: dt.datetime | None

    @property
    def open(self) -> bool:
        return self.status == "open"


class ThreadCopy(BaseModel):
    model_config = ConfigDict(frozen=True)

    thread_id: int
    recipient_id: int
    role: str
    escalation: bool
    message_id: int | None
    claimed_at: dt.datetime | None
    sent_at: dt.datetime | None
    attempts: int
    failed: bool


def _t(when: dt.datetime) -> str:
    return to_db_time(when)


async def create_thread(db: Database, *, parent_id: int, child_id: int | None, posyandu_id: int, question: str,
                        now: dt.datetime, due_at: dt.datetime, recipients: Sequence[tuple[int, str]]) -> Thread:
    """The thread and one unsent copy per recipient (user id, role), in one transaction, audited."""
    async with db.transaction():
        thread_id = await db.insert(
            "INSERT INTO parent_threads (parent_id, child_id, posyandu_id, question, status, created_at, due_at)"
            " VALUES (?, ?, ?, ?, 'open', ?, ?) RETURNING id",
            (parent_id, child_id, posyandu_id, question, _t(now), _t(due_at)))
        for recipient_id, role in recipients:
            await db.execute(
                "INSERT INTO parent_thread_copies (thread_id, recipient_id, role, escalation) VALUES (?, ?, ?, 0)"
                " ON CONFLICT (thread_id, recipient_id) DO NOTHING", (thread_id, recipient_id, role))
        details = {"child_id": child_id, "posyandu_id": posyandu_id, "recipients": len(recipients)}
        await db.execute(AUDIT_SQL, (parent_id, "ask", "parent_thread", str(thread_id),
                                     json.dumps(details, sort_keys=True), _t(now)))
    found = await get_thread(db, thread_id)
    assert found is not None
    return found


async def get_thread(db: Database, thread_id: int) -> Thread | None:
    row = await db.fetchone(f"SELECT {_THREAD_COLS} FROM parent_threads WHERE id = ?", (thread_id,))
    return Thread.model_validate(row) if row else None


async def copies_of(db: Database, thread_id: int) -> list[ThreadCopy]:
    rows = await db.fetchall(f"SELECT {_COPY_COLS} FROM parent_thread_copies WHERE thread_id = ?"
                             " ORDER BY escalation, recipient_id", (thread_id,))
    return [ThreadCopy.model_validate(r) for r in rows]


async def copy_by_message(db: Database, recipient_id: int, message_id: int) -> ThreadCopy | None:
    """The copy shown to `recipient_id` as message `message_id` (what a Telegram reply points to)."""
    row = await db.fetchone(f"SELECT {_COPY_COLS} FROM parent_thread_copies WHERE recipient_id = ? AND message_id = ?",
                            (recipient_id, message_id))
    return ThreadCopy.model_validate(row) if row else None


async def claim_unsent_copies(db: Database, now: dt.datetime, lease: dt.timedelta,
                              thread_id: int | None = None, limit: int = 100) -> list[ThreadCopy]:
    """Take copies not yet sent (of one thread, or all): unclaimed ones and those whose claim has lapsed."""
    sql = (f"SELECT {_COPY_COLS} FROM parent_thread_copies WHERE sent_at IS NULL AND failed = 0"
           " AND (claimed_at IS NULL OR claimed_at < ?)")
    params: list[object] = [_t(now - lease)]
    if thread_id is not None:
        sql += " AND thread_id = ?"
        params.append(thread_id)
    rows = await db.fetchall(sql + " ORDER BY thread_id, escalation, recipient_id LIMIT ?", [*params, limit])
    taken: list[ThreadCopy] = []
    for row in rows:
        copy = ThreadCopy.model_validate(row)
        changed = await db.execute(
            "UPDATE parent_thread_copies SET claimed_at = ? WHERE thread_id = ? AND recipient_id = ?"
            " AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)",
            (_t(now), copy.thread_id, copy.recipient_id, _t(now - lease)))
        if changed:
            taken.append(copy)
    return taken


async def mark_copy_sent(db: Database, thread_id: int, recipient_id: int, message_id: int, now: dt.datetime) -> None:
    await db.execute("UPDATE parent_thread_copies SET message_id = ?, sent_at = ?, attempts = attempts + 1"
                     " WHERE thread_id = ? AND recipient_id = ?", (message_id, _t(now), thread_id, recipient_id))


async def mark_copy_attempt(db: Database, thread_id: int, recipient_id: int, *, failed: bool) -> None:
    """A send that did not work: counted; `failed` gives it up (blocked bot, chat gone, too many tries)."""
    await db.execute("UPDATE parent_thread_copies SET attempts = attempts + 1, claimed_at = NULL, failed = ?"
                     " WHERE thread_id = ? AND recipient_id = ?", (int(failed), thread_id, recipient_id))


async def resend_copy(db: Database, thread_id: int, recipient_id: int, role: str, message_id: int,
                      now: dt.datetime) -> None:
    """A staff member asked to see an open question again (/pertanyaan): the new message is the one to reply to."""
    await db.execute(
        "INSERT INTO parent_thread_copies (thread_id, recipient_id, role, escalation, message_id, sent_at, attempts)"
        " VALUES (?, ?, ?, 0, ?, ?, 1) ON CONFLICT (thread_id, recipient_id) DO UPDATE SET"
        " message_id = excluded.message_id, sent_at = excluded.sent_at, failed = 0",
        (thread_id, recipient_id, role, message_id, _t(now)))


async def claim_answer(db: Database, thread_id: int, answered_by: int, answer: str, now: dt.datetime) -> bool:
    """First reply wins: True only for the reply that closed the thread (audited)."""
    async with db.transaction():
        changed = await db.execute(
            "UPDATE parent_threads SET status = 'answered', answered_by = ?, answer = ?, answered_at = ?"
            " WHERE id = ? AND status = 'open'", (answered_by, answer, _t(now), thread_id))
        if changed:
            await db.execute(AUDIT_SQL, (answered_by, "answer", "parent_thread", str(thread_id), "{}", _t(now)))
    return bool(changed)


async def mark_answer_sent(db: Database, thread_id: int, now: dt.datetime) -> bool:
    """Record that the answer reached the parent; False when another sender recorded it first."""
    return bool(await db.execute("UPDATE parent_threads SET answer_sent_at = ? WHERE id = ? AND answer_sent_at IS NULL",
                                 (_t(now), thread_id)))


async def answers_not_sent(db: Database, limit: int = 100) -> list[Thread]:
    rows = await db.fetchall(f"SELECT {_THREAD_COLS} FROM parent_threads WHERE status = 'answered'"
                             " AND answer_sent_at IS NULL ORDER BY answered_at LIMIT ?", (limit,))
    return [Thread.model_validate(r) for r in rows]


async def due_for_escalation(db: Database, now: dt.datetime, limit: int = 100) -> list[Thread]:
    rows = await db.fetchall(
        f"SELECT {_THREAD_COLS} FROM parent_threads WHERE status = 'open' AND escalated_at IS NULL AND due_at <= ?"
        " ORDER BY due_at LIMIT ?", (_t(now), limit))
    return [Thread.model_validate(r) for r in rows]


async def claim_escalation(db: Database, thread_id: int, now: dt.datetime,
                           recipients: Sequence[tuple[int, str]]) -> bool:
    """Mark the thread escalated and add the coordinators' copies, once (False: already escalated or answered)."""
    async with db.transaction():
        changed = await db.execute(
            "UPDATE parent_threads SET escalated_at = ? WHERE id = ? AND status = 'open' AND escalated_at IS NULL",
            (_t(now), thread_id))
        if not changed:
            return False
        for recipient_id, role in recipients:
            await db.execute(
                "INSERT INTO parent_thread_copies (thread_id, recipient_id, role, escalation) VALUES (?, ?, ?, 1)"
                " ON CONFLICT (thread_id, recipient_id) DO NOTHING", (thread_id, recipient_id, role))
        await db.execute(AUDIT_SQL, (None, "escalate", "parent_thread", str(thread_id),
                                     json.dumps({"recipients": len(recipients)}), _t(now)))
    return True


async def open_threads(db: Database, posyandu_ids: Collection[int] | None, limit: int = 20) -> list[Thread]:
    """Unanswered questions of these posyandu (None: all), oldest first."""
    sql = f"SELECT {_THREAD_COLS} FROM parent_threads WHERE status = 'open'"
    params: list[object] = []
    if posyandu_ids is not None:
        marks, vals = in_list(posyandu_ids)
        sql += f" AND posyandu_id IN ({marks})"
        params += vals
    rows = await db.fetchall(sql + " ORDER BY created_at LIMIT ?", [*params, limit])
    return [Thread.model_validate(r) for r in rows]


async def threads_of_parent(db: Database, parent_id: int, limit: int = 10) -> list[Thread]:
    rows = await db.fetchall(f"SELECT {_THREAD_COLS} FROM parent_threads WHERE parent_id = ?"
                             " ORDER BY created_at DESC LIMIT ?", (parent_id, limit))
    return [Thread.model_validate(r) for r in rows]


__all__ = [
    "Thread", "ThreadCopy", "answers_not_sent", "claim_answer", "claim_escalation", "claim_unsent_copies",
    "copies_of", "copy_by_message", "create_thread", "due_for_escalation", "get_thread", "mark_answer_sent",
    "mark_copy_attempt", "mark_copy_sent", "open_threads", "resend_copy", "threads_of_parent",
]
