"""Fixtures of the storage tests: a fresh database per test, a clock that tests can move, a small place tree."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import bot.i18n  # noqa: F401  (storage errors are told in Indonesian through the bot's catalogs: bot.i18n sets that)
from storage import AreaLevel, ChildCreate, Database, PosyanduCreate, Repositories, Sex, open_database


class FixedClock:
    def __init__(self, now: dt.datetime) -> None:
        self.value = now

    def now(self) -> dt.datetime:
        return self.value


@dataclass
class Places:
    city: int
    kecamatan: int
    kelurahan: int
    other_kelurahan: int
    posyandu: int
    other_posyandu: int


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2024, 12, 3, 2, 0, tzinfo=dt.UTC))


@pytest.fixture
async def db(tmp_path: Path, clock: FixedClock) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "data" / "test.db", clock=clock)
    yield database
    await database.close()


@pytest.fixture
def repos(db: Database) -> Repositories:
    return Repositories(db)


@pytest.fixture
async def places(repos: Repositories) -> Places:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Bandung")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Coblong", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Dago", kec.id)
    kel2 = await repos.areas.create(AreaLevel.KELURAHAN, "Lebakgede", kec.id)
    p1 = await repos.posyandu.create(PosyanduCreate(name="Melati 1", area_id=kel.id))
    p2 = await repos.posyandu.create(PosyanduCreate(name="Mawar", area_id=kel2.id))
    return Places(city.id, kec.id, kel.id, kel2.id, p1.id, p2.id)


def child_data(posyandu_id: int, name: str = "Budi Santoso", **kw: object) -> ChildCreate:
    base: dict[str, object] = {
        "name": name, "sex": Sex.MALE, "birth_date": dt.date(2023, 4, 1), "posyandu_id": posyandu_id,
    }
    base.update(kw)
    return ChildCreate.model_validate(base)


async def places_written_by_hand(db: Database, n_posyandu: int = 1) -> tuple[int, list[int]]:
    """A city, kecamatan, kelurahan and posyandu inserted as the code of an older schema did (today's repositories
    also write tables of later migrations): for tests of a migration from that schema. (kelurahan id, posyandu ids)"""
    stamp = "2024-01-02T00:00:00+00:00"
    parent: int | None = None
    for level, name in (("city", "Kota"), ("kecamatan", "Kec"), ("kelurahan", "Kel")):
        parent = await db.insert("INSERT INTO areas (level, name, name_key, parent_id, created_at)"
                                 " VALUES (?, ?, ?, ?, ?) RETURNING id", (level, name, name.lower(), parent, stamp))
    assert parent is not None
    pids = [await db.insert("INSERT INTO posyandu (name, name_key, area_id, timezone, active, created_at)"
                            " VALUES (?, ?, ?, 'Asia/Jakarta', 1, ?) RETURNING id", (f"P{i}", f"p{i}", parent, stamp))
            for i in range(n_posyandu)]
    return parent, pids
