"""Work shared by several worker processes: batches of sends claimed with a lease, and the workers' heartbeats.

Why leases (docs/workers.md): every worker runs the same scheduled jobs. A row (a reminder, a broadcast delivery)
is sent only by the worker that holds its claim: `claim_batch` gives a worker up to `limit` unclaimed or lapsed
rows in one statement (`UPDATE ... RETURNING`; on PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, on
SQLite the statement holds the database's one write lock), and `confirm` re-checks and extends the claim just
before each send. A worker killed with rows claimed leaves them to whoever claims after `lease_until`.

Portable SQL only (SQLite ≥ 3.35 and PostgreSQL 15): times are UTC ISO text compared as text (storage.values),
table and column names come from the constants below, never from callers' data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Database, Row
from storage.repositories.base import in_list
from storage.values import to_db_time


@dataclass(frozen=True)
class LeasedTable:
    """A table whose rows are claimed: its key column, its lease columns and what "still to do" means."""

    name: str
    todo: str  # SQL condition of rows still to send, e.g. "status = 'pending'"
    key: str = "id"
    claimed_by: str = "claimed_by"
    lease_until: str = "lease_until"


REMINDERS = LeasedTable("reminders_sent", "status = 'pending'")
DELIVERIES = LeasedTable("broadcast_deliveries", "status = 'pending'")
ANSWERS = LeasedTable("parent_threads", "status = 'answered' AND answer_sent_at IS NULL",
                      claimed_by="answer_claimed_by", lease_until="answer_lease_until")


def _free(t: LeasedTable) -> str:
    return f"({t.lease_until} IS NULL OR {t.lease_until} <= ?)"


async def claim_batch(db: Database, table: LeasedTable, worker: str, now: dt.datetime, lease: dt.timedelta, *,
                      columns: str, where: str = "1 = 1", params: Sequence[Any] = (), limit: int = 100,
                      order: Sequence[str] = ("id",)) -> list[Row]:
    """Claim up to `limit` rows to do that nobody holds (or whose lease has lapsed); return them by `order`.

    `where`/`params`: a further condition (e.g. one broadcast). The rows come back with `columns` (which must
    include the `order` columns), oldest first by `order`.
    """
    stamp, until = to_db_time(now), to_db_time(now + lease)
    pick = (f"SELECT {table.key} FROM {table.name} WHERE {table.todo} AND ({where}) AND {_free(table)}"
            f" ORDER BY {', '.join(order)} LIMIT ?")
    if db.dialect == "postgresql":
        # The rows are picked once, in a materialised CTE, and locked with SKIP LOCKED: `key IN (SELECT ... LIMIT
        # n FOR UPDATE SKIP LOCKED)` in the UPDATE's WHERE may be run again for each row and take them all.
        sql = (f"WITH picked AS MATERIALIZED ({pick.replace(f'SELECT {table.key} ', f'SELECT {table.key} AS k ', 1)}"
               f" FOR UPDATE SKIP LOCKED) UPDATE {table.name} SET {table.claimed_by} = ?, {table.lease_until} = ?"
               f" FROM picked WHERE {table.name}.{table.key} = picked.k RETURNING {columns}")
        args = [*params, stamp, limit, worker, until]
    else:  # one writer at a time (BEGIN IMMEDIATE): the subquery sees what the UPDATE changes
        sql = (f"UPDATE {table.name} SET {table.claimed_by} = ?, {table.lease_until} = ?"
               f" WHERE {table.key} IN ({pick}) AND {table.todo} AND {_free(table)} RETURNING {columns}")
        args = [worker, until, *params, stamp, limit, stamp]
    async with db.transaction():
        rows = await db.fetchall(sql, args)
    # RETURNING gives no order guarantee: the caller gets them in the order it asked for.
    return sorted(rows, key=lambda r: tuple(r[c] for c in order))


async def confirm(db: Database, table: LeasedTable, row_key: object, worker: str, now: dt.datetime,
                  lease: dt.timedelta) -> bool:
    """Just before a send: True when this worker still holds the row's claim (and it is still to do); the lease
    then runs `lease` from now. False: another worker took it over (our lease lapsed) or it was done meanwhile."""
    changed = await db.execute(
        f"UPDATE {table.name} SET {table.lease_until} = ? WHERE {table.key} = ? AND {table.claimed_by} = ?"
        f" AND {table.todo}", (to_db_time(now + lease), row_key, worker))
    return changed == 1


async def claim_one(db: Database, table: LeasedTable, row_key: object, worker: str, now: dt.datetime,
                    lease: dt.timedelta) -> bool:
    """Claim one row to do (free, lapsed or already ours) for `lease`; False when another worker holds it."""
    stamp = to_db_time(now)
    changed = await db.execute(
        f"UPDATE {table.name} SET {table.claimed_by} = ?, {table.lease_until} = ? WHERE {table.key} = ?"
        f" AND {table.todo} AND ({_free(table)} OR {table.claimed_by} = ?)",
        (worker, to_db_time(now + lease), row_key, stamp, worker))
    return changed == 1


async def release(db: Database, table: LeasedTable, keys: Collection[object], worker: str) -> int:
    """Give back claimed rows not sent (quiet hours, a stopping worker): another run may take them at once."""
    if not keys:
        return 0
    marks, vals = in_list(keys)
    return await db.execute(
        f"UPDATE {table.name} SET {table.claimed_by} = NULL, {table.lease_until} = NULL"
        f" WHERE {table.key} IN ({marks}) AND {table.claimed_by} = ?", [*vals, worker])


# ------------------------------------------------------------------ heartbeats


async def heartbeat(db: Database, worker: str, now: dt.datetime) -> None:
    stamp = to_db_time(now)
    await db.execute(
        "INSERT INTO workers (worker_id, started_at, seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT (worker_id) DO UPDATE SET seen_at = excluded.seen_at", (worker, stamp, stamp))


async def note_pause(db: Database, worker: str, until: dt.datetime) -> None:
    """Telegram told this worker to wait until `until` (429): the other workers read it with their heartbeat."""
    stamp = to_db_time(until)
    await db.execute("UPDATE workers SET pause_until = ? WHERE worker_id = ?"
                     " AND (pause_until IS NULL OR pause_until < ?)", (stamp, worker, stamp))


async def others_paused_until(db: Database, worker: str, now: dt.datetime) -> dt.datetime | None:
    """The latest pause another worker was told to keep that is still running (None: none)."""
    value = await db.fetchval("SELECT MAX(pause_until) FROM workers WHERE worker_id <> ? AND pause_until > ?",
                              (worker, to_db_time(now)))
    return dt.datetime.fromisoformat(value) if value else None


async def live_workers(db: Database, since: dt.datetime) -> list[str]:
    """Workers whose heartbeat is newer than `since`, by id."""
    rows = await db.fetchall("SELECT worker_id FROM workers WHERE seen_at > ? ORDER BY worker_id",
                             (to_db_time(since),))
    return [str(r["worker_id"]) for r in rows]


async def forget_worker(db: Database, worker: str) -> None:
    await db.execute("DELETE FROM workers WHERE worker_id = ?", (worker,))


async def forget_stale_workers(db: Database, before: dt.datetime) -> int:
    return await db.execute("DELETE FROM workers WHERE seen_at < ?", (to_db_time(before),))


__all__ = ["ANSWERS", "DELIVERIES", "REMINDERS", "LeasedTable", "claim_batch", "claim_one", "confirm",
           "forget_stale_workers", "forget_worker", "heartbeat", "live_workers", "note_pause", "others_paused_until",
           "release"]
