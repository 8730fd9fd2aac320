"""Dashboard services: the kept month counts stay equal to month_counts through every kind of change, the yearly
"moved out of stunting" count, the dashboard's access rules and the report-section registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import fields
from pathlib import Path

import pytest

from bot.i18n import N_, get_translator
from bot.services import access
from bot.services import dashboard_counts as dc
from bot.services import dashboard_sections as ds
from bot.services import status as status_svc
from bot.services.dashboard_scope import dashboard_scope
from bot.services.recap import Totals
from storage import Repositories
from storage import dashboard_queries as dq
from storage.db import open_database
from storage.models import (
    AreaLevel,
    ChildCreate,
    ChildStatus,
    ChildUpdate,
    MeasurementCreate,
    PosyanduCreate,
    Role,
    Sex,
)

MONTHS = [dt.date(2024, m, 1) for m in (9, 10, 11)]


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "d.db")
    try:
        yield Repositories(db)
    finally:
        await db.close()


async def _places(repos: Repositories) -> tuple[int, int, int, int]:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Uji")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec Uji", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kampung Uji", kec.id)
    p1 = await repos.posyandu.create(PosyanduCreate(name="Posyandu Satu", area_id=kel.id))
    p2 = await repos.posyandu.create(PosyanduCreate(name="Posyandu Dua", area_id=kel.id))
    return city.id, kel.id, p1.id, p2.id


async def _child(repos: Repositories, pid: int, birth: dt.date = dt.date(2023, 3, 5)) -> int:
    return (await repos.children.create(ChildCreate(name="Anak", sex=Sex.FEMALE, birth_date=birth,
                                                    posyandu_id=pid))).id


async def _weigh(repos: Repositories, child: int, on: dt.date, haz: float | None = -1.0, **kw: object) -> None:
    values: dict[str, object] = {"weight_kg": 9.0, "length_cm": 75.0 if haz is not None else None, "waz": -0.5,
                                 "haz": haz, "whz": 0.1, **kw}
    await repos.measurements.add(MeasurementCreate(child_id=child, measured_on=on, **values))  # type: ignore[arg-type]


async def _assert_kept_equal_counted(repos: Repositories, pids: list[int]) -> None:
    table = await dc.month_table(repos, pids, MONTHS)
    for m in MONTHS:
        counted = await status_svc.month_counts(repos, pids, m)
        assert {p: table[m][p] for p in pids} == {p: dc.as_tuple(c) for p, c in counted.items()}, m


def test_kept_columns_are_the_recap_totals() -> None:
    """The kept row, PosyanduCounts and recap.Totals list the same counts in the same order."""
    assert tuple(f.name for f in fields(Totals)) == dq.COUNT_FIELDS


async def test_kept_counts_stay_the_month_counts_through_every_change(repos: Repositories) -> None:
    _, _, p1, p2 = await _places(repos)
    pids = [p1, p2]
    a, b = await _child(repos, p1), await _child(repos, p2)
    await _weigh(repos, a, dt.date(2024, 9, 5))
    await _weigh(repos, b, dt.date(2024, 10, 5), haz=-2.5)
    await _assert_kept_equal_counted(repos, pids)
    await _weigh(repos, a, dt.date(2024, 10, 6), haz=-2.4)  # a new weighing (decided: version raised)
    await _assert_kept_equal_counted(repos, pids)
    c = await _child(repos, p1)  # a registration (fingerprint)
    await _assert_kept_equal_counted(repos, pids)
    await repos.children.update(c, ChildUpdate(posyandu_id=p2))  # a move between posyandu (both fingerprints)
    await _assert_kept_equal_counted(repos, pids)
    await repos.children.set_status(b, ChildStatus.MOVED)  # a child leaving
    await _assert_kept_equal_counted(repos, pids)
    await repos.children.update(a, ChildUpdate(birth_date=dt.date(2019, 1, 1)))  # now over five: out of S
    await _assert_kept_equal_counted(repos, pids)


async def test_kept_counts_are_read_not_counted_when_nothing_changed(repos: Repositories,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, p1, p2 = await _places(repos)
    await _weigh(repos, await _child(repos, p1), dt.date(2024, 10, 5))
    await dc.month_table(repos, [p1, p2], MONTHS)
    calls: list[object] = []

    async def counting(*args: object) -> object:
        calls.append(args)
        raise AssertionError("counted again")

    monkeypatch.setattr(status_svc, "month_counts", counting)
    table = await dc.month_table(repos, [p1, p2], MONTHS)
    assert calls == [] and table[MONTHS[1]][p1][1] == 1  # D of October, read from the kept row


async def test_moved_out_of_stunting_boundaries(repos: Repositories) -> None:
    """Moved out = stunted (stored flag, HAZ < −2 by PMK 2/2020 through the status function) in an earlier counted
    month of the year with a valid length, and not stunted in the latest such month of that year."""
    _, _, p1, _ = await _places(repos)
    out = await _child(repos, p1)  # stunted in February, normal in May: moved out
    await _weigh(repos, out, dt.date(2024, 2, 5), haz=-2.3)
    await _weigh(repos, out, dt.date(2024, 5, 5), haz=-1.5)
    into = await _child(repos, p1)  # normal, then stunted: stunted at the latest
    await _weigh(repos, into, dt.date(2024, 2, 5), haz=-1.5)
    await _weigh(repos, into, dt.date(2024, 5, 5), haz=-2.3)
    stays = await _child(repos, p1)  # stunted twice
    await _weigh(repos, stays, dt.date(2024, 2, 5), haz=-2.3)
    await _weigh(repos, stays, dt.date(2024, 5, 5), haz=-2.1)
    no_length = await _child(repos, p1)  # stunted, then weighed without a length: the latest with a length counts
    await _weigh(repos, no_length, dt.date(2024, 2, 5), haz=-2.3)
    await _weigh(repos, no_length, dt.date(2024, 5, 5), haz=None)
    last_year = await _child(repos, p1)  # stunted only last year, normal this year: not counted as moved out
    await _weigh(repos, last_year, dt.date(2023, 11, 5), haz=-2.3)
    await _weigh(repos, last_year, dt.date(2024, 2, 5), haz=-1.0)
    await status_svc.flush(repos)
    year = (await dq.year_stunting(repos.db, [p1], 2024))[p1]
    assert (year.measured, year.ever_stunted, year.stunted_latest, year.moved_out) == (5, 4, 3, 1)
    # Up to March only, the child who moved out in May is still stunted.
    march = (await dq.year_stunting(repos.db, [p1], 2024, until=dt.date(2024, 3, 1)))[p1]
    assert march.moved_out == 0 and march.stunted_latest == 3


def _p(role: Role, area: int | None = None, posyandu: int | None = None, active: bool = True) -> access.Principal:
    return access.Principal(user_id=1, role=role, area_id=area, posyandu_id=posyandu, active=active)


@pytest.mark.parametrize(("principal", "view", "notes"), [
    (_p(Role.ADMIN), True, True),
    (_p(Role.COORDINATOR, area=10), True, True),  # the kelurahan's own coordinator
    (_p(Role.COORDINATOR, area=1), True, True),  # the city's
    (_p(Role.COORDINATOR, area=11), False, False),  # another kelurahan's
    (_p(Role.HEALTH_WORKER, area=10), True, False),  # reads, does not write the review notes
    (_p(Role.HEALTH_WORKER, area=11), False, False),
    (_p(Role.CADRE, posyandu=100), False, False),
    (_p(Role.TPK, area=10), False, False),
    (_p(Role.PARENT), False, False),
    (_p(Role.SPONSOR), False, False),
    (_p(Role.COORDINATOR, area=10, active=False), False, False),
])
def test_dashboard_access_matrix(principal: access.Principal, view: bool, notes: bool) -> None:
    kelurahan = access.Place(area_ids=(10, 5, 1))
    posyandu = access.Place(posyandu_id=100, area_ids=(10, 5, 1))
    assert access.can_view_dashboard(principal, kelurahan) is view
    assert access.can_view_dashboard(principal, posyandu) is view
    assert access.can_view_child_in_dashboard(principal, access.ChildRef(child_id=7, place=posyandu)) is view
    assert access.can_write_review_notes(principal, kelurahan) is notes


async def test_scope_comes_from_our_tables(repos: Repositories) -> None:
    _, kel, p1, _ = await _places(repos)
    await repos.users.upsert(5, "Bidan", "id")
    await repos.users.set_role(5, Role.HEALTH_WORKER, area_id=kel)
    scope = await dashboard_scope(repos, 5, [])
    assert scope is not None and scope.allows_posyandu(p1) and not scope.may_write_notes(kel)
    await repos.users.upsert(6, "Kader", "id")
    await repos.users.set_role(6, Role.CADRE, posyandu_id=p1)
    assert await dashboard_scope(repos, 6, []) is None
    assert await dashboard_scope(repos, 7, []) is None  # unknown
    admin = await dashboard_scope(repos, 7, [7])  # an admin of the settings
    assert admin is not None and admin.area is None


async def test_a_registered_section_replaces_its_placeholder_and_a_failing_one_degrades(
        repos: Repositories, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ds, "SECTIONS", dict(ds.SECTIONS))
    _, kel, p1, _ = await _places(repos)
    scope = await dashboard_scope(repos, 1, [1])
    assert scope is not None
    ctx = ds.SectionContext(scope=scope, area_id=kel, posyandu_ids=[p1], tr=get_translator("id"),
                            today=dt.date(2024, 12, 1), year=2024)

    async def closed(_repos: Repositories, c: ds.SectionContext) -> ds.SectionResult:
        return ds.SectionResult(figures=[ds.Figure(N_("Cases closed"), len(c.posyandu_ids))])

    async def broken(_repos: Repositories, _c: ds.SectionContext) -> ds.SectionResult:
        raise RuntimeError("boom")

    ds.register(ds.Section("cases", N_("Follow-up cases: opened and closed"), frozenset({"review"}), closed))
    ds.register(ds.Section("programs", N_("Programs and sponsors"), frozenset({"review"}), broken))
    shown = {s.key: s for s in await ds.build_sections(repos, "review", ctx)}
    assert shown["cases"].available and shown["cases"].figures == [("Cases closed", 1, "")]
    assert shown["cases"].title == "Kasus tindak lanjut: dibuka dan ditutup"
    assert not shown["programs"].available and "belum bisa dibuat" in (shown["programs"].note or "")
    assert await ds.build_sections(repos, "overview", ctx) == []
    with pytest.raises(ValueError):
        ds.register(ds.Section("x", "x", frozenset({"nowhere"}), None))
