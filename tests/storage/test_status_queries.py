"""The stored monthly status: every write of a child's data puts the child on the dirty list in the same
transaction, and a decision only takes it off when nothing changed meanwhile."""

from __future__ import annotations

import datetime as dt

from storage import ChildUpdate, MeasurementCreate, Repositories
from storage import status_queries as q
from tests.storage.conftest import Places, child_data


def _m(child_id: int, day: dt.date, weight: float = 10.0) -> MeasurementCreate:
    return MeasurementCreate(child_id=child_id, measured_on=day, weight_kg=weight, length_cm=80.0, entered_by=5)


async def test_adding_and_correcting_a_measurement_marks_the_child_dirty(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    assert await q.dirty_version(repos.db, child.id) is None
    first = await repos.measurements.add(_m(child.id, dt.date(2024, 11, 5)))
    assert (await q.dirty_version(repos.db, child.id)).version == 1  # type: ignore[union-attr]
    await repos.measurements.correct(first.id, _m(child.id, dt.date(2024, 11, 5), 10.2))
    dirty = await q.dirty_version(repos.db, child.id)
    assert dirty is not None and dirty.version == 2 and not dirty.facts


async def test_a_new_birth_date_marks_the_facts_changed(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    await repos.children.update(child.id, ChildUpdate(name="Budi S"))
    assert await q.dirty_version(repos.db, child.id) is None  # a name does not change any status
    await repos.children.update(child.id, ChildUpdate(birth_date=dt.date(2023, 3, 1)))
    dirty = await q.dirty_version(repos.db, child.id)
    assert dirty is not None and dirty.facts


async def test_a_decision_leaves_the_child_dirty_when_it_changed_meanwhile(repos: Repositories,
                                                                            places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    await repos.measurements.add(_m(child.id, dt.date(2024, 11, 5)))
    read = await q.refresh_input(repos.db, child.id)
    assert read.dirty is not None and [m.weight_kg for m in read.history] == [10.0]
    await repos.measurements.add(_m(child.id, dt.date(2024, 11, 20)))  # a change after the read
    row = q.StatusRow(child_id=child.id, month=dt.date(2024, 11, 1), visits=1, rules=1)
    assert not await q.write_child_status(repos.db, child.id, [row], version=read.dirty.version)
    assert await q.dirty_version(repos.db, child.id) is not None
    again = await q.refresh_input(repos.db, child.id)
    assert again.dirty is not None
    assert await q.write_child_status(repos.db, child.id, [row], version=again.dirty.version)
    assert await q.dirty_version(repos.db, child.id) is None
    assert [r.month for r in await q.child_status_rows(repos.db, child.id)] == [dt.date(2024, 11, 1)]


async def test_status_rows_round_trip(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    m = await repos.measurements.add(_m(child.id, dt.date(2024, 11, 5)))
    row = q.StatusRow(child_id=child.id, month=dt.date(2024, 11, 1), measurement_id=m.id,
                      measured_on=dt.date(2024, 11, 5), visits=2, weighed=True, weighing="-", stunted=True,
                      reasons=("stunted", "t"), refer=True, rules=3)
    await q.write_child_status(repos.db, child.id, [row], version=1)
    assert await q.child_status_rows(repos.db, child.id) == [row]
