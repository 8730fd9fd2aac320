"""`/riwayat`, `/daftar` and `/koreksi` through the real Application and the Bot API stand-in."""

from __future__ import annotations

import pytest

from bot.demo import CADRE_ID, STRANGER_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts

CADRE = CADRE_ID


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    for uid in (CADRE_ID, STRANGER_ID):
        api.user(uid, "User")
    return personas


async def test_history_lists_measurements_newest_first(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/riwayat A3")  # Dimas: B, T, 2T
    text = texts(replies)
    assert "Dimas Pratama" in text and "3 pengukuran" in text
    lines = [line for line in text.splitlines() if line.startswith("•")]
    assert "2T" in lines[0] and "— B" in lines[-1]
    assert "Ukur sekarang" in " ".join(buttons(replies[-1]))


async def test_history_by_name_and_refusals(bot: BotHarness, demo: DemoPersonas) -> None:
    assert "Rina Lestari" in texts(await bot.say(CADRE, "/riwayat rina"))
    assert "posyandu lain" in texts(await bot.say(CADRE, "/riwayat B1"))
    assert "Tidak ada anak" in texts(await bot.say(CADRE, "/riwayat zzz"))
    assert "/riwayat A12" in texts(await bot.say(CADRE, "/riwayat"))
    assert "kader" in texts(await bot.say(STRANGER_ID, "/riwayat A1"))


async def test_overview_pages_and_marks(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/catat A3 7,8 78,5")  # Dimas: red flag (wasted, weight not up)
    await bot.say(CADRE, "/catat A1 10,9 81,5")
    replies = await bot.say(CADRE, "/daftar")
    text = texts(replies)
    assert "Posyandu Melati 1" in text and "Sudah diukur 2 dari 8" in text
    assert "🔴 Dimas Pratama (A3)" in text and "✅ Budi Santoso (A1)" in text and "⬜ Bayu Saputra (A8)" in text
    assert "Posyandu Mawar" not in text and "Rizki" not in text


async def test_overview_paginates_with_buttons(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    replies = await bot.say(demo.coordinator_id, "/daftar")  # the coordinator sees both posyandu: 12 children
    assert "1/2" in buttons(replies[-1])
    first_page = texts(replies)
    await bot.press(demo.coordinator_id, "Berikutnya")
    second_page = str(api.last_message(demo.coordinator_id)["text"])
    assert "2/2" in buttons(api.last_message(demo.coordinator_id))
    assert second_page != first_page and "Siti Nurhaliza" in second_page


async def test_koreksi_lists_recent_entries_and_corrects(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/catat A1 10,9 81,5")
    replies = await bot.say(CADRE, "/koreksi")
    assert any("Budi Santoso (A1)" in b for b in buttons(replies[-1]))
    await bot.press(CADRE, "Budi Santoso (A1)")
    await bot.press(CADRE, "✏️ Panjang")
    replies = await bot.say(CADRE, "82")
    assert "82,0 cm" in texts(replies)
    replies = await bot.press(CADRE, "Simpan")
    assert "Dikoreksi" in texts(replies)
    history = texts(await bot.say(CADRE, "/riwayat A1"))
    assert "82,0 cm" in history and "dikoreksi" in history
