"""The families TPK accompany (issue 16, bot.services.families): groups over time, a woman's case from a risk flag
to two months back in range, duplicates, and an audit trail without names."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services import access
from bot.services import cases as case_svc
from bot.services import families as fam
from storage import AreaLevel, PosyanduCreate, Repositories, Role, Sex, open_database
from storage import case_queries as cq
from storage import family_queries as fq
from tests.storage.conftest import FixedClock


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2025, 1, 10, 3, 0, tzinfo=dt.UTC))


@pytest.fixture
async def repos(tmp_path: Path, clock: FixedClock) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "families.db", clock=clock)
    try:
        yield Repositories(db)
    finally:
        await db.close()


@pytest.fixture
async def world(repos: Repositories) -> tuple[access.Principal, int]:
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="Melati", area_id=kel.id))
    await repos.users.set_role(66, Role.TPK, area_id=kel.id)
    return access.Principal(user_id=66, role=Role.TPK, area_id=kel.id), pos.id


async def test_her_group_follows_her_pregnancy(repos: Repositories, world: tuple[access.Principal, int],
                                               clock: FixedClock) -> None:
    """Catin until a pregnancy is recorded; after the birth "nifas" for 42 days (Juknis ILP 2023), then none."""
    tpk, pos = world
    today = dt.date(2025, 1, 10)
    woman = await fam.register(repos, tpk, fam.Registration("Ani", dt.date(2000, 1, 1), pos, fam.CATIN), today)

    async def group(on: dt.date) -> str | None:
        w = await fq.get_woman(repos.db, woman.id)
        assert w is not None
        return fam.group_of(w, (await fq.pregnancies_of(repos.db, [woman.id]))[woman.id], on)

    assert await group(today) == fam.CATIN
    await fam.start_pregnancy(repos, tpk, woman.id, dt.date(2024, 12, 1), today)
    assert await group(today) == fam.PREGNANT
    with pytest.raises(fam.FamilyRefused, match="already_pregnant"):
        await fam.start_pregnancy(repos, tpk, woman.id, dt.date(2024, 12, 1), today)
    birth_day = dt.date(2025, 8, 30)
    clock.value = dt.datetime(2025, 9, 1, 3, 0, tzinfo=dt.UTC)
    await fam.record_birth(repos, tpk, woman.id, fam.BirthInput(on=birth_day, sex=Sex.FEMALE,
                                                                 weight_kg=Decimal("2.9"),
                                                                 length_cm=Decimal("48")), dt.date(2025, 9, 1))
    assert await group(birth_day + dt.timedelta(days=42)) == fam.POSTPARTUM
    assert await group(birth_day + dt.timedelta(days=43)) is None


async def test_her_case_closes_after_two_months_of_checks_in_range(
        repos: Repositories, world: tuple[access.Principal, int], clock: FixedClock) -> None:
    """docs/cases.md §3: a woman's case closes when two consecutive calendar months' last checks have no flag."""
    tpk, pos = world
    today = dt.date(2025, 1, 10)
    woman = await fam.register(repos, tpk, fam.Registration("Ani", dt.date(2000, 1, 1), pos, fam.CATIN), today)
    first = await fam.record_visit(repos, tpk, woman.id, fam.VisitInput(kind="check", on=today,
                                                                        muac_cm=Decimal("22.8")), today)
    assert first.flags == ("kek",) and first.case is not None
    for day, muac in ((dt.date(2025, 2, 10), "23.6"), (dt.date(2025, 3, 10), "24")):
        clock.value = dt.datetime.combine(day, dt.time(3), tzinfo=dt.UTC)
        recorded = await fam.record_visit(repos, tpk, woman.id, fam.VisitInput(kind="check", on=day,
                                                                               muac_cm=Decimal(muac)), day)
    assert recorded.case is None
    closed = await cq.get_case(repos.db, first.case.id)
    assert closed is not None and closed.closed_reason == "recovered"


async def test_a_second_registration_of_the_same_name_is_refused(repos: Repositories,
                                                                 world: tuple[access.Principal, int]) -> None:
    tpk, pos = world
    today = dt.date(2025, 1, 10)
    await fam.register(repos, tpk, fam.Registration("Siti  Aminah", dt.date(2000, 1, 1), pos, fam.CATIN), today)
    with pytest.raises(fam.FamilyRefused, match="duplicate"):
        await fam.register(repos, tpk, fam.Registration("siti aminah", None, pos, fam.CATIN), today)


async def test_records_are_audited_with_ids_and_field_names_only(repos: Repositories,
                                                                 world: tuple[access.Principal, int]) -> None:
    tpk, pos = world
    today = dt.date(2025, 1, 10)
    woman = await fam.register(repos, tpk, fam.Registration("Siti Aminah", dt.date(2000, 1, 1), pos, fam.PREGNANT,
                                                            lmp=dt.date(2024, 11, 1)), today)
    await fam.record_visit(repos, tpk, woman.id, fam.VisitInput(kind="anc", on=today, hb=Decimal("10"),
                                                                note="Ibu Siti pusing"), today)
    rows = [*await repos.audit.list_for("woman"), *await repos.audit.list_for("woman_visit"),
            *await repos.audit.list_for("pregnancy"), *await repos.audit.list_for("case")]
    assert {r.entity for r in rows} == {"woman", "woman_visit", "pregnancy", "case"}
    assert all("Siti" not in str(r.details) and "pusing" not in str(r.details) for r in rows)
    visit = next(r for r in rows if r.entity == "woman_visit")
    assert visit.details["fields"] == ["hb_g_dl", "note", "pregnancy_id", "visited_on"]
    assert all(r.actor_id == 66 for r in rows)  # the TPK opened her case with the check
    assert await case_svc.cases_for(repos, case_svc.CaseScope(tpk, (pos,)))
