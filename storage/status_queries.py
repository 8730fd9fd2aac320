"""SQL of the children's monthly status (migration 0060): writing what bot.growth.status decided, and the
lists, counts and exports that read it.

The decisions themselves are never made here: a row says what the status function said, and every query
below only selects and counts those rows. Portable SQL (window functions, ON CONFLICT upserts).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from storage import recap_summary as summary
from storage.db import Database, Row, execute_sync, fetchone_sync
from storage.models import Child, Measurement
from storage.repositories.base import in_list
from storage.repositories.children import CHILD_COLS
from storage.repositories.measurements import _MEASUREMENT_COLS
from storage.repositories.measurements import _to_model as _measurement
from storage.values import month_bounds

UNDER_FIVE_DAYS = summary.UNDER_FIVE_DAYS

_STATUS_COLS = (
    "child_id, month, measurement_id, measured_on, age_days, visits, remeasure, weighed, weighing, gain_g, bgm,"
    " waz, haz, whz, muac_cm, oedema, has_waz, has_haz, has_whz, underweight, stunted, severely_stunted, wasted,"
    " severely_wasted, overweight, reasons, refer, urgent, rules"
)
_STATUS_NAMES = [c.strip() for c in _STATUS_COLS.split(",")]
_INSERT_STATUS = f"INSERT INTO child_month_status ({_STATUS_COLS}) VALUES ({', '.join('?' * len(_STATUS_NAMES))})"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class StatusRow(_Model):
    """One child's month as the status function decided it."""

    child_id: int
    month: dt.date
    measurement_id: int | None = None
    measured_on: dt.date | None = None
    age_days: int | None = None
    visits: int = 0
    remeasure: bool = False
    weighed: bool = False
    weighing: str | None = None  # N, T, 2T, O, B, '-'
    gain_g: int | None = None
    bgm: bool = False
    waz: float | None = None
    haz: float | None = None
    whz: float | None = None
    muac_cm: float | None = None
    oedema: bool = False
    has_waz: bool = False
    has_haz: bool = False
    has_whz: bool = False
    underweight: bool = False
    stunted: bool = False
    severely_stunted: bool = False
    wasted: bool = False
    severely_wasted: bool = False
    overweight: bool = False
    reasons: tuple[str, ...] = ()
    refer: bool = False
    urgent: bool = False
    rules: int = 0

    @property
    def counted(self) -> bool:
        return self.measurement_id is not None


def _status_from(row: Row, prefix: str = "") -> StatusRow | None:
    values = {name: row.get(prefix + name) for name in _STATUS_NAMES}
    if values["child_id"] is None:
        return None
    values["reasons"] = tuple(r for r in str(values["reasons"] or "").split(",") if r)
    return StatusRow.model_validate(values)


def _params(s: StatusRow) -> tuple[Any, ...]:
    out: list[Any] = []
    for name in _STATUS_NAMES:
        value = getattr(s, name)
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif name == "reasons":
            value = ",".join(value)
        out.append(value)
    return tuple(out)


# ------------------------------------------------------------------ what needs deciding


class DirtyChild(_Model):
    child_id: int
    version: int
    facts: bool


async def dirty_children(db: Database, limit: int = 500, *, posyandu_ids: Collection[int] | None = None
                         ) -> list[DirtyChild]:
    """Children waiting to be decided (of these posyandu only, when given)."""
    if posyandu_ids is None:
        rows = await db.fetchall("SELECT child_id, version, facts FROM status_dirty ORDER BY child_id LIMIT ?",
                                 (limit,))
    else:
        marks, ids = in_list(posyandu_ids)
        rows = await db.fetchall(
            f"SELECT d.child_id, d.version, d.facts FROM status_dirty d JOIN children c ON c.id = d.child_id"
            f" WHERE c.posyandu_id IN ({marks}) ORDER BY d.child_id LIMIT ?", [*ids, limit])
    return [DirtyChild.model_validate(r) for r in rows]


async def any_dirty(db: Database) -> bool:
    """Whether any child waits to be decided (usually none: readers then skip looking for their area's)."""
    return await db.fetchone("SELECT child_id FROM status_dirty LIMIT 1") is not None


