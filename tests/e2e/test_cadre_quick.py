"""Quick entry `/catat` through the real Application and the Bot API stand-in."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.demo import CADRE_ID, PARENT_ID, SECOND_CADRE_ID, STRANGER_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI
from storage.models import Measurement
from tests.e2e.harness import BotHarness, buttons, texts

CADRE = CADRE_ID


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    for uid in (CADRE_ID, SECOND_CADRE_ID, PARENT_ID, STRANGER_ID):
        api.user(uid, "User")
    return personas


async def _latest(bot: BotHarness, code: str) -> Measurement:
    child = await bot.runtime.repos.children.get_by_code(code)
    latest: Measurement | None = await bot.runtime.repos.measurements.latest_for_child(child.id)
    assert latest is not None
    return latest


async def test_one_line_saves_with_the_same_card(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 10,9 81,5 berbaring")
    card = texts(replies)
    assert "✅ Tersimpan" in card and "BB/U" in card and "Berat: N" in card
    assert "📈 Grafik" in buttons(replies[0])
    m = await _latest(bot, "A1")
    assert (m.weight_kg, m.length_cm, m.position, m.measured_on) == (10.9, 81.5, "lying", bot.runtime.today())
    assert api.messages(PARENT_ID), "the parent is notified after a quick entry too"


async def test_keywords_in_any_order_with_date_and_default_position(bot: BotHarness, demo: DemoPersonas) -> None:
    today = bot.runtime.today()
    # A past day of this month (the demo's last visit is last month); on the 1st, the 1st itself.
    yesterday = today - dt.timedelta(days=1) if today.day > 1 else today
    replies = await bot.say(CADRE, f"/catat A5 tb 97 lila 15 bb 14,4 tgl {yesterday.day}/{yesterday.month}")
    assert "Tersimpan" in texts(replies)
    m = await _latest(bot, "A5")  # Ahmad, 3 years 4 months: standing by default
    assert (m.weight_kg, m.length_cm, m.muac_cm, m.position, m.measured_on) == (
        14.4, 97.0, 15.0, "standing", yesterday)


async def test_implausible_value_is_questioned_then_suggestion_used(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 105 81")
    text = texts(replies)
    assert "tidak mungkin untuk anak 1 th 8 bln" in text and "10,5 kg" in text
    assert "Simpan apa adanya" not in " ".join(buttons(replies[-1]))  # 105 kg is never saved as typed
    question = bot.api.last_message(CADRE)
    bot.api.press_button(CADRE, question["message_id"], "catat:use")
    bot.api.press_button(CADRE, question["message_id"], "catat:use")  # a double tap
    await bot.api.wait_idle()
    assert "Tersimpan" in texts(bot.api.messages(CADRE)[-2:])
    child = await bot.runtime.repos.children.get_by_code("A1")
    today = [x for x in await bot.runtime.repos.measurements.history_for_child(child.id, include_superseded=True)
             if x.measured_on == bot.runtime.today()]
    assert [x.weight_kg for x in today] == [10.5]
    assert bot.api.unanswered_callback_queries() == []

async def test_implausible_value_kept_is_stored_as_remeasure(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 25 81")
    assert "tidak mungkin" in texts(replies)
    replies = await bot.press(CADRE, "Simpan sebagai perlu ukur ulang")
    assert "Tersimpan" in texts(replies) and "perlu ukur ulang" in texts(replies)
    m = await _latest(bot, "A1")
    assert m.weight_kg == 25.0 and m.implausible


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/catat", "kode anak"),
        ("/catat A1 sepuluh", "angka, bukan huruf"),
        ("/catat A1 10,5 82 13", "ukuran apa"),
        ("/catat A99 10,5", "Tidak ada anak dengan kode A99"),
        ("/catat A1 10,5 tgl 1/1/2020", "sebelum tanggal lahir"),
        ("/catat A1 0,1", "di luar ukuran balita"),
        ("/catat 👶👶", "bukan kode anak"),
    ],
)
async def test_bad_lines_get_a_clear_answer(bot: BotHarness, demo: DemoPersonas, line: str, expected: str) -> None:
    replies = await bot.say(CADRE, line)
    assert expected in texts(replies)
    assert "Contoh" in texts(replies) or "kode" in texts(replies) or "tanggal" in texts(replies) or \
        "ukuran" in texts(replies)


async def test_future_date_is_refused(bot: BotHarness, demo: DemoPersonas) -> None:
    tomorrow = bot.runtime.today() + dt.timedelta(days=1)
    replies = await bot.say(CADRE, f"/catat A1 10,5 tgl {tomorrow.isoformat()}")
    assert "masa depan" in texts(replies)


async def test_child_of_another_posyandu(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat B1 10,5 80")
    assert "posyandu lain" in texts(replies)
    child = await bot.runtime.repos.children.get_by_code("B1")
    assert (await bot.runtime.repos.measurements.latest_for_child(child.id)).measured_on < bot.runtime.today()


async def test_stranger_is_refused(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(STRANGER_ID, "/catat A1 10,5 80")
    assert "kader" in texts(replies)


async def test_coordinator_may_enter_in_their_area(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    api.user(demo.coordinator_id, "Dewi")
    replies = await bot.say(demo.coordinator_id, "/catat B1 10,6 80,4")
    assert "Tersimpan" in texts(replies)


async def test_second_entry_same_day_replaces_the_first(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/catat A1 10,9 81,5")
    replies = await bot.say(CADRE, "/catat A1 11,0 81,5")
    assert "Ganti catatan itu dengan 11,0 kg" in texts(replies)  # asked first, never replaced silently
    replies = await bot.press(CADRE, "Ganti")
    assert "Dikoreksi" in texts(replies)
    child = await bot.runtime.repos.children.get_by_code("A1")
    current = [m for m in await bot.runtime.repos.measurements.history_for_child(child.id)
               if m.measured_on == bot.runtime.today()]
    assert [m.weight_kg for m in current] == [11.0]


async def test_muac_category_with_a_less_than_sign_is_sent(bot: BotHarness, demo: DemoPersonas) -> None:
    """Regression: the MUAC label "LiLA 11,5 - < 12,5 cm" broke the HTML card."""
    replies = await bot.say(CADRE, "/catat A3 7,8 78,5 berbaring lila 12")
    text = texts(replies)
    assert "Tersimpan" in text and "< 12,5 cm" in text and "Maaf" not in text
