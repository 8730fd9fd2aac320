"""Several workers on one database: claims with a lease, take-over after a lapsed lease, the split send budget.

Each "worker" here has its own connection to the same SQLite file (as separate processes would) and its own id;
the database clock is a ManualClock, so a lease lapses when the test says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.send_budget import InProcessSendBudget
from bot.services import broadcast as bsvc
from bot.services import parent_threads as pt
from bot.services import reminders as r
from bot.workers import Heartbeat, Worker, release_own_claims, share
from storage import Repositories, open_database
from storage import coordinator_queries as cq
from storage import inbox_queries as iq
from storage import reminders_queries as q
from storage import thread_queries as tq
from storage import work_queries as wq
from storage.db import Database
from storage.models import AreaLevel, Broadcast, BroadcastCreate, PosyanduCreate

T0 = dt.datetime(2024, 3, 11, 9, 30, tzinfo=dt.UTC)  # 16.30 WIB: not quiet hours
LEASE = dt.timedelta(seconds=30)
A = Worker("host-a:1", LEASE)
B = Worker("host-b:2", LEASE)


@pytest.fixture
async def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def dbs(tmp_path: Path, clock: ManualClock) -> AsyncIterator[tuple[Database, Database]]:
    first = await open_database(tmp_path / "w.db", clock=clock)
    second = await open_database(tmp_path / "w.db", clock=clock, migrate=False)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def _reminders(db: Database, n: int) -> None:
    claims = [q.Claim(f"case_due:{1000 + i}:1:2024-03-12", 1000 + i, "case_due", f"Kasus {i}", "Asia/Jakarta",
                      T0 - dt.timedelta(minutes=30), T0 + dt.timedelta(hours=24)) for i in range(n)]
    assert await q.claim_many(db, claims, T0) == n


class Recorder:
    """A bot (reminders) and a transport (broadcasts) that record sends, optionally slowly."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[int] = []
        self.delay = delay

    async def send_message(self, chat_id: int, text: str) -> Any:
        await asyncio.sleep(self.delay)
        self.sent.append(chat_id)

    async def __call__(self, recipient_id: int, broadcast: Broadcast) -> None:
        await asyncio.sleep(self.delay)
        self.sent.append(recipient_id)


# ------------------------------------------------------------------ claims


async def test_two_workers_claiming_at_once_get_disjoint_batches(dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    await _reminders(one, 30)
    cols = "id, recipient_id"
    got_a, got_b = await asyncio.gather(
        wq.claim_batch(one, wq.REMINDERS, A.id, one.now(), LEASE, columns=cols, limit=20),
        wq.claim_batch(two, wq.REMINDERS, B.id, two.now(), LEASE, columns=cols, limit=20))
    ids_a, ids_b = {row["id"] for row in got_a}, {row["id"] for row in got_b}
    assert not ids_a & ids_b
    assert len(ids_a | ids_b) == 30


async def test_claimed_rows_come_back_in_id_order(dbs: tuple[Database, Database]) -> None:
    one, _ = dbs
    await _reminders(one, 12)
    rows = await wq.claim_batch(one, wq.REMINDERS, A.id, one.now(), LEASE, columns="id", limit=12)
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)


async def test_a_claim_is_not_taken_over_before_its_lease_lapses(dbs: tuple[Database, Database],
                                                                 clock: ManualClock) -> None:
    one, two = dbs
    await _reminders(one, 5)
    await wq.claim_batch(one, wq.REMINDERS, A.id, one.now(), LEASE, columns="id")
    clock.advance(LEASE - dt.timedelta(seconds=1))
    assert await wq.claim_batch(two, wq.REMINDERS, B.id, two.now(), LEASE, columns="id") == []


async def test_a_dead_workers_claims_are_taken_over_after_the_lease(dbs: tuple[Database, Database],
                                                                    clock: ManualClock) -> None:
    one, two = dbs
    await _reminders(one, 5)
    mine = await wq.claim_batch(one, wq.REMINDERS, A.id, one.now(), LEASE, columns="id")
    clock.advance(LEASE)
    taken = await wq.claim_batch(two, wq.REMINDERS, B.id, two.now(), LEASE, columns="id")
    assert {row["id"] for row in taken} == {row["id"] for row in mine}


