"""SQL of intervention programs (migration 0070): programs, enrolled children, sponsor members and their invites,
and the stored monthly status rows a program report reads (written by bot.services.status, never decided here).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storage.db import Database, Row
from storage.errors import NotFound
from storage.repositories.base import AUDIT_SQL, in_list
from storage.values import clean_name, to_db_time

_CHUNK = 400


def N_(s: str) -> str:
    """Marks a msgid for extraction (storage does not import bot.i18n)."""
    return s


MSG_PROGRAM_NOT_FOUND = N_("Program not found.")

_COLS = ("id, name, sponsor, area_id, posyandu_id, kind, starts_on, ends_on, criteria, min_months, max_months, unit,"
         " per_delivery, created_by, created_at")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProgramCreate(_Model):
    name: str = Field(min_length=1, max_length=80)
    sponsor: str = Field(default="", max_length=80)
    area_id: int | None = None
    posyandu_id: int | None = None
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    criteria: tuple[str, ...] = ()
    min_months: int = Field(default=6, ge=0, le=59)
    max_months: int = Field(default=59, ge=0, le=59)
    unit: str = "days"
    per_delivery: int = Field(default=7, ge=1, le=365)
    created_by: int | None = None

    _clean = field_validator("name", "sponsor")(lambda v: clean_name(v))


class Program(_Model):
    id: int
    name: str
    sponsor: str
    area_id: int | None
    posyandu_id: int | None
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    criteria: tuple[str, ...]
    min_months: int
    max_months: int
    unit: str
    per_delivery: int
    created_by: int | None
    created_at: dt.datetime

    def running_on(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


def _program(row: Row) -> Program:
    row = dict(row)
    row["criteria"] = tuple(c for c in str(row["criteria"] or "").split(",") if c)
    return Program.model_validate(row)


class Enrolled(_Model):
    program_id: int
    child_id: int
    enrolled_on: dt.date
    enrolled_by: int | None
    left_on: dt.date | None

    def active_on(self, day: dt.date) -> bool:
        return self.enrolled_on <= day and (self.left_on is None or day <= self.left_on)


def _audit(actor_id: int | None, action: str, entity_id: object, details: dict[str, Any], now: str
           ) -> tuple[Any, ...]:
    return (actor_id, action, "program", str(entity_id), json.dumps(details, sort_keys=True, default=str), now)


async def create(db: Database, data: ProgramCreate) -> Program:
    now = to_db_time(db.now())
    async with db.transaction():
        pid = await db.insert(
            "INSERT INTO programs (name, sponsor, area_id, posyandu_id, kind, starts_on, ends_on, criteria, min_months,"
            " max_months, unit, per_delivery, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (data.name, data.sponsor, data.area_id, data.posyandu_id, data.kind, data.starts_on.isoformat(),
             data.ends_on.isoformat(), ",".join(data.criteria), data.min_months, data.max_months, data.unit,
             data.per_delivery, data.created_by, now))
        await db.execute(AUDIT_SQL, _audit(data.created_by, "create", pid, {
            "area_id": data.area_id, "posyandu_id": data.posyandu_id, "kind": data.kind}, now))
    found = await get(db, pid)
    assert found is not None
    return found


async def get(db: Database, program_id: int) -> Program | None:
    row = await db.fetchone(f"SELECT {_COLS} FROM programs WHERE id = ?", (program_id,))
    return _program(row) if row else None


async def require(db: Database, program_id: int) -> Program:
    found = await get(db, program_id)
    if found is None:
        raise NotFound(MSG_PROGRAM_NOT_FOUND)
    return found


async def in_places(db: Database, area_ids: Collection[int], posyandu_ids: Collection[int]) -> list[Program]:
    """Programs of these areas or posyandu, newest first."""
    a_marks, a_vals = in_list(area_ids)
    p_marks, p_vals = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"SELECT {_COLS} FROM programs WHERE area_id IN ({a_marks}) OR posyandu_id IN ({p_marks})"
        " ORDER BY starts_on DESC, id DESC", [*a_vals, *p_vals])
    return [_program(r) for r in rows]


async def every_program(db: Database) -> list[Program]:
    rows = await db.fetchall(f"SELECT {_COLS} FROM programs ORDER BY starts_on DESC, id DESC")
    return [_program(r) for r in rows]


# ------------------------------------------------------------------ children


async def enrolled(db: Database, program_id: int) -> list[Enrolled]:
    rows = await db.fetchall(
        "SELECT program_id, child_id, enrolled_on, enrolled_by, left_on FROM program_children WHERE program_id = ?"
        " ORDER BY enrolled_on, child_id", (program_id,))
    return [Enrolled.model_validate(r) for r in rows]


async def enrolments_of(db: Database, child_ids: Collection[int]) -> dict[int, list[Enrolled]]:
    """Every enrolment of these children (current and past)."""
    ids = list(child_ids)
    out: dict[int, list[Enrolled]] = {cid: [] for cid in ids}
    for i in range(0, len(ids), _CHUNK):
        marks, vals = in_list(ids[i:i + _CHUNK])
        rows = await db.fetchall(
            f"SELECT program_id, child_id, enrolled_on, enrolled_by, left_on FROM program_children"
            f" WHERE child_id IN ({marks}) ORDER BY enrolled_on", vals)
        for r in rows:
            e = Enrolled.model_validate(r)
            out.setdefault(e.child_id, []).append(e)
    return out


async def enrol(db: Database, program_id: int, child_ids: Sequence[int], on: dt.date, actor_id: int | None) -> int:
    """Enrol children (again, if they had left); returns how many were not enrolled before."""
    now = to_db_time(db.now())
    added = 0
    async with db.transaction():
        for cid in child_ids:
            row = await db.fetchone("SELECT left_on FROM program_children WHERE program_id = ? AND child_id = ?",
                                    (program_id, cid))
            if row is not None and row["left_on"] is None:
                continue
            await db.execute(
                "INSERT INTO program_children (program_id, child_id, enrolled_on, enrolled_by, left_on)"
                " VALUES (?, ?, ?, ?, NULL) ON CONFLICT (program_id, child_id) DO UPDATE SET"
                " enrolled_on = excluded.enrolled_on, enrolled_by = excluded.enrolled_by, left_on = NULL",
                (program_id, cid, on.isoformat(), actor_id))
            added += 1
        if added:
            await db.execute(AUDIT_SQL, _audit(actor_id, "enrol", program_id, {"child_ids": list(child_ids)}, now))
    return added


async def leave(db: Database, program_id: int, child_id: int, on: dt.date, actor_id: int | None) -> bool:
    now = to_db_time(db.now())
    async with db.transaction():
        changed = await db.execute(
            "UPDATE program_children SET left_on = ? WHERE program_id = ? AND child_id = ? AND left_on IS NULL",
            (on.isoformat(), program_id, child_id))
        if changed:
            await db.execute(AUDIT_SQL, _audit(actor_id, "leave", program_id, {"child_id": child_id}, now))
    return bool(changed)


# ------------------------------------------------------------------ sponsor members and invites


async def add_member(db: Database, program_id: int, user_id: int) -> None:
    now = to_db_time(db.now())
    await db.execute("INSERT INTO program_members (program_id, user_id, joined_at) VALUES (?, ?, ?)"
                     " ON CONFLICT (program_id, user_id) DO NOTHING", (program_id, user_id, now))


async def member_programs(db: Database, user_id: int) -> list[int]:
    rows = await db.fetchall("SELECT program_id FROM program_members WHERE user_id = ? ORDER BY program_id",
                             (user_id,))
    return [int(r["program_id"]) for r in rows]


async def members_of(db: Database, program_id: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT m.user_id FROM program_members m JOIN users u ON u.telegram_id = m.user_id"
        " WHERE m.program_id = ? AND u.active = 1 AND u.role = 'sponsor' ORDER BY m.user_id", (program_id,))
    return [int(r["user_id"]) for r in rows]


async def link_invite(db: Database, code: str, program_id: int) -> None:
    await db.execute("INSERT INTO program_invites (code, program_id) VALUES (?, ?)", (code, program_id))


async def program_of_invite(db: Database, code: str) -> int | None:
    value = await db.fetchval("SELECT program_id FROM program_invites WHERE code = ?", (code.strip().upper(),))
    return int(value) if value is not None else None


# ------------------------------------------------------------------ the stored status a report reads


class MonthFacts(_Model):
    """One child's stored month (child_month_status), the columns a program needs."""

    child_id: int
    month: dt.date
    counted: bool
    measured_on: dt.date | None
    age_days: int | None
    weighing: str | None
    waz: float | None
    haz: float | None
    whz: float | None
    stunted: bool
    severely_stunted: bool
    wasted: bool
    underweight: bool
    bgm: bool
    refer: bool