async def dirty_version(db: Database, child_id: int) -> DirtyChild | None:
    row = await db.fetchone("SELECT child_id, version, facts FROM status_dirty WHERE child_id = ?", (child_id,))
    return DirtyChild.model_validate(row) if row else None


async def mark_all_dirty(db: Database, *, facts: bool = False) -> int:
    """Every child with a measurement is decided again (new rules; `facts`: z-scores too): how many were marked."""
    return await db.execute(
        "INSERT INTO status_dirty (child_id, version, facts) SELECT DISTINCT child_id, 1, ? FROM measurements"
        " WHERE true ON CONFLICT (child_id) DO UPDATE SET version = status_dirty.version + 1,"
        " facts = MAX(status_dirty.facts, excluded.facts)", (int(facts),))


async def rules_version(db: Database) -> int | None:
    value = await db.fetchval("SELECT value FROM status_meta WHERE key = 'rules'")
    return int(value) if value is not None else None


async def set_rules_version(db: Database, version: int) -> None:
    await db.execute("INSERT INTO status_meta (key, value) VALUES ('rules', ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(version),))


class RefreshInput(_Model):
    """What deciding one child's status needs, read in one hop: its dirty-list entry and its history."""

    dirty: DirtyChild | None
    history: list[Measurement]


async def refresh_input(db: Database, child_id: int) -> RefreshInput:
    """The child's dirty-list entry (None: not on it) and current measurements, oldest first, read together."""

    def work(conn: sqlite3.Connection) -> RefreshInput:
        dirty = fetchone_sync(conn, "SELECT child_id, version, facts FROM status_dirty WHERE child_id = ?",
                              (child_id,))
        cur = conn.execute(f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE child_id = ? AND superseded_by IS"
                           " NULL ORDER BY measured_on, id", (child_id,))
        try:
            history = [_measurement(dict(r)) for r in cur.fetchall()]
        finally:
            cur.close()
        return RefreshInput(dirty=DirtyChild.model_validate(dirty) if dirty else None, history=history)

    return await db.atomic(work)


async def histories(db: Database, child_ids: Collection[int]) -> dict[int, list[Measurement]]:
    """Current measurements of these children, oldest first (one query)."""
    marks, ids = in_list(child_ids)
    rows = await db.fetchall(
        f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE child_id IN ({marks}) AND superseded_by IS NULL"
        " ORDER BY child_id, measured_on, id", ids)
    out: dict[int, list[Measurement]] = {cid: [] for cid in ids}
    for r in rows:
        m = _measurement(r)
        out.setdefault(m.child_id, []).append(m)
    return out


class ScoresUpdate(_Model):
    """New derived values of a stored measurement (its raw values never change): after the child's sex or birth
    date changed, or when the rules that judge it changed."""

    measurement_id: int
    age_days: int
    z: dict[str, float | None]  # waz, haz, whz, bmiz, hcz, muacz
    categories: dict[str, str | None]  # cat_waz, ...
    flags: tuple[str, ...]
    implausible: bool
    faltering: str | None
    bgm: bool


def _update_scores_sync(conn: sqlite3.Connection, u: ScoresUpdate) -> None:
    sets = ["age_days = ?", "flags = ?", "implausible = ?", "faltering = ?", "bgm = ?"]
    params: list[Any] = [u.age_days, json.dumps(list(u.flags)), int(u.implausible), u.faltering, int(u.bgm)]
    for col, value in [*u.z.items(), *u.categories.items()]:
        sets.append(f"{col} = ?")
        params.append(value)
    execute_sync(conn, f"UPDATE measurements SET {', '.join(sets)} WHERE id = ?", [*params, u.measurement_id])


class ChildDecision(_Model):
    """What deciding one child produced: its month rows, changed derived values, and the dirty-list version the
    history was read at (None: the child was not on the list)."""

    child_id: int
    rows: tuple[StatusRow, ...]
    version: int | None
    updates: tuple[ScoresUpdate, ...] = ()


def _write_sync(conn: sqlite3.Connection, d: ChildDecision) -> bool:
    # The posyandu's kept recap counts change by the difference between the old rows and the new, in this
    # transaction (the child's facts, hence its S, are the same before and after).
    facts, old_rows = summary.read_sync(conn, [d.child_id])
    new_rows = [_params(s) for s in d.rows]
    execute_sync(conn, "DELETE FROM child_month_status WHERE child_id = ?", (d.child_id,))
    for params in new_rows:
        execute_sync(conn, _INSERT_STATUS, params)
    summary.apply_sync(conn, summary.share_of(facts, {d.child_id: [dict(zip(_STATUS_NAMES, p, strict=True))
                                                                  for p in new_rows]}, s=False),
                       summary.share_of(facts, old_rows, s=False))
    for u in d.updates:
        _update_scores_sync(conn, u)
    if d.version is None:
        return fetchone_sync(conn, "SELECT version FROM status_dirty WHERE child_id = ?", (d.child_id,)) is None
    return execute_sync(conn, "DELETE FROM status_dirty WHERE child_id = ? AND version = ?",
                        (d.child_id, d.version)) == 1


async def write_decisions(db: Database, decisions: Sequence[ChildDecision]) -> list[bool]:
    """Replace each child's month rows (and the derived values of changed measurements) in one transaction, and
    take it off the dirty list unless it changed again meanwhile. Per child: False when a newer change keeps it
    dirty (the next reader decides it again)."""

    def work(conn: sqlite3.Connection) -> list[bool]:
        return [_write_sync(conn, d) for d in decisions]

    return await db.atomic(work)


async def write_child_status(db: Database, child_id: int, rows: Sequence[StatusRow], *, version: int | None,
                             updates: Sequence[ScoresUpdate] = ()) -> bool:
    """`write_decisions` for one child."""
    done = await write_decisions(db, [ChildDecision.model_construct(child_id=child_id, rows=tuple(rows),
                                                                    version=version, updates=tuple(updates))])
    return done[0]


async def child_status_rows(db: Database, child_id: int) -> list[StatusRow]:
    rows = await db.fetchall(f"SELECT {_STATUS_COLS} FROM child_month_status WHERE child_id = ? ORDER BY month",
                             (child_id,))
    return [s for r in rows if (s := _status_from(r)) is not None]


# ------------------------------------------------------------------ counts (SKDN, prevalence, follow-up)


class PosyanduCounts(_Model):
    """One posyandu's month, counted from the children's status rows (bot.services.recap aggregates them)."""

    posyandu_id: int
    s: int = 0  # active under-fives registered
    d: int = 0  # of them, with a valid weighing this month
    n: int = 0  # weight went up (N)
    t: int = 0  # did not go up (T, 2T included)
    t2: int = 0  # second T in a row
    o: int = 0  # no weighing about a month before
    b: int = 0  # first weighing
    too_soon: int = 0  # weighed again fewer than 21 days after the last weighing: not judged
    bgm: int = 0  # below the red line (WAZ < -3)
    remeasure: int = 0  # measured, but only with values WHO calls implausible: not counted anywhere else
    with_waz: int = 0  # prevalence denominators (valid z-scores)
    with_haz: int = 0
    with_whz: int = 0
    underweight: int = 0
    stunted: int = 0
    severe_stunted: int = 0
    wasted: int = 0
    severe_wasted: int = 0
    overweight: int = 0
    refer: int = 0  # children told to go to the puskesmas (every refer reason of the status function)
    urgent: int = 0  # of them, today (oedema, WHZ < -3, LiLA < 11,5 cm)


_ZERO_COUNTS = PosyanduCounts(posyandu_id=0)


def _under_five_bounds(month: dt.date) -> tuple[str, str, str, str]:
    start, end = month_bounds(month)
    oldest_birth = start - dt.timedelta(days=UNDER_FIVE_DAYS)
    return start.isoformat(), end.isoformat(), oldest_birth.isoformat(), end.isoformat()


async def month_counts(db: Database, posyandu_ids: Collection[int], month: dt.date) -> dict[int, PosyanduCounts]:
    """SKDN and prevalence counts per posyandu for the calendar month of `month`, read from the counts kept per
    posyandu and month (storage.recap_summary: one row per posyandu, equal to `recount_month_counts`)."""
    if not summary.kept(month):
        return await recount_month_counts(db, posyandu_ids, month)
    found = await summary.month_rows(db, posyandu_ids, month)
    # Integers from our own table, named as the fields: copied into a zero row without validation (a third of
    # model_construct's time, which dominated a province's recap).
    return {pid: _ZERO_COUNTS.model_copy(update=found.get(pid) or {"posyandu_id": pid}) for pid in posyandu_ids}


async def month_total(db: Database, posyandu_ids: Collection[int], month: dt.date) -> PosyanduCounts:
    """The counts of these posyandu together (`posyandu_id` 0), summed in the database: an area's comparison month
    needs no row per posyandu."""
    if not summary.kept(month):
        found = await recount_month_counts(db, posyandu_ids, month)
        totals = {f: sum(getattr(c, f) for c in found.values()) for f in summary.COUNT_FIELDS}
    else:
        totals = await summary.month_totals(db, posyandu_ids, month)
    return _ZERO_COUNTS.model_copy(update=totals)


async def recount_month_counts(db: Database, posyandu_ids: Collection[int], month: dt.date
                               ) -> dict[int, PosyanduCounts]:
    """SKDN and prevalence counts per posyandu for the calendar month of `month`, counted from every child.

    S: active children under five at some point of the month. D and everything after it: of them, the ones
    whose month has a counted (valid) visit, as the status rows say. D counts children, not weighings.
    """
    start, _end, oldest_birth, end = _under_five_bounds(month)
    marks, ids = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"""SELECT c.posyandu_id,
                   COUNT(*) AS s,
                   SUM(CASE WHEN s.weighed = 1 THEN 1 ELSE 0 END) AS d,
                   SUM(CASE WHEN s.weighing = 'N' THEN 1 ELSE 0 END) AS n,
                   SUM(CASE WHEN s.weighing IN ('T', '2T') THEN 1 ELSE 0 END) AS t,
                   SUM(CASE WHEN s.weighing = '2T' THEN 1 ELSE 0 END) AS t2,
                   SUM(CASE WHEN s.weighing = 'O' THEN 1 ELSE 0 END) AS o,
                   SUM(CASE WHEN s.weighing = 'B' THEN 1 ELSE 0 END) AS b,
                   SUM(CASE WHEN s.weighing = '-' THEN 1 ELSE 0 END) AS too_soon,
                   SUM(CASE WHEN s.bgm = 1 THEN 1 ELSE 0 END) AS bgm,
                   SUM(CASE WHEN s.measurement_id IS NULL AND s.remeasure = 1 THEN 1 ELSE 0 END) AS remeasure,
                   SUM(CASE WHEN s.has_waz = 1 THEN 1 ELSE 0 END) AS with_waz,
                   SUM(CASE WHEN s.has_haz = 1 THEN 1 ELSE 0 END) AS with_haz,
                   SUM(CASE WHEN s.has_whz = 1 THEN 1 ELSE 0 END) AS with_whz,
                   SUM(CASE WHEN s.underweight = 1 THEN 1 ELSE 0 END) AS underweight,
                   SUM(CASE WHEN s.stunted = 1 THEN 1 ELSE 0 END) AS stunted,
                   SUM(CASE WHEN s.severely_stunted = 1 THEN 1 ELSE 0 END) AS severe_stunted,
                   SUM(CASE WHEN s.wasted = 1 THEN 1 ELSE 0 END) AS wasted,
                   SUM(CASE WHEN s.severely_wasted = 1 THEN 1 ELSE 0 END) AS severe_wasted,
                   SUM(CASE WHEN s.overweight = 1 THEN 1 ELSE 0 END) AS overweight,
                   SUM(CASE WHEN s.refer = 1 THEN 1 ELSE 0 END) AS refer,
                   SUM(CASE WHEN s.urgent = 1 THEN 1 ELSE 0 END) AS urgent
            FROM children c
            LEFT JOIN child_month_status s ON s.child_id = c.id AND s.month = ?
            WHERE c.posyandu_id IN ({marks}) AND c.status = 'active' AND c.birth_date < ? AND c.birth_date > ?
            GROUP BY c.posyandu_id""",
        [start, *ids, end, oldest_birth],
    )
    out = {pid: PosyanduCounts(posyandu_id=pid) for pid in ids}
    for row in rows:
        pid = int(row["posyandu_id"])
        out[pid] = PosyanduCounts(**{k: int(v or 0) for k, v in row.items()})
    return out


