"""Test data for the follow-up cases and families tests (issue 16; no tests here): one city, two kecamatan, three
kelurahan with a posyandu each, and a person of every role, in and out of the area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from bot.services import measurement as msvc
from bot.services import status as status_svc
from bot.services.schedule import parse_rule
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage.models import AreaLevel, ChildCreate, MeasurementCreate, Position, PosyanduCreate, Role, Sex

WIB = dt.timezone(dt.timedelta(hours=7))
# Telegram ids
CADRE, CADRE_OTHER = 1601, 1602  # cadre of Melati (kelurahan A) / of Kenanga (kelurahan C)
COORD, COORD_OTHER = 3601, 3602  # coordinator of kelurahan A / of kelurahan C
BIDAN, BIDAN_OTHER = 5601, 5602  # health worker of kecamatan 1 (A and B) / of kecamatan 2 (C)
TPK, TPK_OTHER = 6601, 6602  # TPK of kelurahan A / of kelurahan B
PARENT, SPONSOR, STRANGER = 2601, 7601, 4601


@dataclass
class Area:
    city: int
    kec1: int
    kec2: int
    kel_a: int
    kel_b: int
    kel_c: int
    melati: int  # posyandu of kelurahan A
    mawar: int  # posyandu of kelurahan B
    kenanga: int  # posyandu of kelurahan C


async def _user(repos: Repositories, api: FakeBotAPI, uid: int, name: str, role: Role | None, **scope: int) -> None:
    api.user(uid, name)
    await repos.users.upsert(uid, name, "id")
    if role is not None:
        await repos.users.set_role(uid, role, **scope)


async def seed(repos: Repositories, api: FakeBotAPI) -> Area:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Bengkulu")
    kec1 = await repos.areas.create(AreaLevel.KECAMATAN, "Ratu Samban", city.id)
    kec2 = await repos.areas.create(AreaLevel.KECAMATAN, "Teluk Segara", city.id)
    kel_a = await repos.areas.create(AreaLevel.KELURAHAN, "Kampung Bali", kec1.id)
    kel_b = await repos.areas.create(AreaLevel.KELURAHAN, "Penurunan", kec1.id)
    kel_c = await repos.areas.create(AreaLevel.KELURAHAN, "Pintu Batu", kec2.id)
    melati = await repos.posyandu.create(PosyanduCreate(name="Posyandu Melati", area_id=kel_a.id))
    mawar = await repos.posyandu.create(PosyanduCreate(name="Posyandu Mawar", area_id=kel_b.id))
    kenanga = await repos.posyandu.create(PosyanduCreate(name="Posyandu Kenanga", area_id=kel_c.id))
    await repos.posyandu.set_schedule_rule(melati.id, parse_rule("Selasa minggu ke-2 08.00-11.00").to_json())
    a = Area(city.id, kec1.id, kec2.id, kel_a.id, kel_b.id, kel_c.id, melati.id, mawar.id, kenanga.id)
    await _user(repos, api, CADRE, "Kak Sari", Role.CADRE, posyandu_id=melati.id)
    await _user(repos, api, CADRE_OTHER, "Kak Umi", Role.CADRE, posyandu_id=kenanga.id)
    await _user(repos, api, COORD, "Bu Dewi", Role.COORDINATOR, area_id=kel_a.id)
    await _user(repos, api, COORD_OTHER, "Bu Rina", Role.COORDINATOR, area_id=kel_c.id)
    await _user(repos, api, BIDAN, "Bidan Ani", Role.HEALTH_WORKER, area_id=kec1.id)
    await _user(repos, api, BIDAN_OTHER, "Bidan Tuti", Role.HEALTH_WORKER, area_id=kec2.id)
    await _user(repos, api, TPK, "Bu Yati", Role.TPK, area_id=kel_a.id)
    await _user(repos, api, TPK_OTHER, "Bu Lina", Role.TPK, area_id=kel_b.id)
    await _user(repos, api, PARENT, "Ibu Siti", Role.PARENT, posyandu_id=melati.id)
    await _user(repos, api, SPONSOR, "Pak Sponsor", Role.SPONSOR)
    await _user(repos, api, STRANGER, "Tamu", None)
    return a


async def child(repos: Repositories, posyandu_id: int, name: str, birth: dt.date, *, sex: Sex = Sex.MALE) -> int:
    return (await repos.children.create(ChildCreate(name=name, sex=sex, birth_date=birth, posyandu_id=posyandu_id,
                                                    created_by=CADRE))).id


async def weigh_real(repos: Repositories, child_id: int, on: dt.date, weight: str, length: str) -> None:
    """A measurement through the measurement service (z-scores, N/T and the status as for a cadre's entry)."""
    c = await repos.children.get(child_id)
    await msvc.save(repos, c, msvc.Draft(child_id=child_id, measured_on=on, weight_kg=Decimal(weight),
                                         length_cm=Decimal(length), position=Position.LYING), entered_by=CADRE)


async def weigh_z(repos: Repositories, child_id: int, on: dt.date, *, whz: float = 0.0, waz: float = 0.0,
                  haz: float = 0.0) -> None:
    """A row with the z-scores given (the status function decides from them), decided at once."""
    await repos.measurements.add(MeasurementCreate(child_id=child_id, measured_on=on, weight_kg=10.0, length_cm=80.0,
                                                   position=Position.LYING, waz=waz, haz=haz, whz=whz,
                                                   entered_by=CADRE))
    await status_svc.flush(repos)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=WIB)


__all__ = ["BIDAN", "BIDAN_OTHER", "CADRE", "CADRE_OTHER", "COORD", "COORD_OTHER", "PARENT", "SPONSOR", "STRANGER",
           "TPK", "TPK_OTHER", "WIB", "Area", "at", "child", "seed", "weigh_real", "weigh_z"]
