"""Which entries reach the parents, a second weighing in the month, back-dated entries, the card following the
status function, and weight changes in kg (through the real Application and the Bot API stand-in)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import ManualClock
from bot.demo import CADRE_ID, PARENT_ID, DemoPersonas, seed_demo
from bot.services import measurement as svc
from bot.sim.fake_api import FakeBotAPI
from storage.models import Measurement
from tests.e2e.harness import BotHarness, buttons, texts

CADRE = CADRE_ID
# 10:00 WIB on Monday 16 November 2026: a day and a week back are in the same month, and the demo's last visits (a
# month back) in the month before (on the first days of a month the real clock would put them together).
NOW = dt.datetime(2026, 11, 16, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, "Sari")
    api.user(PARENT_ID, "Siti")
    return personas


def _tgl(day: dt.date) -> str:
    return f"tgl {day.day}/{day.month}/{day.year}"


async def _budi_history(bot: BotHarness) -> list[Measurement]:
    child = await bot.runtime.repos.children.get_by_code("A1")
    return list(await bot.runtime.repos.measurements.history_for_child(child.id))


async def test_suspect_backdated_drop_sends_the_parent_nothing(bot: BotHarness, api: FakeBotAPI,
                                                                demo: DemoPersonas) -> None:
    day = bot.runtime.today() - dt.timedelta(days=60)
    replies = await bot.say(CADRE, f"/catat A1 7 79 {_tgl(day)}")
    assert "turun lebih dari 1 kg" in texts(replies)
    replies = await bot.press(CADRE, "Sudah diukur ulang, benar")
    assert "sudah diukur bulan ini" in texts(replies)  # the month already has a weighing: asked, never doubled
    replies = await bot.press(CADRE, "Simpan keduanya")
    assert "Tersimpan" in texts(replies)
    assert api.messages(PARENT_ID) == []


async def test_entry_older_than_a_week_is_not_pushed(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    day = bot.runtime.today() - dt.timedelta(days=10)
    replies = await bot.say(CADRE, f"/catat A1 10,5 80,5 {_tgl(day)}")
    assert "Tersimpan" in texts(replies)
    assert api.messages(PARENT_ID) == []


async def test_entry_that_is_not_the_newest_is_not_pushed(bot: BotHarness, api: FakeBotAPI,
                                                          demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/catat A1 10,6 81")
    sent = len(api.messages(PARENT_ID))
    assert sent == 1
    replies = await bot.say(CADRE, f"/catat A1 10,5 81 {_tgl(bot.runtime.today() - dt.timedelta(days=1))}")
    assert "sudah diukur bulan ini" in texts(replies)
    replies = await bot.press(CADRE, "Simpan keduanya")
    assert "Tersimpan" in texts(replies) and "ukur ulang, tidak dihitung" not in texts(replies)
    assert len(api.messages(PARENT_ID)) == sent


async def test_weight_down_is_called_down_for_cadre_and_parent(bot: BotHarness, api: FakeBotAPI,
                                                               demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 10,0 81")  # 10,3 kg last month
    assert "turun 300 g" in texts(replies)
    parent = texts(api.messages(PARENT_ID))
    assert "turun 300 g" in parent and "belum naik cukup" not in parent


async def test_gain_from_one_kg_is_shown_in_kg(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 11,5 81")  # +1,2 kg at 20 months: above WHO's +3 SD, asked
    assert "Mohon timbang ulang" in texts(replies)
    replies = await bot.press(CADRE, "Sudah diukur ulang, benar")
    assert "naik 1,2 kg" in texts(replies) and "1200 g" not in texts(replies)
    assert "naik 1,2 kg" in texts(api.messages(PARENT_ID))


async def test_implausible_gain_is_questioned_then_kept_when_weighed_again(bot: BotHarness, api: FakeBotAPI,
                                                                           demo: DemoPersonas) -> None:
    """WHO velocity 2009 (+3 SD): +2,2 kg in a month at 20 months is asked about; confirmed after weighing
    again, it is data (marked on the card) and the parent is told."""
    replies = await bot.say(CADRE, "/catat A1 12,5 81")
    assert "Mohon timbang ulang" in texts(replies)
    assert "Simpan sebagai perlu ukur ulang" not in texts(replies)
    replies = await bot.press(CADRE, "Sudah diukur ulang, benar")
    assert "Tersimpan" in texts(replies) and "sudah dipastikan" in texts(replies)
    latest = (await _budi_history(bot))[-1]
    assert svc.GAIN_FLAG in latest.flags and not latest.implausible
    assert len(api.messages(PARENT_ID)) == 1


async def test_same_day_entry_asks_before_replacing(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/catat A1 10,5 81")
    replies = await bot.say(CADRE, "/catat A1 10,1 81")
    assert "Budi sudah diukur bulan ini (16 Nov 2026: 10,5 kg). Ganti catatan itu dengan 10,1 kg" in texts(replies)
    assert buttons(replies[-1]) == ["Ganti", "Simpan keduanya", "❌ Batal"]
    assert [m.weight_kg for m in await _budi_history(bot)][-1] == 10.5
    parent_before = len(api.messages(PARENT_ID))
    replies = await bot.press(CADRE, "Ganti")
    assert "Dikoreksi" in texts(replies)
    today = [m for m in await _budi_history(bot) if m.measured_on == bot.runtime.today()]
    assert [m.weight_kg for m in today] == [10.1]
    new = api.messages(PARENT_ID)[parent_before:]
    assert len(new) == 1 and str(new[0]["text"]).startswith("Koreksi: ")


async def test_same_day_entry_cancelled_keeps_the_first(bot: BotHarness, api: FakeBotAPI,
                                                        demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/catat A1 10,5 81")
    await bot.say(CADRE, "/catat A1 10,1 81")
    replies = await bot.press(CADRE, "Batal")
    assert "Tidak ada yang disimpan" in texts(replies) or "Dibatalkan" in texts(replies)
    today = [m for m in await _budi_history(bot) if m.measured_on == bot.runtime.today()]
    assert [m.weight_kg for m in today] == [10.5]
    assert len(api.messages(PARENT_ID)) == 1


async def test_backdated_entry_recomputes_later_faltering(bot: BotHarness, api: FakeBotAPI,
                                                          demo: DemoPersonas) -> None:
    history = await _budi_history(bot)
    first = history[0]
    assert first.faltering is not None and first.faltering.value == "B"
    day = first.measured_on - dt.timedelta(days=31)
    replies = await bot.say(CADRE, f"/catat A1 9,7 78 {_tgl(day)}")
    assert "Tersimpan" in texts(replies)
    by_id = {m.id: m for m in await _budi_history(bot)}
    assert by_id[first.id].faltering.value == "N"  # type: ignore[union-attr]  # 9,7 -> 9,9 kg: +200 g
    assert by_id[first.id].weight_kg == first.weight_kg  # values untouched
    assert api.messages(PARENT_ID) == []  # old and not the newest


async def test_bmi_alone_never_makes_the_card_say_severe_wasting(bot: BotHarness, demo: DemoPersonas) -> None:
    """WHO/UNICEF 2009: Dimas, WHZ -2,93 and BMIZ -3,14, is wasted (refer this week), not severely wasted."""
    replies = await bot.say(CADRE, "/catat A3 8,2 79,5")
    card = texts(replies)
    assert "BB/PB  −2,93  ⚠️ Gizi kurang" in card and "IMT/U" not in card
    assert "Gizi buruk" not in card and "hari ini" not in card
    assert "🔴 Rujuk ke puskesmas." in card and "Gizi kurang. Rujuk ke puskesmas" in card
    assert "sebelum memutuskan" not in card and "Periksa BB/PB" not in card