# ------------------------------------------------------------------ a posyandu's month, child by child


class ChildMonth(_Model):
    """A child of the posyandu with the month's status row (None: not measured this month)."""

    child: Child
    status: StatusRow | None

    @property
    def measured(self) -> bool:
        return self.status is not None

    @property
    def counted(self) -> bool:
        return self.status is not None and self.status.counted


_C_COLS = ", ".join("c." + c.strip() for c in CHILD_COLS.split(","))
_S_COLS = ", ".join(f"s.{c} AS s_{c}" for c in _STATUS_NAMES)


async def month_page(db: Database, posyandu_ids: Sequence[int], month: dt.date, *, offset: int = 0,
                     limit: int = 10, unmeasured_first: bool = False) -> list[ChildMonth]:
    """One page of the posyandu's active children with their status row of the month (by name)."""
    marks, vals = in_list(posyandu_ids)
    order = "CASE WHEN s.child_id IS NULL THEN 0 ELSE 1 END, " if unmeasured_first else ""
    rows = await db.fetchall(
        f"""SELECT {_C_COLS}, {_S_COLS} FROM children c
            LEFT JOIN child_month_status s ON s.child_id = c.id AND s.month = ?
            WHERE c.posyandu_id IN ({marks}) AND c.status = 'active'
            ORDER BY {order}c.name_key, c.id LIMIT ? OFFSET ?""",
        [month.replace(day=1).isoformat(), *vals, limit, offset],
    )
    out = []
    for r in rows:
        status = _status_from(r, "s_")
        child = Child.model_validate({k: v for k, v in r.items() if not k.startswith("s_")})
        out.append(ChildMonth(child=child, status=status))
    return out


