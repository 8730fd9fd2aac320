"""Counts of the follow-up cases (migration 0090) for the coordinator's /kasus, the TPK report and the dashboard:
open and overdue per posyandu, a month's outcomes, and who was at risk, visited or referred. Only selects and
counts what bot.services.cases stored. Portable SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from pydantic import BaseModel, ConfigDict

from storage.db import Database, Row
from storage.repositories.base import in_list
from storage.values import to_db_time


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PosyanduCases(_Model):
    posyandu_id: int
    open: int = 0
    overdue: int = 0  # past the first deadline without action
    escalated: int = 0  # past the coordinator's deadline too
    women: int = 0  # of the open ones, about women


async def open_counts(db: Database, posyandu_ids: Collection[int], now: dt.datetime, *, women: bool = True
                      ) -> dict[int, PosyanduCases]:
    """Open cases per posyandu (`women` False: children's only, for readers who may not know of women's cases)."""
    marks, ids = in_list(posyandu_ids)
    stamp = to_db_time(now)
    subject = "" if women else " AND child_id IS NOT NULL"
    rows = await db.fetchall(
        f"""SELECT posyandu_id, COUNT(*) AS open,
                   SUM(CASE WHEN remind_at IS NOT NULL AND remind_at <= ? THEN 1 ELSE 0 END) AS overdue,
                   SUM(CASE WHEN escalate_at IS NOT NULL AND escalate_at <= ? THEN 1 ELSE 0 END) AS escalated,
                   SUM(CASE WHEN woman_id IS NOT NULL THEN 1 ELSE 0 END) AS women
            FROM cases WHERE closed_at IS NULL AND posyandu_id IN ({marks}){subject} GROUP BY posyandu_id""",
        [stamp, stamp, *ids])
    out = {pid: PosyanduCases(posyandu_id=pid) for pid in ids}
    for r in rows:
        out[int(r["posyandu_id"])] = PosyanduCases(**{k: int(v or 0) for k, v in r.items()})
    return out


class MonthCases(_Model):
    """A posyandu's cases in one month (reports): opened, closed by how, open at the end, gone overdue."""

    posyandu_id: int
    opened: int = 0
    closed_recovered: int = 0
    closed_other: int = 0
    still_open: int = 0
    overdue: int = 0


async def month_counts(db: Database, posyandu_ids: Collection[int], start: dt.date, end: dt.date,
                       end_at: dt.datetime, recovered_reasons: Collection[str]) -> dict[int, MonthCases]:
    """Counts for the local dates [start, end) (`end_at`: the moment "still open" is read at)."""
    marks, ids = in_list(posyandu_ids)
    rec_marks, rec = in_list(recovered_reasons)
    s, e, at = start.isoformat(), end.isoformat(), to_db_time(end_at)
    rows = await db.fetchall(
        f"""SELECT c.posyandu_id,
                   SUM(CASE WHEN c.opened_month = ? THEN 1 ELSE 0 END) AS opened,
                   SUM(CASE WHEN c.closed_on >= ? AND c.closed_on < ? AND c.closed_reason IN ({rec_marks})
                            THEN 1 ELSE 0 END) AS closed_recovered,
                   SUM(CASE WHEN c.closed_on >= ? AND c.closed_on < ? AND c.closed_reason NOT IN ({rec_marks})
                            THEN 1 ELSE 0 END) AS closed_other,
                   SUM(CASE WHEN c.opened_at < ? AND (c.closed_at IS NULL OR c.closed_at >= ?) THEN 1 ELSE 0 END)
                       AS still_open,
                   SUM(CASE WHEN EXISTS (SELECT 1 FROM case_events v WHERE v.case_id = c.id AND v.kind = 'overdue'
                                         AND v.on_date >= ? AND v.on_date < ?) THEN 1 ELSE 0 END) AS overdue
            FROM cases c WHERE c.posyandu_id IN ({marks}) GROUP BY c.posyandu_id""",
        [s, s, e, *rec, s, e, *rec, at, at, s, e, *ids])
    out = {pid: MonthCases(posyandu_id=pid) for pid in ids}
    for r in rows:
        out[int(r["posyandu_id"])] = MonthCases(**{k: int(v or 0) for k, v in r.items()})
    return out


class SubjectActivity(_Model):
    """Who had what in a month, for the TPK report's groups (ids only)."""

    at_risk_children: frozenset[int] = frozenset()
    at_risk_women: frozenset[int] = frozenset()
    visited_children: frozenset[int] = frozenset()
    visited_women: frozenset[int] = frozenset()
    referred_children: frozenset[int] = frozenset()
    referred_women: frozenset[int] = frozenset()


async def subject_activity(db: Database, posyandu_ids: Collection[int], start: dt.date, end: dt.date,
                           start_at: dt.datetime, end_at: dt.datetime) -> SubjectActivity:
    marks, ids = in_list(posyandu_ids)
    open_rows = await db.fetchall(
        f"SELECT child_id, woman_id FROM cases WHERE posyandu_id IN ({marks}) AND opened_at < ?"
        f" AND (closed_at IS NULL OR closed_at >= ?)", [*ids, to_db_time(end_at), to_db_time(start_at)])
    acted = await db.fetchall(
        f"SELECT DISTINCT e.kind, c.child_id, c.woman_id FROM case_events e JOIN cases c ON c.id = e.case_id"
        f" WHERE c.posyandu_id IN ({marks}) AND e.kind IN ('visit', 'referral') AND e.on_date >= ? AND e.on_date < ?",
        [*ids, start.isoformat(), end.isoformat()])

    def pick(rows: list[Row], col: str, kind: str | None = None) -> frozenset[int]:
        return frozenset(int(r[col]) for r in rows if r[col] is not None and (kind is None or r["kind"] == kind))

    return SubjectActivity(
        at_risk_children=pick(open_rows, "child_id"), at_risk_women=pick(open_rows, "woman_id"),
        visited_children=pick(acted, "child_id", "visit"), visited_women=pick(acted, "woman_id", "visit"),
        referred_children=pick(acted, "child_id", "referral"),
        referred_women=pick(acted, "woman_id", "referral"))


__all__ = ["MonthCases", "PosyanduCases", "SubjectActivity", "month_counts", "open_counts", "subject_activity"]
