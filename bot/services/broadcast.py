"""Broadcasts: checking a draft, choosing recipients, and sending with resumable, exactly-once-per-row delivery.

No telegram imports: the handler passes a `Transport` that sends one message and translates Telegram's
errors into the exceptions below. Delivery rows are written before anything is sent; each row moves from
pending to sent / blocked / failed exactly once (the UPDATE only touches pending rows), and a stopped
sender (restart) leaves the rest pending for `resume` to pick up. Several workers may send one broadcast: each
claims a batch of deliveries with a lease and sends a row only while it still holds it (storage/work_queries.py);
a killed worker's batch goes to another when the lease lapses. A message is recorded right after its send
returns; only a process killed between the two (at most `concurrency` messages) can repeat one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.i18n import N_
from bot.workers import Worker, worker_of
from storage import coordinator_queries as q
from storage import work_queries as wq
from storage.db import Database
from storage.models import Broadcast, BroadcastStatus, DeliveryStatus

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # Telegram's limit for a text message (UTF-16 code units, after entity parsing)
MAX_CAPTION = 1024  # ... and for the caption of a photo or document
# Telegram allows about 30 messages a second to different chats. We pace evenly at 29/s and also never let
# more than 30 sends start within a 1.05 s window (in-flight ones included): a 429 stalls every request of
# the bot for a second, so staying just under the limit is faster than bouncing off it (benchmarks/broadcast.py).
DEFAULT_RATE = 29.0
DEFAULT_WINDOW_LIMIT = 30
DEFAULT_WINDOW = 1.05
DEFAULT_CONCURRENCY = 8  # sends in flight: enough to hide one request's latency at 30/s
MAX_ATTEMPTS = 3  # network errors before a delivery is given up as failed
PROGRESS_EVERY = 3.0  # seconds between edits of the author's progress message
CLAIM_BATCH = 25  # deliveries one worker claims at a time: a second or two of sending, well within a lease


class Audience(StrEnum):
    CADRES = "cadres"
    PARENTS = "parents"
    ALL = "all"

    @property
    def cadres(self) -> bool:
        return self in (Audience.CADRES, Audience.ALL)

    @property
    def parents(self) -> bool:
        return self in (Audience.PARENTS, Audience.ALL)


AUDIENCE_LABELS: dict[Audience, str] = {
    Audience.CADRES: N_("cadres"),
    Audience.PARENTS: N_("parents"),
    Audience.ALL: N_("cadres and parents"),
}


def utf16_len(text: str) -> int:
    """Telegram counts text limits in UTF-16 code units (an emoji can count as two)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class DraftError(ValueError):
    """A draft that cannot be sent as it is; `code` names the problem, `length`/`limit` give the numbers."""

    def __init__(self, code: str, length: int = 0, limit: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.length = length
        self.limit = limit


# Every copy starts with a heading ("📢 Pengumuman — Kelurahan …") so a parent knows who is writing; the
# author's text keeps this much room free under Telegram's limits.
HEADING_RESERVE = 120
MAX_DRAFT_TEXT = MAX_TEXT - HEADING_RESERVE
MAX_DRAFT_CAPTION = MAX_CAPTION - HEADING_RESERVE


def check_draft(text: str, *, media_type: str | None) -> None:
    """Raise DraftError for an empty message or one over the limit (Telegram's 4096/1024 less the heading).

    `text` is the plain text as the user sees it (what Telegram measures), not the HTML we send.
    """
    length = utf16_len(text.strip())
    if media_type is None:
        if length == 0:
            raise DraftError("empty")
        if length > MAX_DRAFT_TEXT:
            raise DraftError("text_too_long", length, MAX_DRAFT_TEXT)
    elif length > MAX_DRAFT_CAPTION:
        raise DraftError("caption_too_long", length, MAX_DRAFT_CAPTION)


# ------------------------------------------------------------------ sending


class RecipientBlocked(Exception):
    """403: the user blocked the bot (or deleted the account)."""


class RateLimited(Exception):
    """429 that PTB's rate limiter could not absorb: wait `retry_after` seconds, then try again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class TransientSendError(Exception):
    """Network trouble or a 5xx: worth another attempt."""


class PermanentSendError(Exception):
    """400 and the like (chat not found, bad file): another attempt would fail the same way."""


class Transport(Protocol):
    async def __call__(self, recipient_id: int, broadcast: Broadcast) -> None: ...


class Pacer:
    """Send slots: evenly spaced at `rate` per second, and never more than `limit` sends started in any
    `window` seconds, counting sends still in flight as started now and finished ones by their finish time.

    Why both: PTB's AIORateLimiter (a leaky bucket, which still guards every request) takes its token before
    it waits out a 429, so after a 429 pause every send held inside it goes out at once. Measured against a
    strict 30/s window that burst caused the next 429, and so on (330 of them for 10,000 messages, 52 % of the
    limit). Counting in-flight sends here caps the burst and keeps the window below Telegram's limit.
    """

    def __init__(self, rate: float, *, limit: int | None = None, window: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.limit = limit if limit is not None else (int(rate) if rate > 0 else 0)
        self.window = window
        self._clock = clock
        self._next = clock()
        self._lock = asyncio.Lock()
        self._in_flight = 0
        self._finished: deque[float] = deque()

    async def acquire(self) -> None:
        """Wait for a slot; pair every acquire with one `release` when the send has returned."""
        async with self._lock:  # one waiter at a time keeps the order first come, first served
            while True:
                now = self._clock()
                while self._finished and self._finished[0] <= now - self.window:
                    self._finished.popleft()
                waits = [self._next - now]
                if self.limit and len(self._finished) + self._in_flight >= self.limit:
                    # Full: wait for the oldest finished send to leave the window (or a send to finish).
                    waits.append(self._finished[0] + self.window - now if self._finished else 0.01)
                wait = max(waits)
                if wait <= 0:
                    break
                await asyncio.sleep(max(wait, 0.001))
            self._next = max(self._next, now) + self.interval
            self._in_flight += 1

    def release(self) -> None:
        self._in_flight -= 1
        self._finished.append(self._clock())

    def pause(self, seconds: float) -> None:
        self._next = max(self._next, self._clock() + seconds)


@dataclass
class SendReport:
    broadcast_id: int
    counts: q.DeliveryCounts
    finished: bool  # False: stopped early (shutdown); the rest stays pending for resume
    reported: bool = False  # True for the one run that finished the broadcast (send the final report once)
    rate_limited: int = 0  # 429s that reached us (after PTB's own retries)
    elapsed: float = 0.0


ProgressCallback = Callable[[q.DeliveryCounts], Awaitable[None]]


@dataclass
class BroadcastSender:
    """Sends one broadcast's pending deliveries through `transport`; safe to stop and resume."""

    db: Database
    transport: Transport
    rate: float = DEFAULT_RATE
    window_limit: int | None = DEFAULT_WINDOW_LIMIT  # sends per `window` seconds (0: no cap, None: int(rate))
    window: float = DEFAULT_WINDOW
    concurrency: int = DEFAULT_CONCURRENCY
    progress_every: float = PROGRESS_EVERY
    should_continue: Callable[[], bool] = lambda: True
    on_blocked: Callable[[int], Awaitable[None]] | None = None
    on_progress: ProgressCallback | None = None
    clock: Callable[[], float] = time.monotonic
    pacer: Pacer | None = None
    worker: Worker | None = None  # who claims the deliveries (default: this process; bot/workers.py)
    batch: int = CLAIM_BATCH
    _rate_limited: int = field(default=0, init=False)

    async def run(self, broadcast_id: int) -> SendReport:
        started = self.clock()
        broadcast = await q.get_broadcast(self.db, broadcast_id)
        if broadcast is None or broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
            counts = await q.delivery_counts(self.db, broadcast_id)
            return SendReport(broadcast_id, counts, finished=True)
        await q.set_broadcast_status(self.db, broadcast_id, BroadcastStatus.SENDING)
        worker = self.worker or worker_of(None)
        pacer = self.pacer or Pacer(self.rate, limit=self.window_limit, window=self.window, clock=self.clock)
        progress_task = asyncio.create_task(self._progress_loop(broadcast_id)) if self.on_progress else None
        try:
            # A batch at a time, claimed for this worker: other workers sending the same broadcast claim others.
            while self.should_continue():
                rows = await wq.claim_batch(self.db, wq.DELIVERIES, worker.id, self.db.now(), worker.lease,
                                            columns="id, recipient_id, attempts", where="broadcast_id = ?",
                                            params=(broadcast_id,), limit=self.batch)
                if not rows:
                    break
                await self._send_batch(broadcast, [q.DeliveryTask.model_validate(r) for r in rows], pacer, worker)
        finally:
            if progress_task is not None:
                progress_task.cancel()
        counts = await q.delivery_counts(self.db, broadcast_id)
        # Rows another worker still holds count as pending: that worker finishes (and reports) the broadcast.
        finished = counts.pending == 0
        reported = await q.finish_broadcast(self.db, broadcast_id) if finished else False
        log.info("broadcast %s %s: sent %s blocked %s failed %s pending %s in %.1f s", broadcast_id,
                 "finished" if finished else "left", counts.sent, counts.blocked, counts.failed, counts.pending,
                 self.clock() - started)
        return SendReport(broadcast_id, counts, finished, reported, self._rate_limited, self.clock() - started)

    async def _send_batch(self, broadcast: Broadcast, batch: list[q.DeliveryTask], pacer: Pacer,
                          worker: Worker) -> None:
        queue: asyncio.Queue[q.DeliveryTask] = asyncio.Queue()
        for task in batch:
            queue.put_nowait(task)
        tasks = [asyncio.create_task(self._worker(broadcast, queue, pacer, worker))
                 for _ in range(max(1, min(self.concurrency, len(batch))))]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            # Not sent (stopping): back to the pool at once, for the next run of any worker.
            await wq.release(self.db, wq.DELIVERIES, [t.id for t in batch], worker.id)

    async def _progress_loop(self, broadcast_id: int) -> None:
        assert self.on_progress is not None
        while True:
            await asyncio.sleep(self.progress_every)
            try:
                await self.on_progress(await q.delivery_counts(self.db, broadcast_id))
            except Exception:  # a failed progress edit must never stop the broadcast itself
                log.warning("progress update of broadcast %s failed", broadcast_id, exc_info=True)

    async def _worker(self, broadcast: Broadcast, queue: asyncio.Queue[q.DeliveryTask], pacer: Pacer,
                      worker: Worker) -> None:
        while self.should_continue():
            try:
                task = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            # Still ours? Our lease may have lapsed (a long 429 pause) and another worker taken the row over.
            if not await wq.confirm(self.db, wq.DELIVERIES, task.id, worker.id, self.db.now(), worker.lease):
                continue
            await pacer.acquire()
            if not self.should_continue():
                pacer.release()
                return  # stopping: this row stays pending and is sent after the restart
            try:
                try:
                    await self.transport(task.recipient_id, broadcast)
                finally:
                    pacer.release()
            except RecipientBlocked:
                await q.mark_delivery(self.db, task.id, DeliveryStatus.BLOCKED, error="blocked")
                if self.on_blocked is not None:
                    await self.on_blocked(task.recipient_id)
            except RateLimited as exc:
                # Not the recipient's fault: no attempt counted; everyone waits, then this row goes again.
                self._rate_limited += 1
                pacer.pause(exc.retry_after)
                queue.put_nowait(task)
            except PermanentSendError as exc:
                await q.mark_delivery(self.db, task.id, DeliveryStatus.FAILED, error=str(exc)[:200])
            except TransientSendError as exc:
                attempts = task.attempts + 1
                if attempts >= MAX_ATTEMPTS:
                    await q.mark_delivery(self.db, task.id, DeliveryStatus.FAILED, error=str(exc)[:200])
                else:
                    await q.note_attempt(self.db, task.id, str(exc)[:200])
                    await asyncio.sleep(0.5 * attempts)  # a short back-off: the network may come back
                    queue.put_nowait(task.model_copy(update={"attempts": attempts}))
            else:
                await q.mark_delivery(self.db, task.id, DeliveryStatus.SENT)


# ------------------------------------------------------------------ the records the Telegram side reads and writes
# (handlers reach storage only through services: these pass through to storage.coordinator_queries)

DeliveryCounts = q.DeliveryCounts
Progress = q.Progress
create_broadcast = q.create_broadcast
set_progress_message = q.set_progress_message
get_progress = q.get_progress
get_broadcast = q.get_broadcast
unfinished_broadcasts = q.unfinished_broadcasts
list_broadcasts = q.list_broadcasts
delivery_counts = q.delivery_counts


__all__ = [
    "AUDIENCE_LABELS",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_RATE",
    "MAX_CAPTION",
    "MAX_TEXT",
    "Audience",
    "BroadcastSender",
    "DeliveryCounts",
    "DraftError",
    "Pacer",
    "PermanentSendError",
    "Progress",
    "RateLimited",
    "RecipientBlocked",
    "SendReport",
    "TransientSendError",
    "Transport",
    "check_draft",
    "create_broadcast",
    "delivery_counts",
    "get_broadcast",
    "get_progress",
    "list_broadcasts",
    "set_progress_message",
    "unfinished_broadcasts",
    "utf16_len",
]
