"""SQLitePersistence: data survives a reopen, conversations keyed by tuples, write-through, kill -9."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from telegram.ext import PersistenceInput

from storage import open_database
from storage.persistence import SQLitePersistence, dumps, loads

ROOT = Path(__file__).resolve().parents[2]


def test_tagged_json_round_trip() -> None:
    value = {"d": dt.date(2024, 12, 3), "t": (1, "a"), 5: {"x": Decimal("10.5")}, "s": {1, 2},
             "when": dt.datetime(2024, 12, 3, 8, 0, tzinfo=dt.UTC), "at": dt.time(8, 30)}
    assert loads(dumps(value)) == value


def test_unpersistable_value_names_its_path() -> None:
    with pytest.raises(TypeError, match=r"\$\.draft\.obj"):
        dumps({"draft": {"obj": object()}})


async def test_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    p = SQLitePersistence(path)
    await p.update_user_data(42, {"lang": "id", "draft": {"weight": Decimal("10.5")}})
    await p.update_chat_data(-100, {"k": 1})
    await p.update_bot_data({"started": dt.date(2024, 12, 3)})
    await p.update_callback_data(([("uuid", 123.0, {"btn": "a"})], {"cq": "uuid"}))
    await p.update_conversation("ukur", (42, 42), 3)
    await p.update_conversation("ukur", (7, 7), "WEIGHT")
    await p.update_conversation("ukur", (7, 7), None)
    await p.flush()

    q = SQLitePersistence(path)
    assert await q.get_user_data() == {42: {"lang": "id", "draft": {"weight": Decimal("10.5")}}}
    assert await q.get_chat_data() == {-100: {"k": 1}}
    assert await q.get_bot_data() == {"started": dt.date(2024, 12, 3)}
    assert await q.get_callback_data() == ([("uuid", 123.0, {"btn": "a"})], {"cq": "uuid"})
    assert await q.get_conversations("ukur") == {(42, 42): 3}
    assert await q.get_conversations("other") == {}
    await q.flush()


async def test_empty_database_gives_empty_data(tmp_path: Path) -> None:
    p = SQLitePersistence(tmp_path / "e.db", store_data=PersistenceInput(callback_data=False))
    assert await p.get_user_data() == {}
    assert await p.get_bot_data() == {}
    assert await p.get_callback_data() is None
    await p.flush()


async def test_drop_user_data(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "d.db")
    p = SQLitePersistence(db)
    await p.update_user_data(1, {"a": 1})
    await p.drop_user_data(1)
    await p.update_user_data(1, {"a": 1})  # written again after a drop, not skipped as "unchanged"
    assert await SQLitePersistence(db).get_user_data() == {1: {"a": 1}}
    await db.close()


async def test_update_writes_through_immediately(tmp_path: Path) -> None:
    """Another connection sees the change as soon as update_* returns (no batching)."""
    path = tmp_path / "w.db"
    db = await open_database(path)
    p = SQLitePersistence(db)
    await p.update_conversation("ukur", (1, 1), 2)
    other = await open_database(path)  # a second connection (a second process's view)
    assert await other.fetchall("SELECT state FROM ptb_conversations") == [{"state": "2"}]
    await other.close()
    await db.close()


async def test_batched_writes_land_together_when_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    db = await open_database(path)
    p = SQLitePersistence(db)
    other = await open_database(path)
    async with p.batched():
        await p.update_user_data(7, {"ukur": {"weight_kg": Decimal("10.9")}})
        await p.update_conversation("cadre_measure", (7, 7), 3)
        await p.update_conversation("cadre_enrol", (7, 7), None)
        assert await other.fetchval("SELECT COUNT(*) FROM ptb_user_data") == 0  # not yet
    assert await other.fetchall("SELECT state FROM ptb_conversations") == [{"state": "3"}]
    assert await other.fetchval("SELECT COUNT(*) FROM ptb_user_data") == 1
    await other.close()
    # Remembered as written: the same data again is no write at all.
    async with p.batched():
        await p.update_conversation("cadre_measure", (7, 7), 3)
        assert p._batch == []
    await db.close()


async def test_a_failed_batch_writes_nothing_and_is_retried_next_time(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "f.db")
    p = SQLitePersistence(db)
    with pytest.raises(RuntimeError):
        async with p.batched():
            await p.update_user_data(7, {"a": 1})
            raise RuntimeError("the flush was interrupted")
    assert await SQLitePersistence(db).get_user_data() == {}
    async with p.batched():
        await p.update_user_data(7, {"a": 1})  # not skipped: it never reached the database
    assert await SQLitePersistence(db).get_user_data() == {7: {"a": 1}}
    await db.close()


async def test_writes_of_a_batch_the_database_refused_go_with_the_next_one(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.errors import DatabaseLocked

    db = await open_database(tmp_path / "l.db")
    p = SQLitePersistence(db)
    real_atomic = db.atomic

    async def locked(work: object) -> None:
        raise DatabaseLocked()

    monkeypatch.setattr(db, "atomic", locked)
    with pytest.raises(DatabaseLocked):
        async with p.batched():
            await p.update_user_data(7, {"ukur": {"step": 3}})
            await p.update_conversation("cadre_measure", (7, 7), 3)
    monkeypatch.setattr(db, "atomic", real_atomic)
    async with p.batched():  # PTB reports only what changed since: another chat
        await p.update_user_data(8, {"lang": "en"})
    assert await SQLitePersistence(db).get_user_data() == {7: {"ukur": {"step": 3}}, 8: {"lang": "en"}}
    assert await SQLitePersistence(db).get_conversations("cadre_measure") == {(7, 7): 3}
    await db.close()


WORKER = """
import asyncio, sys, datetime as dt
from pathlib import Path
from storage import open_database, Repositories, AreaLevel, PosyanduCreate, ChildCreate, MeasurementCreate
from storage.persistence import SQLitePersistence

