"""Staff invites and the team list end to end: /undang, /start <code>, /tim, admins from the settings."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sim.fake_api import FakeBotAPI
from storage.models import InviteCreate, Role
from tests.e2e.harness import BotHarness, buttons, texts, today_wib
from tests.e2e.test_coordinator_seed import (
    ADMIN,
    CADRE_A1,
    COORD_A,
    COORD_CITY,
    STRANGER,
    World,
    add_user,
    forge_button,
    seed_world,
    weigh,
)

CODE = re.compile(r"start=([A-Z0-9]+)")


@pytest.fixture
async def world(bot: BotHarness, api: FakeBotAPI) -> AsyncIterator[World]:
    yield await seed_world(bot.runtime.repos, api, today_wib(), parents_per_posyandu=1, measurements=False)


async def test_coordinator_invites_a_cadre_who_joins_with_the_link(bot: BotHarness, api: FakeBotAPI,
                                                                   world: World) -> None:
    replies = await bot.say(COORD_A, "/undang kader")
    assert buttons(replies[-1]) == ["🏠 Posyandu Mawar", "🏠 Posyandu Melati 1"]
    await bot.press(COORD_A, "Melati 1")
    card = bot.last_text(COORD_A)
    assert "https://t.me/posyandu_test_bot?start=" in card and "kader" in card
    code = CODE.search(card).group(1)  # type: ignore[union-attr]
    assert f"/start {code}" in card
    api.user(5001, "Lina")
    replies = await bot.say(5001, f"/start {code}")
    assert "kader Posyandu Melati 1" in texts(replies) and "/ukur" in texts(replies)
    user = await bot.runtime.repos.users.find(5001)
    assert user is not None and user.role == Role.CADRE and user.posyandu_id == world.p_a1
    assert "Lina sudah bergabung" in bot.last_text(COORD_A)
    # The same code a second time, by someone else: clearly refused.
    api.user(5002, "Maya")
    replies = await bot.say(5002, f"/start {code}")
    assert "sudah dipakai" in texts(replies)
    assert (await bot.runtime.repos.users.find(5002)).role is None  # type: ignore[union-attr]
    # /tim now lists her under her posyandu.
    replies = await bot.say(COORD_A, "/tim")
    out = texts(replies)
    assert "Posyandu Melati 1" in out and "Lina" in out and "Kak Sari" in out and "Kak Umi" not in out


async def test_expired_code_gets_a_clear_answer(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    invite = await bot.runtime.repos.invites.create(InviteCreate(role=Role.CADRE, posyandu_id=world.p_a1,
                                                                 created_by=COORD_A))
    await bot.runtime.db.execute("UPDATE invites SET expires_at = '2000-01-01T00:00:00.000000+00:00'"
                                 " WHERE code = ?", (invite.code,))
    replies = await bot.say(STRANGER, f"/start {invite.code}")
    assert "kedaluwarsa" in texts(replies)
    assert (await bot.runtime.repos.users.find(STRANGER)).role is None  # type: ignore[union-attr]


async def test_unknown_code_falls_through_to_the_general_answer(bot: BotHarness, api: FakeBotAPI,
                                                                world: World) -> None:
    """Not a staff code: left to the other deep-link handlers (the parent journey answers), no role given."""
    replies = await bot.say(STRANGER, "/start ZZZZ9999")
    assert "kode" in texts(replies).lower()
    assert (await bot.runtime.repos.users.find(STRANGER)).role is None  # type: ignore[union-attr]


async def test_coordinator_opening_a_cadre_link_keeps_their_role(bot: BotHarness, api: FakeBotAPI,
                                                                 world: World) -> None:
    invite = await bot.runtime.repos.invites.create(InviteCreate(role=Role.CADRE, posyandu_id=world.p_a1,
                                                                 created_by=COORD_CITY))
    replies = await bot.say(COORD_A, f"/start {invite.code}")
    assert "lebih tinggi" in texts(replies)
    user = await bot.runtime.repos.users.find(COORD_A)
    assert user is not None and user.role == Role.COORDINATOR


async def test_city_coordinator_invites_a_kelurahan_coordinator(bot: BotHarness, api: FakeBotAPI,
                                                                world: World) -> None:
    replies = await bot.say(COORD_CITY, "/undang")
    assert buttons(replies[-1]) == ["👩‍⚕️ Kader", "🧭 Koordinator", "🤝 TPK", "🩺 Bidan/puskesmas"]  # + issue 16
    await bot.press(COORD_CITY, "Koordinator")
    await bot.press(COORD_CITY, "Kejaksan")
    await bot.press(COORD_CITY, "Sukajadi")
    code = CODE.search(bot.last_text(COORD_CITY)).group(1)  # type: ignore[union-attr]
    api.user(5003, "Nani")
    replies = await bot.say(5003, f"/start {code}")
    assert "koordinator Kelurahan Sukajadi" in texts(replies)
    user = await bot.runtime.repos.users.find(5003)
    assert user is not None and user.role == Role.COORDINATOR and user.area_id == world.kel_b
    # The new coordinator can read her own recap right away.
    replies = await bot.say(5003, "/rekap")
    assert "Rekap Kelurahan Sukajadi" in texts(replies)


async def test_kelurahan_coordinator_can_only_invite_cadres_inside(bot: BotHarness, api: FakeBotAPI,
                                                                    world: World) -> None:
    replies = await bot.say(COORD_A, "/undang koordinator")
    assert "hanya bisa mengundang kader" in texts(replies)
    await bot.say(COORD_A, "/undang kader")
    for forged in (f"undang:k:p:{world.p_b1}", f"undang:c:a:{world.kel_a}", f"undang:c:a:{world.kel_b}",
                   f"undang:k:d:{world.kec}:0"):
        forge_button(api, COORD_A, forged)
        await bot.press(COORD_A, "FORGED")
        answers = [a for a in api.callback_answers.values() if a]
        assert "di luar wilayah" in str(answers[-1].get("text")), forged
        await bot.say(COORD_A, "/undang kader")
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM invites") == 0


async def test_cadre_parent_and_stranger_cannot_invite_or_list(bot: BotHarness, api: FakeBotAPI,
                                                               world: World) -> None:
    for uid in (CADRE_A1, world.parents[world.p_a1][0], STRANGER):
        for command in ("/undang kader", "/tim"):
            replies = await bot.say(uid, command)
            assert "untuk koordinator" in texts(replies), (uid, command)
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM invites") == 0


async def test_team_shows_last_activity(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    child = world.children[f"Anak {world.parents[world.p_a1][0]}"]
    await weigh(world, child, today_wib(), entered_by=CADRE_A1)
    replies = await bot.say(COORD_A, "/tim")
    out = texts(replies)
    assert "Kak Sari — aktif hari ini · 1 entri bulan ini" in out
    assert "Kak Tini — aktif hari ini · 0 entri bulan ini" in out


async def test_settings_admin_is_admin_and_can_invite_anywhere(api: FakeBotAPI, tmp_path: Path) -> None:
    harness = BotHarness(api, tmp_path / "bot.db", admin_ids=[ADMIN])
    await harness.start()
    try:
        world = await seed_world(harness.runtime.repos, api, today_wib(), parents_per_posyandu=1,
                                 measurements=False)
        api.user(ADMIN, "Admin Kota", language_code="en")
        replies = await harness.say(ADMIN, "/undang")
        assert buttons(replies[-1]) == ["👩‍⚕️ Cadre", "🧭 Coordinator", "🤝 TPK", "🩺 Midwife/puskesmas"]
        user = await harness.runtime.repos.users.find(ADMIN)
        assert user is not None and user.role == Role.ADMIN and user.language == "en"
        await harness.press(ADMIN, "Coordinator")
        await harness.press(ADMIN, "Kota Cirebon")
        await harness.press(ADMIN, "All of Kota Cirebon")
        code = CODE.search(harness.last_text(ADMIN)).group(1)  # type: ignore[union-attr]
        api.user(5004, "Pak Kota")
        await harness.say(5004, f"/start {code}")
        user = await harness.runtime.repos.users.find(5004)
        assert user is not None and user.role == Role.COORDINATOR and user.area_id == world.city
        # A stranger who is not in the settings is not an admin.
        await add_user(harness.runtime.repos, api, 5005, "Bukan Admin", None)
        assert "untuk koordinator" in texts(await harness.say(5005, "/undang"))
    finally:
        await harness.stop()
