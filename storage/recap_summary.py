"""Recap counts kept per posyandu and month (migration 0120), changed by delta on every write that moves them.

`posyandu_month_counts` holds, for each posyandu and month, exactly what the recount
(storage.status_queries.recount_month_counts) would count from `children` and `child_month_status`, so an area's
recap reads one row per posyandu instead of every child of the area.

A child's *share* of the table: S + 1 in every month in which it is an active under-five of its posyandu, plus the
counts of its stored status row of that month (the same SUM(CASE ...) the recount uses). Every writer of status
rows or of the facts the share depends on (posyandu, status, birth date; the child row itself) takes a snapshot of
the share before the write and adds `after - before` in the same transaction (`snapshot_sync`/`settle_sync`, or
the async `snapshot`/`settle` inside `Database.transaction()`). The writers: status_queries.write_decisions
(every decision, including a RULES_VERSION re-decision) and ChildRepository.create/update/bulk_write/delete.
Data changed behind the bot's back (SQL by hand) is counted again with `rebuild` (`python -m bot recap rebuild`).

Upserts are applied in (posyandu, month) order, so two transactions touching the same rows on PostgreSQL wait for
each other instead of deadlocking.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from storage.db import Database, execute_sync
from storage.values import month_bounds

UNDER_FIVE_DAYS = 1826
# The months kept (the rows of recap_months, migration 0120; /rekap accepts 2000 .. 2100). Others are recounted.
FIRST_MONTH = dt.date(2000, 1, 1)
LAST_MONTH = dt.date(2100, 12, 1)
CHUNK = 500  # ids per IN list (SQLite and PostgreSQL both cap the number of parameters of a statement)

COUNT_FIELDS: tuple[str, ...] = (
    "s", "d", "n", "t", "t2", "o", "b", "too_soon", "bgm", "remeasure", "with_waz", "with_haz", "with_whz",
    "underweight", "stunted", "severe_stunted", "wasted", "severe_wasted", "overweight", "refer", "urgent",
)
_COLS = ", ".join(COUNT_FIELDS)
_UPSERT = (
    f"INSERT INTO posyandu_month_counts (posyandu_id, month, {_COLS})"
    f" VALUES ({', '.join('?' * (2 + len(COUNT_FIELDS)))})"
    " ON CONFLICT (month, posyandu_id) DO UPDATE SET "
    + ", ".join(f"{c} = posyandu_month_counts.{c} + excluded.{c}" for c in COUNT_FIELDS))
# The status columns a row's counts depend on.
ROW_COLS = ("month, measurement_id, remeasure, weighed, weighing, bgm, has_waz, has_haz, has_whz, underweight, stunted,"
            " severely_stunted, wasted, severely_wasted, overweight, refer, urgent")
_S_ONLY = (1,) + (0,) * (len(COUNT_FIELDS) - 1)

Key = tuple[int, str]  # (posyandu id, month as YYYY-MM-01)
Share = dict[Key, list[int]]


def chunks(values: Collection[Any], size: int = CHUNK) -> Iterable[tuple[str, list[Any]]]:
    """`("?, ?", [a, b])` per slice of at most `size` values, for `col IN (...)` (nothing for no values)."""
    items = list(values)
    for start in range(0, len(items), size):
        part = items[start:start + size]
        yield ", ".join("?" * len(part)), part


# ------------------------------------------------------------------ who counts where


def under_five_in(birth: dt.date, month: dt.date) -> bool:
    """Whether a child born on `birth` is under five at some point of `month` (the recount's S condition)."""
    start, end = month_bounds(month)
    return start - dt.timedelta(days=UNDER_FIVE_DAYS) < birth < end


def kept(month: dt.date) -> bool:
    return FIRST_MONTH <= month.replace(day=1) <= LAST_MONTH


@lru_cache(maxsize=65536)
def _counts_in(birth: dt.date, month: str) -> bool:
    """Whether a status row of `month` (YYYY-MM-01) of a child born on `birth` counts in a kept month."""
    day = dt.date.fromisoformat(month)
    return kept(day) and under_five_in(birth, day)


@lru_cache(maxsize=4096)
def s_months(birth: dt.date) -> tuple[str, ...]:
    """The kept months in which a child born on `birth` counts in S (about 61)."""
    out = []
    month = max(birth.replace(day=1), FIRST_MONTH)
    while month <= LAST_MONTH and under_five_in(birth, month):
        out.append(month.isoformat())
        month = month_bounds(month)[1]
    return tuple(out)


def row_counts(r: Mapping[str, Any]) -> tuple[int, ...]:
    """What one stored status row adds to its month (columns ROW_COLS), as the recount's SUM(CASE ...) counts it."""
    w = r["weighing"]
    return (
        0, int(r["weighed"] == 1), int(w == "N"), int(w in ("T", "2T")), int(w == "2T"), int(w == "O"),
        int(w == "B"), int(w == "-"), int(r["bgm"] == 1), int(r["measurement_id"] is None and r["remeasure"] == 1),
        int(r["has_waz"] == 1), int(r["has_haz"] == 1), int(r["has_whz"] == 1), int(r["underweight"] == 1),
        int(r["stunted"] == 1), int(r["severely_stunted"] == 1), int(r["wasted"] == 1),
        int(r["severely_wasted"] == 1), int(r["overweight"] == 1), int(r["refer"] == 1), int(r["urgent"] == 1),
    )


def _add(share: Share, key: Key, counts: Sequence[int], sign: int = 1) -> None:
    total = share.get(key)
    if total is None:
        share[key] = [sign * c for c in counts]
    else:
        for i, c in enumerate(counts):
            total[i] += sign * c


def child_share(share: Share, facts: Mapping[str, Any] | None, rows: Iterable[Mapping[str, Any]], *,
                s: bool = True) -> None:
    """Add one child's share (its `children` row and its status rows) to `share`; `s=False`: the status rows' part
    only (a decision changes nothing else)."""
    if facts is None or facts["status"] != "active":
        return
    pid = int(facts["posyandu_id"])
    birth = dt.date.fromisoformat(str(facts["birth_date"]))
    if s:
        for key in s_months(birth):
            _add(share, (pid, key), _S_ONLY)
    for r in rows:
        month = str(r["month"])
        if _counts_in(birth, month):
            _add(share, (pid, month), row_counts(r))


# ------------------------------------------------------------------ keeping the table (inside a transaction)


Facts = dict[int, dict[str, Any]]  # child id -> posyandu_id, status, birth_date
Rows = Mapping[int, Sequence[Mapping[str, Any]]]  # child id -> its status rows (ROW_COLS)


def read_sync(conn: sqlite3.Connection, child_ids: Collection[int]) -> tuple[Facts, dict[int, list[dict[str, Any]]]]:
    """The children's facts and stored status rows, as their share is counted from them."""
    facts: dict[int, dict[str, Any]] = {}
    rows: dict[int, list[dict[str, Any]]] = {}
    for marks, ids in chunks(sorted(set(child_ids))):
        cur = conn.execute(f"SELECT id, posyandu_id, status, birth_date FROM children WHERE id IN ({marks})", ids)
        try:
            for r in cur.fetchall():
                facts[int(r[0])] = {"posyandu_id": r[1], "status": r[2], "birth_date": r[3]}
        finally:
            cur.close()
        cur = conn.execute(f"SELECT child_id, {ROW_COLS} FROM child_month_status WHERE child_id IN ({marks})", ids)
        try:
            for r in cur.fetchall():
                row = dict(r)
                rows.setdefault(int(row.pop("child_id")), []).append(row)
        finally:
            cur.close()
    return facts, rows


def share_of(facts: Facts, rows: Rows, *, s: bool = True) -> Share:
    share: Share = {}
    for cid, f in facts.items():
        child_share(share, f, rows.get(cid, ()), s=s)
    return share


def snapshot_sync(conn: sqlite3.Connection, child_ids: Collection[int]) -> Share:
    """The children's share of the table as the database holds them now (before a write)."""
    return share_of(*read_sync(conn, child_ids))


def apply_sync(conn: sqlite3.Connection, after: Share, before: Share) -> int:
    """Add `after - before` to the table, in key order; returns the number of rows changed."""
    changed = 0
    for key in sorted(after.keys() | before.keys()):
        if after.get(key) == before.get(key):
            continue
        delta = list(after.get(key, _ZERO))
        for i, c in enumerate(before.get(key, _ZERO)):
            delta[i] -= c
        if any(delta):
            execute_sync(conn, _UPSERT, (key[0], key[1], *delta))
            changed += 1
    return changed


_ZERO = (0,) * len(COUNT_FIELDS)


def settle_sync(conn: sqlite3.Connection, child_ids: Collection[int], before: Share) -> int:
    """After a write of these children: add the change of their share since `before` (their `snapshot_sync`)."""
    return apply_sync(conn, snapshot_sync(conn, child_ids), before)


async def snapshot(db: Database, child_ids: Collection[int]) -> Share:
    """`snapshot_sync` from async code (inside `db.transaction()`, so the write that follows is in the same one)."""
    if not child_ids:
        return {}
    return await db.atomic(lambda conn: snapshot_sync(conn, child_ids))


async def settle(db: Database, child_ids: Collection[int], before: Share) -> int:
    if not child_ids and not before:
        return 0
    return await db.atomic(lambda conn: settle_sync(conn, child_ids, before))


# ------------------------------------------------------------------ reading


def month_rows_sql(marks: str) -> str:
    return f"SELECT posyandu_id, {_COLS} FROM posyandu_month_counts WHERE month = ? AND posyandu_id IN ({marks})"


async def month_rows(db: Database, posyandu_ids: Collection[int], month: dt.date) -> dict[int, dict[str, Any]]:
    """The kept rows of these posyandu in the month (`posyandu_id` and COUNT_FIELDS); a posyandu without a row
    counts 0."""
    key = month.replace(day=1).isoformat()
    out: dict[int, dict[str, Any]] = {}
    for marks, ids in chunks(sorted(set(posyandu_ids)), 5000):
        for r in await db.fetchall(month_rows_sql(marks), [key, *ids]):
            out[r["posyandu_id"]] = r
    return out


async def month_totals(db: Database, posyandu_ids: Collection[int], month: dt.date) -> dict[str, int]:
    """The kept counts of these posyandu in the month, summed in SQL (one row per chunk comes back)."""
    key = month.replace(day=1).isoformat()
    sums = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in COUNT_FIELDS)
    out = dict.fromkeys(COUNT_FIELDS, 0)
    for marks, ids in chunks(sorted(set(posyandu_ids)), 5000):
        row = await db.fetchone(
            f"SELECT {sums} FROM posyandu_month_counts WHERE month = ? AND posyandu_id IN ({marks})", [key, *ids])
        for c in COUNT_FIELDS:
            out[c] += int(row[c]) if row else 0
    return out


