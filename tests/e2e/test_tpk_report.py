"""The TPK report per village per month (issue 16), in the chat and as an Excel file: families accompanied by group
(at risk, visited, referred) and the outcomes of the cases, each reader for their own area (docs/cases.md §5)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.clock import ManualClock
from bot.growth.case_rules import Action
from bot.services import access
from bot.services import cases as case_svc
from bot.services import families as fam
from bot.services.reminders import run_due
from bot.sim.fake_api import FakeBotAPI
from storage import Role
from storage import case_queries as cq
from tests.e2e.cases_support import BIDAN, COORD, TPK, TPK_OTHER, Area, at, child, seed, weigh_z
from tests.e2e.harness import BotHarness, texts


@pytest.fixture
async def rbot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "report.db", clock=ManualClock(at(2025, 3, 3)))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def _move(bot: BotHarness, when: dt.datetime) -> None:
    assert isinstance(bot.clock, ManualClock)
    bot.clock.set(when)


async def _month_of_work(bot: BotHarness, area: Area) -> None:
    """March 2025 at Posyandu Melati: a catin with KEK (referred), a pregnant woman visited at home, a mother
    after birth, a child under two with severe wasting (overdue, then visited and referred) and one without a
    case, and a child over two."""
    repos = bot.runtime.repos
    tpk = access.Principal(user_id=TPK, role=Role.TPK, area_id=area.kel_a)
    sick = await child(repos, area.melati, "Anak Sakit", dt.date(2024, 1, 10))
    await child(repos, area.melati, "Anak Sehat", dt.date(2024, 6, 1))
    await child(repos, area.melati, "Anak Besar", dt.date(2023, 1, 1))
    await weigh_z(repos, sick, dt.date(2025, 3, 3), whz=-3.5)
    await run_due(bot.runtime, bot.app.bot)  # type: ignore[union-attr]
    _move(bot, at(2025, 3, 5, 10, 5))
    await run_due(bot.runtime, bot.app.bot)  # type: ignore[union-attr]  # past the 24 hours: overdue
    case = (await cq.open_cases_of_children(repos.db, [sick]))[sick]
    for action in (Action.VISIT, Action.REFERRAL):
        await case_svc.record(repos, tpk, case.id, case_svc.ActionInput(action, dt.date(2025, 3, 6)),
                              today=dt.date(2025, 3, 6))
    _move(bot, at(2025, 3, 10))
    today = dt.date(2025, 3, 10)
    catin = await fam.register(repos, tpk, fam.Registration("Ani Catin", dt.date(2003, 5, 1), area.melati,
                                                            fam.CATIN), today)
    checked = await fam.record_visit(repos, tpk, catin.id, fam.VisitInput(kind="check", on=today,
                                                                          muac_cm=Decimal("22")), today)
    assert checked.case is not None
    await case_svc.record(repos, tpk, checked.case.id, case_svc.ActionInput(Action.REFERRAL, today), today=today)
    pregnant = await fam.register(repos, tpk, fam.Registration("Citra Hamil", dt.date(1999, 5, 1), area.melati,
                                                               fam.PREGNANT, lmp=dt.date(2024, 12, 1)), today)
    await fam.record_visit(repos, tpk, pregnant.id, fam.VisitInput(kind="home", on=today, checklist=("ttd",)), today)
    await fam.register(repos, tpk, fam.Registration("Dewi Nifas", dt.date(1995, 5, 1), area.melati, fam.POSTPARTUM,
                                                    delivered_on=dt.date(2025, 3, 1)), today)
    _move(bot, at(2025, 3, 20))


async def test_the_report_counts_families_by_group_and_case_outcomes(rbot: BotHarness, api: FakeBotAPI) -> None:
    area = await seed(rbot.runtime.repos, api)
    await _month_of_work(rbot, area)
    out = texts(await rbot.say(COORD, "/laporan_tpk"))
    assert "Laporan TPK — Maret 2025" in out and "Kampung Bali" in out and "Penurunan" not in out
    assert "• Calon pengantin (catin): 1 · 1 · 0 · 1" in out
    assert "• Ibu hamil: 1 · 0 · 1 · 0" in out
    assert "• Ibu pasca persalinan: 1 · 0 · 0 · 0" in out
    assert "• Baduta (anak di bawah dua tahun): 2 · 1 · 1 · 1" in out
    assert "Kasus: dibuka 2 · selesai pulih 0 · selesai lainnya 0 · masih terbuka 2 · lewat tenggat 1" in out
    assert "Ani Catin" not in out  # counts only

    await rbot.press(COORD, "Excel")
    await api.wait_for(lambda: any(m.get("document") for m in api.messages(COORD)), 15)
    doc = [m for m in api.messages(COORD) if m.get("document")][-1]
    assert doc["document"]["file_name"] == "laporan-tpk-2025-03.xlsx"
    wb = load_workbook(io.BytesIO(api.files[doc["document"]["file_id"]]))
    assert wb.sheetnames == ["Keluarga didampingi", "Kasus"]
    families = [[c.value for c in row] for row in wb["Keluarga didampingi"].iter_rows(min_row=2)]
    assert families[0] == ["Kelurahan/desa", "Kecamatan", "Kelompok", "Didampingi", "Berisiko", "Dikunjungi",
                           "Dirujuk"]
    assert ["Kampung Bali", "Ratu Samban", "Baduta (anak di bawah dua tahun)", 2, 1, 1, 1] in families
    cases = [[c.value for c in row] for row in wb["Kasus"].iter_rows(min_row=3)]
    assert cases == [["Kampung Bali", "Ratu Samban", 2, 0, 0, 2, 1]]

    # A health worker of the kecamatan gets both villages; a TPK only her own; the month before is empty.
    both = texts(await rbot.say(BIDAN, "/laporan_tpk"))
    assert "Kampung Bali" in both and "Penurunan" in both
    assert "Kampung Bali" not in texts(await rbot.say(TPK_OTHER, "/laporan_tpk"))
    february = texts(await rbot.say(COORD, "/laporan_tpk 2025-02"))  # everyone was registered in March
    assert "• Baduta (anak di bawah dua tahun): 0 · 0 · 0 · 0" in february and "dibuka 0" in february
    assert "tidak bisa saya baca" in texts(await rbot.say(COORD, "/laporan_tpk kemarin lusa"))