class PageCounts(_Model):
    total: int
    measured: int  # a valid visit counts this month
    follow_up: int  # of them, told to go to the puskesmas
    remeasure: int  # the month's latest visit is "perlu ukur ulang"


async def page_counts(db: Database, posyandu_ids: Sequence[int], month: dt.date) -> PageCounts:
    marks, vals = in_list(posyandu_ids)
    row = await db.fetchone(
        f"""SELECT COUNT(*) AS total,
                   COALESCE(SUM(CASE WHEN s.measurement_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS measured,
                   COALESCE(SUM(CASE WHEN s.refer = 1 THEN 1 ELSE 0 END), 0) AS follow_up,
                   COALESCE(SUM(CASE WHEN s.remeasure = 1 THEN 1 ELSE 0 END), 0) AS remeasure
            FROM children c LEFT JOIN child_month_status s ON s.child_id = c.id AND s.month = ?
            WHERE c.posyandu_id IN ({marks}) AND c.status = 'active'""",
        [month.replace(day=1).isoformat(), *vals],
    )
    assert row is not None
    return PageCounts.model_validate(row)


# ------------------------------------------------------------------ follow-up


class FollowUpRow(_Model):
    child: Child
    status: StatusRow | None  # the latest month with a counted visit in the look-back window
    entered_by: int | None  # who entered that visit


