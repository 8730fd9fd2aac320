"""Broadcast service: draft checks, pacing, and the resumable sender against a scripted transport."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services import broadcast as svc
from storage import coordinator_queries as q
from storage.db import Database, open_database
from storage.models import Broadcast, BroadcastCreate, BroadcastStatus


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "b.db")
    try:
        yield database
    finally:
        await database.close()


async def _broadcast(db: Database, recipients: list[int]) -> Broadcast:
    return await q.create_broadcast(db, BroadcastCreate(author_id=1, text="Halo", audience="parents"), recipients,
                                    chat_id=1)


class Script:
    """A transport that fails on cue and records every successful send."""

    def __init__(self, faults: dict[int, list[Exception]] | None = None, delay: float = 0.0) -> None:
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.delivered: Counter[int] = Counter()
        self.calls = 0
        self.delay = delay
        self.reached = asyncio.Event()  # set once `threshold` copies went out
        self.threshold = 0

    async def __call__(self, recipient_id: int, broadcast: Broadcast) -> None:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        pending = self.faults.get(recipient_id)
        if pending:
            raise pending.pop(0)
        self.delivered[recipient_id] += 1
        if self.threshold and sum(self.delivered.values()) >= self.threshold:
            self.reached.set()


@pytest.mark.parametrize(("text", "media", "code"), [
    ("", None, "empty"),
    ("   \n ", None, "empty"),
    # Telegram's 4096/1024, less the 120 kept for the heading every copy starts with.
    ("x" * 3976, None, None),
    ("x" * 3977, None, "text_too_long"),
    ("😀" * 1988, None, None),  # 3976 UTF-16 units
    ("😀" * 1989, None, "text_too_long"),
    ("", "photo", None),  # a photo without caption is fine
    ("y" * 904, "photo", None),
    ("y" * 905, "document", "caption_too_long"),
])
def test_check_draft(text: str, media: str | None, code: str | None) -> None:
    if code is None:
        svc.check_draft(text, media_type=media)
    else:
        with pytest.raises(svc.DraftError) as err:
            svc.check_draft(text, media_type=media)
        assert err.value.code == code


async def test_pacer_spaces_sends_evenly() -> None:
    pacer = svc.Pacer(100.0)
    started = time.monotonic()
    for _ in range(21):
        await pacer.acquire()
    assert 0.18 <= time.monotonic() - started < 0.4


async def test_pacer_pause_holds_everyone_back() -> None:
    pacer = svc.Pacer(1000.0)
    await pacer.acquire()
    pacer.pause(0.2)
    started = time.monotonic()
    await pacer.acquire()
    assert time.monotonic() - started >= 0.18


async def test_every_recipient_once_with_429_blocks_and_failures(db: Database) -> None:
    recipients = list(range(100, 140))
    b = await _broadcast(db, recipients)
    script = Script({
        101: [svc.RateLimited(0.05), svc.RateLimited(0.05)],
        102: [svc.RecipientBlocked()],
        103: [svc.TransientSendError("TimedOut")],
        104: [svc.TransientSendError("x"), svc.TransientSendError("x"), svc.TransientSendError("x")],
        105: [svc.PermanentSendError("chat not found")],
    })
    blocked: list[int] = []

    async def on_blocked(uid: int) -> None:
        blocked.append(uid)

    report = await svc.BroadcastSender(db, script, rate=500, concurrency=4, on_blocked=on_blocked).run(b.id)
    assert report.finished and report.reported
    assert report.counts.sent == 37 and report.counts.blocked == 1 and report.counts.failed == 2
    assert report.rate_limited == 2
    assert set(script.delivered) == set(recipients) - {102, 104, 105}
    assert max(script.delivered.values()) == 1
    assert blocked == [102]
    assert (await q.get_broadcast(db, b.id)).status == BroadcastStatus.DONE  # type: ignore[union-attr]


async def test_stop_and_resume_sends_no_duplicates(db: Database) -> None:
    recipients = list(range(1, 61))
    b = await _broadcast(db, recipients)
    script = Script(delay=0.005)
    script.threshold = 15
    keep_going = True
    sender = svc.BroadcastSender(db, script, rate=400, concurrency=3, should_continue=lambda: keep_going)
    task = asyncio.create_task(sender.run(b.id))
    await asyncio.wait_for(script.reached.wait(), 5)
    keep_going = False
    first = await task
    assert not first.finished and not first.reported and 0 < first.counts.pending < 60
    assert await q.unfinished_broadcasts(db) == [b.id]
    second = await svc.BroadcastSender(db, script, rate=400, concurrency=3).run(b.id)
    assert second.finished and second.reported and second.counts.sent == 60
    assert script.delivered == Counter({r: 1 for r in recipients})
    # Running a finished broadcast again sends nothing and does not report twice.
    third = await svc.BroadcastSender(db, script, rate=400).run(b.id)
    assert third.finished and not third.reported and script.calls == 60


async def test_progress_callback_is_called_while_sending(db: Database) -> None:
    b = await _broadcast(db, list(range(1, 31)))
    seen: list[int] = []

    async def on_progress(c: q.DeliveryCounts) -> None:
        seen.append(c.sent)

    await svc.BroadcastSender(db, Script(), rate=100, progress_every=0.05, on_progress=on_progress).run(b.id)
    assert seen and seen == sorted(seen) and seen[-1] <= 30


async def test_rate_is_respected(db: Database) -> None:
    b = await _broadcast(db, list(range(1, 51)))
    started = time.monotonic()
    await svc.BroadcastSender(db, Script(), rate=100, concurrency=8).run(b.id)
    assert time.monotonic() - started >= 0.45  # 50 sends at 100/s: not faster than the pacer allows


async def test_pacer_window_counts_sends_in_flight() -> None:
    """At most `limit` sends per window, counting unfinished ones: a stalled burst cannot pile up behind."""
    pacer = svc.Pacer(10_000.0, limit=3, window=0.2)
    for _ in range(3):
        await pacer.acquire()  # three in flight, none finished
    waiter = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0.1)
    assert not waiter.done()  # full although nothing was sent in the last 0.2 s
    started = time.monotonic()
    pacer.release()  # one finishes now: it stays in the window for 0.2 s
    await asyncio.wait_for(waiter, 1)
    assert time.monotonic() - started >= 0.18
