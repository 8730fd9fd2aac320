"""SQL of the follow-up cases (migration 0090): cases, their timeline, deadlines and counts.

Decisions (which reasons, which state, when a case is due or recovered) are made in bot.growth.case_rules and
bot.services.cases; this module stores and reads what they decided. Every write carries its audit row in the same
transaction (ids and field names only). Portable SQL: `?` placeholders, partial indexes, no SQLite functions.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storage.db import Database, Row, execute_sync, fetchone_sync
from storage.repositories.base import AUDIT_SQL, in_list
from storage.values import to_db_time


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


def _split(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(str(v) for v in value)
    return tuple(r for r in str(value or "").split(",") if r)


class CaseRow(_Model):
    id: int
    child_id: int | None
    woman_id: int | None
    posyandu_id: int
    state: str
    reasons: tuple[str, ...]
    opened_at: dt.datetime
    opened_month: dt.date
    remind_at: dt.datetime | None
    escalate_at: dt.datetime | None
    last_action_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_on: dt.date | None
    closed_reason: str | None

    _reasons = field_validator("reasons", mode="before")(_split)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def about_woman(self) -> bool:
        return self.woman_id is not None


class CaseEvent(_Model):
    id: int
    case_id: int
    kind: str
    on_date: dt.date
    at: dt.datetime
    actor_id: int | None
    actor_role: str | None
    reasons: tuple[str, ...]
    detail: str | None
    checklist: tuple[str, ...]
    note: str | None = Field(repr=False)  # free text (it may name people): never in a log line
    deadline: dt.datetime | None

    _split = field_validator("reasons", "checklist", mode="before")(_split)


_CASE_COLS = ("id, child_id, woman_id, posyandu_id, state, reasons, opened_at, opened_month, remind_at, escalate_at,"
              " last_action_at, closed_at, closed_on, closed_reason")
_C_CASE_COLS = ", ".join("c." + c.strip() for c in _CASE_COLS.split(","))
_EVENT_COLS = "id, case_id, kind, on_date, at, actor_id, actor_role, reasons, detail, checklist, note, deadline"


def _t(value: dt.datetime | None) -> str | None:
    return None if value is None else to_db_time(value)


def _case(row: Row) -> CaseRow:
    return CaseRow.model_validate(row)


# ------------------------------------------------------------------ reads


async def get_case(db: Database, case_id: int) -> CaseRow | None:
    row = await db.fetchone(f"SELECT {_CASE_COLS} FROM cases WHERE id = ?", (case_id,))
    return _case(row) if row else None


async def open_cases_of_children(db: Database, child_ids: Collection[int]) -> dict[int, CaseRow]:
    marks, ids = in_list(child_ids)
    rows = await db.fetchall(
        f"SELECT {_CASE_COLS} FROM cases WHERE closed_at IS NULL AND child_id IN ({marks})", ids)
    return {int(r["child_id"]): _case(r) for r in rows}


async def last_closed_on(db: Database, child_ids: Collection[int]) -> dict[int, dt.date]:
    """The local day each child's latest case closed (children without a closed case are left out)."""
    marks, ids = in_list(child_ids)
    rows = await db.fetchall(
        f"SELECT child_id, MAX(closed_on) AS closed_on FROM cases WHERE closed_at IS NOT NULL AND child_id IN ({marks})"
        f" GROUP BY child_id", ids)
    return {int(r["child_id"]): dt.date.fromisoformat(r["closed_on"]) for r in rows if r["closed_on"]}


async def open_case_of_woman(db: Database, woman_id: int) -> CaseRow | None:
    row = await db.fetchone(f"SELECT {_CASE_COLS} FROM cases WHERE closed_at IS NULL AND woman_id = ?", (woman_id,))
    return _case(row) if row else None


async def events(db: Database, case_id: int, *, limit: int = 50) -> list[CaseEvent]:
    """The newest `limit` entries of the timeline, oldest first."""
    rows = await db.fetchall(
        f"SELECT {_EVENT_COLS} FROM case_events WHERE case_id = ? ORDER BY id DESC LIMIT ?", (case_id, limit))
    return [CaseEvent.model_validate(r) for r in reversed(rows)]


