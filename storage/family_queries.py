"""SQL of the families the TPK accompany (migration 0090): women (catin, pregnant, after birth), pregnancies and
every contact with them. A woman's data is health data: every write has its audit row (ids and field names, never
values or names) in the same transaction; who may read it is decided in bot.services.access.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storage.db import Database
from storage.models import ChildCreate
from storage.repositories import Repositories
from storage.repositories.base import AUDIT_SQL, MARK_DIRTY_SQL, in_list
from storage.values import clean_name, search_key, to_db_time


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


def _split(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(str(v) for v in value)
    return tuple(r for r in str(value or "").split(",") if r)


class Woman(_Model):
    id: int
    name: str = Field(repr=False)
    birth_date: dt.date | None
    posyandu_id: int
    catin: bool
    status: str
    created_by: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class Pregnancy(_Model):
    id: int
    woman_id: int
    lmp: dt.date | None
    due_date: dt.date | None
    ended_on: dt.date | None
    outcome: str | None
    child_id: int | None
    created_at: dt.datetime

    @property
    def ongoing(self) -> bool:
        return self.ended_on is None


class WomanVisit(_Model):
    id: int
    woman_id: int
    pregnancy_id: int | None
    kind: str  # check, anc, postnatal, home
    visited_on: dt.date
    muac_cm: float | None
    hb_g_dl: float | None
    by_doctor: bool
    ttd_tablets: int | None
    kf: int | None
    family_planning: str | None
    counselling: bool
    checklist: tuple[str, ...]
    note: str | None = Field(repr=False)
    entered_by: int | None
    created_at: dt.datetime

    _checklist = field_validator("checklist", mode="before")(_split)


_WOMAN_COLS = "id, name, birth_date, posyandu_id, catin, status, created_by, created_at, updated_at"
_PREG_COLS = "id, woman_id, lmp, due_date, ended_on, outcome, child_id, created_at"
_VISIT_COLS = ("id, woman_id, pregnancy_id, kind, visited_on, muac_cm, hb_g_dl, by_doctor, ttd_tablets, kf,"
               " family_planning, counselling, checklist, note, entered_by, created_at")


def _audit(actor_id: int | None, action: str, entity: str, entity_id: int, at: dt.datetime,
           details: dict[str, Any]) -> tuple[Any, ...]:
    return (actor_id, action, entity, str(entity_id), json.dumps(details, sort_keys=True, default=str),
            to_db_time(at))


# ------------------------------------------------------------------ women


class WomanCreate(_Model):
    name: str = Field(min_length=1, max_length=120, repr=False)
    birth_date: dt.date | None
    posyandu_id: int
    catin: bool = False
    lmp: dt.date | None = None  # pregnant now: HPHT
    due_date: dt.date | None = None
    delivered_on: dt.date | None = None  # registered after the birth
    created_by: int | None = None

    _name = field_validator("name")(lambda v: clean_name(v))


async def create_woman(db: Database, data: WomanCreate) -> Woman:
    now = db.now()
    stamp = to_db_time(now)
    async with db.transaction():
        woman_id = await db.insert(
            "INSERT INTO women (name, birth_date, posyandu_id, catin, status, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'active', ?, ?, ?) RETURNING id",
            (data.name, data.birth_date.isoformat() if data.birth_date else None, data.posyandu_id, int(data.catin),
             data.created_by, stamp, stamp))
        await db.execute(AUDIT_SQL, _audit(data.created_by, "create", "woman", woman_id, now,
                                           {"posyandu_id": data.posyandu_id, "catin": data.catin}))
        if data.lmp is not None or data.delivered_on is not None:
            await _insert_pregnancy(db, woman_id, data.lmp, data.due_date, data.created_by, now,
                                    delivered_on=data.delivered_on)
    woman = await get_woman(db, woman_id)
    assert woman is not None
    return woman


async def get_woman(db: Database, woman_id: int) -> Woman | None:
    row = await db.fetchone(f"SELECT {_WOMAN_COLS} FROM women WHERE id = ?", (woman_id,))
    return Woman.model_validate(row) if row else None


async def women_in(db: Database, posyandu_ids: Collection[int], *, created_before: dt.datetime | None = None
                   ) -> list[Woman]:
    """Active women of these posyandu, by name."""
    marks, ids = in_list(posyandu_ids)
    sql = f"SELECT {_WOMAN_COLS} FROM women WHERE status = 'active' AND posyandu_id IN ({marks})"
    params: list[Any] = list(ids)
    if created_before is not None:
        sql += " AND created_at < ?"
        params.append(to_db_time(created_before))
    rows = await db.fetchall(sql + " ORDER BY name, id", params)
    return [Woman.model_validate(r) for r in rows]


async def find_same(db: Database, name: str, posyandu_id: int) -> Woman | None:
    """An active woman of the posyandu with the same name (spaces and case ignored): asked before registering."""
    rows = await db.fetchall(f"SELECT {_WOMAN_COLS} FROM women WHERE posyandu_id = ? AND status = 'active'",
                             (posyandu_id,))
    key = search_key(name)
    return next((Woman.model_validate(r) for r in rows if search_key(str(r["name"])) == key), None)


async def set_catin(db: Database, woman_id: int, catin: bool, actor_id: int | None) -> None:
    now = db.now()
    async with db.transaction():
        await db.execute("UPDATE women SET catin = ?, updated_at = ? WHERE id = ?",
                         (int(catin), to_db_time(now), woman_id))
        await db.execute(AUDIT_SQL, _audit(actor_id, "update", "woman", woman_id, now, {"fields": ["catin"]}))


# ------------------------------------------------------------------ pregnancies


async def _insert_pregnancy(db: Database, woman_id: int, lmp: dt.date | None, due: dt.date | None,
                            actor_id: int | None, now: dt.datetime, *, delivered_on: dt.date | None = None) -> int:
    pregnancy_id = await db.insert(
        "INSERT INTO pregnancies (woman_id, lmp, due_date, ended_on, outcome, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (woman_id, lmp.isoformat() if lmp else None, due.isoformat() if due else None,
         delivered_on.isoformat() if delivered_on else None, "birth" if delivered_on else None, actor_id,
         to_db_time(now)))
    await db.execute(AUDIT_SQL, _audit(actor_id, "create", "pregnancy", pregnancy_id, now,
                                       {"woman_id": woman_id, "fields": ["lmp", "due_date"] if lmp else ["ended_on"]}))
    return pregnancy_id


async def add_pregnancy(db: Database, woman_id: int, lmp: dt.date, due: dt.date, actor_id: int | None) -> int:
    async with db.transaction():
        return await _insert_pregnancy(db, woman_id, lmp, due, actor_id, db.now())


async def pregnancies_of(db: Database, woman_ids: Collection[int]) -> dict[int, list[Pregnancy]]:
    """Each woman's pregnancies, oldest first."""
    marks, ids = in_list(woman_ids)
    rows = await db.fetchall(f"SELECT {_PREG_COLS} FROM pregnancies WHERE woman_id IN ({marks})"
                             f" ORDER BY woman_id, created_at, id", ids)
    out: dict[int, list[Pregnancy]] = {int(i): [] for i in ids}
    for r in rows:
        p = Pregnancy.model_validate(r)
        out.setdefault(p.woman_id, []).append(p)
    return out


