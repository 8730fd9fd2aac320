"""Two worker processes on one database, one killed with -9 mid-broadcast and mid-reminder batch: 0 lost, 0 doubled.

Both workers (`python -m bot run`, WORKER_ID w1 and w2) run the same jobs against the Bot API stand-in: a
broadcast to 300 parents waiting to be sent and the posyandu reminders due now (POSYANDU_FAKE_NOW) for 40
parents and a cadre. Once both are under way the stand-in holds every send, the worker holding reminder claims
is killed with SIGKILL, and the stand-in lets go; the survivor takes the dead worker's claims over when their
lease (4 s here) lapses. Every recipient must get each message exactly once, and no second may have carried
more than the bot's 30 messages while both workers were sending.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from pathlib import Path

import pytest

from bot.app import OFFLINE_TOKEN
from storage import Repositories, open_database
from tests.e2e import workers_support as ws
from tests.e2e.test_reminders_support import World, add_cadre, add_family, make_posyandu

PARENTS = 40
BROADCAST = 300
FAKE_NOW = "2024-03-11T16:05:00+07:00"  # H-1 of the posyandu on Tuesday 12 March 2024 (2nd Tuesday)
H1_MARKERS = ("Besok hari posyandu", "Besok: posyandu")


def _h1(api: ws.HoldingBotAPI, chats: set[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for marker in H1_MARKERS:
        for chat, n in ws.received(api, chats, marker).items():
            counts[chat] = counts.get(chat, 0) + n
    return counts


@pytest.mark.slow
async def test_two_workers_one_killed_mid_broadcast_and_mid_reminders_lose_and_double_nothing(
        tmp_path: Path) -> None:
    api = ws.HoldingBotAPI(token=OFFLINE_TOKEN, delay=0.05)
    await api.start()
    db_path = tmp_path / "bot.db"
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    procs: list[asyncio.subprocess.Process] = []
    try:
        db = await open_database(db_path)
        try:
            repos = Repositories(db)
            world = World()
            pid = await make_posyandu(repos, world, "Kenanga", "Asia/Jakarta", "Selasa minggu ke-2 08.00-11.00")
            for i in range(PARENTS):
                await add_family(repos, api, world, 20_000 + i, pid, [dt.date(2021, 4, 4)])
            await add_cadre(repos, api, world, 990, pid)
            bid, bc_chats = await ws.seed_broadcast(db, api, BROADCAST)
        finally:
            await db.close()
        rem_chats = {f.user_id for f in world.families} | set(world.cadres)

        procs = [await ws.spawn(ws.worker_env(api, db_path, f"w{i + 1}", POSYANDU_FAKE_NOW=FAKE_NOW), logs[i])
                 for i in range(2)]
        # Both under way: some of the broadcast and some reminders out, neither finished.
        await api.wait_for(lambda: len(ws.received(api, bc_chats, "Halo semua")) >= 40
                           and len(_h1(api, rem_chats)) >= 10, timeout=20)
        api.hold()
        await asyncio.sleep(0.4)  # every answer given before the hold is committed by its worker
        db = await open_database(db_path, migrate=False)
        try:
            held = {row["claimed_by"]: row["n"] for row in await db.fetchall(
                "SELECT claimed_by, COUNT(*) AS n FROM reminders_sent WHERE status = 'pending'"
                " AND claimed_by IS NOT NULL GROUP BY claimed_by")}
            assert held, "the kill must land while reminders are claimed"
            victim = max(held, key=lambda w: held[w])
            held_deliveries = await db.fetchval(
                "SELECT COUNT(*) FROM broadcast_deliveries WHERE status = 'pending' AND claimed_by = ?", (victim,))
        finally:
            await db.close()
        assert held_deliveries > 0, "the killed worker must hold part of the broadcast"
        dead = procs[int(victim[1:]) - 1]
        dead.send_signal(signal.SIGKILL)
        await dead.wait()
        await asyncio.sleep(0.3)  # the stand-in notices the dead worker's connections before answering them
        api.release()

        await api.wait_for(lambda: set(ws.received(api, bc_chats, "Halo semua")) == bc_chats
                           and set(_h1(api, rem_chats)) == rem_chats, timeout=30)
        await asyncio.sleep(1.5)  # more runs of both jobs: nothing may go out again
        await ws.stop(procs)

        assert set(ws.received(api, bc_chats, "Halo semua").values()) == {1}
        assert set(_h1(api, rem_chats).values()) == {1}
        assert ws.doubled(api) == {}

        db = await open_database(db_path, migrate=False)
        try:
            assert await db.fetchval("SELECT COUNT(*) FROM reminders_sent WHERE status = 'pending'") == 0
            assert await db.fetchval("SELECT COUNT(*) FROM broadcast_deliveries WHERE status = 'pending'") == 0
            assert await db.fetchval("SELECT status FROM broadcasts WHERE id = ?", (bid,)) == "done"
        finally:
            await db.close()
    except BaseException:
        for log in logs:
            print(log.name, log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)")
        raise
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await api.stop()


@pytest.mark.slow
async def test_two_workers_together_stay_within_the_bots_30_messages_a_second(tmp_path: Path) -> None:
    api = ws.HoldingBotAPI(token=OFFLINE_TOKEN, delay=0.01)
    await api.start()
    db_path = tmp_path / "bot.db"
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    procs: list[asyncio.subprocess.Process] = []
    try:
        db = await open_database(db_path)
        try:
            _, chats = await ws.seed_broadcast(db, api, 240)
        finally:
            await db.close()
        # Both workers up and beating before the broadcast may start (RESUME delay): the steady state.
        procs = [await ws.spawn(ws.worker_env(api, db_path, f"w{i + 1}"), logs[i]) for i in range(2)]
        await api.wait_for(lambda: set(ws.received(api, chats, "Halo semua")) == chats, timeout=30)
        await ws.stop(procs)
        senders = {c.params["chat_id"] for c in ws.sends(api)}
        assert chats <= senders
        first = min(c.at for c in ws.sends(api) if c.params["chat_id"] in chats)
        # The first second aside (two workers starting at the same instant both see themselves alone until
        # their next heartbeat, half a second here: docs/workers.md).
        assert ws.max_per_second(api, since=first + 1.0) <= 30
        assert ws.doubled(api) == {}
    except BaseException:
        for log in logs:
            print(log.name, log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)")
        raise
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await api.stop()
