"""`/jadwal` through the real Application and the stand-in: set the monthly rule, move/cancel/add a date,
parents see the next sessions and switch reminders off."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services.reminders import run_due
from bot.services.schedule import Rule, load_rule, next_session
from bot.sim.fake_api import FakeBotAPI
from storage.models import Role
from tests.e2e.harness import BotHarness, buttons, texts
from tests.e2e.test_reminders_support import World, add_cadre, add_family, make_posyandu

# Wednesday 1 January 2025, 10.00 WIB. Rule of Posyandu Melati: 2nd Tuesday -> 14 Jan, 11 Feb, 11 Mar.
NOW = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)
CADRE, PARENT, COORD, STRANGER = 700, 701, 702, 703


@pytest.fixture
async def jbot(api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotHarness]:
    monkeypatch.setenv("POSYANDU_REMINDER_FIRST", "3600")  # these tests call run_due themselves
    harness = BotHarness(api, tmp_path / "jadwal.db", clock=ManualClock(NOW))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def _world(bot: BotHarness, api: FakeBotAPI) -> World:
    repos = bot.runtime.repos
    world = World()
    pid = await make_posyandu(repos, world, "Melati", "Asia/Jakarta", "Selasa minggu ke-2 08.00-11.00",
                              address="Balai RW 03")
    await add_cadre(repos, api, world, CADRE, pid)
    await add_family(repos, api, world, PARENT, pid, [dt.date(2023, 5, 5)])
    return world


async def test_cadre_sees_the_rule_and_the_next_three_dates(jbot: BotHarness, api: FakeBotAPI) -> None:
    await _world(jbot, api)
    replies = await jbot.say(CADRE, "/jadwal")
    text = texts(replies)
    assert "Selasa minggu ke-2 setiap bulan, pukul 08.00–11.00" in text
    for day in ("Selasa, 14 Januari 2025", "Selasa, 11 Februari 2025", "Selasa, 11 Maret 2025"):
        assert day in text
    assert any("Ubah jadwal" in b for b in buttons(replies[-1]))


async def test_guided_rule_change_with_buttons_survives_a_restart(jbot: BotHarness, api: FakeBotAPI) -> None:
    world = await _world(jbot, api)
    await jbot.say(CADRE, "/jadwal")
    await jbot.press(CADRE, "Ubah jadwal")
    await jbot.press(CADRE, "Rabu")
    assert "minggu ke berapa" in jbot.last_text(CADRE)
    await jbot.restart()  # half-way: the conversation and the chosen weekday are persisted
    await jbot.press(CADRE, "ke-3")
    await jbot.press(CADRE, "08.30")
    await jbot.press(CADRE, "11.00")
    confirm = jbot.last_text(CADRE)
    assert "Rabu minggu ke-3 setiap bulan, pukul 08.30–11.00" in confirm
    assert "Rabu, 15 Januari 2025" in confirm
    await jbot.press(CADRE, "Simpan")
    assert "Jadwal disimpan" in jbot.last_text(CADRE)
    p = await jbot.runtime.repos.posyandu.get(world.posyandu["Melati"])
    assert load_rule(p.schedule_rule) == Rule("weekday", dt.time(8, 30), dt.time(11), weekday=2, week=3)


async def test_typed_rule_with_a_mistake_gets_a_clear_answer_then_works(jbot: BotHarness, api: FakeBotAPI) -> None:
    world = await _world(jbot, api)
    await jbot.say(CADRE, "/jadwal")
    await jbot.press(CADRE, "Ubah jadwal")
    replies = await jbot.say(CADRE, "Jumat 08.00")
    assert "minggu ke-" in texts(replies).lower() or "terakhir" in texts(replies)
    replies = await jbot.say(CADRE, "jumat terakhir jam 8-10")
    assert "Jumat minggu terakhir setiap bulan, pukul 08.00–10.00" in texts(replies)
    assert "Jumat, 31 Januari 2025" in texts(replies)
    await jbot.press(CADRE, "Simpan")
    p = await jbot.runtime.repos.posyandu.get(world.posyandu["Melati"])
    assert load_rule(p.schedule_rule) == Rule("weekday", dt.time(8), dt.time(10), weekday=4, week=-1)


async def test_move_a_date_for_a_holiday(jbot: BotHarness, api: FakeBotAPI) -> None:
    world = await _world(jbot, api)
    pid = world.posyandu["Melati"]
    await jbot.say(CADRE, "/jadwal")
    await jbot.press(CADRE, "Pindah atau batalkan")
    await jbot.press(CADRE, "14 Januari 2025")
    await jbot.press(CADRE, "Pindahkan")
    replies = await jbot.say(CADRE, "31/2")
    assert "tanggal" in texts(replies).lower()
    replies = await jbot.say(CADRE, "16/1")
    text = texts(replies)
    assert "dipindah ke Kamis, 16 Januari 2025" in text
    assert "Kamis, 16 Januari 2025, pukul 08.00–11.00 (dipindah dari 14 Jan 2025)" in text
    session = await next_session(jbot.runtime.repos, pid, dt.date(2025, 1, 2))
    assert session is not None
    assert (session.date, session.start_time, session.place) == (dt.date(2025, 1, 16), dt.time(8), "Balai RW 03")


async def test_cancel_a_date_and_add_an_extra_one(jbot: BotHarness, api: FakeBotAPI) -> None:
    world = await _world(jbot, api)
    pid = world.posyandu["Melati"]
    await jbot.say(CADRE, "/jadwal")
    await jbot.press(CADRE, "Pindah atau batalkan")
    await jbot.press(CADRE, "11 Februari 2025")
    await jbot.press(CADRE, "Batalkan")
    assert "dibatalkan" in jbot.last_text(CADRE)
    assert "11 Februari 2025" not in jbot.last_text(CADRE).split("dibatalkan")[1]
    await jbot.press(CADRE, "Tambah tanggal")
    replies = await jbot.say(CADRE, "20 Februari")
    assert "Kamis, 20 Februari 2025, pukul 08.00–11.00" in texts(replies)
    s = await next_session(jbot.runtime.repos, pid, dt.date(2025, 1, 15))
    assert s is not None and s.date == dt.date(2025, 2, 20)


async def test_batal_keeps_the_old_rule(jbot: BotHarness, api: FakeBotAPI) -> None:
    world = await _world(jbot, api)
    before = (await jbot.runtime.repos.posyandu.get(world.posyandu["Melati"])).schedule_rule
    await jbot.say(CADRE, "/jadwal")
    await jbot.press(CADRE, "Ubah jadwal")
    await jbot.press(CADRE, "Kamis")
    replies = await jbot.say(CADRE, "/batal")
    assert "Dibatalkan" in texts(replies)
    assert (await jbot.runtime.repos.posyandu.get(world.posyandu["Melati"])).schedule_rule == before


async def test_coordinator_chooses_among_the_posyandu_of_the_area(jbot: BotHarness, api: FakeBotAPI) -> None:
    world = await _world(jbot, api)
    repos = jbot.runtime.repos
    melati = await repos.posyandu.get(world.posyandu["Melati"])
    from storage.models import PosyanduCreate

    await repos.posyandu.create(PosyanduCreate(name="Posyandu Mawar", area_id=melati.area_id))
    await repos.users.upsert(COORD, "Koordinator", "id")
    await repos.users.set_role(COORD, Role.COORDINATOR, area_id=melati.area_id)
    api.user(COORD, "Koordinator")
    replies = await jbot.say(COORD, "/jadwal")
    assert {"Posyandu Melati", "Posyandu Mawar"} <= set(buttons(replies[-1]))
    await jbot.press(COORD, "Mawar")
    assert "Belum ada jadwal bulanan" in jbot.last_text(COORD)


async def test_parent_sees_next_sessions_and_can_switch_reminders_off(jbot: BotHarness, api: FakeBotAPI) -> None:
    await _world(jbot, api)
    replies = await jbot.say(PARENT, "/jadwal")
    text = texts(replies)
    assert "Selasa, 14 Januari 2025, pukul 08.00–11.00" in text
    assert "Balai RW 03" in text
    assert not any("Ubah" in b for b in buttons(replies[-1]))
    await jbot.press(PARENT, "Matikan pengingat")
    assert "dimatikan" in jbot.last_text(PARENT)
    assert (await jbot.runtime.repos.users.get(PARENT)).opted_out
    # The H-1 reminder (Monday 13 January, 16.00 WIB) now goes to the cadre only.
    jbot.runtime.clock.set(dt.datetime(2025, 1, 13, 9, 0, tzinfo=dt.UTC))
    assert jbot.app is not None
    before = len(api.messages(PARENT))
    await run_due(jbot.runtime, jbot.app.bot)
    assert len(api.messages(PARENT)) == before
    assert "Besok: posyandu" in jbot.last_text(CADRE)


async def test_someone_without_a_posyandu_is_told_how_to_get_one(jbot: BotHarness, api: FakeBotAPI) -> None:
    api.user(STRANGER, "Tamu")
    replies = await jbot.say(STRANGER, "/jadwal")
    assert "/start" in texts(replies)