async def month_facts(db: Database, child_ids: Collection[int], first: dt.date, last: dt.date
                      ) -> dict[int, list[MonthFacts]]:
    """Stored months of these children from `first` to `last` (first days of months), oldest first."""
    ids = list(child_ids)
    out: dict[int, list[MonthFacts]] = {cid: [] for cid in ids}
    for i in range(0, len(ids), _CHUNK):
        marks, vals = in_list(ids[i:i + _CHUNK])
        rows = await db.fetchall(
            f"SELECT child_id, month, measurement_id, measured_on, age_days, weighing, waz, haz, whz, stunted,"
            f" severely_stunted, wasted, underweight, bgm, refer FROM child_month_status"
            f" WHERE child_id IN ({marks}) AND month >= ? AND month <= ? ORDER BY child_id, month",
            [*vals, first.replace(day=1).isoformat(), last.replace(day=1).isoformat()])
        for r in rows:
            r = dict(r)
            r["counted"] = r.pop("measurement_id") is not None
            f = MonthFacts.model_validate(r)
            out.setdefault(f.child_id, []).append(f)
    return out


async def posyandu_of_children(db: Database, child_ids: Collection[int]) -> dict[int, int]:
    ids = list(child_ids)
    out: dict[int, int] = {}
    for i in range(0, len(ids), _CHUNK):
        marks, vals = in_list(ids[i:i + _CHUNK])
        for r in await db.fetchall(f"SELECT id, posyandu_id FROM children WHERE id IN ({marks})", vals):
            out[int(r["id"])] = int(r["posyandu_id"])
    return out


__all__ = ["Enrolled", "MonthFacts", "Program", "ProgramCreate", "add_member", "create", "enrol", "enrolled",
           "enrolments_of", "every_program", "get", "in_places", "leave", "link_invite", "member_programs",
           "members_of", "month_facts", "posyandu_of_children", "program_of_invite", "require"]
