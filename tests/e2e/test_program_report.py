"""A program report against a hand-made truth (issue 14), through the real Application and the stand-in.

Program "Asuh Stunting" (PMT lokal, Kelurahan Kampung Bali, 1 July - 30 September 2025, criterion: stunted).
Every child below is 12-23 months at baseline. z-scores (WAZ / HAZ) chosen by hand:

| child | role | July | August |
|---|---|---|---|
| E1 | enrolled 1 July | -1.80 / -2.50 | -1.50 / -1.90 |
| E2 | enrolled 1 July | -2.10 / -2.40 | -1.90 / -2.20 |
| E3 | enrolled 1 July | -2.30 / -2.80 | (not weighed) |
| C1 | comparison | -1.60 / -2.30 | -1.70 / -2.40 |
| C2 | comparison | -2.20 / -2.60 | -1.90 / -2.10 |
| C3 | stunted, but in another program at the same time: not a comparison | -1.5 / -2.7 | -1.4 / -2.2 |
| N1 | stunted, 38 months: another age band | -1.0 / -2.5 | -1.0 / -2.4 |
| N2 | not stunted at baseline: another stratum | -0.3 / -0.5 | -0.2 / -0.4 |

PMT deliveries (7 days each): E1 on 8 July, 22 July, 5 August; E2 on 8 July.
Truth, July (the baseline month): 3 enrolled, 3 deliveries to 2 children (21 days), no outcome yet.
Truth, August: 3 enrolled, 1 delivery to 1 child (7 days).
  Enrolled (E1, E2): WAZ change (0.30 + 0.20) / 2 = +0.25, HAZ change (0.60 + 0.20) / 2 = +0.40, stunted -> not
  stunted 1 of 2 (E1), became stunted 0, underweight -> not 1 of 1 (E2).
  Comparison (C1, C2): WAZ (-0.10 + 0.30) / 2 = +0.10, HAZ (-0.10 + 0.50) / 2 = +0.20, stunted -> not 0 of 2,
  underweight -> not 1 of 1 (C2).
"""

from __future__ import annotations

import datetime as dt

from bot.clock import ManualClock
from bot.growth.child_services import ServiceKind
from bot.services import child_services
from bot.services import programs as programs_svc
from bot.services.child_services import Recorded, Wish
from bot.sim.fake_api import FakeBotAPI
from storage import program_queries as pq
from storage.models import Sex
from storage.program_queries import ProgramCreate
from tests.e2e.harness import BotHarness, texts
from tests.e2e.services_support import COORDINATOR, NOW, add_child, make_world, sbot
from tests.e2e.test_programs_sponsor import weigh

__all__ = ["sbot"]

ZS = {  # child: ((July WAZ, HAZ), (August WAZ, HAZ) or None)
    "E1": ((-1.8, -2.5), (-1.5, -1.9)), "E2": ((-2.1, -2.4), (-1.9, -2.2)), "E3": ((-2.3, -2.8), None),
    "C1": ((-1.6, -2.3), (-1.7, -2.4)), "C2": ((-2.2, -2.6), (-1.9, -2.1)), "C3": ((-1.5, -2.7), (-1.4, -2.2)),
    "N1": ((-1.0, -2.5), (-1.0, -2.4)), "N2": ((-0.3, -0.5), (-0.2, -0.4)),
}


def _at(bot: BotHarness, day: dt.date) -> None:
    clock: ManualClock = bot.runtime.clock
    clock.set(dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC))


