"""Access that must end when a role ends, and code guessing that must stay rate-limited (UU PDP 27/2022)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.demo import CADRE_ID, COORDINATOR_ID, PARENT_ID, STRANGER_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI
from storage.models import InviteCreate, Role
from tests.e2e.harness import BotHarness, texts


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    for uid, name in ((CADRE_ID, "Sari"), (PARENT_ID, "Siti"), (STRANGER_ID, "Tamu"), (COORDINATOR_ID, "Dewi")):
        api.user(uid, name)
    return personas


async def test_removed_cadre_cannot_finish_a_schedule_change(bot: BotHarness, demo: DemoPersonas) -> None:
    """/jadwal survives a restart, but its writes re-check the scope: a cadre removed meanwhile changes nothing."""
    await bot.say(CADRE_ID, "/jadwal")
    repos = bot.runtime.repos
    await repos.users.set_active(CADRE_ID, False)
    await repos.users.set_role(CADRE_ID, None)
    await bot.restart()
    await bot.press(CADRE_ID, "Tambah tanggal")
    day = bot.runtime.today() + dt.timedelta(days=9)
    replies = await bot.say(CADRE_ID, f"{day.day}/{day.month}/{day.year}")
    assert "tidak bisa lagi" in texts(replies) or "tidak bisa lagi" in bot.last_text(CADRE_ID)
    rows = await bot.runtime.db.fetchall("SELECT session_date FROM posyandu_sessions WHERE posyandu_id = ?",
                                         (demo.posyandu_ids[0],))
    assert all(str(r["session_date"]) != day.isoformat() for r in rows)


async def test_a_locked_guesser_cannot_use_a_staff_code(bot: BotHarness, demo: DemoPersonas) -> None:
    """After 5 wrong codes, even a valid cadre invite is not looked up until the lock expires."""
    repos = bot.runtime.repos
    for i in range(5):
        await bot.say(STRANGER_ID, f"/start WRONG{i}XYZ")
    invite = await repos.invites.create(InviteCreate(role=Role.CADRE, posyandu_id=demo.posyandu_ids[1],
                                                     created_by=COORDINATOR_ID))
    replies = await bot.say(STRANGER_ID, f"/start {invite.code}")
    assert "Terlalu banyak" in texts(replies)
    user = await repos.users.find(STRANGER_ID)
    assert user is not None and user.role is None


async def test_a_deactivated_parent_sees_no_child(bot: BotHarness, demo: DemoPersonas) -> None:
    repos = bot.runtime.repos
    await repos.users.set_active(PARENT_ID, False)
    replies = await bot.say(PARENT_ID, "/anakku")
    assert "Budi" not in texts(replies)


async def test_a_parent_code_does_not_undo_a_deactivation(bot: BotHarness, demo: DemoPersonas) -> None:
    repos = bot.runtime.repos
    await repos.users.set_active(PARENT_ID, False)
    child = await repos.children.get_by_code(demo.child_codes["Rina"])
    invite = await repos.invites.create(InviteCreate(role=Role.PARENT, posyandu_id=child.posyandu_id,
                                                     child_id=child.id, created_by=CADRE_ID))
    await bot.say(PARENT_ID, f"/start {invite.code}")
    user = await repos.users.find(PARENT_ID)
    assert user is not None and not user.active


async def test_the_cadre_cannot_use_the_parent_link_she_made(bot: BotHarness, demo: DemoPersonas) -> None:
    """The link shown after /anak_baru is for the parent; the cadre redeeming it gets no guardian link."""
    repos = bot.runtime.repos
    child = await repos.children.get_by_code(demo.child_codes["Dimas"])
    invite = await repos.invites.create(InviteCreate(role=Role.PARENT, posyandu_id=child.posyandu_id,
                                                     child_id=child.id, created_by=CADRE_ID))
    await bot.say(CADRE_ID, f"/start {invite.code}")
    assert child.id not in await repos.guardians.child_ids_of(CADRE_ID)


async def test_a_user_who_blocked_the_bot_is_reachable_again_after_writing(
        bot: BotHarness, demo: DemoPersonas) -> None:
    """403 marks the user unreachable; a new message from them undoes that, but not a deliberate deactivation."""
    repos = bot.runtime.repos
    await bot.say(PARENT_ID, "/start")
    await repos.users.mark_blocked(PARENT_ID)
    assert not (await repos.users.get(PARENT_ID)).active
    await bot.say(PARENT_ID, "/anakku")
    assert (await repos.users.get(PARENT_ID)).active
    await repos.users.set_active(PARENT_ID, False)
    await bot.say(PARENT_ID, "/anakku")
    assert not (await repos.users.get(PARENT_ID)).active
