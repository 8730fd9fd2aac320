"""Seeding and bookkeeping shared by the reminders end-to-end tests (no tests in this module)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.schedule import parse_rule
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage.models import AreaLevel, ChildCreate, PosyanduCreate, Role, Sex


@dataclass
class Family:
    user_id: int
    posyandu_id: int
    tz: str
    births: list[dt.date]
    opted_out: bool = False
    blocked: bool = False


@dataclass
class World:
    posyandu: dict[str, int] = field(default_factory=dict)  # label -> id
    tz: dict[int, str] = field(default_factory=dict)  # posyandu id -> zone
    families: list[Family] = field(default_factory=list)
    cadres: dict[int, int] = field(default_factory=dict)  # user id -> posyandu id
    children: dict[int, list[int]] = field(default_factory=dict)  # posyandu id -> child ids


async def make_posyandu(repos: Repositories, world: World, label: str, tz: str, rule: str,
                        address: str | None = None) -> int:
    city = (await repos.areas.get_or_create(AreaLevel.CITY, f"Kota {label}"))[0]
    kec = (await repos.areas.get_or_create(AreaLevel.KECAMATAN, f"Kec {label}", city.id))[0]
    kel = (await repos.areas.get_or_create(AreaLevel.KELURAHAN, f"Kel {label}", kec.id))[0]
    p = await repos.posyandu.create(PosyanduCreate(name=f"Posyandu {label}", area_id=kel.id, address=address,
                                                   timezone=tz, schedule_rule=parse_rule(rule).to_json()))
    world.posyandu[label] = p.id
    world.tz[p.id] = tz
    world.children[p.id] = []
    return p.id


async def add_family(repos: Repositories, api: FakeBotAPI | None, world: World, user_id: int, posyandu_id: int,
                     births: list[dt.date], *, opted_out: bool = False, blocked: bool = False,
                     language: str = "id") -> Family:
    await repos.users.upsert(user_id, f"Ortu {user_id}", language)
    await repos.users.set_role(user_id, Role.PARENT, posyandu_id=posyandu_id)
    for i, born in enumerate(births):
        child = await repos.children.create(ChildCreate(
            name=f"Anak {user_id} {i}", sex=Sex.FEMALE if i % 2 else Sex.MALE, birth_date=born,
            posyandu_id=posyandu_id))
        await repos.guardians.link(child.id, user_id)
        world.children[posyandu_id].append(child.id)
    if opted_out:
        await repos.users.set_opt_out(user_id, True)
    if api is not None:
        api.user(user_id, f"Ortu{user_id}")
        if blocked:
            api.block_user(user_id)
    fam = Family(user_id, posyandu_id, world.tz[posyandu_id], births, opted_out, blocked)
    world.families.append(fam)
    return fam


async def add_cadre(repos: Repositories, api: FakeBotAPI | None, world: World, user_id: int,
                    posyandu_id: int, *, opted_out: bool = False) -> None:
    await repos.users.upsert(user_id, f"Kader {user_id}", "id")
    await repos.users.set_role(user_id, Role.CADRE, posyandu_id=posyandu_id)
    if opted_out:
        await repos.users.set_opt_out(user_id, True)
    else:
        world.cadres[user_id] = posyandu_id
    if api is not None:
        api.user(user_id, f"Kader{user_id}")


def local_hour(at: dt.datetime, tz: str) -> float:
    t = at.astimezone(ZoneInfo(tz))
    return t.hour + t.minute / 60


def sends(api: FakeBotAPI, start: int = 0) -> list[Any]:
    """Successful sendMessage calls recorded by the stand-in since index `start` of `api.calls`."""
    return [c for c in api.calls[start:] if c.method == "sendMessage" and c.error is None]
