"""Overdue cases remind the people responsible (issue 16), with an injected clock: the cadre (or, for a woman's case,
the TPK) when the deadline passes without action, then the coordinator after a further period; each exactly once,
across runs and a restart; nothing in quiet hours; an action stops the escalation (docs/cases.md §2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.growth.case_rules import Action
from bot.services import access
from bot.services import cases as case_svc
from bot.services import families as fam
from bot.services.reminders import run_due
from bot.sim.fake_api import FakeBotAPI
from storage import Role
from storage import case_queries as cq
from tests.e2e.cases_support import CADRE, COORD, TPK, Area, at, child, seed, weigh_z
from tests.e2e.harness import BotHarness

FIRST = "Belum ada tindakan tercatat"
SECOND = "Masih belum ada tindakan"


@pytest.fixture
async def ebot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "escalation.db", clock=ManualClock(at(2025, 3, 3, 10)))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def area(ebot: BotHarness, api: FakeBotAPI) -> Area:
    return await seed(ebot.runtime.repos, api)


async def _run(bot: BotHarness, when: dt.datetime) -> None:
    assert isinstance(bot.clock, ManualClock) and bot.app is not None
    bot.clock.set(when)
    await run_due(bot.runtime, bot.app.bot)


def _got(api: FakeBotAPI, uid: int, needle: str, name: str) -> int:
    return sum(1 for m in api.messages(uid) if needle in str(m.get("text") or "") and name in str(m.get("text")))


async def test_severe_wasting_reminds_the_cadre_after_a_day_then_the_coordinator_each_once(
        ebot: BotHarness, api: FakeBotAPI, area: Area) -> None:
    """Severe wasting (WHZ < -3, PMK 2/2020) is referred today: the cadre is reminded 24 hours after the case opened,
    the coordinator 24 hours later."""
    repos = ebot.runtime.repos
    kid = await child(repos, area.melati, "Budi Santoso", dt.date(2023, 3, 1))
    await weigh_z(repos, kid, dt.date(2025, 3, 3), whz=-3.5)
    case = (await cq.open_cases_of_children(repos.db, [kid]))[kid]
    assert case.remind_at == at(2025, 3, 4, 10) and case.escalate_at == at(2025, 3, 5, 10)

    await _run(ebot, at(2025, 3, 4, 9, 55))
    assert _got(api, CADRE, FIRST, "Budi") == 0
    await _run(ebot, at(2025, 3, 4, 10, 5))
    assert _got(api, CADRE, FIRST, "Budi") == 1 and _got(api, COORD, SECOND, "Budi") == 0
    reminder = next(str(m["text"]) for m in api.messages(CADRE) if FIRST in str(m.get("text")))
    assert "gizi buruk" in reminder and "Posyandu Melati" in reminder and f"/kasus_{case.id}" in reminder
    await _run(ebot, at(2025, 3, 4, 10, 10))
    await ebot.restart()  # the sent reminder is remembered across a restart
    await _run(ebot, at(2025, 3, 4, 18, 0))
    assert _got(api, CADRE, FIRST, "Budi") == 1

    await _run(ebot, at(2025, 3, 5, 10, 5))
    assert _got(api, COORD, SECOND, "Budi") == 1 and _got(api, CADRE, FIRST, "Budi") == 1
    await _run(ebot, at(2025, 3, 5, 12, 0))
    await _run(ebot, at(2025, 3, 8, 12, 0))
    assert _got(api, COORD, SECOND, "Budi") == 1 and _got(api, CADRE, FIRST, "Budi") == 1
    kinds = [e.kind for e in await cq.events(ebot.runtime.repos.db, case.id)]  # the database after the restart
    assert kinds == ["opened", "overdue", "escalated"]
    # The coordinator sees it per posyandu.
    await ebot.say(COORD, "/kasus")
    overview = ebot.last_text(COORD)
    assert "1 kasus terbuka · 1 lewat tenggat" in overview
    assert "Posyandu Melati: 1 terbuka · 1 lewat tenggat · 1 sudah dilaporkan ke koordinator" in overview


async def test_an_action_after_the_first_reminder_stops_the_escalation(ebot: BotHarness, api: FakeBotAPI,
                                                                       area: Area) -> None:
    repos = ebot.runtime.repos
    kid = await child(repos, area.melati, "Rizki", dt.date(2023, 3, 1))
    await weigh_z(repos, kid, dt.date(2025, 3, 3), whz=-3.5)
    case = (await cq.open_cases_of_children(repos.db, [kid]))[kid]
    await _run(ebot, at(2025, 3, 4, 10, 5))
    assert _got(api, CADRE, FIRST, "Rizki") == 1
    cadre = access.Principal(user_id=CADRE, role=Role.CADRE, posyandu_id=area.melati)
    await case_svc.record(repos, cadre, case.id, case_svc.ActionInput(Action.VISIT, dt.date(2025, 3, 4)),
                          today=dt.date(2025, 3, 4))
    await _run(ebot, at(2025, 3, 5, 10, 5))
    await _run(ebot, at(2025, 3, 9, 10, 5))
    assert _got(api, COORD, SECOND, "Rizki") == 0 and _got(api, CADRE, FIRST, "Rizki") == 1


async def test_no_reminder_in_quiet_hours_it_goes_out_in_the_morning(ebot: BotHarness, api: FakeBotAPI,
                                                                      area: Area) -> None:
    """Quiet hours 21.00–06.00 in the posyandu's time zone (bot.services.reminders)."""
    repos = ebot.runtime.repos
    assert isinstance(ebot.clock, ManualClock)
    ebot.clock.set(at(2025, 3, 3, 22, 30))
    kid = await child(repos, area.melati, "Putri", dt.date(2023, 3, 1))
    await weigh_z(repos, kid, dt.date(2025, 3, 3), whz=-3.5)
    await _run(ebot, at(2025, 3, 4, 22, 35))
    assert _got(api, CADRE, FIRST, "Putri") == 0
    await _run(ebot, at(2025, 3, 5, 5, 55))
    assert _got(api, CADRE, FIRST, "Putri") == 0
    await _run(ebot, at(2025, 3, 5, 6, 5))
    assert _got(api, CADRE, FIRST, "Putri") == 1


