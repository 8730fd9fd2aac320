"""SQL of the services given to children (migration 0070): recording, superseding, reading them per child, per
month and per program, and the deworming months. No rule is decided here (bot.growth.child_services decides).

Portable SQL (`?` placeholders, ON CONFLICT upserts, partial indexes). Records are never updated in place except
for `superseded_by`: a correction is a new row.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from storage.db import Database, Row, execute_sync, fetchone_sync
from storage.errors import MSG_FUTURE_DATE, Conflict, InvalidInput, NotFound
from storage.repositories.base import AUDIT_SQL, in_list
from storage.values import month_bounds, to_db_time

_CHUNK = 400  # bound parameters per statement stay far below SQLite's 999

_COLS = ("id, child_id, kind, code, given_on, given_by, program_id, quantity, unit, override, source, removed,"
         " supersedes_id, superseded_by, created_at")
_INSERT = ("INSERT INTO child_services (child_id, kind, code, given_on, given_by, program_id, quantity, unit,"
           " override, source, removed, supersedes_id, superseded_by, created_at)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) RETURNING id")
CURRENT = "superseded_by IS NULL AND removed = 0"



def N_(s: str) -> str:
    """Marks a msgid for extraction (storage does not import bot.i18n)."""
    return s


MSG_ALREADY_RECORDED = N_("This service is already recorded.")
MSG_RECORD_CHANGED = N_("This record has already been corrected; correct the newest one.")
MSG_RECORD_NOT_FOUND = N_("Record not found.")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ServiceCreate(_Model):
    child_id: int
    kind: str
    code: str
    given_on: dt.date
    given_by: int | None = None
    program_id: int | None = None
    quantity: int | None = None
    unit: str | None = None
    override: str | None = None
    source: str = "chat"


class ServiceRecord(_Model):
    id: int
    child_id: int
    kind: str
    code: str
    given_on: dt.date
    given_by: int | None
    program_id: int | None
    quantity: int | None
    unit: str | None
    override: str | None
    source: str
    removed: bool
    supersedes_id: int | None
    superseded_by: int | None
    created_at: dt.datetime

    @property
    def current(self) -> bool:
        return self.superseded_by is None and not self.removed


def _record(row: Row) -> ServiceRecord:
    return ServiceRecord.model_validate(row)


def _audit(actor_id: int | None, action: str, record_id: int, details: dict[str, Any], now: str) -> tuple[Any, ...]:
    return (actor_id, action, "child_service", str(record_id), json.dumps(details, sort_keys=True), now)


def _params(item: ServiceCreate, removed: bool, supersedes: int | None, now: str) -> tuple[Any, ...]:
    return (item.child_id, item.kind, item.code, item.given_on.isoformat(), item.given_by, item.program_id,
            item.quantity, item.unit, item.override, item.source, int(removed), supersedes, now)


def _insert_sync(conn: sqlite3.Connection, item: ServiceCreate, *, removed: bool = False,
                 supersedes: int | None = None, now: str) -> int:
    row = fetchone_sync(conn, _INSERT, _params(item, removed, supersedes, now))
    assert row is not None
    return int(row["id"])


def _read_sync(conn: sqlite3.Connection, record_id: int) -> ServiceRecord:
    row = fetchone_sync(conn, f"SELECT {_COLS} FROM child_services WHERE id = ?", (record_id,))
    assert row is not None
    return _record(row)


def _check_date(conn: sqlite3.Connection, item: ServiceCreate, today: dt.date) -> None:
    if item.given_on > today + dt.timedelta(days=1):
        raise InvalidInput(MSG_FUTURE_DATE)
    child = fetchone_sync(conn, "SELECT birth_date FROM children WHERE id = ?", (item.child_id,))
    if child is None:
        raise NotFound()


async def add(db: Database, item: ServiceCreate) -> ServiceRecord:
    """Record a service (with its audit row) in one transaction. Conflict when the same dose (or the same capsule or
    tablet that day) is already recorded: the unique indexes make a double tap safe."""
    now = to_db_time(db.now())
    today = db.now().date()

    def work(conn: sqlite3.Connection) -> ServiceRecord:
        _check_date(conn, item, today)
        try:
            rid = _insert_sync(conn, item, now=now)
        except sqlite3.IntegrityError as exc:
            raise Conflict(MSG_ALREADY_RECORDED) from exc
        execute_sync(conn, AUDIT_SQL, _audit(item.given_by, "create", rid, {
            "child_id": item.child_id, "kind": item.kind, "code": item.code, "override": item.override,
            "source": item.source}, now))
        return _read_sync(conn, rid)

    return await db.atomic(work)


async def add_many(db: Database, items: Sequence[ServiceCreate], actor_id: int | None) -> int:
    """Records from an import, all or none (one transaction, one audit row)."""
    now = to_db_time(db.now())

    def work(conn: sqlite3.Connection) -> int:
        for item in items:
            try:
                _insert_sync(conn, item, now=now)
            except sqlite3.IntegrityError as exc:
                raise Conflict(MSG_ALREADY_RECORDED) from exc
        execute_sync(conn, AUDIT_SQL, (actor_id, "import", "child_service", None,
                                       json.dumps({"rows": len(items)}), now))
        return len(items)

    return await db.atomic(work)


async def supersede(db: Database, old_id: int, new: ServiceCreate | None, actor_id: int | None) -> ServiceRecord:
    """Correct a record: `new` replaces it (a new row; the old one stays, superseded), or None removes it (a row
    marked removed supersedes it). Conflict when the record was corrected meanwhile."""
    now = to_db_time(db.now())
    today = db.now().date()

    def work(conn: sqlite3.Connection) -> ServiceRecord:
        row = fetchone_sync(conn, f"SELECT {_COLS} FROM child_services WHERE id = ?", (old_id,))
        if row is None:
            raise NotFound(MSG_RECORD_NOT_FOUND)
        old = _record(row)
        if not old.current:
            raise Conflict(MSG_RECORD_CHANGED)
        # The old row leaves the unique indexes before the new one enters them.
        execute_sync(conn, "UPDATE child_services SET superseded_by = id WHERE id = ?", (old_id,))
        if new is None:
            replacement = ServiceCreate(child_id=old.child_id, kind=old.kind, code=old.code, given_on=old.given_on,
                                        given_by=actor_id, program_id=old.program_id, quantity=old.quantity,
                                        unit=old.unit, override=old.override, source="chat")
            rid = _insert_sync(conn, replacement, removed=True, supersedes=old_id, now=now)
            action = "remove"
        else:
            _check_date(conn, new, today)
            try:
                rid = _insert_sync(conn, new, supersedes=old_id, now=now)
            except sqlite3.IntegrityError as exc:
                raise Conflict(MSG_ALREADY_RECORDED) from exc
            action = "correct"
        execute_sync(conn, "UPDATE child_services SET superseded_by = ? WHERE id = ?", (rid, old_id))
        execute_sync(conn, AUDIT_SQL, _audit(actor_id, action, rid, {"child_id": old.child_id, "supersedes_id": old_id,
                                                                     "kind": old.kind}, now))
        return _read_sync(conn, rid)

    return await db.atomic(work)


async def find(db: Database, record_id: int) -> ServiceRecord | None:
    row = await db.fetchone(f"SELECT {_COLS} FROM child_services WHERE id = ?", (record_id,))
    return _record(row) if row else None


async def current_for(db: Database, child_ids: Collection[int], *, kinds: Collection[str] | None = None
                      ) -> dict[int, list[ServiceRecord]]:
    """Current records of these children, oldest first (every child id has a list)."""
    ids = list(child_ids)
    out: dict[int, list[ServiceRecord]] = {cid: [] for cid in ids}
    kind_sql, kind_vals = "", list[Any]()
    if kinds is not None:
        marks, kind_vals = in_list(kinds)
        kind_sql = f" AND kind IN ({marks})"
    for i in range(0, len(ids), _CHUNK):
        marks, vals = in_list(ids[i:i + _CHUNK])
        rows = await db.fetchall(
            f"SELECT {_COLS} FROM child_services WHERE child_id IN ({marks}) AND {CURRENT}{kind_sql}"
            " ORDER BY child_id, given_on, id", [*vals, *kind_vals])
        for r in rows:
            rec = _record(r)
            out.setdefault(rec.child_id, []).append(rec)
    return out


async def history_for(db: Database, child_id: int) -> list[ServiceRecord]:
    """Every record of the child, corrected and removed ones too, in the order they were written."""
    rows = await db.fetchall(f"SELECT {_COLS} FROM child_services WHERE child_id = ? ORDER BY id",
                             (child_id,))
    return [_record(r) for r in rows]


class MonthServices(_Model):
    """What a child received in a month (the e-PPGBM service columns)."""

    child_id: int
    vitamin_a: int = 0  # capsules
    pmt_deliveries: int = 0
    pmt_days: int = 0
    pmt_packages: int = 0
    doses: tuple[str, ...] = ()  # immunisation codes given in the month, in schedule order of recording
    deworming: int = 0


async def month_services(db: Database, child_ids: Collection[int], month: dt.date) -> dict[int, MonthServices]:
    """Per child: what was given in the calendar month of `month` (current records only)."""
    start, end = month_bounds(month)
    ids = list(child_ids)
    acc: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), _CHUNK):
        marks, vals = in_list(ids[i:i + _CHUNK])
        rows = await db.fetchall(
            f"SELECT child_id, kind, code, quantity, unit FROM child_services WHERE child_id IN ({marks})"
            f" AND {CURRENT} AND given_on >= ? AND given_on < ? ORDER BY child_id, given_on, id",
            [*vals, start.isoformat(), end.isoformat()])
        for r in rows:
            a = acc.setdefault(int(r["child_id"]), {"child_id": int(r["child_id"]), "doses": []})
            kind = r["kind"]
            if kind == "vitamin_a":
                a["vitamin_a"] = a.get("vitamin_a", 0) + 1
            elif kind == "deworming":
                a["deworming"] = a.get("deworming", 0) + 1
            elif kind == "immunisation":
                a["doses"].append(r["code"])
            elif kind == "pmt":
                a["pmt_deliveries"] = a.get("pmt_deliveries", 0) + 1
                if r["unit"] == "packages":
                    a["pmt_packages"] = a.get("pmt_packages", 0) + int(r["quantity"] or 0)
                else:
                    a["pmt_days"] = a.get("pmt_days", 0) + int(r["quantity"] or 0)
    return {cid: MonthServices(**{**a, "doses": tuple(a["doses"])}) for cid, a in acc.items()}


async def program_deliveries(db: Database, program_id: int) -> list[ServiceRecord]:
    """Current deliveries of a program (PMT or other support), oldest first."""
    rows = await db.fetchall(
        f"SELECT {_COLS} FROM child_services WHERE program_id = ? AND {CURRENT} ORDER BY given_on, id",
        (program_id,))
    return [_record(r) for r in rows]


# ------------------------------------------------------------------ deworming months


async def deworming_rounds(db: Database, year: int) -> dict[int | None, tuple[int, ...]]:
    """The year's deworming months by area (None: for every area), as set."""
    rows = await db.fetchall("SELECT area_id, months FROM deworming_rounds WHERE year = ?", (year,))
    return {r["area_id"]: tuple(int(m) for m in str(r["months"]).split(",") if m) for r in rows}


async def set_deworming_rounds(db: Database, year: int, area_id: int | None, months: Sequence[int] | None, *,
                               actor_id: int | None = None) -> None:
    """Set (or with None, clear) the deworming months of a year for an area or for everyone."""
    now = to_db_time(db.now())
    where = "area_id IS NULL" if area_id is None else "area_id = ?"
    params: list[Any] = [year] if area_id is None else [year, area_id]
    async with db.transaction():
        await db.execute(f"DELETE FROM deworming_rounds WHERE year = ? AND {where}", params)
        if months is not None:
            await db.execute("INSERT INTO deworming_rounds (year, area_id, months, changed_by, changed_at)"
                             " VALUES (?, ?, ?, ?, ?)",
                             (year, area_id, ",".join(str(m) for m in months), actor_id, now))
        await db.execute(AUDIT_SQL, (actor_id, "set_deworming_months", "deworming_rounds", str(year),
                                     json.dumps({"area_id": area_id, "months": list(months or [])}), now))


__all__ = ["CURRENT", "MonthServices", "ServiceCreate", "ServiceRecord", "add", "add_many", "current_for",
           "deworming_rounds", "find", "history_for", "month_services", "program_deliveries",
           "set_deworming_rounds", "supersede"]
