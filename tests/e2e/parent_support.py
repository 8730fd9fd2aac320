"""Helpers for the issue 15 end-to-end tests (parents' answers, ask a person, link codes): a small area with two
posyandu and their people, replies (Telegram "reply to"), and running the threads job now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.services import parent_threads
from bot.sim.fake_api import FakeBotAPI
from handlers.parent_ask import again_keyboard
from storage import Repositories
from storage.models import AreaLevel, Child, ChildCreate, Posyandu, PosyanduCreate, Role, Sex
from tests.e2e.harness import BotHarness

CADRE_A, CADRE_B, CADRE_OTHER, COORDINATOR, HEALTH_WORKER = 5101, 5102, 5103, 5104, 5105
PARENT, SECOND_PARENT = 5201, 5202


@dataclass
class Area:
    melati: Posyandu
    mawar: Posyandu  # same kecamatan, another kelurahan
    kelurahan_id: int
    kecamatan_id: int


async def seed_area(repos: Repositories, api: FakeBotAPI) -> Area:
    """Kota -> kecamatan -> two kelurahan, one posyandu each; two cadres at Melati, one at Mawar, a coordinator
    of Melati's kelurahan and a health worker of the kecamatan."""
    city = await repos.areas.create(AreaLevel.CITY, "Kota Contoh")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kecamatan Satu", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kelurahan Melati", kec.id)
    kel2 = await repos.areas.create(AreaLevel.KELURAHAN, "Kelurahan Mawar", kec.id)
    melati = await repos.posyandu.create(PosyanduCreate(name="Posyandu Melati", area_id=kel.id,
                                                        address="Balai RW 02"))
    mawar = await repos.posyandu.create(PosyanduCreate(name="Posyandu Mawar", area_id=kel2.id))
    for uid, name, role, scope in (
            (CADRE_A, "Sari", Role.CADRE, {"posyandu_id": melati.id}),
            (CADRE_B, "Rina", Role.CADRE, {"posyandu_id": melati.id}),
            (CADRE_OTHER, "Tuti", Role.CADRE, {"posyandu_id": mawar.id}),
            (COORDINATOR, "Dewi", Role.COORDINATOR, {"area_id": kel.id}),
            (HEALTH_WORKER, "Bidan Ani", Role.HEALTH_WORKER, {"area_id": kec.id})):
        api.user(uid, name)
        await repos.users.upsert(uid, name, "id")
        await repos.users.set_role(uid, role, **scope)
    return Area(melati, mawar, kel.id, kec.id)


async def child_at(repos: Repositories, posyandu: Posyandu, name: str, birth: dt.date, *,
                   sex: Sex = Sex.MALE, phone: str | None = "081234567890") -> Child:
    return await repos.children.create(ChildCreate(name=name, sex=sex, birth_date=birth, posyandu_id=posyandu.id,
                                                   guardian_name="Siti", guardian_phone=phone))


async def link(repos: Repositories, api: FakeBotAPI, uid: int, child: Child, name: str = "Ibu Siti") -> None:
    api.user(uid, name)
    await repos.users.upsert(uid, name, "id")
    await repos.users.set_role(uid, Role.PARENT, posyandu_id=child.posyandu_id)
    await repos.guardians.link(child.id, uid)


def messages(api: FakeBotAPI, uid: int) -> list[dict[str, Any]]:
    return api.messages(uid)


async def reply(bot: BotHarness, api: FakeBotAPI, uid: int, message_id: int, text: str) -> list[dict[str, Any]]:
    """`uid` replies (Telegram reply) to message `message_id` of their chat; the bot's new messages to them."""
    before = len(api.messages(uid))
    api.send_message(uid, text, reply_to=message_id)
    await api.wait_idle(timeout=10, update_queue=bot.app.update_queue if bot.app else None)
    return api.messages(uid)[before:]


def question_copies(api: FakeBotAPI, uid: int) -> list[dict[str, Any]]:
    """The parents' questions the bot sent to a staff member (newest last)."""
    return [m for m in api.messages(uid) if str(m.get("text", "")).startswith(("🙋", "⏰"))]


async def run_threads(bot: BotHarness, api: FakeBotAPI) -> parent_threads.ThreadsReport:
    """What the repeating job does, now (the tests keep the job itself quiet)."""
    assert bot.app is not None
    report = await parent_threads.run_due(bot.runtime, bot.app.bot, again_keyboard)
    await api.wait_idle(timeout=10, update_queue=bot.app.update_queue)
    return report


def wib(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=7)))