async def test_the_program_report_matches_the_hand_made_truth(sbot: BotHarness, api: FakeBotAPI) -> None:
    repos = sbot.runtime.repos
    _at(sbot, dt.date(2025, 7, 1))
    world = await make_world(repos, api)
    kids = {}
    for label in ZS:
        birth = dt.date(2022, 5, 1) if label == "N1" else dt.date(2024, 1, 15)
        kids[label] = await add_child(repos, world, label, f"Anak {label}", birth, sex=Sex.MALE)
    program = await pq.create(repos.db, ProgramCreate(
        name="Asuh Stunting", sponsor="Polda", area_id=world.kelurahan_id, kind="pmt_lokal",
        starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 9, 30), criteria=("stunted",)))
    other = await pq.create(repos.db, ProgramCreate(
        name="Program Lain", posyandu_id=world.posyandu_id, kind="other", starts_on=dt.date(2025, 6, 1),
        ends_on=dt.date(2025, 8, 31), criteria=("stunted",)))
    await pq.enrol(repos.db, program.id, [kids[k].id for k in ("E1", "E2", "E3")], dt.date(2025, 7, 1), None)
    await pq.enrol(repos.db, other.id, [kids["C3"].id], dt.date(2025, 6, 1), None)

    async def deliver(label: str, day: dt.date) -> None:
        _at(sbot, day)
        done = await child_services.record(repos, kids[label], Wish(ServiceKind.PMT, program_id=program.id), day,
                                           by=None, today=day)
        assert isinstance(done, Recorded)

    _at(sbot, dt.date(2025, 7, 8))
    for label, (july, _) in ZS.items():
        await weigh(repos, kids[label], dt.date(2025, 7, 8), waz=july[0], haz=july[1])
    await deliver("E1", dt.date(2025, 7, 8))
    await deliver("E2", dt.date(2025, 7, 8))
    await deliver("E1", dt.date(2025, 7, 22))
    _at(sbot, dt.date(2025, 8, 5))
    for label, (_, august) in ZS.items():
        if august is not None:
            await weigh(repos, kids[label], dt.date(2025, 8, 5), waz=august[0], haz=august[1], kg=9.4, cm=77.5)
    await deliver("E1", dt.date(2025, 8, 5))
    sbot.runtime.clock.set(NOW)

    report = await programs_svc.report(repos, program.id, today=NOW.date())
    assert (report.enrolled_total, report.enrolled_with_baseline, report.comparison_total) == (3, 3, 2)
    july, august = report.months
    assert (july.enrolled, july.deliveries, july.children_reached, july.quantity) == (3, 3, 2, 21)
    assert july.enrolled_outcome.children == 0 and july.comparison_outcome.children == 0
    assert (august.enrolled, august.deliveries, august.children_reached, august.quantity) == (3, 1, 1, 7)
    e, c = august.enrolled_outcome, august.comparison_outcome
    assert (e.children, e.waz_change, e.haz_change) == (2, 0.25, 0.4)
    assert (e.stunted_before, e.stunted_recovered, e.became_stunted) == (2, 1, 0)
    assert (e.underweight_before, e.underweight_recovered) == (1, 1)
    assert (c.children, c.waz_change, c.haz_change) == (2, 0.1, 0.2)
    assert (c.stunted_before, c.stunted_recovered, c.became_stunted) == (2, 0, 0)
    assert (c.underweight_before, c.underweight_recovered) == (1, 1)

    await sbot.say(COORDINATOR, "/program")
    await sbot.press(COORDINATOR, "Asuh Stunting")
    replies = await sbot.press(COORDINATOR, "Laporan")
    text = texts(replies)
    assert "Terdaftar: 3 anak (3 dengan data awal) · kelompok pembanding: 2 anak" in text
    assert "Juli 2025: 3 terdaftar · 3 kali pemberian ke 2 anak (21 hari)" in text
    assert "Agustus 2025: 3 terdaftar · 1 kali pemberian ke 1 anak (7 hari)" in text
    assert ("Program: 2 ditimbang · ZS BB/U +0,25 · ZS TB/U +0,40 · pendek → tidak pendek 1 dari 2 · "
            "menjadi pendek 0") in text
    assert ("Pembanding: 2 ditimbang · ZS BB/U +0,10 · ZS TB/U +0,20 · pendek → tidak pendek 0 dari 2 · "
            "menjadi pendek 0") in text
    assert "bukan uji acak" in text
