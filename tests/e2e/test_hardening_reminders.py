"""A late reminder says what is true when it is sent (issue 19, item 9): a day-before reminder that could not
go out the evening before never says "Besok" on the posyandu day. Parents get the morning reminder instead;
the cadre's list (the cadre has no morning reminder) arrives worded for today."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services.reminders import run_due
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness
from tests.e2e.test_reminders_support import World, add_cadre, add_family, make_posyandu, sends

WIB = dt.timezone(dt.timedelta(hours=7))
CADRE, PARENTS = 910, (911, 912)


@pytest.fixture
async def rbot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "late.db", clock=ManualClock(dt.datetime(2024, 3, 11, 12, tzinfo=WIB)))
    await harness.start()
    try:
        repos = harness.runtime.repos
        world = World()
        pid = await make_posyandu(repos, world, "Teratai", "Asia/Jakarta", "Selasa minggu ke-2 08.00-11.00")
        for uid in PARENTS:
            await add_family(repos, api, world, uid, pid, [dt.date(2021, 4, 4)])  # no vaccine due
        await add_cadre(repos, api, world, CADRE, pid)
        yield harness
    finally:
        await harness.stop()


async def _run_at(bot: BotHarness, when: dt.datetime) -> None:
    assert isinstance(bot.clock, ManualClock) and bot.app is not None
    bot.clock.set(when)
    await run_due(bot.runtime, bot.app.bot)


def _texts(api: FakeBotAPI, chat: int) -> list[str]:
    return [str(c.params["text"]) for c in sends(api) if c.params["chat_id"] == chat]


async def test_a_bot_down_all_evening_does_not_say_tomorrow_on_the_day(rbot: BotHarness, api: FakeBotAPI) -> None:
    await _run_at(rbot, dt.datetime(2024, 3, 12, 6, 5, tzinfo=WIB))  # first run since the afternoon before
    await _run_at(rbot, dt.datetime(2024, 3, 12, 6, 35, tzinfo=WIB))
    cadre = _texts(api, CADRE)
    assert len(cadre) == 1 and cadre[0].startswith("📋 Hari ini: posyandu")
    for parent in PARENTS:
        texts = _texts(api, parent)
        assert len(texts) == 1 and "Hari ini posyandu" in texts[0]
    assert not [t for c in (CADRE, *PARENTS) for t in _texts(api, c) if "Besok" in t]


async def test_a_reminder_held_by_quiet_hours_is_reworded_or_dropped(rbot: BotHarness, api: FakeBotAPI) -> None:
    await _run_at(rbot, dt.datetime(2024, 3, 11, 21, 30, tzinfo=WIB))  # claimed, then quiet hours
    assert sends(api) == []
    await _run_at(rbot, dt.datetime(2024, 3, 12, 6, 0, tzinfo=WIB))
    assert [t[:24] for t in _texts(api, CADRE)] == ["📋 Hari ini: posyandu Pos"]
    assert all(_texts(api, p) == [] for p in PARENTS)  # their morning reminder is due at 06.30
    await _run_at(rbot, dt.datetime(2024, 3, 12, 6, 30, tzinfo=WIB))
    assert all(len(_texts(api, p)) == 1 and "Besok" not in _texts(api, p)[0] for p in PARENTS)


async def test_the_evening_before_still_says_tomorrow(rbot: BotHarness, api: FakeBotAPI) -> None:
    await _run_at(rbot, dt.datetime(2024, 3, 11, 16, 5, tzinfo=WIB))
    assert _texts(api, CADRE)[0].startswith("📋 Besok: posyandu")
    assert all("Besok hari posyandu" in _texts(api, p)[0] for p in PARENTS)