async def main() -> None:
    db = await open_database(Path(sys.argv[1]))
    repos = Repositories(db)
    p = SQLitePersistence(db)
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="P", area_id=kel.id))
    i = 0
    while True:
        i += 1
        await p.update_user_data(i % 50, {"step": i, "draft": {"w": "10," + str(i % 10), "n": list(range(i % 20))}})
        await p.update_conversation("ukur", (i % 50, i % 50), i)
        child = await repos.children.create(ChildCreate(name=f"Anak {i}", sex="F", birth_date=dt.date(2023, 1, 1),
                                                        posyandu_id=pos.id))
        m = await repos.measurements.add(MeasurementCreate(child_id=child.id, measured_on=dt.date(2024, 1, 1),
                                                           weight_kg=9.0, age_days=365))
        await repos.measurements.correct(m.id, MeasurementCreate(child_id=child.id, measured_on=dt.date(2024, 1, 1),
                                                                 weight_kg=9.5, age_days=365))
        if i == 60:
            print("ready", flush=True)

asyncio.run(main())
"""


@pytest.mark.slow
@pytest.mark.sqlite_only("a SQLite file after SIGKILL (PostgreSQL's crash safety is the server's)")
@pytest.mark.parametrize("delay", [0.0, 0.3, 1.0])
def test_kill_9_leaves_consistent_reopenable_database(tmp_path: Path, delay: float) -> None:
    """A process writing persistence and repository transactions in a loop is killed with SIGKILL."""
    path = tmp_path / "kill.db"
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    # Each child was created with its audit row in one transaction: never one without the other.
    children = raw.execute("SELECT COUNT(*) FROM children").fetchone()[0]
    audits = raw.execute("SELECT COUNT(*) FROM audit_log WHERE entity = 'child'").fetchone()[0]
    assert children == audits >= 60
    # A correction and the mark on the old row commit together.
    orphans = raw.execute(
        "SELECT COUNT(*) FROM measurements n JOIN measurements o ON o.id = n.supersedes_id"
        " WHERE o.superseded_by IS NOT n.id").fetchone()[0]
    assert orphans == 0
    raw.close()

    asyncio.run(_reopen_after_kill(path))


async def _reopen_after_kill(path: Path) -> None:
    p = SQLitePersistence(path)
    users = await p.get_user_data()
    assert len(users) == 50 and all("step" in d for d in users.values())
    assert len(await p.get_conversations("ukur")) == 50
    await p.flush()
    db = await open_database(path)  # reopens and migrations are a no-op
    assert await db.migrate() == []
    await db.close()