async def test_a_worker_whose_lease_lapsed_and_was_taken_over_does_not_send(dbs: tuple[Database, Database],
                                                                             clock: ManualClock) -> None:
    one, two = dbs
    await _reminders(one, 1)
    (row,) = await wq.claim_batch(one, wq.REMINDERS, A.id, one.now(), LEASE, columns="id")
    clock.advance(LEASE + dt.timedelta(seconds=1))  # A stalled (a long pause) past its lease
    await wq.claim_batch(two, wq.REMINDERS, B.id, two.now(), LEASE, columns="id")
    assert not await wq.confirm(one, wq.REMINDERS, row["id"], A.id, one.now(), LEASE)
    assert await wq.confirm(two, wq.REMINDERS, row["id"], B.id, two.now(), LEASE)


async def test_a_lapsed_claim_nobody_took_is_still_the_holders(dbs: tuple[Database, Database],
                                                               clock: ManualClock) -> None:
    one, _ = dbs
    await _reminders(one, 1)
    (row,) = await wq.claim_batch(one, wq.REMINDERS, A.id, one.now(), LEASE, columns="id")
    clock.advance(LEASE * 2)
    assert await wq.confirm(one, wq.REMINDERS, row["id"], A.id, one.now(), LEASE)


async def test_a_restarted_worker_of_the_same_id_releases_its_old_claims_at_once(
        dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    await _reminders(one, 4)
    await wq.claim_batch(one, wq.REMINDERS, A.id, one.now(), LEASE, columns="id")
    assert await release_own_claims(two, A) == 4
    assert len(await wq.claim_batch(two, wq.REMINDERS, B.id, two.now(), LEASE, columns="id")) == 4


# ------------------------------------------------------------------ whole runs on two workers


async def test_two_workers_sending_reminders_at_once_send_each_once(dbs: tuple[Database, Database],
                                                                    clock: ManualClock) -> None:
    one, two = dbs
    await _reminders(one, 450)  # more than two claim batches
    bot_a, bot_b = Recorder(0.001), Recorder(0.001)
    rep_a, rep_b = r.DispatchReport(), r.DispatchReport()
    await asyncio.gather(r.send_pending(one, None, bot_a, clock, rep_a, A),
                         r.send_pending(two, None, bot_b, clock, rep_b, B))
    counts = Counter(bot_a.sent + bot_b.sent)
    assert len(counts) == 450
    assert set(counts.values()) == {1}
    assert bot_a.sent and bot_b.sent  # both took part
    assert (await q.status_counts(one)) == {"sent": 450}


async def test_reminders_a_killed_worker_claimed_are_sent_by_another_after_the_lease(
        dbs: tuple[Database, Database], clock: ManualClock) -> None:
    one, two = dbs
    await _reminders(one, 20)
    await q.claim_pending(one, A.id, one.now(), LEASE, max_attempts=r.MAX_ATTEMPTS)  # then A is killed
    bot_b = Recorder()
    await r.send_pending(two, None, bot_b, clock, r.DispatchReport(), B)
    assert bot_b.sent == []
    clock.advance(LEASE)
    await r.send_pending(two, None, bot_b, clock, r.DispatchReport(), B)
    assert sorted(bot_b.sent) == [1000 + i for i in range(20)]


async def test_a_quiet_hours_reminder_is_given_back_for_the_next_run(dbs: tuple[Database, Database],
                                                                     clock: ManualClock) -> None:
    one, two = dbs
    await _reminders(one, 3)
    clock.set(dt.datetime(2024, 3, 11, 15, 0, tzinfo=dt.UTC))  # 22.00 WIB
    report = r.DispatchReport()
    await r.send_pending(one, None, Recorder(), clock, report, A)
    assert report.postponed_quiet == 3
    clock.set(dt.datetime(2024, 3, 11, 23, 30, tzinfo=dt.UTC))  # 06.30 WIB; the other worker's run
    bot_b = Recorder()
    await r.send_pending(two, None, bot_b, clock, r.DispatchReport(), B)
    assert len(bot_b.sent) == 3


async def _broadcast(db: Database, n: int) -> int:
    created = await cq.create_broadcast(db, BroadcastCreate(author_id=1, text="Halo", audience="parents"),
                                        list(range(5000, 5000 + n)), chat_id=1)
    return created.id


async def test_two_workers_sending_one_broadcast_send_each_copy_once_and_report_once(
        dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    bid = await _broadcast(one, 300)
    send_a, send_b = Recorder(0.001), Recorder(0.001)
    fast = {"rate": 10_000.0, "window_limit": 0, "batch": 25}
    report_a, report_b = await asyncio.gather(
        bsvc.BroadcastSender(one, send_a, worker=A, **fast).run(bid),  # type: ignore[arg-type]
        bsvc.BroadcastSender(two, send_b, worker=B, **fast).run(bid))  # type: ignore[arg-type]
    counts = Counter(send_a.sent + send_b.sent)
    assert len(counts) == 300 and set(counts.values()) == {1}
    assert send_a.sent and send_b.sent
    assert [report_a.reported, report_b.reported].count(True) == 1


async def test_a_broadcast_batch_of_a_killed_worker_is_sent_after_the_lease(dbs: tuple[Database, Database],
                                                                            clock: ManualClock) -> None:
    one, two = dbs
    bid = await _broadcast(one, 40)
    await wq.claim_batch(one, wq.DELIVERIES, A.id, one.now(), LEASE, columns="id", where="broadcast_id = ?",
                         params=(bid,), limit=15)  # A claims 15, then dies
    send_b = Recorder()
    first = await bsvc.BroadcastSender(two, send_b, worker=B, rate=10_000.0, window_limit=0).run(bid)
    assert len(send_b.sent) == 25 and not first.finished
    clock.advance(LEASE)
    second = await bsvc.BroadcastSender(two, send_b, worker=B, rate=10_000.0, window_limit=0).run(bid)
    assert sorted(send_b.sent) == list(range(5000, 5040))
    assert second.finished and second.reported


# ------------------------------------------------------------------ the send budget split by heartbeats


def test_the_shares_never_add_up_to_more_than_the_limit() -> None:
    for live in range(1, 40):
        assert share(30, live) * live <= 30 or share(30, live) == 1
    assert share(30, 2) == 15
    assert share(30, 0) == 30


async def test_two_live_workers_take_half_the_budget_each(dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    budget_a, budget_b = InProcessSendBudget(per_second=30), InProcessSendBudget(per_second=30)
    beat_a = Heartbeat(one, A, budget_a, total=30, interval=2.0)
    beat_b = Heartbeat(two, B, budget_b, total=30, interval=2.0)
    await beat_a.beat()
    assert budget_a.per_second == 30
    await beat_b.beat()
    await beat_a.beat()
    assert (budget_a.per_second, budget_b.per_second) == (15, 15)


async def test_a_worker_joining_others_waits_at_one_message_a_second_until_they_have_seen_it(
        dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    beat_a = Heartbeat(one, A, InProcessSendBudget(per_second=30), total=30, interval=60.0)
    await beat_a.beat()
    budget_b = InProcessSendBudget(per_second=30)
    beat_b = Heartbeat(two, B, budget_b, total=30, interval=60.0)
    await beat_b.start()
    try:
        assert budget_b.per_second == 1
    finally:
        await beat_b.stop()


async def test_a_dead_workers_share_returns_when_its_heartbeat_is_stale(dbs: tuple[Database, Database],
                                                                        clock: ManualClock) -> None:
    one, two = dbs
    budget_a = InProcessSendBudget(per_second=30)
    beat_a = Heartbeat(one, A, budget_a, total=30, interval=2.0)
    await Heartbeat(two, B, None, total=30, interval=2.0).beat()  # B beats once, then is killed
    await beat_a.beat()
    assert budget_a.per_second == 15
    clock.advance(dt.timedelta(seconds=9))
    await beat_a.beat()
    assert budget_a.per_second == 30


async def test_a_worker_stopping_cleanly_leaves_its_share_at_once(dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    budget_a = InProcessSendBudget(per_second=30)
    beat_a = Heartbeat(one, A, budget_a, total=30, interval=60.0)
    beat_b = Heartbeat(two, B, None, total=30, interval=60.0)
    await beat_b.start()
    await beat_a.beat()
    assert budget_a.per_second == 15
    await beat_b.stop()
    await beat_a.beat()
    assert budget_a.per_second == 30


# ------------------------------------------------------------------ the webhook inbox's shards (bot/inbox.py)


async def test_an_update_delivered_twice_is_stored_once(dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    assert await iq.store(one, 501, 3, '{"update_id": 501}', one.now())
    assert not await iq.store(two, 501, 3, '{"update_id": 501}', two.now())
    assert [s.update_id for s in await iq.todo(one, [3])] == [501]


async def test_a_shard_has_one_owner_until_its_lease_lapses(dbs: tuple[Database, Database],
                                                           clock: ManualClock) -> None:
    one, two = dbs
    await iq.ensure_shards(one, 4)
    epoch = await iq.take(one, 2, A.id, one.now(), LEASE)
    assert epoch == 1
    assert await iq.take(two, 2, B.id, two.now(), LEASE) is None
    clock.advance(LEASE)
    assert await iq.take(two, 2, B.id, two.now(), LEASE) == 2
    assert not await iq.renew(one, 2, A.id, epoch, one.now(), LEASE)  # the old owner learns it lost the shard


async def test_a_processed_update_is_not_given_out_again(dbs: tuple[Database, Database]) -> None:
    one, _ = dbs
    for uid in (10, 11, 12):
        await iq.store(one, uid, 0, "{}", one.now())
    await iq.mark_done(one, 11, one.now())
    assert [s.update_id for s in await iq.todo(one, [0])] == [10, 12]
    assert await iq.is_done(one, 11)


# ------------------------------------------------------------------ the answer to a parent's question


class SlowBot:
    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        await asyncio.sleep(0.05)
        self.sent.append(chat_id)


async def test_two_workers_delivering_one_answer_send_it_to_the_parent_once(dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    repos = Repositories(one)
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="P", area_id=kel.id))
    await repos.users.upsert(1, "Ibu", "id")
    await repos.users.upsert(2, "Kader", "id")
    thread = await tq.create_thread(one, parent_id=1, child_id=None, posyandu_id=pos.id, question="?", now=T0,
                                    due_at=T0, recipients=[(2, "cadre")])
    assert await tq.claim_answer(one, thread.id, 2, "Boleh", T0)
    bot_a, bot_b = SlowBot(), SlowBot()
    await asyncio.gather(pt.deliver_answer(repos, bot_a, thread.id, T0, worker=A),
                         pt.deliver_answer(Repositories(two), bot_b, thread.id, T0, worker=B))
    assert bot_a.sent + bot_b.sent == [1]
    stored = await tq.get_thread(one, thread.id)
    assert stored is not None and stored.answer_sent_at is not None


async def test_a_flood_control_pause_of_one_worker_pauses_the_others(dbs: tuple[Database, Database]) -> None:
    one, two = dbs
    budget_a, budget_b = InProcessSendBudget(per_second=30), InProcessSendBudget(per_second=30)
    beat_a = Heartbeat(one, A, budget_a, total=30, interval=2.0)
    beat_b = Heartbeat(two, B, budget_b, total=30, interval=2.0)
    await beat_a.beat()
    await beat_b.beat()
    await budget_a.pause(5.0)  # Telegram answered A with 429, retry_after 5
    await asyncio.gather(*beat_a._pause_notes)
    await beat_b.beat()
    assert 4.0 < budget_b._paused(budget_b._clock()) <= 5.0
    await beat_a.beat()  # A does not pause again for its own note
    assert budget_a.pauses == 1
