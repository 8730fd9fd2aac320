"""Recap and follow-up logic: month parsing, counting rules (latest plausible weighing, D within S), reasons."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.i18n import get_translator
from bot.services import followup as fsvc
from bot.services import recap as rsvc
from bot.services import status as status_svc
from bot.services import team as tsvc
from storage import Repositories
from storage.db import open_database
from storage.models import AreaLevel, Child, ChildCreate, MeasurementCreate, PosyanduCreate, Role, Sex
from storage.status_queries import FollowUpRow, StatusRow

TODAY = dt.date(2024, 12, 10)


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-11", dt.date(2024, 11, 1)),
    ("2024/3", dt.date(2024, 3, 1)),
    ("11/2024", dt.date(2024, 11, 1)),
    ("11-24", dt.date(2024, 11, 1)),
    ("November 2024", dt.date(2024, 11, 1)),
    ("nopember 2024", dt.date(2024, 11, 1)),
    ("nov", dt.date(2024, 11, 1)),
    ("Des", dt.date(2024, 12, 1)),
    ("jan", dt.date(2024, 1, 1)),  # no year: the latest January not after this month
    ("agustus 23", dt.date(2023, 8, 1)),
    ("", dt.date(2024, 12, 1)),
    ("bulan lalu", dt.date(2024, 11, 1)),
    ("  OKT.  ", dt.date(2024, 10, 1)),
])
def test_parse_month_arg(text: str, expected: dt.date) -> None:
    assert rsvc.parse_month_arg(text, TODAY) == expected


@pytest.mark.parametrize("text", ["2025-01", "13/2024", "0/2024", "bulan depan", "2024-11-05", "abc", "1999-01"])
def test_parse_month_arg_rejects(text: str) -> None:
    with pytest.raises(rsvc.MonthParseError):
        rsvc.parse_month_arg(text, TODAY)


def _row(*, status: dict[str, object] | None = None, created: dt.datetime | None = None) -> FollowUpRow:
    child = Child.model_validate(dict(
        id=1, code="A1", name="Budi", sex="M", birth_date=dt.date(2023, 1, 1), nik=None, guardian_name=None,
        guardian_phone=None, posyandu_id=1, address=None, rt=None, rw=None, birth_weight_kg=None,
        birth_length_cm=None, status="active", created_by=None,
        created_at=created or dt.datetime(2023, 2, 1, tzinfo=dt.UTC),
        updated_at=dt.datetime(2023, 2, 1, tzinfo=dt.UTC)))
    row = None
    if status is not None:
        base: dict[str, object] = dict(child_id=1, month=TODAY.replace(day=1), measurement_id=5, measured_on=TODAY)
        base.update(status)
        row = StatusRow.model_validate(base)
    return FollowUpRow(child=child, status=row, entered_by=None)


@pytest.mark.parametrize(("kw", "reasons"), [
    ({"status": {}}, []),
    ({"status": {"refer": True, "reasons": ("2t",)}}, ["2t"]),
    ({"status": {"refer": True, "reasons": ("severe_wasting", "bgm", "2t")}}, ["severe_wasting", "bgm", "2t"]),
    ({"status": {"refer": True, "reasons": ("stunted",)}}, ["stunted"]),
    ({"status": {"measured_on": TODAY - dt.timedelta(days=61)}}, [fsvc.NOT_WEIGHED]),
    ({"status": {"measured_on": TODAY - dt.timedelta(days=60)}}, []),
    ({"status": {"refer": True, "reasons": ("t",), "measured_on": TODAY - dt.timedelta(days=61)}},
     ["t", fsvc.NOT_WEIGHED]),
    ({}, [fsvc.NOT_WEIGHED]),  # never weighed, registered long ago
    ({"created": dt.datetime(2024, 12, 1, tzinfo=dt.UTC)}, []),  # never weighed, registered this month
])
def test_follow_up_reasons_are_the_stored_refer_reasons(kw: dict[str, object], reasons: list[str]) -> None:
    """The list shows every refer reason the status function stored (stunted included), and "not weighed"."""
    assert fsvc.reasons_for(_row(**kw), TODAY) == reasons  # type: ignore[arg-type]


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "r.db")
    try:
        yield Repositories(db)
    finally:
        await db.close()


async def _seed(repos: Repositories) -> tuple[int, int, int]:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Uji")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec Uji", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kampung Uji", kec.id)
    p = await repos.posyandu.create(PosyanduCreate(name="Posyandu Uji", area_id=kel.id))
    return city.id, kel.id, p.id


async def _child(repos: Repositories, pid: int, birth: dt.date, name: str = "Anak") -> int:
    return (await repos.children.create(ChildCreate(name=name, sex=Sex.FEMALE, birth_date=birth,
                                                    posyandu_id=pid))).id


async def _weigh(repos: Repositories, child: int, on: dt.date, **kw: object) -> int:
    """A row seeded straight into storage (z-scores given, as a script or import could): the status service still
    decides it before any list reads it."""
    values: dict[str, object] = {"weight_kg": 9.0, "length_cm": 75.0, **kw}
    m = await repos.measurements.add(MeasurementCreate(child_id=child, measured_on=on, **values))  # type: ignore[arg-type]
    return m.id


async def test_month_counts_count_children_by_their_counted_visit(repos: Repositories) -> None:
    _, _, pid = await _seed(repos)
    nov = dt.date(2024, 11, 1)
    a = await _child(repos, pid, dt.date(2023, 1, 5), "A")
    b = await _child(repos, pid, dt.date(2023, 6, 5), "B")
    c = await _child(repos, pid, dt.date(2019, 1, 1), "C")  # over five: not in S, so not in D
    await _child(repos, pid, dt.date(2024, 12, 2), "D")  # born after the month: not in S
    # A: a stunted weighing early in the month, then a normal one: only the latest counts (D counts A once).
    await _weigh(repos, a, dt.date(2024, 10, 20), haz=-1.2)
    await _weigh(repos, a, dt.date(2024, 11, 3), haz=-2.5)
    await _weigh(repos, a, dt.date(2024, 11, 20), haz=-1.0, weight_kg=9.3)
    # B: an earlier plausible visit counts; the later one has an implausible value ("perlu ukur ulang").
    await _weigh(repos, b, dt.date(2024, 10, 5), haz=-2.1)
    await _weigh(repos, b, dt.date(2024, 11, 4), haz=-2.2, whz=-3.5, waz=-3.1)
    await _weigh(repos, b, dt.date(2024, 11, 25), haz=-8.0)
    await _weigh(repos, c, dt.date(2024, 11, 5), haz=-3.0)
    # A corrected (superseded) row does not count.
    old = await _weigh(repos, a, dt.date(2024, 9, 2), haz=-4.0)
    await repos.measurements.correct(old, MeasurementCreate(child_id=a, measured_on=dt.date(2024, 9, 2),
                                                            weight_kg=9.0, haz=-1.5))
    counts = (await status_svc.month_counts(repos, [pid], nov))[pid]
    assert (counts.s, counts.d, counts.n, counts.t, counts.t2) == (2, 2, 1, 1, 0)
    assert (counts.with_haz, counts.stunted, counts.severe_stunted) == (2, 1, 0)
    assert (counts.wasted, counts.severe_wasted, counts.bgm, counts.underweight) == (1, 1, 1, 1)
    assert counts.remeasure == 0  # B's month counts its valid visit: it is not "re-measure only"
    assert counts.refer == 1 and counts.urgent == 1  # B: WHZ < -3 (today), BGM, stunted, T
    october = (await status_svc.month_counts(repos, [pid], dt.date(2024, 10, 1)))[pid]
    assert (october.d, october.stunted) == (2, 1)


async def test_a_month_with_only_impossible_values_is_counted_as_remeasure_only(repos: Repositories) -> None:
    _, _, pid = await _seed(repos)
    kid = await _child(repos, pid, dt.date(2023, 1, 5))
    await _weigh(repos, kid, dt.date(2024, 11, 3), haz=-17.7)
    counts = (await status_svc.month_counts(repos, [pid], dt.date(2024, 11, 1)))[pid]
    assert (counts.s, counts.d, counts.remeasure, counts.with_haz, counts.stunted) == (1, 0, 1, 0, 0)


async def test_build_and_format_recap(repos: Repositories) -> None:
    city, kel, pid = await _seed(repos)
    kid = await _child(repos, pid, dt.date(2023, 1, 5))
    await _weigh(repos, kid, dt.date(2024, 11, 3), haz=-2.5)
    await repos.users.set_role(77, Role.COORDINATOR, area_id=kel)
    scope = await tsvc.staff_scope(repos, 77, [])
    assert scope is not None
    tr = get_translator("id")
    recap = await rsvc.build_recap(repos, scope, dt.date(2024, 11, 1), tr)
    text = rsvc.format_recap(recap, tr)
    assert "Rekap Kelurahan Kampung Uji — November 2024" in text
    assert "D/S 100,0%" in text and "Stunting 100,0% (1)" in text
    assert "Tidak ada penimbangan pada Oktober 2024" in text
    png = rsvc.render_stunting_chart(recap, tr)
    assert png[:4] == b"\x89PNG"
    # A city admin-level view groups by city; the kelurahan is out of a stranger's reach.
    assert await tsvc.staff_scope(repos, 78, []) is None
    admin = await tsvc.staff_scope(repos, 79, [79])
    assert admin is not None and admin.posyandu_ids == [pid]
    admin_recap = await rsvc.build_recap(repos, admin, dt.date(2024, 11, 1), tr)
    assert [g.key for g in admin_recap.groups] == [city]


async def test_scope_rules_follow_the_area_tree(repos: Repositories) -> None:
    city, kel, pid = await _seed(repos)
    kel2 = await repos.areas.create(AreaLevel.KELURAHAN, "Kel Dua", (await repos.areas.find("Kec Uji"))[0].id)
    p2 = await repos.posyandu.create(PosyanduCreate(name="Posyandu Dua", area_id=kel2.id))
    await repos.users.set_role(80, Role.COORDINATOR, area_id=kel)
    scope = await tsvc.staff_scope(repos, 80, [])
    assert scope is not None
    assert scope.allows_posyandu(pid) and not scope.allows_posyandu(p2.id)
    assert scope.allows_area(kel) and not scope.allows_area(city) and not scope.allows_area(kel2.id)
    # a kelurahan has no smaller area: no coordinator below it; TPK and health workers serve inside it (issue 16)
    assert tsvc.invitable_roles(scope) == [Role.CADRE, Role.TPK, Role.HEALTH_WORKER]
    with pytest.raises(tsvc.InviteRefused):
        await tsvc.create_staff_invite(repos, scope, Role.CADRE, posyandu_id=p2.id)
    with pytest.raises(tsvc.InviteRefused):
        await tsvc.create_staff_invite(repos, scope, Role.COORDINATOR, area_id=kel)
    invite = await tsvc.create_staff_invite(repos, scope, Role.CADRE, posyandu_id=pid)
    assert invite.role == Role.CADRE and invite.posyandu_id == pid and invite.single_use
    await repos.users.set_active(80, False)
    assert await tsvc.staff_scope(repos, 80, []) is None  # a deactivated coordinator has no reach


async def test_follow_up_prefilter_keeps_every_child_needing_action(repos: Repositories) -> None:
    """The SQL prefilter is only an optimisation: with and without it the same children need action."""
    import random

    _, _, pid = await _seed(repos)
    rng = random.Random(3)
    today = dt.date(2024, 12, 10)
    for i in range(120):
        kid = await _child(repos, pid, dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 1300)), f"K{i}")
        if rng.random() < 0.15:
            continue  # never weighed
        on = today - dt.timedelta(days=rng.randint(0, 120))
        await _weigh(repos, kid, on, waz=rng.gauss(-1, 1.5), haz=rng.gauss(-1.5, 1.5), whz=rng.gauss(-0.5, 1.5),
                     muac_cm=round(rng.uniform(10.5, 15), 1), oedema=rng.random() < 0.03)
    # Half registered long ago, so "never weighed" applies to them.
    await repos.db.execute("UPDATE children SET created_at = '2020-01-01T00:00:00.000000+00:00' WHERE id % 2 = 0")
    full = await status_svc.follow_up_rows(repos, [pid], today)
    pre = await status_svc.follow_up_rows(repos, [pid], today, stale_after_days=fsvc.NOT_WEIGHED_DAYS)
    need_full = {r.child.id: fsvc.reasons_for(r, today) for r in full if fsvc.reasons_for(r, today)}
    need_pre = {r.child.id: fsvc.reasons_for(r, today) for r in pre if fsvc.reasons_for(r, today)}
    assert need_full == need_pre and len(need_full) > 10 and len(pre) < len(full)