async def cases_in(db: Database, posyandu_ids: Collection[int], *, women: bool, open_only: bool = True
                   ) -> list[CaseRow]:
    """Cases of these posyandu (children's; the women's too when `women`)."""
    marks, ids = in_list(posyandu_ids)
    where = [f"posyandu_id IN ({marks})"]
    if open_only:
        where.append("closed_at IS NULL")
    if not women:
        where.append("child_id IS NOT NULL")
    rows = await db.fetchall(f"SELECT {_CASE_COLS} FROM cases WHERE {' AND '.join(where)} ORDER BY id", ids)
    return [_case(r) for r in rows]


class ChildFacts(_Model):
    """What the status listener needs to know of a child before opening a case."""

    child_id: int
    posyandu_id: int
    active: bool
    timezone: str


async def child_facts(db: Database, child_ids: Collection[int]) -> dict[int, ChildFacts]:
    marks, ids = in_list(child_ids)
    rows = await db.fetchall(
        f"SELECT c.id AS child_id, c.posyandu_id, CASE WHEN c.status = 'active' THEN 1 ELSE 0 END AS active,"
        f" p.timezone FROM children c JOIN posyandu p ON p.id = c.posyandu_id WHERE c.id IN ({marks})", ids)
    return {int(r["child_id"]): ChildFacts.model_validate(r) for r in rows}


# ------------------------------------------------------------------ writes


class NewCase(_Model):
    child_id: int | None = None
    woman_id: int | None = None
    posyandu_id: int
    reasons: tuple[str, ...]
    opened_at: dt.datetime
    opened_on: dt.date  # local date
    remind_at: dt.datetime
    escalate_at: dt.datetime
    actor_id: int | None = None  # None: opened by the status function (a measurement)
    actor_role: str | None = None


async def open_case(db: Database, new: NewCase) -> CaseRow | None:
    """Insert the case with its "opened" entry and audit row (one transaction, one hop: a rule change can open
    thousands at start); None when the subject already has an open case (the unique index keeps one)."""
    subject = "child_id" if new.child_id is not None else "woman_id"
    subject_id = new.child_id if new.child_id is not None else new.woman_id
    at = to_db_time(new.opened_at)

    def work(conn: sqlite3.Connection) -> int | None:
        if fetchone_sync(conn, f"SELECT 1 FROM cases WHERE closed_at IS NULL AND {subject} = ?", (subject_id,)):
            return None
        row = fetchone_sync(
            conn, "INSERT INTO cases (child_id, woman_id, posyandu_id, state, reasons, opened_at, opened_month,"
            " remind_at, escalate_at) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?) RETURNING id",
            (new.child_id, new.woman_id, new.posyandu_id, ",".join(new.reasons), at,
             new.opened_on.replace(day=1).isoformat(), to_db_time(new.remind_at), to_db_time(new.escalate_at)))
        assert row is not None
        case_id = int(row["id"])
        execute_sync(conn, _EVENT_SQL, (case_id, "opened", new.opened_on.isoformat(), at, new.actor_id,
                                        new.actor_role, ",".join(new.reasons), None, "", None))
        execute_sync(conn, AUDIT_SQL, _audit(new.actor_id, "open", case_id, new.opened_at,
                                             {"reasons": list(new.reasons), "child_id": new.child_id,
                                              "woman_id": new.woman_id}))
        return case_id

    case_id = await db.atomic(work)
    return None if case_id is None else await get_case(db, case_id)


async def add_reasons(db: Database, case_id: int, added: Sequence[str], all_reasons: Sequence[str], *,
                      on: dt.date, at: dt.datetime, remind_at: dt.datetime, escalate_at: dt.datetime,
                      actor_id: int | None = None, actor_role: str | None = None) -> None:
    """New reasons join the open case's timeline; its deadline becomes the one the service computed."""
    async with db.transaction():
        changed = await db.execute(
            "UPDATE cases SET reasons = ?, remind_at = ?, escalate_at = ? WHERE id = ? AND closed_at IS NULL",
            (",".join(all_reasons), to_db_time(remind_at), to_db_time(escalate_at), case_id))
        if not changed:
            return
        await _event(db, case_id, "reason", on, at, actor_id=actor_id, actor_role=actor_role, reasons=added)
        await db.execute(AUDIT_SQL, _audit(actor_id, "add_reason", case_id, at, {"reasons": list(added)}))