async def pregnancy_of_child(db: Database, child_id: int) -> Pregnancy | None:
    row = await db.fetchone(f"SELECT {_PREG_COLS} FROM pregnancies WHERE child_id = ?", (child_id,))
    return Pregnancy.model_validate(row) if row else None


class Birth(_Model):
    pregnancy_id: int
    woman_id: int
    delivered_on: dt.date
    child: ChildCreate | None  # a new child to register (None: `existing_child_id`)
    existing_child_id: int | None = None
    birth_weight_kg: float
    birth_length_cm: float
    actor_id: int | None


async def record_birth(repos: Repositories, birth: Birth) -> int:
    """End the pregnancy with a birth and link the baby (registered now, or already registered): the birth weight
    and length become the child's first KMS point. Returns the child's id. One transaction."""
    db = repos.db
    now = db.now()
    async with db.transaction():
        if birth.child is not None:
            child_id = (await repos.children.create(birth.child)).id
        else:
            assert birth.existing_child_id is not None
            child_id = birth.existing_child_id
            await db.execute(
                "UPDATE children SET birth_weight_kg = ?, birth_length_cm = ?, updated_at = ? WHERE id = ?",
                (birth.birth_weight_kg, birth.birth_length_cm, to_db_time(now), child_id))
            await db.execute(MARK_DIRTY_SQL, (child_id, 0))  # the birth weight is the first point of N/T
            await db.execute(AUDIT_SQL, _audit(birth.actor_id, "update", "child", child_id, now,
                                               {"fields": ["birth_length_cm", "birth_weight_kg"]}))
        await db.execute("UPDATE pregnancies SET ended_on = ?, outcome = 'birth', child_id = ? WHERE id = ?",
                         (birth.delivered_on.isoformat(), child_id, birth.pregnancy_id))
        await db.execute(AUDIT_SQL, _audit(birth.actor_id, "birth", "pregnancy", birth.pregnancy_id, now,
                                           {"woman_id": birth.woman_id, "child_id": child_id}))
    return child_id


