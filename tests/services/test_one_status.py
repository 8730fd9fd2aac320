"""One child, one status: whatever wrote the data, every surface tells the story the status function tells.

A property test builds random posyandu months: entries through the measurement service (with same-month
answers, corrections and values kept as "perlu ukur ulang"), rows written straight into storage (an import,
a script), and children whose birth date is corrected. Then, for every child and month, it checks that the
card's assessment, the history, the parent view, /daftar, /rekap, /tindak_lanjut and the export agree.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.growth import zscores
from bot.i18n import get_translator
from bot.render.cards import history_text
from bot.services import export as export_svc
from bot.services import followup as followup_svc
from bot.services import measurement as svc
from bot.services import parent as parent_svc
from bot.services import status as status_svc
from bot.services.team import staff_scope
from storage import ChildUpdate, MeasurementCreate, Repositories, open_database
from storage.models import AreaLevel, Child, ChildCreate, Measurement, Position, PosyanduCreate, Role, Sex
from tests.storage.conftest import FixedClock

TODAY = dt.date(2025, 6, 20)
MONTHS = [dt.date(2025, m, 1) for m in range(1, 7)]
COORDINATOR = 77

# One operation: (kind, child index, month index, day, weight delta in 0,1 kg, answer)
operation = st.tuples(
    st.sampled_from(["save", "save", "save", "raw", "implausible", "correct", "birth"]),
    st.integers(0, 3), st.integers(0, 5), st.integers(1, 28), st.integers(-12, 12),
    st.sampled_from(["replace", "keep"]),
)


async def _world(repos: Repositories) -> tuple[int, list[int]]:
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="Melati", area_id=kel.id))
    await repos.users.set_role(COORDINATOR, Role.COORDINATOR, area_id=kel.id)
    await repos.users.set_role(1001, Role.CADRE, posyandu_id=pos.id)
    kids = []
    for i, months_old in enumerate((7, 14, 26, 40)):
        birth = TODAY - dt.timedelta(days=int(months_old * 30.44))
        child = await repos.children.create(ChildCreate(name=f"Anak {i}", sex=Sex.FEMALE if i % 2 else Sex.MALE,
                                                        birth_date=birth, posyandu_id=pos.id))
        kids.append(child.id)
    return pos.id, kids


def _typical(repos_child_age_days: int) -> tuple[Decimal, Decimal]:
    """A weight and length near the WHO median for the age (so most entries are plausible)."""
    months = repos_child_age_days / 30.44
    weight = Decimal("3.3") + Decimal(str(round(min(months, 12) * 0.55 + max(months - 12, 0) * 0.2, 1)))
    length = Decimal("50") + Decimal(str(round(min(months, 12) * 2.1 + max(months - 12, 0) * 0.8, 1)))
    return weight, length


async def _apply(repos: Repositories, kids: list[int], op: tuple[str, int, int, int, int, str]) -> None:
    kind, ci, mi, day, delta, answer = op
    child = await repos.children.get(kids[ci])
    on = MONTHS[mi].replace(day=day)
    if on > TODAY or on <= child.birth_date:
        return
    weight, length = _typical((on - child.birth_date).days)
    weight += Decimal(delta) / 10
    position = Position.LYING if (on - child.birth_date).days < 731 else Position.STANDING
    if kind == "birth":
        await repos.children.update(child.id, ChildUpdate(birth_date=child.birth_date - dt.timedelta(days=day)))
        return
    if kind == "raw":  # straight into storage, no status decided on the way
        await repos.measurements.add(MeasurementCreate(child_id=child.id, measured_on=on, weight_kg=float(weight),
                                                       length_cm=float(length), position=position))
        return
    if kind == "correct":
        history = await repos.measurements.history_for_child(child.id)
        if not history:
            return
        draft = svc.Draft.from_measurement(history[day % len(history)])
        draft.weight_kg = (draft.weight_kg or weight) + Decimal(delta) / 20
        draft.remeasure = ["weight_kg", "length_cm"]  # a corrected value may still be implausible: kept so
    else:
        draft = svc.Draft(child_id=child.id, measured_on=on, weight_kg=weight, length_cm=length, position=position,
                          same_month=answer)  # type: ignore[arg-type]
        if kind == "implausible":
            draft.length_cm = Decimal("31")
            draft.keep_as_remeasure("length_cm")
    try:
        await svc.save(repos, child, draft, entered_by=1001)
    except (svc.InputIssue, svc.Unanswered):
        return


def _scores(child: Child, m: Measurement) -> dict[str, float | None]:
    result = zscores.compute(status_svc.growth_input(child, m), allow_over_five=True)
    return {status_svc.Z_COLUMN[ind]: z for ind, z in result.z.items()}


async def _check(repos: Repositories, pid: int, kids: list[int]) -> None:
    tr = get_translator("id")
    scope = await staff_scope(repos, COORDINATOR, [])
    assert scope is not None
    statuses = {}
    for cid in kids:
        child = await repos.children.get(cid)
        shown = await status_svc.child_status(repos, child)  # what the card, history and parent view use
        # The status function again, from scratch (z-scores computed anew from the values as entered).
        history = await repos.measurements.history_for_child(cid)
        fresh = status_svc.status_of(child, [m.model_copy(update=_scores(child, m)) for m in history])
        statuses[cid] = fresh
        assert [a.reasons for a in shown.assessments] == [a.reasons for a in fresh.assessments]
        # /riwayat: one line per visit, "perlu ukur ulang" exactly on the invalid ones
        text = history_text(tr, child, fresh, TODAY, limit=100)
        assert text.count("perlu ukur ulang") == sum(1 for a in fresh.assessments if not a.valid)
        # /anakku: the latest counted visit
        report = await parent_svc.child_report(repos, child, TODAY)
        latest = fresh.latest_counted
        assert (report.latest.measurement.id if report.latest else None) == \
            (latest.counted.visit.id if latest and latest.counted else None)
        if report.latest is not None:
            assert report.latest.refer == report.latest.assessment.refer
        # stored rows (lists, recaps, exports) say what the status function says
        stored = {r.month: r for r in await status_svc.q.child_status_rows(repos.db, cid)}
        assert stored == {m.month: status_svc.row_of(cid, m) for m in fresh.months}
    for month in MONTHS:
        counts = (await status_svc.month_counts(repos, [pid], month))[pid]
        rows = [(cid, next((m for m in statuses[cid].months if m.month == month), None)) for cid in kids]
        counted = [(cid, m.counted) for cid, m in rows if m is not None and m.counted is not None]
        assert counts.d == sum(1 for _, c in counted if c.weighed)
        assert counts.refer == sum(1 for _, c in counted if c.refer)
        assert counts.stunted == sum(1 for _, c in counted if c.stunted)
        assert counts.remeasure == sum(1 for _, m in rows if m is not None and m.counted is None and m.remeasure)
        page = {item.child.id: item for item in await status_svc.month_page(repos, [pid], month, limit=50)}
        for cid, m in rows:
            assert (page[cid].status is None) == (m is None)
            if m is not None and m.counted is not None:
                assert page[cid].status is not None and page[cid].status.refer == m.counted.refer
        export = await export_svc.collect_export(repos, month, [pid])
        exported = {child.id: status for child, _m, status in export.rows.get(pid, [])}
        assert set(exported) == {cid for cid, _ in counted}
        for cid, c in counted:
            assert exported[cid].measurement_id == c.visit.id and exported[cid].refer == c.refer
    follow = await followup_svc.build_follow_up(repos, scope, TODAY)
    listed = {item.row.child.id for item in follow if set(item.reasons) - {followup_svc.NOT_WEIGHED}}
    expected = set()
    for cid, fresh in statuses.items():
        latest = fresh.latest_counted
        if latest is not None and latest.counted is not None and latest.counted.refer:
            expected.add(cid)
    assert listed == expected


# POSYANDU_PROPERTY_EXAMPLES=300 for a longer run (25 keep CI quick; 300 passed when this was written).
@settings(max_examples=int(os.environ.get("POSYANDU_PROPERTY_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=18))
async def test_every_surface_tells_the_status_the_status_function_decides(ops: list[tuple[str, int, int, int, int,
                                                                                         str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = FixedClock(dt.datetime.combine(TODAY, dt.time(3), tzinfo=dt.UTC))
        db = await open_database(Path(folder) / "p.db", clock=clock)
        try:
            repos = Repositories(db)
            pid, kids = await _world(repos)
            for op in ops:
                await _apply(repos, kids, op)
            await _check(repos, pid, kids)
        finally:
            await db.close()
