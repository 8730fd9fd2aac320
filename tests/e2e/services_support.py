"""Seeding shared by the services, programs and sponsor end-to-end tests (issue 14; no tests in this module)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services.schedule import parse_rule
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage import services_queries as sq
from storage.models import AreaLevel, Child, ChildCreate, PosyanduCreate, Role, Sex
from tests.e2e.harness import BotHarness

# Tuesday 12 August 2025, 09:00 WIB: the posyandu's session day in a vitamin A and deworming month.
NOW = dt.datetime(2025, 8, 12, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 8, 12)
CADRE = 4001
COORDINATOR = 4002
OTHER_CADRE = 4003


@dataclass
class World:
    posyandu_id: int = 0
    other_posyandu_id: int = 0
    kelurahan_id: int = 0
    children: dict[str, Child] = field(default_factory=dict)


async def make_world(repos: Repositories, api: FakeBotAPI) -> World:
    world = World()
    city = (await repos.areas.get_or_create(AreaLevel.CITY, "Jakarta Pusat"))[0]
    kec = (await repos.areas.get_or_create(AreaLevel.KECAMATAN, "Tanah Abang", city.id))[0]
    kel = (await repos.areas.get_or_create(AreaLevel.KELURAHAN, "Kampung Bali", kec.id))[0]
    other_kel = (await repos.areas.get_or_create(AreaLevel.KELURAHAN, "Bendungan Hilir", kec.id))[0]
    world.kelurahan_id = kel.id
    p = await repos.posyandu.create(PosyanduCreate(name="Posyandu Melati", area_id=kel.id,
                                                   schedule_rule=parse_rule("Selasa minggu ke-2 08.00-11.00")
                                                   .to_json()))
    q = await repos.posyandu.create(PosyanduCreate(name="Posyandu Mawar", area_id=other_kel.id))
    world.posyandu_id, world.other_posyandu_id = p.id, q.id
    for uid, role, kw in ((CADRE, Role.CADRE, {"posyandu_id": p.id}),
                          (OTHER_CADRE, Role.CADRE, {"posyandu_id": p.id}),
                          (COORDINATOR, Role.COORDINATOR, {"area_id": kel.id})):
        await repos.users.upsert(uid, f"Petugas {uid}", "id")
        await repos.users.set_role(uid, role, **kw)
        api.user(uid, f"Petugas{uid}")
    return world


async def add_child(repos: Repositories, world: World, label: str, name: str, birth: dt.date, *,
                    sex: Sex = Sex.FEMALE, posyandu_id: int | None = None, nik: str | None = None,
                    phone: str | None = None, guardian: str | None = None, address: str | None = None) -> Child:
    child = await repos.children.create(ChildCreate(
        name=name, sex=sex, birth_date=birth, posyandu_id=posyandu_id or world.posyandu_id, nik=nik,
        guardian_phone=phone, guardian_name=guardian, address=address))
    world.children[label] = child
    return child


async def give(repos: Repositories, child: Child, items: Sequence[tuple[str, str, dt.date]]) -> None:
    """Seed past records: (kind, code, date)."""
    for kind, code, on in items:
        await sq.add(repos.db, sq.ServiceCreate(child_id=child.id, kind=kind, code=code, given_on=on,
                                                source="import"))


def doses(on: dt.date, *codes: str) -> list[tuple[str, str, dt.date]]:
    return [("immunisation", c, on) for c in codes]


@pytest.fixture
async def sbot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "services.db", clock=ManualClock(NOW), telegram_sends_per_second=1000)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
