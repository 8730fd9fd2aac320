"""SQL the reminders and schedule services need beyond the shared repositories (owned by the reminders issue).

Portable SQL only (`ON CONFLICT DO NOTHING` exists in PostgreSQL too). Times are stored as UTC ISO text
like everywhere else (storage.values.to_db_time).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage import work_queries as wq
from storage.db import Database
from storage.models import PosyanduSession, SessionStatus
from storage.repositories.base import in_list
from storage.values import from_db_time, to_db_time

_CHUNK = 400  # SQLite's default limit is 999 bound parameters per statement


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ------------------------------------------------------------------ posyandu and one-off changes


@dataclass(frozen=True)
class PosyanduRow:
    """What the schedule needs of a posyandu; its rule text is read by bot.services.schedule."""

    id: int
    name: str
    address: str | None
    timezone: str
    schedule_rule: str | None


def _posyandu_row(row: dict[str, Any]) -> PosyanduRow:
    return PosyanduRow(id=int(row["id"]), name=str(row["name"]), address=row["address"],
                       timezone=str(row["timezone"]), schedule_rule=row["schedule_rule"])


async def posyandu_row(db: Database, posyandu_id: int) -> PosyanduRow | None:
    row = await db.fetchone(
        "SELECT id, name, address, timezone, schedule_rule FROM posyandu WHERE id = ?", (posyandu_id,))
    return _posyandu_row(row) if row else None


async def active_posyandu_rows(db: Database) -> list[PosyanduRow]:
    rows = await db.fetchall(
        "SELECT id, name, address, timezone, schedule_rule FROM posyandu WHERE active = 1 ORDER BY id")
    return [_posyandu_row(r) for r in rows]


def _session(row: dict[str, Any]) -> PosyanduSession:
    return PosyanduSession.model_validate(row)


_SESSION_COLS = "id, posyandu_id, session_date, start_time, end_time, status, moved_to, note, created_at"


async def session_overrides(db: Database, posyandu_ids: Collection[int], start: dt.date,
                            end: dt.date) -> list[PosyanduSession]:
    """Rows whose date or `moved_to` lies in [start, end] (both are needed to apply a move)."""
    marks, vals = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"SELECT {_SESSION_COLS} FROM posyandu_sessions WHERE posyandu_id IN ({marks})"
        f" AND ((session_date >= ? AND session_date <= ?) OR (moved_to >= ? AND moved_to <= ?))"
        f" ORDER BY session_date",
        [*vals, start.isoformat(), end.isoformat(), start.isoformat(), end.isoformat()],
    )
    return [_session(r) for r in rows]


async def set_session_override(db: Database, posyandu_id: int, session_date: dt.date, status: SessionStatus, *,
                               moved_to: dt.date | None = None, start_time: dt.time | None = None,
                               end_time: dt.time | None = None, note: str | None = None,
                               actor_id: int | None = None) -> None:
    """Add an explicit date, cancel a date or move it (one row per posyandu and date; replaces that row)."""
    now = to_db_time(db.now())
    async with db.transaction():
        await db.execute("DELETE FROM posyandu_sessions WHERE posyandu_id = ? AND session_date = ?",
                         (posyandu_id, session_date.isoformat()))
        await db.execute(
            "INSERT INTO posyandu_sessions (posyandu_id, session_date, start_time, end_time, status, moved_to,"
            " note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (posyandu_id, session_date.isoformat(), start_time.isoformat("minutes") if start_time else None,
             end_time.isoformat("minutes") if end_time else None, SessionStatus(status).value,
             moved_to.isoformat() if moved_to else None, note, now),
        )
        await db.execute(
            "INSERT INTO audit_log (actor_id, action, entity, entity_id, details, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (actor_id, f"session_{SessionStatus(status).value}", "posyandu", str(posyandu_id),
             json.dumps({"date": session_date.isoformat(), "moved_to": moved_to.isoformat() if moved_to else None}),
             now),
        )


async def delete_session_override(db: Database, posyandu_id: int, session_date: dt.date) -> None:
    await db.execute("DELETE FROM posyandu_sessions WHERE posyandu_id = ? AND session_date = ?",
                     (posyandu_id, session_date.isoformat()))


# ------------------------------------------------------------------ recipients


@dataclass(frozen=True)
class ParentChild:
    """One (parent, child) link of an active child with an active, not opted-out parent."""

    user_id: int
    language: str
    child_id: int
    child_code: str
    child_name: str
    birth_date: dt.date
    posyandu_id: int


async def parents_of_posyandu(db: Database, posyandu_ids: Collection[int]) -> list[ParentChild]:
    marks, vals = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"SELECT g.user_id, u.language, c.id AS child_id, c.code, c.name, c.birth_date, c.posyandu_id"
        f" FROM guardians g JOIN children c ON c.id = g.child_id JOIN users u ON u.telegram_id = g.user_id"
        f" WHERE c.posyandu_id IN ({marks}) AND c.status = 'active' AND u.active = 1 AND u.opted_out = 0"
        f" ORDER BY g.user_id, c.birth_date DESC, c.id",
        vals,
    )
    return [ParentChild(int(r["user_id"]), str(r["language"]), int(r["child_id"]), str(r["code"]), str(r["name"]),
                        dt.date.fromisoformat(r["birth_date"]), int(r["posyandu_id"])) for r in rows]


@dataclass(frozen=True)
class Staff:
    user_id: int
    language: str
    posyandu_id: int


async def cadres_of_posyandu(db: Database, posyandu_ids: Collection[int]) -> list[Staff]:
    marks, vals = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"SELECT telegram_id, language, posyandu_id FROM users WHERE role = 'cadre' AND posyandu_id IN ({marks})"
        f" AND active = 1 AND opted_out = 0 ORDER BY telegram_id",
        vals,
    )
    return [Staff(int(r["telegram_id"]), str(r["language"]), int(r["posyandu_id"])) for r in rows]


@dataclass(frozen=True)
class ChildRow:
    id: int
    code: str
    name: str
    birth_date: dt.date


async def children_of_posyandu(db: Database, posyandu_id: int, born_after: dt.date) -> list[ChildRow]:
    """Active children of the posyandu born after `born_after` (i.e. still under five), by name."""
    rows = await db.fetchall(
        "SELECT id, code, name, birth_date FROM children WHERE posyandu_id = ? AND status = 'active'"
        " AND birth_date > ? ORDER BY name_key, id",
        (posyandu_id, born_after.isoformat()),
    )
    return [ChildRow(int(r["id"]), str(r["code"]), str(r["name"]), dt.date.fromisoformat(r["birth_date"]))
            for r in rows]


async def measured_child_ids(db: Database, posyandu_id: int, start: dt.date, end: dt.date) -> set[int]:
    """Children of the posyandu with a current measurement dated start..end (inclusive)."""
    rows = await db.fetchall(
        "SELECT DISTINCT m.child_id FROM measurements m JOIN children c ON c.id = m.child_id"
        " WHERE c.posyandu_id = ? AND m.superseded_by IS NULL AND m.measured_on >= ? AND m.measured_on <= ?",
        (posyandu_id, start.isoformat(), end.isoformat()),
    )
    return {int(r["child_id"]) for r in rows}


async def set_opt_out(db: Database, user_id: int, opted_out: bool) -> None:
    await db.execute("UPDATE users SET opted_out = ? WHERE telegram_id = ?", (int(opted_out), user_id))


# ------------------------------------------------------------------ the reminders outbox


@dataclass(frozen=True)
class Claim:
    """A reminder to claim: rendered text and where/when it may be sent."""

    key: str
    recipient_id: int
    kind: str
    text: str
    tz: str
    due_at: dt.datetime
    expires_at: dt.datetime
    extra: dict[str, Any] | None = None  # e.g. {"tip_id": ...} for the after-send hook
    status: str = "pending"  # "skipped": recorded as decided, nothing to send (e.g. no tip left)


@dataclass(frozen=True)
class Pending:
    id: int
    key: str
    recipient_id: int
    kind: str
    text: str
    extra: dict[str, Any]
    tz: str
    expires_at: dt.datetime | None
    attempts: int


async def existing_keys(db: Database, keys: Collection[str]) -> set[str]:
    """Which of these idempotency keys already have a row (whatever its status)."""
    found: set[str] = set()
    items = sorted(keys)
    for chunk in _chunks(items):
        marks, vals = in_list(chunk)
        rows = await db.fetchall(f"SELECT idempotency_key FROM reminders_sent WHERE idempotency_key IN ({marks})",
                                 vals)
        found.update(str(r["idempotency_key"]) for r in rows)
    return found


async def claim_many(db: Database, claims: Sequence[Claim], now: dt.datetime) -> int:
    """Insert pending rows; a key that already exists is left alone (UNIQUE). Returns rows inserted."""
    stamp = to_db_time(now)
    inserted = 0
    async with db.transaction():
        for c in claims:
            inserted += await db.execute(
                "INSERT INTO reminders_sent (idempotency_key, recipient_id, kind, sent_at, status, payload, tz,"
                " due_at, expires_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (idempotency_key) DO NOTHING",
                (c.key, c.recipient_id, c.kind, stamp, c.status, json.dumps({"text": c.text, "extra": c.extra or {}}),
                 c.tz, to_db_time(c.due_at), to_db_time(c.expires_at), stamp),
            )
    return inserted


async def pending(db: Database, *, max_attempts: int, limit: int = 5000) -> list[Pending]:
    rows = await db.fetchall(
        "SELECT id, idempotency_key, recipient_id, kind, payload, tz, expires_at, attempts FROM reminders_sent"
        " WHERE status = 'pending' AND attempts < ? ORDER BY id LIMIT ?",
        (max_attempts, limit),
    )
    return [_pending(r) for r in rows]


_PENDING_COLS = "id, idempotency_key, recipient_id, kind, payload, tz, expires_at, attempts"


def _pending(r: dict[str, Any]) -> Pending:
    payload = json.loads(r["payload"] or "{}")
    return Pending(int(r["id"]), str(r["idempotency_key"]), int(r["recipient_id"]), str(r["kind"]),
                   str(payload.get("text", "")), dict(payload.get("extra") or {}), str(r["tz"]),
                   from_db_time(r["expires_at"]), int(r["attempts"]))


async def claim_pending(db: Database, worker: str, now: dt.datetime, lease: dt.timedelta, *, max_attempts: int,
                        after_id: int = 0, limit: int = 200) -> list[Pending]:
    """Claim a batch of pending rows (id > `after_id`) that no other worker holds, for `lease` (several workers:
    storage/work_queries.py). `now` is wall time (the database's clock), not the reminders' business clock."""
    rows = await wq.claim_batch(db, wq.REMINDERS, worker, now, lease, columns=_PENDING_COLS,
                                where="attempts < ? AND id > ?", params=(max_attempts, after_id), limit=limit,
                                order=("id",))
    return [_pending(r) for r in rows]


async def mark(db: Database, row_id: int, status: str, now: dt.datetime, error: str | None = None) -> None:
    """Final state of a claimed row: sent, failed (blocked, bad chat, too many attempts) or skipped (expired).
    Only a pending row changes, so a late second outcome cannot overwrite the first."""
    await db.execute("UPDATE reminders_sent SET status = ?, sent_at = ?, error = ?, claimed_by = NULL,"
                     " lease_until = NULL WHERE id = ? AND status = 'pending'",
                     (status, to_db_time(now), error, row_id))


async def record_attempt(db: Database, row_id: int, error: str) -> None:
    await db.execute("UPDATE reminders_sent SET attempts = attempts + 1, error = ? WHERE id = ?", (error, row_id))


async def deactivate_user(db: Database, user_id: int, now: dt.datetime) -> None:
    """The user blocked the bot (403): stop pushing to them until they write again."""
    async with db.transaction():
        await db.execute("UPDATE users SET active = 0, blocked_at = ? WHERE telegram_id = ?",
                         (to_db_time(now), user_id))
        await db.execute(
            "INSERT INTO audit_log (actor_id, action, entity, entity_id, details, created_at)"
            " VALUES (NULL, 'blocked_bot', 'user', ?, '{}', ?)", (str(user_id), to_db_time(now)))


async def status_counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) AS n FROM reminders_sent GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}


# ------------------------------------------------------------------ vitamin A rounds (migration 0061)


async def vitamin_a_rounds(db: Database) -> dict[int, tuple[int, ...]]:
    """Years whose vitamin A months were changed by an admin: year -> months (other years: the default)."""
    rows = await db.fetchall("SELECT year, months FROM vitamin_a_rounds ORDER BY year")
    return {int(r["year"]): tuple(int(m) for m in str(r["months"]).split(",") if m) for r in rows}


async def set_vitamin_a_rounds(db: Database, year: int, months: tuple[int, ...] | None, *,
                               actor_id: int | None = None) -> None:
    """Set a year's vitamin A months (None: back to the default), with an audit row."""
    now = to_db_time(db.now())
    async with db.transaction():
        if months is None:
            await db.execute("DELETE FROM vitamin_a_rounds WHERE year = ?", (year,))
        else:
            await db.execute(
                "INSERT INTO vitamin_a_rounds (year, months, changed_by, changed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (year) DO UPDATE SET months = excluded.months, changed_by = excluded.changed_by,"
                " changed_at = excluded.changed_at", (year, ",".join(str(m) for m in months), actor_id, now))
        await db.execute(
            "INSERT INTO audit_log (actor_id, action, entity, entity_id, details, created_at)"
            " VALUES (?, 'update', 'vitamin_a_rounds', ?, ?, ?)",
            (actor_id, str(year), json.dumps({"months": list(months or ())}), now))
