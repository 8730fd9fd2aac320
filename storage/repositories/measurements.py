"""Measurements (corrections never overwrite: a new row supersedes the old) and the monthly recap."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from storage.db import Row, execute_sync, fetchone_sync
from storage.errors import (
    MSG_ALREADY_CORRECTED,
    MSG_BEFORE_BIRTH,
    MSG_CHILD_NOT_FOUND,
    MSG_FUTURE_DATE,
    MSG_MEASUREMENT_NOT_FOUND,
    Conflict,
    InvalidInput,
    NotFound,
)
from storage.models import INDICATORS, Measurement, MeasurementCreate
from storage.repositories.base import AUDIT_SQL, MARK_DIRTY_SQL, Repository

_MEASUREMENT_COLS = (
    "id, child_id, measured_on, age_days, weight_kg, length_cm, position, oedema, head_cm, muac_cm, entered_by,"
    " waz, haz, whz, bmiz, hcz, muacz, flags, implausible, cat_waz, cat_haz, cat_whz, cat_bmiz, cat_hcz, cat_muacz,"
    " faltering, bgm, note, supersedes_id, superseded_by, created_at"
)
_INSERT_COLS = (
    "child_id, measured_on, age_days, weight_kg, length_cm, position, oedema, head_cm, muac_cm, entered_by,"
    " waz, haz, whz, bmiz, hcz, muacz, flags, implausible, cat_waz, cat_haz, cat_whz, cat_bmiz, cat_hcz, cat_muacz,"
    " faltering, bgm, note, supersedes_id, superseded_by, created_at"
)
_INSERT_SQL = f"INSERT INTO measurements ({_INSERT_COLS}) VALUES ({', '.join('?' * 30)})"
_CURRENT = "superseded_by IS NULL"


def _read_back_sync(conn: sqlite3.Connection, measurement_id: int) -> Row:
    """Inside `Database.atomic` work: the row just written, as `find_by_id` would read it."""
    row = fetchone_sync(conn, f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE id = ?", (measurement_id,))
    assert row is not None
    return row


def _to_model(row: dict[str, Any]) -> Measurement:
    row["flags"] = tuple(json.loads(row["flags"] or "[]"))
    row["categories"] = {ind: row.pop(f"cat_{ind}") for ind in INDICATORS if row.get(f"cat_{ind}") is not None}
    for ind in INDICATORS:
        row.pop(f"cat_{ind}", None)
    return Measurement.model_validate(row)


class MeasurementRepository(Repository):
    # ------------------------------------------------------------ writes

    def _row(self, m: MeasurementCreate, age_days: int, supersedes_id: int | None, now: str) -> tuple[object, ...]:
        return (
            m.child_id, m.measured_on.isoformat(), age_days, m.weight_kg, m.length_cm,
            m.position.value if m.position else None, int(m.oedema), m.head_cm, m.muac_cm, m.entered_by,
            m.waz, m.haz, m.whz, m.bmiz, m.hcz, m.muacz, json.dumps(list(m.flags)), int(bool(m.implausible)),
            *(m.categories.get(ind) for ind in INDICATORS),
            m.faltering.value if m.faltering else None, int(m.bgm), m.note, supersedes_id, None, now,
        )

    def _age_days(self, m: MeasurementCreate, birth_date: str | None) -> int:
        """The age at measurement, or the reason there is none (raised inside the saving transaction)."""
        if m.measured_on > self.db.now().date() + dt.timedelta(days=1):
            raise InvalidInput(MSG_FUTURE_DATE)
        if birth_date is None:
            raise NotFound(MSG_CHILD_NOT_FOUND)
        age = (m.measured_on - dt.date.fromisoformat(birth_date)).days
        if age < 0:
            raise InvalidInput(MSG_BEFORE_BIRTH)
        return m.age_days if m.age_days is not None else age

    def _insert_sync(self, conn: sqlite3.Connection, m: MeasurementCreate, supersedes_id: int | None,
                     now: str) -> int:
        """Inside `Database.atomic` work: check the age against the stored birth date, insert, return the id."""
        birth = fetchone_sync(conn, "SELECT birth_date FROM children WHERE id = ?", (m.child_id,))
        age = self._age_days(m, birth["birth_date"] if birth else None)
        inserted = fetchone_sync(conn, _INSERT_SQL + " RETURNING id", self._row(m, age, supersedes_id, now))
        assert inserted is not None
        return int(inserted["id"])

    async def add(self, m: MeasurementCreate) -> Measurement:
        """Save a measurement (with the growth engine's results) and return it.

        Checks, insert, audit row and read-back run as one transaction in one hop to the database thread
        (`Database.atomic`): this is the hot path of a posyandu morning.
        """
        now = self._now()

        def work(conn: sqlite3.Connection) -> Row:
            mid = self._insert_sync(conn, m, None, now)
            execute_sync(conn, MARK_DIRTY_SQL, (m.child_id, 0))
            execute_sync(conn, AUDIT_SQL, self._audit_params(m.entered_by, "create", "measurement", mid,
                                                             {"child_id": m.child_id}))
            return _read_back_sync(conn, mid)

        return _to_model(await self.db.atomic(work))

    async def add_many(self, items: Sequence[MeasurementCreate]) -> int:
        """Bulk insert in one transaction (imports, simulations, benchmarks); `age_days` must be given."""
        now = self._now()
        rows = []
        for m in items:
            if m.age_days is None:
                raise ValueError("add_many needs age_days")
            rows.append(self._row(m, m.age_days, None, now))
        async with self.db.transaction():
            await self.db.executemany(_INSERT_SQL, rows)
            await self.db.executemany(MARK_DIRTY_SQL, [(child_id, 0) for child_id in {m.child_id for m in items}])
        return len(rows)

    async def correct(self, old_id: int, new: MeasurementCreate) -> Measurement:
        """Save `new` as the correction of measurement `old_id`: the old row stays, marked superseded.

        Raises Conflict if `old_id` was already corrected (correct the newest row instead).
        """
        now = self._now()

        def work(conn: sqlite3.Connection) -> Row:
            old = fetchone_sync(conn, "SELECT child_id, superseded_by FROM measurements WHERE id = ?", (old_id,))
            if old is None or old["child_id"] != new.child_id:
                raise NotFound(MSG_MEASUREMENT_NOT_FOUND)
            if old["superseded_by"] is not None:
                raise Conflict(MSG_ALREADY_CORRECTED)
            mid = self._insert_sync(conn, new, old_id, now)
            changed = execute_sync(conn, "UPDATE measurements SET superseded_by = ? WHERE id = ? AND superseded_by "
                                         "IS NULL", (mid, old_id))
            if changed != 1:
                raise Conflict(MSG_ALREADY_CORRECTED)
            execute_sync(conn, MARK_DIRTY_SQL, (new.child_id, 0))
            execute_sync(conn, AUDIT_SQL, self._audit_params(new.entered_by, "correct", "measurement", mid,
                                                             {"child_id": new.child_id, "supersedes_id": old_id}))
            return _read_back_sync(conn, mid)

        return _to_model(await self.db.atomic(work))

    # ------------------------------------------------------------ reads

    async def find_by_id(self, measurement_id: int) -> Measurement | None:
        row = await self.db.fetchone(f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE id = ?", (measurement_id,))
        return _to_model(row) if row else None

    async def get(self, measurement_id: int) -> Measurement:
        m = await self.find_by_id(measurement_id)
        if m is None:
            raise NotFound(MSG_MEASUREMENT_NOT_FOUND)
        return m

    async def latest_for_child(self, child_id: int) -> Measurement | None:
        """The most recent current measurement (by date, then by entry)."""
        row = await self.db.fetchone(
            f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE child_id = ? AND {_CURRENT}"
            " ORDER BY measured_on DESC, id DESC LIMIT 1",
            (child_id,),
        )
        return _to_model(row) if row else None

    async def history_for_child(self, child_id: int, *, include_superseded: bool = False) -> list[Measurement]:
        """Current measurements, oldest first (with `include_superseded`, the corrected rows too)."""
        cond = "" if include_superseded else f" AND {_CURRENT}"
        rows = await self.db.fetchall(
            f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE child_id = ?{cond} ORDER BY measured_on, id",
            (child_id,),
        )
        return [_to_model(r) for r in rows]

    async def recent_by_user(self, user_id: int, limit: int = 10) -> list[Measurement]:
        """What a cadre entered most recently (current rows, newest first): for "undo/correct my last"."""
        rows = await self.db.fetchall(
            f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE entered_by = ? AND {_CURRENT}"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (user_id, limit),
        )
        return [_to_model(r) for r in rows]
