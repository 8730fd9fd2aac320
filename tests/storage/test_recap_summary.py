"""The recap counts kept per posyandu and month (migration 0120): whatever the writes, they equal a recount from
`children` and `child_month_status`, and a rebuild gives the same rows."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from storage import (
    ChildCreate,
    ChildStatus,
    ChildUpdate,
    MeasurementCreate,
    NotFound,
    Repositories,
    Sex,
    open_database,
)
from storage import recap_summary as summary
from storage import status_queries as q
from storage.db import load_migrations
from storage.values import month_bounds
from tests.storage.conftest import Places, child_data, places_written_by_hand

MONTHS = [dt.date(2016 + i // 12, 1 + i % 12, 1) for i in range(10 * 12)]  # 2016-01 .. 2025-12
WEIGHINGS = [None, "N", "T", "2T", "O", "B", "-"]


async def _assert_kept_equals_recount(repos: Repositories, posyandu: list[int]) -> None:
    for month in MONTHS:
        kept = await q.month_counts(repos.db, posyandu, month)
        recount = await q.recount_month_counts(repos.db, posyandu, month)
        assert kept == recount, month


async def _nonzero_rows(repos: Repositories) -> set[tuple[object, ...]]:
    rows = await repos.db.fetchall(f"SELECT posyandu_id, month, {', '.join(summary.COUNT_FIELDS)}"
                                   " FROM posyandu_month_counts")
    return {tuple(r.values()) for r in rows if any(r[c] for c in summary.COUNT_FIELDS)}


def _random_row(rng: random.Random, child_id: int, month: dt.date, measurement_id: int) -> q.StatusRow:
    counted = rng.random() < 0.8
    flag = lambda p=0.3: rng.random() < p  # noqa: E731
    return q.StatusRow(
        child_id=child_id, month=month, measurement_id=measurement_id if counted else None,
        visits=rng.randint(1, 3), remeasure=flag(0.2), weighed=counted and flag(0.8),
        weighing=rng.choice(WEIGHINGS) if counted else None, bgm=flag(0.1), has_waz=flag(0.8), has_haz=flag(0.7),
        has_whz=flag(0.7), underweight=flag(), stunted=flag(), severely_stunted=flag(0.1), wasted=flag(0.1),
        severely_wasted=flag(0.05), overweight=flag(0.05), refer=flag(), urgent=flag(0.1), rules=2)


class _World:
    def __init__(self, repos: Repositories, places: Places, rng: random.Random) -> None:
        self.repos, self.rng = repos, rng
        self.posyandu = [places.posyandu, places.other_posyandu]
        self.children: dict[int, int] = {}  # child id -> a measurement id of it (for counted rows)
        self.n = 0

    def birth(self) -> dt.date:
        return dt.date(2016, 1, 1) + dt.timedelta(days=self.rng.randint(0, 3200))  # .. late 2024

    async def _measured(self, child_id: int, birth: dt.date) -> None:
        m = await self.repos.measurements.add(MeasurementCreate(
            child_id=child_id, measured_on=min(birth + dt.timedelta(days=1), dt.date(2024, 12, 3)), weight_kg=4.0))
        self.children[child_id] = m.id

    async def create(self) -> None:
        self.n += 1
        birth = self.birth()
        child = await self.repos.children.create(child_data(self.rng.choice(self.posyandu), f"Anak {self.n}",
                                                            birth_date=birth))
        await self._measured(child.id, birth)

    async def decide(self) -> None:
        """New status rows of a child, as a decision (of any rules version) writes them."""
        child_id = self.rng.choice(list(self.children))
        months = self.rng.sample(MONTHS, self.rng.randint(0, 6))
        rows = [_random_row(self.rng, child_id, m, self.children[child_id]) for m in sorted(months)]
        await q.write_decisions(self.repos.db, [q.ChildDecision(child_id=child_id, rows=tuple(rows), version=None)])

    async def update(self) -> None:
        child_id = self.rng.choice(list(self.children))
        change = self.rng.choice(["move", "status", "birth", "name"])
        if change == "move":
            update = ChildUpdate(posyandu_id=self.rng.choice(self.posyandu))
        elif change == "status":
            update = ChildUpdate(status=self.rng.choice(list(ChildStatus)))
        elif change == "birth":
            update = ChildUpdate(birth_date=self.birth())
        else:
            update = ChildUpdate(name="Nama Baru")
        await self.repos.children.update(child_id, update)

    async def import_file(self) -> None:
        """An import: new children and changed ones (moved, new birth date) in one transaction."""
        creates = []
        for _ in range(self.rng.randint(0, 3)):
            self.n += 1
            creates.append(ChildCreate(name=f"Anak {self.n}", sex=Sex.FEMALE, birth_date=self.birth(),
                                       posyandu_id=self.rng.choice(self.posyandu)))
        updates = []
        for child_id in self.rng.sample(list(self.children), min(2, len(self.children))):
            current = await self.repos.children.get(child_id)
            updates.append((child_id, ChildCreate(name=current.name, sex=current.sex, birth_date=self.birth(),
                                                  posyandu_id=self.rng.choice(self.posyandu))))
        codes = await self.repos.children.bulk_write(creates, updates)
        for code in codes:
            child = await self.repos.children.get_by_code(code)
            assert child is not None
            await self._measured(child.id, child.birth_date)

    async def delete(self) -> None:
        child_id = self.rng.choice(list(self.children))
        await self.repos.children.delete(child_id)
        del self.children[child_id]

    async def step(self) -> None:
        if len(self.children) < 3:
            await self.create()
            return
        action = self.rng.choices([self.create, self.decide, self.update, self.import_file, self.delete],
                                  weights=[3, 8, 4, 1, 1])[0]
        await action()


@pytest.mark.parametrize("seed", range(12))
async def test_random_writes_keep_the_kept_counts_equal_to_a_recount(repos: Repositories, places: Places,
                                                                     seed: int) -> None:
    world = _World(repos, places, random.Random(seed))
    for i in range(60):
        await world.step()
        if i % 20 == 19:
            await _assert_kept_equals_recount(repos, world.posyandu)
    kept = await _nonzero_rows(repos)
    assert kept  # the test wrote something to count
    await summary.rebuild(repos.db)
    assert await _nonzero_rows(repos) == kept
    await _assert_kept_equals_recount(repos, world.posyandu)


async def test_a_failed_write_leaves_the_counts_as_they_were(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    before = await _nonzero_rows(repos)
    with pytest.raises(NotFound):
        await repos.children.update(child.id + 99, ChildUpdate(posyandu_id=places.other_posyandu))
    with pytest.raises(NotFound):
        await repos.children.delete(child.id + 99)
    assert await _nonzero_rows(repos) == before


async def test_rebuild_repairs_counts_after_sql_by_hand(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    await repos.db.execute("UPDATE children SET posyandu_id = ? WHERE id = ?", (places.other_posyandu, child.id))
    month = dt.date(2024, 11, 1)
    pids = [places.posyandu, places.other_posyandu]
    assert await q.month_counts(repos.db, pids, month) != await q.recount_month_counts(repos.db, pids, month)
    await summary.rebuild(repos.db)
    assert await q.month_counts(repos.db, pids, month) == await q.recount_month_counts(repos.db, pids, month)


async def test_a_registered_child_counts_in_s_from_its_birth_month_until_it_turns_five(
        repos: Repositories, places: Places) -> None:
    await repos.children.create(child_data(places.posyandu, birth_date=dt.date(2020, 3, 15)))
    s = {m: (await q.month_counts(repos.db, [places.posyandu], m))[places.posyandu].s
         for m in (dt.date(2020, 2, 1), dt.date(2020, 3, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1))}
    assert s == {dt.date(2020, 2, 1): 0, dt.date(2020, 3, 1): 1, dt.date(2025, 3, 1): 1, dt.date(2025, 4, 1): 0}


async def test_months_outside_the_kept_range_are_recounted(repos: Repositories, places: Places) -> None:
    await repos.children.create(child_data(places.posyandu, birth_date=dt.date(1997, 3, 15)))
    counts = await q.month_counts(repos.db, [places.posyandu], dt.date(1999, 6, 1))
    assert counts[places.posyandu].s == 1


async def test_the_calendar_holds_the_under_five_window_of_every_kept_month(repos: Repositories) -> None:
    rows = await repos.db.fetchall("SELECT month, born_after, born_before FROM recap_months ORDER BY month")
    expected = []
    month = summary.FIRST_MONTH
    while month <= summary.LAST_MONTH:
        start, end = month_bounds(month)
        expected.append({"month": start.isoformat(), "born_after": (start - dt.timedelta(days=1826)).isoformat(),
                         "born_before": end.isoformat()})
        month = end
    assert rows == expected


def test_the_kept_columns_are_the_recap_counts() -> None:
    assert tuple(f for f in q.PosyanduCounts.model_fields if f != "posyandu_id") == summary.COUNT_FIELDS


async def _plan(repos: Repositories, sql: str, params: list[object]) -> list[str]:
    return [str(r["detail"]) for r in await repos.db.fetchall("EXPLAIN QUERY PLAN " + sql, params)]


async def _many_months(repos: Repositories, places: Places) -> None:
    rng = random.Random(3)
    world = _World(repos, places, rng)
    for _ in range(20):
        await world.create()
    for _ in range(20):
        await world.decide()


@pytest.mark.sqlite_only("SQLite's EXPLAIN QUERY PLAN")
async def test_the_follow_up_list_of_one_posyandu_reads_its_children_by_index(repos: Repositories,
                                                                             places: Places) -> None:
    await _many_months(repos, places)
    plan = await _plan(repos, *q.follow_up_sql([places.posyandu], dt.date(2024, 12, 3), stale_after_days=60))
    assert any(p.startswith("SEARCH c USING") and "INDEX children_" in p and "posyandu_id=?" in p for p in plan), plan
    assert any(p.startswith("SEARCH s USING INDEX sqlite_autoindex_child_month_status_1 (child_id=? AND month>?)")
               for p in plan), plan
    assert not any(p.startswith(("SCAN c", "SCAN s")) or "child_month_status_month" in p for p in plan), plan


@pytest.mark.sqlite_only("SQLite's EXPLAIN QUERY PLAN")
async def test_the_export_of_one_posyandu_reads_its_children_by_index(repos: Repositories, places: Places) -> None:
    await _many_months(repos, places)
    plan = await _plan(repos, *q.counted_in_month_sql([places.posyandu], dt.date(2024, 11, 1)))
    assert plan[0].startswith("SEARCH c USING") and "INDEX children_" in plan[0] and "posyandu_id=?" in plan[0], plan
    assert plan[1] == "SEARCH s USING INDEX sqlite_autoindex_child_month_status_1 (child_id=? AND month=?)", plan
    assert plan[2] == "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)", plan


@pytest.mark.sqlite_only("SQLite's EXPLAIN QUERY PLAN")
async def test_the_recap_of_an_area_reads_one_kept_row_per_posyandu(repos: Repositories, places: Places) -> None:
    await _many_months(repos, places)
    plan = await _plan(repos, summary.month_rows_sql("?, ?"), ["2024-11-01", places.posyandu, places.other_posyandu])
    assert plan == ["SEARCH posyandu_month_counts USING INDEX sqlite_autoindex_posyandu_month_counts_1"
                    " (month=? AND posyandu_id=?)"], plan


async def test_the_migration_backfills_the_counts_of_existing_children(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "old_unmigrated.db", migrate=False)
    try:
        await db.migrate([m for m in load_migrations() if m.version < 120])
        repos = Repositories(db)
        _, pids = await places_written_by_hand(db, 2)  # as the code before 0130 did
        rng = random.Random(9)
        for i in range(1, 41):  # written as the code before 0120 did: no kept counts yet
            birth = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2100))
            status = rng.choice(["active", "active", "active", "moved"])
            await db.execute("INSERT INTO children (id, code, name, name_key, sex, birth_date, posyandu_id, status,"
                             " created_at, updated_at) VALUES (?, ?, 'Anak', 'anak', 'F', ?, ?, ?, '', '')",
                             (i, f"A{i}", birth.isoformat(), pids[i % 2], status))
            mid = await db.insert("INSERT INTO measurements (child_id, measured_on, age_days, created_at)"
                                  " VALUES (?, ?, 0, '') RETURNING id", (i, birth.isoformat()))
            for month in rng.sample(MONTHS, 8):
                row = _random_row(rng, i, month, mid)
                names = list(q.StatusRow.model_fields)
                await db.execute(f"INSERT INTO child_month_status ({', '.join(names)}) VALUES"
                                 f" ({', '.join('?' * len(names))})", q._params(row))
        assert await db.migrate() == [m.version for m in load_migrations() if m.version >= 120]
        await _assert_kept_equals_recount(repos, pids)
        assert await _nonzero_rows(repos)
    finally:
        await db.close()
