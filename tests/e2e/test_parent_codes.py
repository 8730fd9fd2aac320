"""Linking for children already registered, end to end: /kode_ortu by the child's cadre (old unused codes
revoked), by a coordinator within scope, refused outside scope; relinking after /hapus_saya; two parents
following one child; one parent with two children."""

from __future__ import annotations

import datetime as dt
import re

from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts
from tests.e2e.parent_support import CADRE_A, CADRE_OTHER, COORDINATOR, PARENT, SECOND_PARENT, child_at, seed_area

CODE = re.compile(r"/start ([A-Z0-9]{6,12})")


async def _code(bot: BotHarness, staff: int, child_code: str) -> str:
    text = texts(await bot.say(staff, f"/kode_ortu {child_code}"))
    found = CODE.search(text)
    assert found, text
    return found.group(1)


async def test_a_cadre_gives_a_code_and_the_parent_links(bot: BotHarness, api: FakeBotAPI) -> None:
    area = await seed_area(bot.runtime.repos, api)
    await child_at(bot.runtime.repos, area.melati, "Budi Santoso", dt.date(2024, 3, 1))
    text = texts(await bot.say(CADRE_A, "/kode_ortu A1"))
    assert "Kode untuk orang tua Budi Santoso (A1)" in text and "https://t.me/" in text
    code = CODE.search(text)
    assert code
    api.user(PARENT, "Ibu Siti")
    assert "Terhubung" in texts(await bot.say(PARENT, f"/start {code.group(1)}"))
    assert "Budi Santoso" in texts(await bot.say(PARENT, "/anakku"))


async def test_a_fresh_code_revokes_the_unused_one(bot: BotHarness, api: FakeBotAPI) -> None:
    area = await seed_area(bot.runtime.repos, api)
    await child_at(bot.runtime.repos, area.melati, "Budi", dt.date(2024, 3, 1))
    old = await _code(bot, CADRE_A, "A1")
    text = texts(await bot.say(CADRE_A, "/kode_ortu a1"))  # typed in lower case
    assert "Kode lama yang belum dipakai untuk anak ini sudah tidak berlaku" in text
    api.user(PARENT, "Ibu")
    assert "kedaluwarsa" in texts(await bot.say(PARENT, f"/start {old}"))


async def test_a_cadre_of_another_posyandu_gets_no_code(bot: BotHarness, api: FakeBotAPI) -> None:
    area = await seed_area(bot.runtime.repos, api)
    await child_at(bot.runtime.repos, area.melati, "Budi", dt.date(2024, 3, 1))
    text = texts(await bot.say(CADRE_OTHER, "/kode_ortu A1"))
    assert "Tidak ada anak dengan kode A1" in text and "/start" not in text


async def test_a_coordinator_within_scope_gets_a_code_and_a_parent_gets_none(bot: BotHarness,
                                                                             api: FakeBotAPI) -> None:
    area = await seed_area(bot.runtime.repos, api)
    await child_at(bot.runtime.repos, area.melati, "Budi", dt.date(2024, 3, 1))
    assert await _code(bot, COORDINATOR, "A1")
    api.user(PARENT, "Ibu")
    assert "untuk kader posyandu dan koordinator" in texts(await bot.say(PARENT, "/kode_ortu A1"))


async def test_a_parent_who_deleted_their_data_links_again_with_a_new_code(bot: BotHarness, api: FakeBotAPI) -> None:
    area = await seed_area(bot.runtime.repos, api)
    await child_at(bot.runtime.repos, area.melati, "Budi", dt.date(2024, 3, 1))
    api.user(PARENT, "Ibu")
    await bot.say(PARENT, f"/start {await _code(bot, CADRE_A, 'A1')}")
    await bot.say(PARENT, "/hapus_saya")
    assert "dihapus" in texts(await bot.press(PARENT, "Ya, hapus")) or "dihapus" in bot.last_text(PARENT)
    assert "Belum ada anak" in texts(await bot.say(PARENT, "/anakku"))
    assert "Terhubung" in texts(await bot.say(PARENT, f"/start {await _code(bot, CADRE_A, 'A1')}"))
    assert "Budi" in texts(await bot.say(PARENT, "/anakku"))


async def test_two_parents_follow_one_child(bot: BotHarness, api: FakeBotAPI) -> None:
    area = await seed_area(bot.runtime.repos, api)
    await child_at(bot.runtime.repos, area.melati, "Budi", dt.date(2024, 3, 1))
    api.user(PARENT, "Ibu")
    api.user(SECOND_PARENT, "Bapak")
    await bot.say(PARENT, f"/start {await _code(bot, CADRE_A, 'A1')}")  # used: not revoked by the next one
    await bot.say(SECOND_PARENT, f"/start {await _code(bot, CADRE_A, 'A1')}")
    for uid in (PARENT, SECOND_PARENT):
        assert "Budi" in texts(await bot.say(uid, "/anakku"))


async def test_one_parent_links_two_children(bot: BotHarness, api: FakeBotAPI) -> None:
    area = await seed_area(bot.runtime.repos, api)
    await child_at(bot.runtime.repos, area.melati, "Budi", dt.date(2022, 3, 1))
    await child_at(bot.runtime.repos, area.mawar, "Citra", dt.date(2024, 3, 1))
    api.user(PARENT, "Ibu")
    await bot.say(PARENT, f"/start {await _code(bot, CADRE_A, 'A1')}")
    await bot.say(PARENT, f"/start {await _code(bot, CADRE_OTHER, 'A2')}")
    text = texts(await bot.say(PARENT, "/anakku"))
    assert "Budi" in text and "Citra" in text
    replies = await bot.say(PARENT, "umur anak saya berapa")
    assert buttons(replies[-1]) == ["Budi", "Citra"]
