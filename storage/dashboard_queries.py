"""SQL of the dashboard (migration 0100): the kept month counts, the annual review's notes and its yearly
counts over the children's stored monthly status.

The counts kept here are what bot.services.status.month_counts returned; nothing here decides a category: the
yearly query only reads the flags the status function stored. Portable SQL (CTEs, ON CONFLICT upserts).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Collection, Sequence

from pydantic import BaseModel, ConfigDict

from storage.db import Database, execute_sync, fetchone_sync
from storage.repositories.base import AUDIT_SQL, in_list
from storage.status_queries import PosyanduCounts
from storage.values import to_db_time

COUNT_FIELDS: tuple[str, ...] = tuple(n for n in PosyanduCounts.model_fields if n != "posyandu_id")
_COUNT_COLS = ", ".join(COUNT_FIELDS)
_UPSERT = (
    f"INSERT INTO dashboard_month_counts (posyandu_id, month, version, fingerprint, {_COUNT_COLS})"
    f" VALUES ({', '.join('?' * (4 + len(COUNT_FIELDS)))})"
    " ON CONFLICT (posyandu_id, month) DO UPDATE SET version = excluded.version,"
    " fingerprint = excluded.fingerprint, " + ", ".join(f"{c} = excluded.{c}" for c in COUNT_FIELDS))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# ------------------------------------------------------------------ kept month counts


class KeptCounts(_Model):
    """What is known about a set of posyandu before reading their counts: each one's version and fingerprint,
    and the kept rows that are still current (month -> posyandu -> counts as a tuple in COUNT_FIELDS order)."""

    versions: dict[int, int]
    fingerprints: dict[int, str]
    current: dict[dt.date, dict[int, tuple[int, ...]]]


def _versions_and_fingerprints(conn: sqlite3.Connection, marks: str, pids: list[int]
                               ) -> tuple[dict[int, int], dict[int, str]]:
    versions = {int(r[0]): int(r[1]) for r in conn.execute(
        f"SELECT posyandu_id, version FROM dashboard_posyandu_version WHERE posyandu_id IN ({marks})", pids)}
    # The children index (posyandu_id, status, name_key) holds the id too: no table row is read.
    fingerprints = {int(r[0]): f"{r[1]}:{r[2]}" for r in conn.execute(
        f"SELECT posyandu_id, COUNT(*), SUM(id) FROM children WHERE posyandu_id IN ({marks})"
        " AND status = 'active' GROUP BY posyandu_id", pids)}
    return versions, fingerprints


def _current(row_version: int, row_fingerprint: str, pid: int, versions: dict[int, int],
             fingerprints: dict[int, str]) -> bool:
    return row_version == versions.get(pid, 0) and row_fingerprint == fingerprints.get(pid, empty_fingerprint())


PosyanduState = tuple[tuple[tuple[int, int], ...], tuple[tuple[int, str], ...]]


async def posyandu_state(db: Database, posyandu_ids: Collection[int]) -> PosyanduState:
    """The versions and fingerprints of these posyandu, as one comparable value: while it is unchanged, so is
    everything kept for them."""
    marks, pids = in_list(posyandu_ids)

    def work(conn: sqlite3.Connection) -> PosyanduState:
        versions, fingerprints = _versions_and_fingerprints(conn, marks, pids)
        return tuple(sorted(versions.items())), tuple(sorted(fingerprints.items()))

    return await db.atomic(work)


async def kept_counts(db: Database, posyandu_ids: Collection[int], months: Sequence[dt.date]) -> KeptCounts:
    """Versions, fingerprints and the current kept rows of these posyandu and months, read in one hop."""
    marks, pids = in_list(posyandu_ids)
    mmarks, mvals = in_list([m.replace(day=1).isoformat() for m in months])

    def work(conn: sqlite3.Connection) -> KeptCounts:
        versions, fingerprints = _versions_and_fingerprints(conn, marks, pids)
        current: dict[dt.date, dict[int, tuple[int, ...]]] = {}
        by_iso = {m.replace(day=1).isoformat(): m.replace(day=1) for m in months}
        cur = conn.execute(
            f"SELECT posyandu_id, month, version, fingerprint, {_COUNT_COLS} FROM dashboard_month_counts"
            f" WHERE posyandu_id IN ({marks}) AND month IN ({mmarks})", [*pids, *mvals])
        for row in cur:
            pid = int(row[0])
            if _current(row[2], row[3], pid, versions, fingerprints):
                current.setdefault(by_iso[row[1]], {})[pid] = tuple(row[4:])
        # Built from our own table's integers: nothing to validate (6,000 rows for a city's year).
        return KeptCounts.model_construct(versions=versions, fingerprints=fingerprints, current=current)

    return await db.atomic(work)


async def any_dirty(db: Database) -> bool:
    """Whether any child waits on the status dirty list (usually none: readers then skip the status flush)."""
    return await db.fetchone("SELECT child_id FROM status_dirty LIMIT 1") is not None


def empty_fingerprint() -> str:
    """The fingerprint of a posyandu without active children (COUNT 0, SUM NULL), as `kept_counts` spells it."""
    return "0:None"


async def keep_counts(db: Database, month: dt.date, counts: Collection[PosyanduCounts], *,
                      versions: dict[int, int], fingerprints: dict[int, str]) -> None:
    """Store freshly counted rows with the version and fingerprint read before counting them (so a change made
    meanwhile leaves them stale)."""
    key = month.replace(day=1).isoformat()
    await db.executemany(_UPSERT, [
        (c.posyandu_id, key, versions.get(c.posyandu_id, 0), fingerprints.get(c.posyandu_id, empty_fingerprint()),
         *(getattr(c, f) for f in COUNT_FIELDS)) for c in counts])


async def raise_versions_of_children(db: Database, child_ids: Collection[int]) -> None:
    """The posyandu of these children must be counted again (their status was just decided)."""
    marks, ids = in_list(child_ids)
    await db.execute(
        "INSERT INTO dashboard_posyandu_version (posyandu_id, version)"
        f" SELECT DISTINCT posyandu_id, 1 FROM children WHERE id IN ({marks}) AND true"
        " ON CONFLICT (posyandu_id) DO UPDATE SET version = dashboard_posyandu_version.version + 1", ids)


async def forget_counts(db: Database) -> int:
    """Drop every kept row (`python -m bot dashboard refresh`); they are counted again when next read."""
    await db.execute("DELETE FROM dashboard_year_stunting")
    return await db.execute("DELETE FROM dashboard_month_counts")


# ------------------------------------------------------------------ the annual review


class YearStunting(_Model):
    """One posyandu's year, from the children's stored months with a valid length/height (has_haz)."""

    posyandu_id: int
    measured: int = 0  # children with at least one such month in the year
    ever_stunted: int = 0  # of them, stunted in at least one month
    stunted_latest: int = 0  # stunted in their latest such month
    moved_out: int = 0  # stunted in an earlier month, not stunted in their latest


async def year_stunting(db: Database, posyandu_ids: Collection[int], year: int, *, until: dt.date | None = None
                        ) -> dict[int, YearStunting]:
    """Per posyandu: children who moved out of stunting during `year` (up to `until`), by the stored flags."""
    marks, pids = in_list(posyandu_ids)
    first = dt.date(year, 1, 1).isoformat()
    last = (until or dt.date(year, 12, 1)).replace(day=1).isoformat()
    rows = await db.fetchall(
        f"""WITH per_child AS (
                SELECT c.posyandu_id, s.child_id, MAX(s.month) AS last_month,
                       MAX(CASE WHEN s.stunted = 1 THEN s.month END) AS last_stunted
                FROM child_month_status s JOIN children c ON c.id = s.child_id
                WHERE s.month >= ? AND s.month <= ? AND s.has_haz = 1 AND c.posyandu_id IN ({marks})
                  AND c.status = 'active'
                GROUP BY c.posyandu_id, s.child_id)
            SELECT posyandu_id, COUNT(*) AS measured,
                   SUM(CASE WHEN last_stunted IS NOT NULL THEN 1 ELSE 0 END) AS ever_stunted,
                   SUM(CASE WHEN last_stunted = last_month THEN 1 ELSE 0 END) AS stunted_latest,
                   SUM(CASE WHEN last_stunted < last_month THEN 1 ELSE 0 END) AS moved_out
            FROM per_child GROUP BY posyandu_id""",
        [first, last, *pids])
    out = {pid: YearStunting(posyandu_id=pid) for pid in pids}
    for r in rows:
        out[int(r["posyandu_id"])] = YearStunting(**{k: int(v or 0) for k, v in r.items()})
    return out


class KeptYears(_Model):
    versions: dict[int, int]
    fingerprints: dict[int, str]
    current: dict[int, YearStunting]


_YEAR_COLS = "measured, ever_stunted, stunted_latest, moved_out"


async def kept_years(db: Database, posyandu_ids: Collection[int], year: int, until: dt.date) -> KeptYears:
    """`year_stunting` rows kept for these posyandu, year and last month that are still current."""
    marks, pids = in_list(posyandu_ids)

    def work(conn: sqlite3.Connection) -> KeptYears:
        versions, fingerprints = _versions_and_fingerprints(conn, marks, pids)
        current = {}
        for row in conn.execute(
                f"SELECT posyandu_id, version, fingerprint, {_YEAR_COLS} FROM dashboard_year_stunting"
                f" WHERE posyandu_id IN ({marks}) AND year = ? AND until_month = ?",
                [*pids, year, until.replace(day=1).isoformat()]):
            pid = int(row[0])
            if _current(row[1], row[2], pid, versions, fingerprints):
                current[pid] = YearStunting.model_construct(posyandu_id=pid, measured=row[3], ever_stunted=row[4],
                                                            stunted_latest=row[5], moved_out=row[6])
        return KeptYears.model_construct(versions=versions, fingerprints=fingerprints, current=current)

    return await db.atomic(work)


async def keep_years(db: Database, year: int, until: dt.date, rows: Collection[YearStunting], *,
                     versions: dict[int, int], fingerprints: dict[int, str]) -> None:
    await db.executemany(
        f"INSERT INTO dashboard_year_stunting (posyandu_id, year, until_month, version, fingerprint, {_YEAR_COLS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (posyandu_id, year, until_month) DO UPDATE SET"
        " version = excluded.version, fingerprint = excluded.fingerprint, measured = excluded.measured,"
        " ever_stunted = excluded.ever_stunted, stunted_latest = excluded.stunted_latest,"
        " moved_out = excluded.moved_out",
        [(r.posyandu_id, year, until.replace(day=1).isoformat(), versions.get(r.posyandu_id, 0),
          fingerprints.get(r.posyandu_id, empty_fingerprint()), r.measured, r.ever_stunted, r.stunted_latest,
          r.moved_out) for r in rows])


class ReviewNotes(_Model):
    area_id: int
    year: int
    achievements: str = ""
    obstacles: str = ""
    recommendations: str = ""
    updated_by: int | None = None
    updated_at: str | None = None


NOTE_FIELDS = ("achievements", "obstacles", "recommendations")


async def review_notes(db: Database, area_id: int, year: int) -> ReviewNotes:
    row = await db.fetchone(
        "SELECT area_id, year, achievements, obstacles, recommendations, updated_by, updated_at FROM review_notes"
        " WHERE area_id = ? AND year = ?", (area_id, year))
    return ReviewNotes.model_validate(row) if row else ReviewNotes(area_id=area_id, year=year)


async def save_review_notes(db: Database, notes: ReviewNotes, actor_id: int) -> list[str]:
    """Store the notes and an audit row naming the fields that changed (never their text), in one transaction.
    Returns the changed fields (nothing is written when none changed)."""
    now = to_db_time(db.now())

    def work(conn: sqlite3.Connection) -> list[str]:
        old = fetchone_sync(conn, "SELECT achievements, obstacles, recommendations FROM review_notes"
                                  " WHERE area_id = ? AND year = ?", (notes.area_id, notes.year))
        changed = [f for f in NOTE_FIELDS if (old or {}).get(f, "") != getattr(notes, f)]
        if not changed:
            return []
        execute_sync(conn, "INSERT INTO review_notes (area_id, year, achievements, obstacles, recommendations,"
                           " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (area_id, year) DO"
                           " UPDATE SET achievements = excluded.achievements, obstacles = excluded.obstacles,"
                           " recommendations = excluded.recommendations, updated_by = excluded.updated_by,"
                           " updated_at = excluded.updated_at",
                     (notes.area_id, notes.year, notes.achievements, notes.obstacles, notes.recommendations,
                      actor_id, now))
        execute_sync(conn, AUDIT_SQL, (actor_id, "create" if old is None else "update", "review_notes",
                                       f"{notes.area_id}:{notes.year}", json.dumps({"fields": changed}), now))
        return changed

    return await db.atomic(work)


__all__ = [
    "COUNT_FIELDS", "NOTE_FIELDS", "KeptCounts", "KeptYears", "PosyanduState", "ReviewNotes", "YearStunting",
    "any_dirty", "empty_fingerprint", "forget_counts", "keep_counts", "keep_years", "kept_counts", "kept_years",
    "posyandu_state", "raise_versions_of_children", "review_notes", "save_review_notes", "year_stunting",
]
