"""A deactivated account reaches no child's data (issue 19, item 3): every button it was ever shown and every
command the bot knows, for a parent, a cadre, a coordinator and an admin (by database role), after the
account was switched off. The parent's old notice with its chart button is among them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.demo import CADRE_ID
from bot.sim.fake_api import FakeBotAPI
from storage.models import InviteCreate, Role
from tests.e2e.hardening_support import (
    CHILD_NAMES,
    GUARDIAN_NAMES,
    GUARDIAN_PHONES,
    all_commands,
    buttons_sent_to,
    seed_personas,
    texts_to,
    violations,
)
from tests.e2e.harness import BotHarness

ROLES = ("parent", "cadre", "coordinator", "admin")
# What a command is also tried with (a name, a child code, a month ...); every command is tried bare too.
ARGUMENTS = {"ukur": ["Budi"], "catat": ["{code} 10,5 82"], "riwayat": ["Budi", "{code}"], "undang": ["kader"],
             "rekap": ["{month}"], "ekspor": ["{month}"], "kode": ["{invite}"], "start": ["{invite}"]}


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The walk sends hundreds of messages; Telegram's 30 a second would only make it slow (the limit has its
    own test in test_send_budget_flood.py)."""
    harness = BotHarness(api, tmp_path / "bot.db", telegram_sends_per_second=1000)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def _each_sends(bot: BotHarness, api: FakeBotAPI, users: list[int], texts: list[str]) -> None:
    """Every user sends every text, in order; their chats are handled side by side (one chat in order)."""
    for text in texts:
        for uid in users:
            api.send_message(uid, text)
    await bot._settle(120)


async def test_a_deactivated_account_reaches_no_child_data_through_any_button_or_command(
        bot: BotHarness, api: FakeBotAPI) -> None:
    people = await seed_personas(bot, api)
    repos = bot.runtime.repos
    budi = await repos.children.get_by_code(people.demo.child_codes["Budi"])
    assert budi is not None
    users = [people.by_role[r] for r in ROLES]
    # While active: a measurement of Budi, so the parent has a notice with its chart button on screen.
    await bot.say(CADRE_ID, f"/catat {budi.code} 10,9 81")
    invite = await repos.invites.create(InviteCreate(role=Role.PARENT, posyandu_id=budi.posyandu_id,
                                                     child_id=budi.id, created_by=CADRE_ID))
    values = {"code": budi.code, "month": bot.runtime.today().strftime("%Y-%m"), "invite": invite.code}
    commands = [f"/{c} {a.format(**values)}".strip() for c in all_commands(bot)
                for a in ["", *ARGUMENTS.get(c, [])]]
    # Every command once while active, to collect the buttons each role gets.
    await _each_sends(bot, api, users, [t for command in commands for t in (command, "/batal")])
    shown = {uid: buttons_sent_to(api, uid) for uid in users}
    assert any(data.startswith("ukur:pchart:") for _, data in shown[people.by_role["parent"]])
    assert all(shown.values())

    for uid in users:
        await repos.users.set_active(uid, False)
    mark = len(api.calls)
    for uid in users:
        for message_id, data in shown[uid]:
            api.forge_callback(uid, message_id, data)  # an old button, pressed again
    await _each_sends(bot, api, users, [*commands, "Budi", budi.code])
    for uid in users:  # the parent's phone shared again: must not link nor name the children
        api.send_contact(uid, GUARDIAN_PHONES[0])
    await bot._settle(20)

    assert violations(api, mark) == []
    assert api.unanswered_callback_queries() == []
    names = re.compile("|".join(re.escape(n) for n in (*CHILD_NAMES, *GUARDIAN_NAMES, "Budi")))
    for uid in users:
        leaked = [t for t in texts_to(api, uid, mark) if names.search(t)]
        assert leaked == [], (uid, leaked)
        media = [c.method for c in api.calls[mark:] if c.params.get("chat_id") == uid
                 and c.method in ("sendPhoto", "sendDocument", "sendMediaGroup")]
        assert media == [], (uid, media)
    assert budi.id not in await repos.guardians.child_ids_of(people.by_role["cadre"])
    for uid in users:
        user = await repos.users.get(uid)
        assert not user.active  # nothing above switched an account back on
