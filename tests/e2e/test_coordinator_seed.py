"""Test data for the coordinator end-to-end tests (no tests here): two kelurahan of one kecamatan of one city,
three posyandu, coordinators at each level, cadres, parents and children with this and last month's weighings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage.models import (
    AreaLevel,
    ChildCreate,
    MeasurementCreate,
    Position,
    PosyanduCreate,
    Role,
    Sex,
)

# Telegram ids
ADMIN = 9000
COORD_CITY = 3000
COORD_A = 3001  # coordinator of Kelurahan Kampung Bali (A)
COORD_B = 3002  # coordinator of Kelurahan Sukajadi (B)
CADRE_A1 = 1001
CADRE_A2 = 1002
CADRE_B1 = 1003
STRANGER = 4001


@dataclass
class World:
    repos: Repositories
    today: dt.date
    city: int = 0
    kec: int = 0
    kel_a: int = 0
    kel_b: int = 0
    kec2: int = 0
    kel_c: int = 0  # in another kecamatan of the same city
    p_a1: int = 0
    p_a2: int = 0
    p_b1: int = 0
    p_c1: int = 0
    parents: dict[int, list[int]] = field(default_factory=dict)  # posyandu -> parent ids
    children: dict[str, int] = field(default_factory=dict)  # name -> child id


def month_start(d: dt.date, back: int = 0) -> dt.date:
    first = d.replace(day=1)
    for _ in range(back):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


async def add_user(repos: Repositories, api: FakeBotAPI, uid: int, name: str, role: Role | None, *,
                   area_id: int | None = None, posyandu_id: int | None = None, lang: str = "id") -> None:
    api.user(uid, name, language_code=lang)
    await repos.users.upsert(uid, name, lang)
    if role is not None:
        await repos.users.set_role(uid, role, area_id=area_id, posyandu_id=posyandu_id)


async def add_child(world: World, name: str, posyandu_id: int, *, months_old: int = 20, sex: Sex = Sex.MALE) -> int:
    birth = world.today - dt.timedelta(days=int(months_old * 30.44))
    child = await world.repos.children.create(ChildCreate(name=name, sex=sex, birth_date=birth,
                                                          posyandu_id=posyandu_id))
    world.children[name] = child.id
    return child.id


async def weigh(world: World, child_id: int, on: dt.date, *, weight: float = 10.0, waz: float = 0.0,
                haz: float = 0.0, whz: float = 0.0, oedema: bool = False, muac: float | None = None,
                entered_by: int | None = None) -> None:
    """A row stored straight through the repository with the z-scores given: N/T, categories and referral are
    what the status function decides from the weights and z-scores (bot.services.status), as for real entries."""
    await world.repos.measurements.add(MeasurementCreate(
        child_id=child_id, measured_on=on, weight_kg=weight, length_cm=80.0, position=Position.LYING,
        waz=None if oedema else waz, haz=haz, whz=None if oedema else whz, oedema=oedema, muac_cm=muac,
        entered_by=entered_by))


async def seed_world(repos: Repositories, api: FakeBotAPI, today: dt.date, *, parents_per_posyandu: int = 3,
                     measurements: bool = True) -> World:
    w = World(repos, today)
    city = await repos.areas.create(AreaLevel.CITY, "Kota Cirebon")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kejaksan", city.id)
    kel_a = await repos.areas.create(AreaLevel.KELURAHAN, "Kampung Bali", kec.id)
    kel_b = await repos.areas.create(AreaLevel.KELURAHAN, "Sukajadi", kec.id)
    kec2 = await repos.areas.create(AreaLevel.KECAMATAN, "Lemahwungkuk", city.id)
    kel_c = await repos.areas.create(AreaLevel.KELURAHAN, "Pegambiran", kec2.id)
    w.city, w.kec, w.kel_a, w.kel_b, w.kec2, w.kel_c = city.id, kec.id, kel_a.id, kel_b.id, kec2.id, kel_c.id
    w.p_a1 = (await repos.posyandu.create(PosyanduCreate(name="Posyandu Melati 1", area_id=kel_a.id))).id
    w.p_a2 = (await repos.posyandu.create(PosyanduCreate(name="Posyandu Mawar", area_id=kel_a.id))).id
    w.p_b1 = (await repos.posyandu.create(PosyanduCreate(name="Posyandu Anggrek", area_id=kel_b.id))).id
    w.p_c1 = (await repos.posyandu.create(PosyanduCreate(name="Posyandu Kenanga", area_id=kel_c.id))).id
    await add_user(repos, api, COORD_CITY, "Pak Budi", Role.COORDINATOR, area_id=city.id)
    await add_user(repos, api, COORD_A, "Bu Dewi", Role.COORDINATOR, area_id=kel_a.id)
    await add_user(repos, api, COORD_B, "Bu Rina", Role.COORDINATOR, area_id=kel_b.id)
    await add_user(repos, api, CADRE_A1, "Kak Sari", Role.CADRE, posyandu_id=w.p_a1)
    await add_user(repos, api, CADRE_A2, "Kak Tini", Role.CADRE, posyandu_id=w.p_a2)
    await add_user(repos, api, CADRE_B1, "Kak Umi", Role.CADRE, posyandu_id=w.p_b1)
    api.user(STRANGER, "Orang Lain")
    uid = 2001
    for pid in (w.p_a1, w.p_a2, w.p_b1, w.p_c1):
        for i in range(parents_per_posyandu):
            await add_user(repos, api, uid, f"Ibu {uid}", Role.PARENT)
            child = await add_child(w, f"Anak {uid}", pid, months_old=10 + i * 7)
            await repos.guardians.link(child, uid)
            w.parents.setdefault(pid, []).append(uid)
            uid += 1
    if measurements:
        this, last, before = month_start(today), month_start(today, 1), month_start(today, 2)
        day = min(today.day, 5)  # every weighing on the same day of its month: about a month apart (N/T judged)
        a1 = w.parents[w.p_a1]
        kids = [w.children[f"Anak {p}"] for p in a1]
        # Posyandu Melati 1, two months ago and last month: kids 0 and 2 gained (N last month); kid 1 did not (T).
        for k, first in zip(kids, (9.7, 10.0, 9.7), strict=True):
            await weigh(w, k, before.replace(day=day), weight=first, entered_by=CADRE_A1)
            await weigh(w, k, last.replace(day=day), entered_by=CADRE_A1)
        # This month: one stunted who gained (N), one severely stunted below the red line, again not up (2T), one
        # normal who did not gain (T).
        await weigh(w, kids[0], this.replace(day=day), weight=10.3, haz=-2.5, entered_by=CADRE_A1)
        await weigh(w, kids[1], this.replace(day=day), haz=-3.4, waz=-3.2, entered_by=CADRE_A1)
        await weigh(w, kids[2], this.replace(day=day), haz=-0.5, entered_by=CADRE_A1)
        # Posyandu Mawar: one weighed (oedema, first weighing), the others not this month.
        a2 = [w.children[f"Anak {p}"] for p in w.parents[w.p_a2]]
        await weigh(w, a2[0], this.replace(day=day), oedema=True, haz=-1.0, entered_by=CADRE_A2)
        # A value WHO calls implausible ("perlu ukur ulang") is not counted at all: not weighed, not stunted.
        await weigh(w, a2[1], this.replace(day=day), haz=-7.5, entered_by=CADRE_A2)
        # Kelurahan B: a stunted child (outside Kelurahan A's scope).
        b1 = [w.children[f"Anak {p}"] for p in w.parents[w.p_b1]]
        await weigh(w, b1[0], this.replace(day=day), haz=-2.8, entered_by=CADRE_B1)
    return w


def recipients_got(api: FakeBotAPI, ids: list[int], needle: str) -> dict[int, int]:
    """How many messages containing `needle` each recipient got."""
    out: dict[int, int] = {}
    for uid in ids:
        out[uid] = sum(1 for m in api.messages(uid) if needle in str(m.get("text") or m.get("caption") or ""))
    return out


def forge_button(api: FakeBotAPI, uid: int, callback_data: str) -> None:
    """Replace the newest inline keyboard of `uid`'s chat by one button carrying `callback_data`.

    Simulates a tampered client: the bot must check the scope again when the button comes back.
    """
    for msg in reversed(api.messages(uid)):
        markup: dict[str, Any] | None = msg.get("reply_markup")
        if markup and markup.get("inline_keyboard"):
            markup["inline_keyboard"] = [[{"text": "FORGED", "callback_data": callback_data}]]
            return
    raise LookupError("no inline keyboard to forge")
