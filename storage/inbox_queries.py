"""The webhook inbox of several workers (migration 0110): updates stored once by update_id, shards owned with a lease.

Portable SQL (SQLite ≥ 3.35, PostgreSQL 15). Times are UTC ISO text (storage.values). bot/inbox.py uses these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from storage.db import Database
from storage.repositories.base import in_list
from storage.values import to_db_time

DONE_SQL = "UPDATE update_inbox SET done_at = ?, payload = NULL WHERE update_id = ? AND done_at IS NULL"


@dataclass(frozen=True)
class Stored:
    update_id: int
    shard: int
    payload: str


async def store(db: Database, update_id: int, shard: int, payload: str, now: dt.datetime) -> bool:
    """Keep an update for its shard's owner; False when this update_id is already here (Telegram retried)."""
    return bool(await db.execute(
        "INSERT INTO update_inbox (update_id, shard, payload, received_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (update_id) DO NOTHING", (update_id, shard, payload, to_db_time(now))))


async def todo(db: Database, shards: Collection[int], *, after: int = -1, limit: int = 200) -> list[Stored]:
    """Unprocessed updates of these shards with update_id > `after`, oldest first."""
    if not shards:
        return []
    marks, vals = in_list(shards)
    rows = await db.fetchall(
        f"SELECT update_id, shard, payload FROM update_inbox WHERE done_at IS NULL AND shard IN ({marks})"
        f" AND update_id > ? ORDER BY update_id LIMIT ?", [*vals, after, limit])
    return [Stored(int(r["update_id"]), int(r["shard"]), str(r["payload"])) for r in rows]


async def mark_done(db: Database, update_id: int, now: dt.datetime) -> bool:
    return bool(await db.execute(DONE_SQL, (to_db_time(now), update_id)))


async def is_done(db: Database, update_id: int) -> bool:
    return await db.fetchval("SELECT done_at FROM update_inbox WHERE update_id = ?", (update_id,)) is not None


async def purge(db: Database, before: dt.datetime) -> int:
    """Forget processed updates older than `before` (Telegram retries an update for at most a day)."""
    return await db.execute("DELETE FROM update_inbox WHERE done_at IS NOT NULL AND done_at < ?",
                            (to_db_time(before),))


async def backlog(db: Database) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM update_inbox WHERE done_at IS NULL") or 0)


# ------------------------------------------------------------------ shards


async def ensure_shards(db: Database, shards: int) -> None:
    async with db.transaction():
        for shard in range(shards):
            await db.execute("INSERT INTO update_shards (shard, epoch) VALUES (?, 0) ON CONFLICT (shard) DO NOTHING",
                             (shard,))


async def take(db: Database, shard: int, worker: str, now: dt.datetime, lease: dt.timedelta) -> int | None:
    """Own a shard nobody owns (or whose owner's lease lapsed); its new epoch, or None when another owns it."""
    async with db.transaction():
        row = await db.fetchone(
            "UPDATE update_shards SET owner = ?, lease_until = ?, epoch = epoch + 1 WHERE shard = ?"
            " AND (owner IS NULL OR lease_until IS NULL OR lease_until <= ?) RETURNING epoch",
            (worker, to_db_time(now + lease), shard, to_db_time(now)))
    return int(row["epoch"]) if row else None


async def renew(db: Database, shard: int, worker: str, epoch: int, now: dt.datetime, lease: dt.timedelta) -> bool:
    """Extend our lease; False when the shard is no longer ours (our lease lapsed and another took it)."""
    return bool(await db.execute(
        "UPDATE update_shards SET lease_until = ? WHERE shard = ? AND owner = ? AND epoch = ?",
        (to_db_time(now + lease), shard, worker, epoch)))


async def give_up(db: Database, shard: int, worker: str, epoch: int) -> bool:
    return bool(await db.execute(
        "UPDATE update_shards SET owner = NULL, lease_until = NULL WHERE shard = ? AND owner = ? AND epoch = ?",
        (shard, worker, epoch)))


async def release_all(db: Database, worker: str) -> int:
    """At start: shards still owned under this worker's id belong to its dead predecessor of the same id."""
    return await db.execute("UPDATE update_shards SET owner = NULL, lease_until = NULL WHERE owner = ?", (worker,))


async def owners(db: Database) -> dict[int, str | None]:
    rows = await db.fetchall("SELECT shard, owner FROM update_shards ORDER BY shard")
    return {int(r["shard"]): r["owner"] for r in rows}


__all__ = ["DONE_SQL", "Stored", "backlog", "ensure_shards", "give_up", "is_done", "mark_done", "owners", "purge",
           "release_all", "renew", "store", "take", "todo"]