def follow_up_sql(posyandu_ids: Collection[int], today: dt.date, *, look_back_days: int = 365,
                  stale_after_days: int | None = None) -> tuple[str, list[Any]]:
    """The query of `follow_up_rows` (separate, so tests and benchmarks can EXPLAIN it). It starts from the
    posyandu's active children (index children_posyandu) and reads their months by the primary key (child_id,
    month) of child_month_status: one posyandu's list never reads another posyandu's rows."""
    marks, ids = in_list(posyandu_ids)
    since = (today - dt.timedelta(days=look_back_days)).replace(day=1)
    oldest_birth = today - dt.timedelta(days=UNDER_FIVE_DAYS)
    prefilter, extra = "", []
    if stale_after_days is not None:
        prefilter = "AND (l.child_id IS NULL OR l.refer = 1 OR l.measured_on < ?)"
        extra = [(today - dt.timedelta(days=stale_after_days)).isoformat()]
    sql = f"""WITH latest AS (
                SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.child_id ORDER BY s.month DESC) AS rn
                FROM children c JOIN child_month_status s ON s.child_id = c.id
                WHERE s.measurement_id IS NOT NULL AND s.month >= ? AND s.measured_on <= ?
                  AND c.posyandu_id IN ({marks}) AND c.status = 'active')
            SELECT {_C_COLS}, {", ".join(f"l.{c} AS s_{c}" for c in _STATUS_NAMES)}, m.entered_by AS m_entered_by
            FROM children c LEFT JOIN latest l ON l.child_id = c.id AND l.rn = 1
            LEFT JOIN measurements m ON m.id = l.measurement_id
            WHERE c.posyandu_id IN ({marks}) AND c.status = 'active' AND c.birth_date > ? {prefilter}
            ORDER BY c.posyandu_id, c.name_key, c.id"""
    return sql, [since.isoformat(), today.isoformat(), *ids, *ids, oldest_birth.isoformat(), *extra]


