"""Measurements (corrections never overwrite: a new row supersedes the old) and the monthly recap."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
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
from storage.models import INDICATORS, Measurement, MeasurementCreate, PosyanduRecap
from storage.repositories.base import AUDIT_SQL, Repository, in_list
from storage.values import month_bounds

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


@dataclass(frozen=True)
class EntryContext:
    """The rows around a new measurement (see `MeasurementRepository.entry_context`)."""

    previous: Measurement | None  # the weighing N/T/O/B is computed against
    same_day: Measurement | None  # the current row of the same date (saving supersedes it)
    latest: Measurement | None  # the child's newest current row (later than the new one: back-dated entry)


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
        await self.db.executemany(_INSERT_SQL, rows)
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

    async def previous_weighing(self, child_id: int, before_date: dt.date, *,
                                include_implausible: bool = False) -> Measurement | None:
        """The latest current measurement with a weight strictly before `before_date` (for N/T/O/B)."""
        cond = "" if include_implausible else " AND implausible = 0"
        row = await self.db.fetchone(
            f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE child_id = ? AND {_CURRENT}"
            f" AND weight_kg IS NOT NULL AND measured_on < ?{cond} ORDER BY measured_on DESC, id DESC LIMIT 1",
            (child_id, before_date.isoformat()),
        )
        return _to_model(row) if row else None

    async def entry_context(self, child_id: int, measured_on: dt.date, weighed_before: dt.date) -> EntryContext:
        """What saving a measurement of `measured_on` needs to know, in one query: the weighing before
        `weighed_before` (as `previous_weighing`), the current row of that date, and the child's newest row."""
        where = f"FROM measurements WHERE child_id = ? AND {_CURRENT}"
        rows = await self.db.fetchall(
            f"SELECT * FROM (SELECT 'previous' AS kind, {_MEASUREMENT_COLS} {where} AND weight_kg IS NOT NULL"
            " AND measured_on < ? AND implausible = 0 ORDER BY measured_on DESC, id DESC LIMIT 1)"
            f" UNION ALL SELECT * FROM (SELECT 'same_day', {_MEASUREMENT_COLS} {where} AND measured_on = ?"
            " ORDER BY id DESC LIMIT 1)"
            f" UNION ALL SELECT * FROM (SELECT 'latest', {_MEASUREMENT_COLS} {where}"
            " ORDER BY measured_on DESC, id DESC LIMIT 1)",
            (child_id, weighed_before.isoformat(), child_id, measured_on.isoformat(), child_id),
        )
        found = {row.pop("kind"): _to_model(row) for row in rows}
        return EntryContext(previous=found.get("previous"), same_day=found.get("same_day"),
                            latest=found.get("latest"))

    async def recent_by_user(self, user_id: int, limit: int = 10) -> list[Measurement]:
        """What a cadre entered most recently (current rows, newest first): for "undo/correct my last"."""
        rows = await self.db.fetchall(
            f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE entered_by = ? AND {_CURRENT}"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (user_id, limit),
        )
        return [_to_model(r) for r in rows]

    async def measured_child_ids(self, posyandu_id: int, month: dt.date) -> set[int]:
        """Ids of the posyandu's children with a current measurement in the month of `month`."""
        start, end = month_bounds(month)
        rows = await self.db.fetchall(
            f"SELECT DISTINCT m.child_id FROM measurements m JOIN children c ON c.id = m.child_id"
            f" WHERE c.posyandu_id = ? AND m.{_CURRENT} AND m.measured_on >= ? AND m.measured_on < ?",
            (posyandu_id, start.isoformat(), end.isoformat()),
        )
        return {int(r["child_id"]) for r in rows}

    async def latest_in_month(self, posyandu_ids: Collection[int], month: dt.date) -> list[Measurement]:
        """Each child's latest current measurement in the month, for the given posyandu (exports, lists)."""
        start, end = month_bounds(month)
        marks, vals = in_list(posyandu_ids)
        cols = ", ".join("m." + c.strip() for c in _MEASUREMENT_COLS.split(","))
        rows = await self.db.fetchall(
            f"""SELECT {cols} FROM (
                    SELECT m.id, ROW_NUMBER() OVER (PARTITION BY m.child_id
                                                    ORDER BY m.measured_on DESC, m.id DESC) AS rn
                    FROM measurements m JOIN children c ON c.id = m.child_id
                    WHERE c.posyandu_id IN ({marks}) AND m.{_CURRENT}
                      AND m.measured_on >= ? AND m.measured_on < ?) x
                JOIN measurements m ON m.id = x.id WHERE x.rn = 1 ORDER BY m.child_id""",
            [*vals, start.isoformat(), end.isoformat()],
        )
        return [_to_model(r) for r in rows]

    # ------------------------------------------------------------ recap

    async def monthly_recap(self, month: dt.date, posyandu_ids: Collection[int] | None = None) -> list[PosyanduRecap]:
        """SKDN counts and prevalences per posyandu for one month, in one aggregate query.

        S counts active children under five at the end of the month. D counts children with a current
        weighing in the month. Everything else comes from each child's latest plausible measurement in the
        month (an implausible one only counts towards D). Posyandu without children give a row of zeros.
        """
        start, end = month_bounds(month)
        last_day = end - dt.timedelta(days=1)
        try:
            five_years_before = last_day.replace(year=last_day.year - 5)
        except ValueError:  # 29 February
            five_years_before = last_day.replace(year=last_day.year - 5, day=28)
        p_filter = c_filter = m_filter = m_join = ""
        p_params: list[object] = []
        if posyandu_ids is not None:
            marks, p_params = in_list(posyandu_ids)
            p_filter = f" AND p.id IN ({marks})"
            c_filter = f" WHERE c.posyandu_id IN ({marks})"
            m_join = " JOIN children c ON c.id = m.child_id"
            m_filter = f" AND c.posyandu_id IN ({marks})"
        sql = f"""
        WITH month_rows AS (
            SELECT m.child_id, m.implausible, m.faltering, m.bgm, m.waz, m.haz, m.whz, m.oedema,
                   MAX(CASE WHEN m.weight_kg IS NOT NULL THEN 1 ELSE 0 END)
                       OVER (PARTITION BY m.child_id) AS weighed,
                   ROW_NUMBER() OVER (PARTITION BY m.child_id
                                      ORDER BY m.implausible, m.measured_on DESC, m.id DESC) AS rn
            FROM measurements m{m_join}
            WHERE m.superseded_by IS NULL AND m.measured_on >= ? AND m.measured_on < ?{m_filter}
        ),
        latest AS (SELECT * FROM month_rows WHERE rn = 1),
        per_child AS (
            SELECT c.posyandu_id,
                   CASE WHEN c.status = 'active' AND c.birth_date > ? AND c.birth_date <= ? THEN 1 ELSE 0 END AS s,
                   COALESCE(l.weighed, 0) AS d,
                   CASE WHEN l.implausible = 0 THEN 1 ELSE 0 END AS ok,
                   l.faltering, l.bgm, l.waz, l.haz, l.whz, l.oedema
            FROM children c LEFT JOIN latest l ON l.child_id = c.id{c_filter}
        )
        SELECT p.id AS posyandu_id, p.name AS posyandu_name, p.area_id,
               COALESCE(SUM(pc.s), 0) AS s,
               COALESCE(SUM(pc.d), 0) AS d,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.faltering = 'N' THEN 1 ELSE 0 END), 0) AS n,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.faltering IN ('T', '2T') THEN 1 ELSE 0 END), 0) AS t,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.faltering = '2T' THEN 1 ELSE 0 END), 0) AS t2,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.faltering = 'O' THEN 1 ELSE 0 END), 0) AS o,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.faltering = 'B' THEN 1 ELSE 0 END), 0) AS b,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.bgm = 1 THEN 1 ELSE 0 END), 0) AS bgm,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.waz IS NOT NULL THEN 1 ELSE 0 END), 0) AS with_waz,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.haz IS NOT NULL THEN 1 ELSE 0 END), 0) AS with_haz,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND (pc.whz IS NOT NULL OR pc.oedema = 1) THEN 1 ELSE 0 END), 0)
                   AS with_whz,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.waz < -2 THEN 1 ELSE 0 END), 0) AS underweight,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.haz < -2 THEN 1 ELSE 0 END), 0) AS stunted,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND (pc.whz < -2 OR pc.oedema = 1) THEN 1 ELSE 0 END), 0) AS wasted,
               COALESCE(SUM(CASE WHEN pc.ok = 1 AND pc.whz > 2 AND pc.oedema = 0 THEN 1 ELSE 0 END), 0)
                   AS overweight
        FROM posyandu p LEFT JOIN per_child pc ON pc.posyandu_id = p.id
        WHERE 1 = 1{p_filter}
        GROUP BY p.id, p.name, p.area_id
        ORDER BY p.name, p.id
        """
        params = [start.isoformat(), end.isoformat(), *p_params, five_years_before.isoformat(),
                  last_day.isoformat(), *p_params, *p_params]
        rows = await self.db.fetchall(sql, params)
        return [PosyanduRecap.model_validate({**r, "month": start}) for r in rows]