# ------------------------------------------------------------------ counting everything again


def _migration_sql() -> tuple[str, str]:
    """The backfill statements of migration 0120 (S, then the status rows): `rebuild` runs the same SQL."""
    from storage.db import MIGRATIONS_DIR

    text = re.sub(r"--[^\n]*", "", (MIGRATIONS_DIR / "0120_recap_summary.sql").read_text(encoding="utf-8"))
    statements = [s.strip() for s in text.split(";") if "INSERT INTO posyandu_month_counts" in s]
    assert len(statements) == 2, "0120 has two backfill statements"
    return statements[0], statements[1]


async def rebuild(db: Database) -> int:
    """Count the whole table again from `children` and `child_month_status` (after SQL by hand, a bulk load or a
    repair), in one transaction; returns the number of rows written."""
    s_sql, rows_sql = _migration_sql()
    async with db.transaction():
        await db.execute("DELETE FROM posyandu_month_counts")
        await db.execute(s_sql)
        await db.execute(rows_sql)
        return int(await db.fetchval("SELECT COUNT(*) FROM posyandu_month_counts") or 0)


__all__ = [
    "COUNT_FIELDS", "FIRST_MONTH", "LAST_MONTH", "UNDER_FIVE_DAYS", "Share", "apply_sync", "child_share", "chunks",
    "kept", "month_rows", "month_rows_sql", "month_totals", "read_sync", "rebuild", "row_counts", "s_months", "settle",
    "settle_sync", "share_of", "snapshot", "snapshot_sync", "under_five_in",
]
