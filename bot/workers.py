"""Several worker processes, one bot: who this worker is, its heartbeat, and its share of the send budget.

Every worker runs the same scheduled jobs; claims with a lease (storage/work_queries.py) make them send each
message once. Telegram's limit of about 30 messages a second is per bot token, so the workers split it: each
writes a heartbeat row every `worker_heartbeat_seconds` and takes `total // live workers` messages a second,
recomputed at every beat (docs/workers.md says why this and not a token bucket in the database).

A worker joining workers that already run waits one heartbeat interval at 1 message a second, so the others
have seen it (and lowered their share) before it takes its own: the sum stays within the limit. A worker that
dies stops beating; the others raise their share once its heartbeat is `STALE_BEATS` intervals old. A worker
that stops cleanly deletes its row at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from storage import work_queries as wq
from storage.db import Database

log = logging.getLogger(__name__)

STALE_BEATS = 4  # a heartbeat older than this many intervals: that worker is gone
JOIN_PER_SECOND = 1  # a joining worker's rate until the others have seen it
DEFAULT_LEASE = dt.timedelta(seconds=30)


def default_worker_id() -> str:
    """host:pid: unique among the live workers of one deployment (a pid is unique on its host)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Worker:
    """This process as a claimer of shared work: its id and how long its claims last."""

    id: str
    lease: dt.timedelta = DEFAULT_LEASE


def from_settings(settings: Any) -> Worker:
    return Worker(id=(getattr(settings, "worker_id", None) or "").strip() or default_worker_id(),
                  lease=dt.timedelta(seconds=float(getattr(settings, "worker_lease_seconds", 30.0))))


_process_worker: Worker | None = None


def worker_of(runtime: Any) -> Worker:
    """The runtime's worker (bot.runtime.Runtime.worker); a bare test runtime gets this process's default."""
    found = getattr(runtime, "worker", None)
    if isinstance(found, Worker):
        return found
    global _process_worker
    if _process_worker is None or not _process_worker.id.endswith(f":{os.getpid()}"):
        _process_worker = Worker(default_worker_id())
    return _process_worker


def share(total: int, live: int) -> int:
    """Messages a second for one of `live` workers: never more than `total` together (at least 1 each)."""
    return max(1, total // max(1, live))


class Adjustable(Protocol):
    on_pause: Callable[[float], None] | None

    def set_per_second(self, per_second: int) -> None: ...

    def pause_for_others(self, seconds: float) -> None: ...


async def release_own_claims(db: Database, worker: Worker) -> int:
    """At start: claims still held under this worker's id belong to a previous process of the same id (two live
    processes never share one), which is dead: give them back at once instead of waiting for their lease."""
    released = 0
    for table in (wq.REMINDERS, wq.DELIVERIES, wq.ANSWERS):
        released += await db.execute(
            f"UPDATE {table.name} SET {table.claimed_by} = NULL, {table.lease_until} = NULL"
            f" WHERE {table.claimed_by} = ? AND {table.todo}", (worker.id,))
    if released:
        log.info("worker %s: %d claim(s) of a previous run released", worker.id, released)
    return released


class Heartbeat:
    """Beats every `interval` seconds and gives the budget this worker's share of `total` (see module doc)."""

    def __init__(self, db: Database, worker: Worker, budget: Adjustable | None, *, total: int,
                 interval: float) -> None:
        self.db = db
        self.worker = worker
        self.budget = budget
        self.total = total
        self.interval = interval
        self.live = 1
        self.per_second = total
        self._task: asyncio.Task[None] | None = None
        self._pause_notes: set[asyncio.Task[None]] = set()
        if budget is not None:
            budget.on_pause = self._note_pause

    def _note_pause(self, seconds: float) -> None:
        """A 429 here: record it for the other workers (written in the background; the budget is not async-aware
        of the database)."""
        until = self.db.now() + dt.timedelta(seconds=seconds)
        task = asyncio.get_running_loop().create_task(self._write_pause(until))
        self._pause_notes.add(task)
        task.add_done_callback(self._pause_notes.discard)

    async def _write_pause(self, until: dt.datetime) -> None:
        try:
            await wq.note_pause(self.db, self.worker.id, until)
        except Exception:  # the others then learn of it from their own 429
            log.warning("could not share a flood-control pause", exc_info=True)

    def _stale_before(self, now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(seconds=self.interval * STALE_BEATS)

    async def beat(self) -> int:
        """One heartbeat: record ours, count the live workers, set our share. Returns the share."""
        now = self.db.now()
        await wq.heartbeat(self.db, self.worker.id, now)
        live = await wq.live_workers(self.db, self._stale_before(now))
        self.live = max(1, len(live))
        self.per_second = share(self.total, self.live)
        if self.budget is not None:
            self.budget.set_per_second(self.per_second)
            paused = await wq.others_paused_until(self.db, self.worker.id, now)
            if paused is not None:  # Telegram's 429 to another worker holds for the whole bot
                self.budget.pause_for_others((paused - now).total_seconds())
        return self.per_second

    async def start(self) -> None:
        now = self.db.now()
        await wq.forget_stale_workers(self.db, now - dt.timedelta(seconds=self.interval * STALE_BEATS * 10))
        others = [w for w in await wq.live_workers(self.db, self._stale_before(now)) if w != self.worker.id]
        await release_own_claims(self.db, self.worker)
        if others and self.budget is not None:
            # The others still take total // len(others): wait until each has beaten once since ours (one interval).
            await wq.heartbeat(self.db, self.worker.id, now)
            self.budget.set_per_second(JOIN_PER_SECOND)
            self._task = asyncio.create_task(self._run(first_delay=self.interval * 1.1), name="worker-heartbeat")
        else:
            await self.beat()
            self._task = asyncio.create_task(self._run(first_delay=self.interval), name="worker-heartbeat")
        log.info("worker %s started (%d other live worker(s))", self.worker.id, len(others))

    async def _run(self, first_delay: float) -> None:
        await asyncio.sleep(first_delay)
        while True:
            try:
                before = self.per_second
                await self.beat()
                if self.per_second != before:
                    log.info("worker %s: %d live worker(s), %d messages a second each", self.worker.id,
                             self.live, self.per_second)
            except Exception:  # a locked or unreachable database: keep the last share, try again
                log.warning("worker heartbeat failed", exc_info=True)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await wq.forget_worker(self.db, self.worker.id)
        except Exception:  # stopping anyway; the row goes stale by itself
            log.warning("could not remove the heartbeat of worker %s", self.worker.id, exc_info=True)


__all__ = ["Heartbeat", "Worker", "default_worker_id", "from_settings", "release_own_claims", "share",
           "worker_of"]