async def follow_up_rows(db: Database, posyandu_ids: Collection[int], today: dt.date, *, look_back_days: int = 365,
                         stale_after_days: int | None = None) -> list[FollowUpRow]:
    """Active under-fives of these posyandu with their latest counted month of the past year.

    With `stale_after_days`, only children who may need action come back: a refer reason in that month, or no
    counted visit for that many days (a superset of the service's rules; it spares building the other rows).
    """
    rows = await db.fetchall(*follow_up_sql(posyandu_ids, today, look_back_days=look_back_days,
                                            stale_after_days=stale_after_days))
    out = []
    for r in rows:
        status = _status_from(r, "s_")
        entered_by = r.pop("m_entered_by")
        child = Child.model_validate({k: v for k, v in r.items() if not k.startswith("s_")})
        out.append(FollowUpRow(child=child, status=status, entered_by=entered_by))
    return out


# ------------------------------------------------------------------ exports


def counted_in_month_sql(posyandu_ids: Collection[int], month: dt.date) -> tuple[str, list[Any]]:
    """The query of `counted_in_month`: from the posyandu's children (index children_posyandu) to their month's row
    by the primary key (child_id, month), then the visit by its id. (CROSS JOIN keeps SQLite from starting at the
    month index, which holds every child of the country in that month; PostgreSQL plans it as an inner join.)"""
    marks, ids = in_list(posyandu_ids)
    cols = ", ".join("m." + c.strip() for c in _MEASUREMENT_COLS.split(","))
    sql = f"""SELECT {cols}, {_S_COLS} FROM children c
              CROSS JOIN child_month_status s
              JOIN measurements m ON m.id = s.measurement_id
              WHERE s.child_id = c.id AND s.month = ? AND c.posyandu_id IN ({marks})
              ORDER BY m.child_id"""
    return sql, [month.replace(day=1).isoformat(), *ids]


async def counted_in_month(db: Database, posyandu_ids: Collection[int], month: dt.date
                           ) -> list[tuple[Measurement, StatusRow]]:
    """The visit that counts for each child of these posyandu in the month, with its status row."""
    rows = await db.fetchall(*counted_in_month_sql(posyandu_ids, month))
    out = []
    for r in rows:
        status = _status_from(r, "s_")
        assert status is not None
        out.append((_measurement({k: v for k, v in r.items() if not k.startswith("s_")}), status))
    return out


__all__ = [
    "ChildDecision", "ChildMonth", "DirtyChild", "FollowUpRow", "PageCounts", "PosyanduCounts", "RefreshInput",
    "ScoresUpdate", "StatusRow", "any_dirty", "child_status_rows", "counted_in_month", "counted_in_month_sql",
    "dirty_children", "dirty_version", "follow_up_rows", "follow_up_sql", "histories", "mark_all_dirty",
    "month_counts", "month_page", "month_total", "page_counts", "recount_month_counts", "refresh_input",
    "rules_version", "set_rules_version", "write_child_status", "write_decisions",
]