class ActionWrite(_Model):
    """One action by a person (or the measurements closing the case), as the service decided it."""

    case_id: int
    kind: str  # visit, referral, outcome, note, close, recovered
    on_date: dt.date
    at: dt.datetime
    actor_id: int | None
    actor_role: str | None
    new_state: str
    detail: str | None = None
    checklist: tuple[str, ...] = ()
    note: str | None = None
    closed_reason: str | None = None  # set: the case closes
    counts_as_action: bool = True  # a person acted: the deadline is met (remind/escalate cleared)


async def record_action(db: Database, w: ActionWrite) -> bool:
    """Apply an action to an open case; False when the case was closed meanwhile (nothing written)."""
    sets = ["state = ?"]
    params: list[Any] = [w.new_state]
    if w.counts_as_action:
        sets += ["last_action_at = ?", "remind_at = NULL", "escalate_at = NULL"]
        params.append(to_db_time(w.at))
    if w.closed_reason is not None:
        sets += ["closed_at = ?", "closed_on = ?", "closed_reason = ?"]
        if not w.counts_as_action:  # (each column once: PostgreSQL refuses a second assignment)
            sets += ["remind_at = NULL", "escalate_at = NULL"]
        params += [to_db_time(w.at), w.on_date.isoformat(), w.closed_reason]
    async with db.transaction():
        changed = await db.execute(f"UPDATE cases SET {', '.join(sets)} WHERE id = ? AND closed_at IS NULL",
                                   [*params, w.case_id])
        if not changed:
            return False
        await _event(db, w.case_id, w.kind, w.on_date, w.at, actor_id=w.actor_id, actor_role=w.actor_role,
                     detail=w.detail, checklist=w.checklist, note=w.note)
        details: dict[str, Any] = {"kind": w.kind, "state": w.new_state, "fields": ["note"] if w.note else []}
        if w.detail:
            details["detail"] = w.detail
        if w.closed_reason:
            details["closed_reason"] = w.closed_reason
        await db.execute(AUDIT_SQL, _audit(w.actor_id, "case_" + w.kind, w.case_id, w.at, details))
    return True


class DeadlineMark(_Model):
    case_id: int
    kind: str  # overdue, escalated
    deadline: dt.datetime
    on: dt.date


async def mark_deadlines(db: Database, marks: Sequence[DeadlineMark], at: dt.datetime) -> int:
    """An "overdue" or "escalated" entry per deadline, once (unique index), all in one transaction: how many are
    new."""
    if not marks:
        return 0
    stamp = to_db_time(at)

    def work(conn: sqlite3.Connection) -> int:
        return sum(execute_sync(
            conn, "INSERT INTO case_events (case_id, kind, on_date, at, deadline) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (case_id, kind, deadline) WHERE deadline IS NOT NULL DO NOTHING",
            (m.case_id, m.kind, m.on.isoformat(), stamp, to_db_time(m.deadline))) for m in marks)

    return await db.atomic(work)


async def marked_deadlines(db: Database, case_ids: Collection[int]) -> set[tuple[int, str, dt.datetime]]:
    """(case, kind, deadline) of the overdue/escalated entries these cases already have."""
    marks, ids = in_list(case_ids)
    rows = await db.fetchall(f"SELECT case_id, kind, deadline FROM case_events WHERE deadline IS NOT NULL"
                             f" AND case_id IN ({marks})", ids)
    return {(int(r["case_id"]), str(r["kind"]), dt.datetime.fromisoformat(r["deadline"])) for r in rows}


