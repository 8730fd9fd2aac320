"""Follow-up cases from the status function (issue 16): one open case per child, reasons joining its timeline, the
recovery rule (two consecutive counted months without a refer reason), people's actions and who may record them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.growth.case_rules import Action, CaseState, CloseReason, Outcome
from bot.services import access
from bot.services import cases as svc
from bot.services import status as status_svc
from storage import AreaLevel, MeasurementCreate, Position, PosyanduCreate, Repositories, Role, open_database
from storage import case_queries as q
from tests.storage.conftest import FixedClock, Places, child_data


@pytest.fixture(autouse=True)
def _listener() -> None:
    svc.install()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2024, 12, 3, 2, 0, tzinfo=dt.UTC))


@pytest.fixture
async def repos(tmp_path: Path, clock: FixedClock) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "cases.db", clock=clock)
    try:
        yield Repositories(db)
    finally:
        await db.close()


@pytest.fixture
async def places(repos: Repositories) -> Places:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Bandung")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Coblong", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Dago", kec.id)
    kel2 = await repos.areas.create(AreaLevel.KELURAHAN, "Lebakgede", kec.id)
    p1 = await repos.posyandu.create(PosyanduCreate(name="Melati 1", area_id=kel.id))
    p2 = await repos.posyandu.create(PosyanduCreate(name="Mawar", area_id=kel2.id))
    return Places(city.id, kec.id, kel.id, kel2.id, p1.id, p2.id)


async def _weigh(repos: Repositories, child_id: int, on: dt.date, *, waz: float = 0.0, haz: float = 0.0,
                 whz: float = 0.0, weight: float = 10.0) -> None:
    await repos.measurements.add(MeasurementCreate(
        child_id=child_id, measured_on=on, weight_kg=weight, length_cm=80.0, position=Position.LYING, waz=waz,
        haz=haz, whz=whz))
    await status_svc.flush(repos)


async def _child(repos: Repositories, places: Places) -> int:
    return (await repos.children.create(child_data(places.posyandu))).id


async def test_a_refer_month_opens_one_case_and_new_reasons_join_it(repos: Repositories, places: Places,
                                                                     clock: FixedClock) -> None:
    """bot.growth.status: HAZ < -2 is "stunted" (PMK 2/2020), WAZ < -3 "BGM" (Buku KIA 2023, p. 54)."""
    kid = await _child(repos, places)
    await _weigh(repos, kid, dt.date(2024, 11, 28), haz=-2.5)
    case = (await q.open_cases_of_children(repos.db, [kid]))[kid]
    assert case.reasons == ("stunted",) and case.state == "open"
    assert case.remind_at == clock.value + dt.timedelta(days=14)  # stunting: two weeks
    await _weigh(repos, kid, dt.date(2024, 12, 2), haz=-2.5, waz=-3.2, weight=10.0)
    cases = await q.cases_in(repos.db, [places.posyandu], women=False)
    assert len(cases) == 1 and cases[0].reasons == ("bgm", "stunted")
    assert cases[0].remind_at == clock.value + dt.timedelta(days=7)  # BGM: one week, tighter than stunting
    kinds = [e.kind for e in await q.events(repos.db, cases[0].id)]
    assert kinds == ["opened", "reason"]


async def test_an_old_visit_opens_no_case(repos: Repositories, places: Places) -> None:
    kid = await _child(repos, places)
    await _weigh(repos, kid, dt.date(2024, 9, 1), haz=-2.5)  # 93 days before the clock's 3 December
    assert await q.open_cases_of_children(repos.db, [kid]) == {}


async def test_two_consecutive_months_in_range_close_the_case(repos: Repositories, places: Places,
                                                               clock: FixedClock) -> None:
    """docs/cases.md §3: back in range for two months = the last two counted months are consecutive calendar
    months from the opening month on, neither with a refer reason."""
    kid = await _child(repos, places)
    await _weigh(repos, kid, dt.date(2024, 11, 5), waz=-3.2, weight=9.0)
    case = (await q.open_cases_of_children(repos.db, [kid]))[kid]
    await _weigh(repos, kid, dt.date(2024, 12, 2), weight=9.9)  # N, in range: one month
    assert (await q.get_case(repos.db, case.id)).is_open  # type: ignore[union-attr]
    clock.value = dt.datetime(2025, 1, 3, 2, 0, tzinfo=dt.UTC)
    await _weigh(repos, kid, dt.date(2025, 1, 3), weight=10.2)
    closed = await q.get_case(repos.db, case.id)
    assert closed is not None and not closed.is_open
    assert closed.state == "closed" and closed.closed_reason == "recovered"
    assert [e.kind for e in await q.events(repos.db, case.id)][-1] == "recovered"


async def test_months_in_range_with_a_gap_do_not_close_the_case(repos: Repositories, places: Places,
                                                                 clock: FixedClock) -> None:
    clock.value = dt.datetime(2025, 1, 6, 2, 0, tzinfo=dt.UTC)
    kid = await _child(repos, places)
    await _weigh(repos, kid, dt.date(2024, 11, 10), waz=-3.2, weight=9.0)
    assert kid in await q.open_cases_of_children(repos.db, [kid])
    await _weigh(repos, kid, dt.date(2024, 11, 28), weight=9.6)  # the month's visit that counts: in range
    await _weigh(repos, kid, dt.date(2025, 1, 5), weight=10.4)  # December missed: not consecutive
    assert kid in await q.open_cases_of_children(repos.db, [kid])


async def test_actions_move_the_state_and_only_a_health_worker_records_the_outcome(
        repos: Repositories, places: Places) -> None:
    kid = await _child(repos, places)
    await _weigh(repos, kid, dt.date(2024, 12, 1), haz=-2.5)
    case = (await q.open_cases_of_children(repos.db, [kid]))[kid]
    cadre = access.Principal(user_id=1, role=Role.CADRE, posyandu_id=places.posyandu)
    bidan = access.Principal(user_id=2, role=Role.HEALTH_WORKER, area_id=places.kecamatan)
    other_bidan = access.Principal(user_id=3, role=Role.HEALTH_WORKER, area_id=places.other_kelurahan)
    today = dt.date(2024, 12, 3)
    visited = await svc.record(repos, cadre, case.id, svc.ActionInput(Action.VISIT, today, checklist=("kia",)),
                               today=today)
    assert visited.state == CaseState.VISITED and visited.remind_at is None
    with pytest.raises(svc.CaseRefused, match="not_allowed"):
        await svc.record(repos, cadre, case.id, svc.ActionInput(Action.OUTCOME, today, outcome=Outcome.CONFIRMED),
                         today=today)
    with pytest.raises(svc.CaseRefused, match="not_allowed"):
        await svc.record(repos, other_bidan, case.id, svc.ActionInput(Action.REFERRAL, today), today=today)
    with pytest.raises(svc.CaseRefused, match="date_future"):
        await svc.record(repos, cadre, case.id, svc.ActionInput(Action.REFERRAL, today + dt.timedelta(days=1)),
                         today=today)
    seen = await svc.record(repos, bidan, case.id, svc.ActionInput(Action.OUTCOME, today,
                                                                   outcome=Outcome.CONFIRMED), today=today)
    assert seen.state == CaseState.RECOVERING and seen.is_open
    closed = await svc.record(repos, cadre, case.id, svc.ActionInput(Action.CLOSE, today, close=CloseReason.MOVED),
                              today=today)
    assert closed.state == CaseState.MOVED and closed.closed_reason == "moved"
    with pytest.raises(svc.CaseRefused, match="closed"):
        await svc.record(repos, cadre, case.id, svc.ActionInput(Action.NOTE, today, note="x"), today=today)
    audit = await repos.audit.list_for("case", case.id)
    assert {a.action for a in audit} >= {"open", "case_visit", "case_outcome", "case_close"}
