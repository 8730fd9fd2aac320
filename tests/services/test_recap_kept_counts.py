"""/rekap reads the counts kept per posyandu and month (storage.recap_summary): through the services, after
measurements, corrections, a move, a child leaving, a deletion, an import and a re-decision by new rules, they
equal a recount of every child, and the recap decides the dirty list first."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.i18n import get_translator
from bot.services import recap as rsvc
from bot.services import status as status_svc
from bot.services import team as tsvc
from storage import Repositories
from storage import status_queries as q
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

NOV, DEC = dt.date(2024, 11, 1), dt.date(2024, 12, 1)


class _Clock:
    def now(self) -> dt.datetime:
        return dt.datetime(2024, 12, 10, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "r.db", clock=_Clock())
    try:
        yield Repositories(db)
    finally:
        await db.close()


async def _places(repos: Repositories) -> tuple[int, list[int]]:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Uji")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec Uji", city.id)
    pids = []
    for name in ("Satu", "Dua"):
        kel = await repos.areas.create(AreaLevel.KELURAHAN, f"Kel {name}", kec.id)
        pids.append((await repos.posyandu.create(PosyanduCreate(name=f"Posyandu {name}", area_id=kel.id))).id)
    return city.id, pids


async def _child(repos: Repositories, pid: int, birth: dt.date, name: str) -> int:
    return (await repos.children.create(ChildCreate(name=name, sex=Sex.FEMALE, birth_date=birth,
                                                    posyandu_id=pid))).id


async def _weigh(repos: Repositories, child: int, on: dt.date, **kw: object) -> int:
    values: dict[str, object] = {"weight_kg": 9.0, "length_cm": 75.0, **kw}
    return (await repos.measurements.add(MeasurementCreate(child_id=child, measured_on=on, **values))).id  # type: ignore[arg-type]


async def _assert_recap_is_the_recount(repos: Repositories, pids: list[int]) -> None:
    for month in (dt.date(2024, 9, 1), dt.date(2024, 10, 1), NOV, DEC):
        kept = await status_svc.month_counts(repos, pids, month)  # decides the dirty list first
        recount = await q.recount_month_counts(repos.db, pids, month)
        assert kept == recount, month
        total = await status_svc.month_total(repos, pids, month)
        assert total.model_dump(exclude={"posyandu_id"}) == {
            f: sum(getattr(c, f) for c in recount.values()) for f in total.model_dump() if f != "posyandu_id"}


async def test_kept_counts_follow_measurements_corrections_moves_and_deletions(repos: Repositories) -> None:
    _, pids = await _places(repos)
    one, two = pids
    rng = random.Random(5)
    kids = [await _child(repos, pids[i % 2], dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 1300)), f"K{i}")
            for i in range(12)]
    visits = []
    for kid in kids:
        for month in (9, 10, 11):
            visits.append(await _weigh(repos, kid, dt.date(2024, month, rng.randint(1, 28)),
                                       weight_kg=round(rng.uniform(8, 13), 1), waz=rng.gauss(-1, 1.2),
                                       haz=rng.gauss(-1.5, 1.3), whz=rng.gauss(-0.5, 1.2)))
    await _assert_recap_is_the_recount(repos, pids)
    # Corrections: a weight and an implausible height (the month becomes "perlu ukur ulang").
    await repos.measurements.correct(visits[0], MeasurementCreate(child_id=kids[0], measured_on=dt.date(2024, 9, 3),
                                                                   weight_kg=7.5, haz=-2.5))
    await repos.measurements.correct(visits[5], MeasurementCreate(child_id=kids[1], measured_on=dt.date(2024, 11, 4),
                                                                   weight_kg=9.0, haz=-8.0))
    await _assert_recap_is_the_recount(repos, pids)
    # A move takes the child's whole history to the other posyandu; a child leaving leaves S and D.
    before = (await status_svc.month_counts(repos, pids, NOV))
    await repos.children.update(kids[2], ChildUpdate(posyandu_id=two))
    after = (await status_svc.month_counts(repos, pids, NOV))
    assert (after[one].s, after[two].s) == (before[one].s - 1, before[two].s + 1)
    await repos.children.set_status(kids[3], ChildStatus.MOVED)
    await repos.children.update(kids[4], ChildUpdate(birth_date=dt.date(2019, 6, 1)))  # over five by November
    await repos.children.delete(kids[6])
    await _assert_recap_is_the_recount(repos, pids)
    # An import moves one child and registers another.
    moved = await repos.children.get(kids[7])
    await repos.children.bulk_write(
        [ChildCreate(name="Baru", sex=Sex.MALE, birth_date=dt.date(2024, 5, 1), posyandu_id=one)],
        [(moved.id, ChildCreate(name=moved.name, sex=moved.sex, birth_date=moved.birth_date,
                                posyandu_id=two if moved.posyandu_id == one else one))])
    await _assert_recap_is_the_recount(repos, pids)


async def test_a_new_rules_version_decides_everyone_again_and_keeps_the_counts(repos: Repositories) -> None:
    _, pids = await _places(repos)
    kid = await _child(repos, pids[0], dt.date(2023, 1, 5), "A")
    await _weigh(repos, kid, dt.date(2024, 10, 3), weight_kg=9.5)
    await _weigh(repos, kid, dt.date(2024, 11, 3), weight_kg=9.4, haz=-2.5)
    await status_svc.flush(repos)
    await q.set_rules_version(repos.db, status_svc.RULES_VERSION - 1)
    await status_svc.ensure_current_rules(repos)
    assert await q.dirty_children(repos.db) == []
    await _assert_recap_is_the_recount(repos, pids)
    assert (await status_svc.month_counts(repos, pids, NOV))[pids[0]].t == 1


async def test_the_recap_decides_a_measurement_saved_without_deciding_first(repos: Repositories) -> None:
    """A visit saved by an import or a script waits on the dirty list: the recap decides it before counting."""
    _, kel_pids = await _places(repos)
    pid = kel_pids[0]
    kid = await _child(repos, pid, dt.date(2023, 1, 5), "A")
    await repos.users.set_role(77, Role.COORDINATOR, area_id=(await repos.posyandu.get(pid)).area_id)
    scope = await tsvc.staff_scope(repos, 77, [])
    assert scope is not None
    tr = get_translator("id")
    assert (await rsvc.build_recap(repos, scope, NOV, tr)).total.d == 0
    await _weigh(repos, kid, dt.date(2024, 11, 3), haz=-2.5)
    assert await q.dirty_children(repos.db) != []
    recap = await rsvc.build_recap(repos, scope, NOV, tr)
    assert (recap.total.s, recap.total.d, recap.total.stunted) == (1, 1, 1)
    assert await q.dirty_children(repos.db) == []


def test_cli_check_finds_counts_changed_behind_the_bots_back_and_rebuild_repairs_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")

    async def seed() -> None:
        db = await open_database(path)
        try:
            repos = Repositories(db)
            _, pids = await _places(repos)
            kid = await _child(repos, pids[0], dt.date(2024, 1, 5), "A")
            await db.execute("UPDATE children SET posyandu_id = ? WHERE id = ?", (pids[1], kid))  # SQL by hand
        finally:
            await db.close()

    asyncio.run(seed())
    assert main(["recap", "check", "--month", "2024-11"]) == 1
    assert "2024-11: 2 dari 2 posyandu berbeda dengan hitung ulang" in capsys.readouterr().out
    assert main(["recap", "rebuild"]) == 0
    assert "baris dihitung ulang" in capsys.readouterr().out
    assert main(["recap", "check", "--month", "2024-11"]) == 0
    assert "semua 2 posyandu sama dengan hitung ulang" in capsys.readouterr().out