_EVENT_SQL = ("INSERT INTO case_events (case_id, kind, on_date, at, actor_id, actor_role, reasons, detail, checklist,"
              " note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


async def _event(db: Database, case_id: int, kind: str, on: dt.date, at: dt.datetime, *, actor_id: int | None = None,
                 actor_role: str | None = None, reasons: Sequence[str] = (), detail: str | None = None,
                 checklist: Sequence[str] = (), note: str | None = None) -> None:
    await db.execute(_EVENT_SQL, (case_id, kind, on.isoformat(), to_db_time(at), actor_id, actor_role,
                                  ",".join(reasons), detail, ",".join(checklist), note))


def _audit(actor_id: int | None, action: str, case_id: int, at: dt.datetime, details: dict[str, Any]
           ) -> tuple[Any, ...]:
    return (actor_id, action, "case", str(case_id), json.dumps(details, sort_keys=True, default=str), to_db_time(at))


# ------------------------------------------------------------------ deadlines (the reminders engine asks)


class DueCase(_Model):
    """An open case past a deadline, with what its reminders need."""

    case: CaseRow
    timezone: str
    kelurahan_id: int  # the posyandu's area (a TPK's scope)
    subject_status: str  # the child's or the woman's: active, moved, deceased


async def past_deadline(db: Database, now: dt.datetime) -> list[DueCase]:
    stamp = to_db_time(now)
    rows = await db.fetchall(
        f"SELECT {_C_CASE_COLS}, p.timezone AS p_timezone, p.area_id AS p_area,"
        f" COALESCE(ch.status, w.status, 'active') AS p_status FROM cases c"
        f" JOIN posyandu p ON p.id = c.posyandu_id LEFT JOIN children ch ON ch.id = c.child_id"
        f" LEFT JOIN women w ON w.id = c.woman_id"
        f" WHERE c.closed_at IS NULL AND c.remind_at IS NOT NULL AND c.remind_at <= ? ORDER BY c.id", (stamp,))
    out = []
    for r in rows:
        tz, area, status = r.pop("p_timezone"), r.pop("p_area"), r.pop("p_status")
        out.append(DueCase(case=_case(r), timezone=str(tz), kelurahan_id=int(area), subject_status=str(status)))
    return out


async def open_cases_of_gone(db: Database) -> list[DueCase]:
    """Open cases whose child or woman the register marks as moved or deceased."""
    rows = await db.fetchall(
        f"SELECT {_C_CASE_COLS}, p.timezone AS p_timezone, p.area_id AS p_area,"
        f" COALESCE(ch.status, w.status) AS p_status FROM cases c JOIN posyandu p ON p.id = c.posyandu_id"
        f" LEFT JOIN children ch ON ch.id = c.child_id LEFT JOIN women w ON w.id = c.woman_id"
        f" WHERE c.closed_at IS NULL AND COALESCE(ch.status, w.status) <> 'active' ORDER BY c.id")
    out = []
    for r in rows:
        tz, area, status = r.pop("p_timezone"), r.pop("p_area"), r.pop("p_status")
        out.append(DueCase(case=_case(r), timezone=str(tz), kelurahan_id=int(area), subject_status=str(status)))
    return out


class Recipient(_Model):
    user_id: int
    language: str


async def cadres_of(db: Database, posyandu_ids: Collection[int]) -> dict[int, list[Recipient]]:
    """Active, reachable cadres of each of these posyandu (one query)."""
    marks, ids = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"SELECT telegram_id AS user_id, language, posyandu_id FROM users WHERE role = 'cadre' AND active = 1"
        f" AND opted_out = 0 AND posyandu_id IN ({marks}) ORDER BY telegram_id", ids)
    out: dict[int, list[Recipient]] = {}
    for r in rows:
        out.setdefault(int(r.pop("posyandu_id")), []).append(Recipient.model_validate(r))
    return out


async def staff_of_areas(db: Database, role: str, area_ids: Sequence[int]) -> dict[int, list[Recipient]]:
    """Active, reachable users of `role` scoped to each of these areas."""
    marks, ids = in_list(area_ids)
    rows = await db.fetchall(
        f"SELECT telegram_id AS user_id, language, area_id FROM users WHERE role = ? AND area_id IN ({marks})"
        f" AND active = 1 AND opted_out = 0 ORDER BY telegram_id", [role, *ids])
    out: dict[int, list[Recipient]] = {}
    for r in rows:
        out.setdefault(int(r.pop("area_id")), []).append(Recipient.model_validate(r))
    return out


__all__ = [
    "ActionWrite", "CaseEvent", "CaseRow", "ChildFacts", "DeadlineMark", "DueCase", "NewCase", "Recipient",
    "add_reasons", "cadres_of", "cases_in", "child_facts", "events", "get_case", "last_closed_on", "mark_deadlines",
    "marked_deadlines", "open_case", "open_case_of_woman", "open_cases_of_children", "open_cases_of_gone",
    "past_deadline", "record_action", "staff_of_areas",
]
