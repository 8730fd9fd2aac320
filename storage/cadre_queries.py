"""Queries of the cadre journey that the shared repositories do not have: a posyandu's month at a glance, and
re-deriving the weighing status (N/T/O/B/2T) of later measurements after a back-dated entry.

One query per screen (the list a cadre pages through at a busy posyandu must not cost a query per child).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from storage.db import Database
from storage.models import Child, Measurement
from storage.repositories.base import in_list
from storage.repositories.children import CHILD_COLS
from storage.repositories.measurements import _CURRENT, _MEASUREMENT_COLS
from storage.repositories.measurements import _to_model as _measurement
from storage.values import month_bounds

_C_COLS = ", ".join("c." + c.strip() for c in CHILD_COLS.split(","))


@dataclass(frozen=True)
class ChildMonth:
    """A child with this month's state: measured or not, and whether the latest entry needs follow-up."""

    child: Child
    measurement_id: int | None
    measured_on: dt.date | None
    faltering: str | None
    red_flag: bool

    @property
    def measured(self) -> bool:
        return self.measurement_id is not None


# A latest entry "needs follow-up" when it is implausible, 2T/T, below the red line, or any indicator < -2
# (or WHZ > +3, oedema). Written in SQL so the page and the counts come from one statement.
_RED_FLAG_SQL = (
    "(m.implausible = 1 OR m.bgm = 1 OR m.oedema = 1 OR m.faltering IN ('T', '2T')"
    " OR m.waz < -2 OR m.haz < -2 OR m.whz < -2 OR m.whz > 3"
    " OR m.cat_muacz IN ('muac_severe', 'muac_moderate'))"
)


async def month_overview(db: Database, posyandu_ids: Sequence[int], month: dt.date, *, offset: int = 0,
                         limit: int = 10, unmeasured_first: bool = False) -> list[ChildMonth]:
    """One page of the active children of the posyandu with their latest current measurement of the month."""
    start, end = month_bounds(month)
    marks, vals = in_list(posyandu_ids)
    order = "CASE WHEN x.mid IS NULL THEN 0 ELSE 1 END, " if unmeasured_first else ""
    rows = await db.fetchall(
        f"""SELECT {_C_COLS}, x.mid AS m_id, m.measured_on AS m_on, m.faltering AS m_faltering,
                   CASE WHEN x.mid IS NULL THEN 0 WHEN {_RED_FLAG_SQL} THEN 1 ELSE 0 END AS m_red
            FROM children c
            LEFT JOIN (SELECT child_id, MAX(id) AS mid FROM measurements
                       WHERE superseded_by IS NULL AND measured_on >= ? AND measured_on < ?
                       GROUP BY child_id) x ON x.child_id = c.id
            LEFT JOIN measurements m ON m.id = x.mid
            WHERE c.posyandu_id IN ({marks}) AND c.status = 'active'
            ORDER BY {order}c.name_key, c.id LIMIT ? OFFSET ?""",
        [start.isoformat(), end.isoformat(), *vals, limit, offset],
    )
    out = []
    for r in rows:
        mid, on, falter, red = r.pop("m_id"), r.pop("m_on"), r.pop("m_faltering"), r.pop("m_red")
        out.append(ChildMonth(child=Child.model_validate(r), measurement_id=mid,
                              measured_on=dt.date.fromisoformat(on) if on else None, faltering=falter,
                              red_flag=bool(red)))
    return out


@dataclass(frozen=True)
class MonthCounts:
    total: int
    measured: int
    red_flags: int


async def month_counts(db: Database, posyandu_ids: Sequence[int], month: dt.date) -> MonthCounts:
    start, end = month_bounds(month)
    marks, vals = in_list(posyandu_ids)
    row = await db.fetchone(
        f"""SELECT COUNT(*) AS total, COUNT(x.mid) AS measured,
                   COALESCE(SUM(CASE WHEN x.mid IS NOT NULL AND {_RED_FLAG_SQL} THEN 1 ELSE 0 END), 0) AS red
            FROM children c
            LEFT JOIN (SELECT child_id, MAX(id) AS mid FROM measurements
                       WHERE superseded_by IS NULL AND measured_on >= ? AND measured_on < ?
                       GROUP BY child_id) x ON x.child_id = c.id
            LEFT JOIN measurements m ON m.id = x.mid
            WHERE c.posyandu_id IN ({marks}) AND c.status = 'active'""",
        [start.isoformat(), end.isoformat(), *vals],
    )
    assert row is not None
    return MonthCounts(total=int(row["total"]), measured=int(row["measured"]), red_flags=int(row["red"]))


async def set_faltering(db: Database, measurement_id: int, faltering: str | None, bgm: bool) -> bool:
    """Overwrite the derived weighing status of a current measurement in place (True when a row changed).

    Faltering (N/T/O/B/2T) and BGM are derived from the *previous* weighing, not measured: when an earlier
    entry is inserted or corrected they are recomputed, and updating them in place is not an edit of the
    measurement itself (its values, z-scores and history stay untouched; corrections still supersede rows).
    """
    changed = await db.execute(
        "UPDATE measurements SET faltering = ?, bgm = ? WHERE id = ? AND superseded_by IS NULL"
        " AND (faltering IS NOT ? OR bgm IS NOT ?)",
        (faltering, int(bgm), measurement_id, faltering, int(bgm)),
    )
    return changed > 0


async def same_day_measurement(db: Database, child_id: int, measured_on: dt.date) -> Measurement | None:
    """The newest current measurement of the child on that date (one row, not the child's whole history)."""
    row = await db.fetchone(
        f"SELECT {_MEASUREMENT_COLS} FROM measurements WHERE child_id = ? AND {_CURRENT} AND measured_on = ?"
        " ORDER BY id DESC LIMIT 1",
        (child_id, measured_on.isoformat()),
    )
    return _measurement(row) if row else None