async def test_a_womans_case_reminds_her_tpk_then_the_coordinator(ebot: BotHarness, api: FakeBotAPI,
                                                                 area: Area) -> None:
    """KEK (LiLA < 23,5 cm, Juknis ILP 2023): one week, then the coordinator a week later; cadres never hear of
    her (her data is health data)."""
    repos = ebot.runtime.repos
    tpk = access.Principal(user_id=TPK, role=Role.TPK, area_id=area.kel_a)
    today = dt.date(2025, 3, 3)
    woman = await fam.register(repos, tpk, fam.Registration(
        name="Siti Rahma", birth_date=dt.date(2000, 1, 1), posyandu_id=area.melati, group=fam.PREGNANT,
        lmp=dt.date(2024, 12, 1)), today)
    recorded = await fam.record_visit(repos, tpk, woman.id, fam.VisitInput(kind="anc", on=today,
                                                                            muac_cm=Decimal("22")), today)
    assert recorded.flags == ("kek",) and recorded.case is not None
    await _run(ebot, at(2025, 3, 10, 10, 5))
    assert _got(api, TPK, FIRST, "Siti Rahma") == 1 and _got(api, CADRE, FIRST, "Siti Rahma") == 0
    await _run(ebot, at(2025, 3, 17, 10, 5))
    await _run(ebot, at(2025, 3, 18, 10, 5))
    assert _got(api, COORD, SECOND, "Siti Rahma") == 1 and _got(api, TPK, FIRST, "Siti Rahma") == 1
    assert all("Siti Rahma" not in str(m.get("text")) for m in api.messages(CADRE))