# ------------------------------------------------------------------ visits


class VisitCreate(_Model):
    woman_id: int
    pregnancy_id: int | None = None
    kind: str
    visited_on: dt.date
    muac_cm: float | None = None
    hb_g_dl: float | None = None
    by_doctor: bool = False
    ttd_tablets: int | None = None
    kf: int | None = None
    family_planning: str | None = None
    counselling: bool = False
    checklist: tuple[str, ...] = ()
    note: str | None = Field(default=None, repr=False)
    entered_by: int | None = None


async def add_visit(db: Database, v: VisitCreate) -> WomanVisit:
    now = db.now()
    async with db.transaction():
        visit_id = await db.insert(
            f"INSERT INTO woman_visits ({_VISIT_COLS.split(', ', 1)[1]})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (v.woman_id, v.pregnancy_id, v.kind, v.visited_on.isoformat(), v.muac_cm, v.hb_g_dl, int(v.by_doctor),
             v.ttd_tablets, v.kf, v.family_planning, int(v.counselling), ",".join(v.checklist), v.note,
             v.entered_by, to_db_time(now)))
        fields = sorted(k for k, value in v.model_dump(exclude={"woman_id", "kind", "entered_by"}).items()
                        if value not in (None, False, ()))
        await db.execute(AUDIT_SQL, _audit(v.entered_by, "create", "woman_visit", visit_id, now,
                                           {"woman_id": v.woman_id, "kind": v.kind, "fields": fields}))
    row = await db.fetchone(f"SELECT {_VISIT_COLS} FROM woman_visits WHERE id = ?", (visit_id,))
    return WomanVisit.model_validate(row)


async def visits_of(db: Database, woman_id: int) -> list[WomanVisit]:
    rows = await db.fetchall(f"SELECT {_VISIT_COLS} FROM woman_visits WHERE woman_id = ? ORDER BY visited_on, id",
                             (woman_id,))
    return [WomanVisit.model_validate(r) for r in rows]


async def visited_in(db: Database, woman_ids: Sequence[int], start: dt.date, end: dt.date,
                     kinds: Collection[str]) -> set[int]:
    """Women with a visit of these kinds dated [start, end)."""
    marks, ids = in_list(woman_ids)
    kind_marks, kind_vals = in_list(kinds)
    rows = await db.fetchall(
        f"SELECT DISTINCT woman_id FROM woman_visits WHERE woman_id IN ({marks}) AND kind IN ({kind_marks})"
        f" AND visited_on >= ? AND visited_on < ?", [*ids, *kind_vals, start.isoformat(), end.isoformat()])
    return {int(r["woman_id"]) for r in rows}


async def young_children(db: Database, posyandu_ids: Collection[int], born_after: dt.date, on: dt.date,
                         created_before: dt.datetime) -> set[int]:
    """Active children of these posyandu born after `born_after` and by `on`, registered before `created_before`
    (the TPK report's baduta: under two)."""
    marks, ids = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"SELECT id FROM children WHERE posyandu_id IN ({marks}) AND status = 'active' AND birth_date > ?"
        f" AND birth_date <= ? AND created_at < ?",
        [*ids, born_after.isoformat(), on.isoformat(), to_db_time(created_before)])
    return {int(r["id"]) for r in rows}


__all__ = [
    "Birth", "Pregnancy", "VisitCreate", "Woman", "WomanCreate", "WomanVisit", "add_pregnancy", "add_visit",
    "create_woman", "find_same", "get_woman", "pregnancies_of", "pregnancy_of_child", "record_birth", "set_catin",
    "visited_in", "visits_of", "women_in", "young_children",
]
