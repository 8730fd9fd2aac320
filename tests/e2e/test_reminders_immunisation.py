"""Immunisation and vitamin A reminders from the schedule data, through the real Application and the stand-in:
rotavirus at 2 months, a reminder before a catch-up window closes, and vitamin A rounds an admin moved, with the
capsule decided by the child's age on the session day (docs/clinical-rules.md §7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services.reminders import run_due, set_vitamin_a_months
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness
from tests.e2e.test_reminders_support import World, add_family, make_posyandu, sends

START = dt.datetime(2024, 7, 31, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
async def rbot(api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotHarness]:
    monkeypatch.setenv("POSYANDU_REMINDER_FIRST", "3600")
    harness = BotHarness(api, tmp_path / "imm.db", clock=ManualClock(START), telegram_sends_per_second=1000)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def _run(bot: BotHarness, api: FakeBotAPI, start: dt.datetime, days: int) -> dict[int, list[str]]:
    """Run the reminder job hourly from `start` for `days` days; what each chat received."""
    app = bot.app
    assert app is not None
    clock: ManualClock = bot.runtime.clock
    got: dict[int, list[str]] = {}
    now = start
    while now < start + dt.timedelta(days=days):
        clock.set(now)
        before = len(api.calls)
        await run_due(bot.runtime, app.bot)
        for call in sends(api, before):
            got.setdefault(int(call.params["chat_id"]), []).append(str(call.result["text"]))
        now += dt.timedelta(hours=1)
    return got


async def test_two_months_brings_rotavirus_and_a_window_about_to_close_is_reminded(rbot: BotHarness,
                                                                                   api: FakeBotAPI) -> None:
    repos = rbot.runtime.repos
    world = World()
    pid = await make_posyandu(repos, world, "Melati", "Asia/Jakarta", "Selasa minggu ke-2 08.00-11.00")
    # Two months on 5 August (RV1 with DPT-HB-Hib 1, OPV 2, PCV 1).
    await add_family(repos, api, world, 501, pid, [dt.date(2024, 6, 5)])
    # Rotavirus closes at 6 months 29 days: born 1 February -> last day 30 August, reminded from 31 July.
    await add_family(repos, api, world, 502, pid, [dt.date(2024, 2, 1)])
    got = await _run(rbot, api, START, 12)
    two_months = [t for t in got.get(501, []) if "waktunya imunisasi" in t]
    assert len(two_months) == 1 and "Rotavirus 1" in two_months[0] and "PCV 1" in two_months[0]
    deadline = [t for t in got.get(502, []) if "hanya bisa diberikan sampai" in t]
    assert len(deadline) == 1
    assert "Rotavirus 1" in deadline[0] and "Rotavirus 3" in deadline[0] and "30 Agustus 2024" in deadline[0]


async def test_vitamin_a_follows_the_rounds_an_admin_set_and_the_age_on_the_session_day(rbot: BotHarness,
                                                                                        api: FakeBotAPI) -> None:
    """2024's August round moved to October: nothing in August, reminders in October. A baby 5 months old when
    the reminder goes out but 6 months on the session day (8 October) is on it, with the blue capsule."""
    repos = rbot.runtime.repos
    world = World()
    pid = await make_posyandu(repos, world, "Mawar", "Asia/Jakarta", "Selasa minggu ke-2 08.00-11.00")
    await add_family(repos, api, world, 601, pid, [dt.date(2024, 4, 7)])  # 6 months on 7 October
    await add_family(repos, api, world, 602, pid, [dt.date(2022, 1, 1)])  # red capsule
    await set_vitamin_a_months(repos.db, 2024, (2, 10))
    august = await _run(rbot, api, dt.datetime(2024, 8, 1, tzinfo=dt.UTC), 31)
    assert not any("vitamin A" in t for texts in august.values() for t in texts)
    october = await _run(rbot, api, dt.datetime(2024, 10, 1, tzinfo=dt.UTC), 10)
    baby = [t for t in october.get(601, []) if "vitamin A" in t]
    assert len(baby) == 1 and "kapsul biru" in baby[0]
    older = [t for t in october.get(602, []) if "vitamin A" in t]
    assert len(older) == 1 and "kapsul merah" in older[0]
