"""National-size recaps (issue 18): recap, follow-up and export queries over N measurements. Prints its figures.

Generates N measurements' worth of rows straight into the tables (areas, posyandu, children, measurements,
child_month_status: one counted visit per child and month, 24 months of history, ~60 children per posyandu),
fills the kept recap counts with the backfill of migration 0120 (`storage.recap_summary.rebuild`), then times, as
medians of 5 runs, what a coordinator or cadre waits for:

- the recap of a province (a fifth of all posyandu: the largest Indonesian province holds about that share), of a
  city, and of one posyandu: `bot.services.status.month_counts` for the month and the month before (what
  /rekap reads), the dirty list checked first as in production;
- /rekap of a city coordinator end to end (`build_recap`: area tree, scope, grouping);
- the follow-up list of one posyandu (`follow_up_rows`, /tindak_lanjut) and its export rows (`counted_in_month`);
- one measurement saved and decided (the write path, kept counts included).

For comparison it also times, once each, the recount the recap used before (every child of the area).

    python benchmarks/national.py                        # 200,000 measurements (CI size, ~20 s)
    python benchmarks/national.py --rows 10000000        # the documented 10M run (docs/scale.md; ~20 min, 3.7 GB)
    python benchmarks/national.py --rows 100000000 --keep /big/disk/national.db
                                                         # the 100M run: separate, never in CI (hours, ~40 GB)
    python benchmarks/national.py --kept-only 101500      # a province's recap over the kept counts of 100M size
    python benchmarks/national.py --database-url postgresql://user@host/empty_db [--rows N | --kept-only N]
                                                         # PostgreSQL: loads with COPY, then times the same

`--keep PATH` keeps the generated database (a second run with the same PATH and --rows only times).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.i18n import get_translator
from bot.services import recap as rsvc
from bot.services import status as status_svc
from bot.services import team as tsvc
from storage import Database, MeasurementCreate, Repositories, open_database
from storage import recap_summary as summary
from storage import status_queries as q
from storage.values import encode_child_code, month_bounds

MONTH = dt.date(2025, 6, 1)  # the recap's month; history from 2023-07
TODAY = dt.date(2025, 6, 28)
HISTORY_MONTHS = 24
CHILDREN_PER_POSYANDU = 60
POSYANDU_PER_KELURAHAN = 4
KELURAHAN_PER_KECAMATAN = 10
KECAMATAN_PER_CITY = 15
PROVINCE_SHARE = 0.2
COORDINATOR = 1
NOW = "2025-06-28T00:00:00+00:00"
RUNS = 5
BATCH = 100_000

_STATUS_COLS = ("child_id, month, measurement_id, measured_on, age_days, visits, remeasure, weighed, weighing, gain_g,"
                " bgm, waz, haz, whz, muac_cm, oedema, has_waz, has_haz, has_whz, underweight, stunted,"
                " severely_stunted, wasted, severely_wasted, overweight, reasons, refer, urgent, rules")
_MEASUREMENT_COLS = ("id, child_id, measured_on, age_days, weight_kg, length_cm, position, waz, haz, whz, flags,"
                     " implausible, faltering, bgm, entered_by, created_at")


# ------------------------------------------------------------------ the rows


def months(n: int = HISTORY_MONTHS) -> list[dt.date]:
    """The `n` months up to MONTH, oldest first."""
    out = [MONTH]
    while len(out) < n:
        out.append((out[-1] - dt.timedelta(days=1)).replace(day=1))
    return sorted(out)


def _profiles(rng: random.Random, n: int = 512) -> list[tuple[Any, ...]]:
    """Status values of a visit (weighing .. urgent), drawn once: rates close to Indonesian surveys (SSGI 2022)."""
    out = []
    for _ in range(n):
        haz = rng.gauss(-1.2, 1.1)
        whz = rng.gauss(-0.3, 1.1)
        waz = (haz + whz) / 2 + rng.gauss(0, 0.3)
        valid = rng.random() > 0.02
        weighing = rng.choices(["N", "T", "2T", "O", "B", "-"], [62, 16, 5, 5, 6, 6])[0] if valid else None
        stunted, wasted, underweight = haz < -2, whz < -2, waz < -2
        refer = valid and (stunted or wasted or waz < -3 or weighing in ("T", "2T"))
        reasons = ",".join(r for r, on in (("severe_wasting", whz < -3), ("bgm", waz < -3), ("2t", weighing == "2T"),
                                           ("t", weighing == "T"), ("stunted", stunted)) if on and valid)
        out.append((valid, weighing, int(valid and waz < -3), waz, haz, whz, int(valid), int(valid), int(valid),
                    int(valid and underweight), int(valid and stunted), int(valid and haz < -3),
                    int(valid and wasted), int(valid and whz < -3), int(valid and whz > 2), reasons, int(refer),
                    int(valid and whz < -3)))
    return out


class Layout:
    """How many of each place a number of children needs (provinces are groups of cities: the schema's top
    level is the city)."""

    def __init__(self, n_children: int) -> None:
        self.children = n_children
        self.posyandu = max(1, math.ceil(n_children / CHILDREN_PER_POSYANDU))
        self.kelurahan = math.ceil(self.posyandu / POSYANDU_PER_KELURAHAN)
        self.kecamatan = math.ceil(self.kelurahan / KELURAHAN_PER_KECAMATAN)
        self.cities = math.ceil(self.kecamatan / KECAMATAN_PER_CITY)

    def posyandu_of_child(self, child_id: int) -> int:
        return (child_id - 1) // CHILDREN_PER_POSYANDU + 1

    def city_of_posyandu(self, pid: int) -> int:
        kel = (pid - 1) // POSYANDU_PER_KELURAHAN
        return kel // KELURAHAN_PER_KECAMATAN // KECAMATAN_PER_CITY + 1

    # Area ids: cities 1.., kecamatan 1_000_001.., kelurahan 2_000_001..
    def areas(self) -> Iterator[tuple[Any, ...]]:
        for c in range(1, self.cities + 1):
            yield c, "city", f"Kota {c}", f"kota {c}", None, NOW
        for k in range(self.kecamatan):
            yield 1_000_001 + k, "kecamatan", f"Kec {k}", f"kec {k}", k // KECAMATAN_PER_CITY + 1, NOW
        for k in range(self.kelurahan):
            yield 2_000_001 + k, "kelurahan", f"Kel {k}", f"kel {k}", 1_000_001 + k // KELURAHAN_PER_KECAMATAN, NOW

    def posyandu_rows(self) -> Iterator[tuple[Any, ...]]:
        for p in range(1, self.posyandu + 1):
            yield p, f"Posyandu {p}", f"posyandu {p}", 2_000_001 + (p - 1) // POSYANDU_PER_KELURAHAN, NOW


def children_needed(n_rows: int) -> int:
    """Children whose months in the window give about `n_rows` visits (85 % of their months, born 2019-07 ..)."""
    rng = random.Random(1)
    window = months()
    sample = [_birth(rng) for _ in range(2000)]
    per_child = sum(sum(1 for m in window if month_bounds(m)[1] > b and summary.under_five_in(b, m))
                    for b in sample) / len(sample) * 0.85
    return max(CHILDREN_PER_POSYANDU, round(n_rows / per_child))


def _birth(rng: random.Random) -> dt.date:
    return dt.date(2019, 7, 1) + dt.timedelta(days=rng.randint(0, (TODAY - dt.date(2019, 7, 1)).days))


def child_rows(layout: Layout, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    for c in range(1, layout.children + 1):
        status = "active" if rng.random() < 0.97 else rng.choice(["moved", "deceased"])
        yield (c, encode_child_code(c), f"Anak {c}", f"anak{c}", "MF"[c % 2], _birth(rng).isoformat(),
               layout.posyandu_of_child(c), status, NOW, NOW)


def visit_rows(layout: Layout, births: Sequence[str], seed: int = 11
               ) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """(measurement row, status row) for each child and month it was weighed."""
    rng = random.Random(seed)
    profiles = _profiles(rng)
    window = months()
    mid = 0
    for c in range(1, layout.children + 1):
        birth = dt.date.fromisoformat(births[c - 1])
        for m in window:
            if not (month_bounds(m)[1] > birth and summary.under_five_in(birth, m)) or rng.random() > 0.85:
                continue
            day = max(birth, m.replace(day=1 + (c % 27)))
            if day > TODAY:
                continue
            mid += 1
            age = (day - birth).days
            p = profiles[rng.randrange(len(profiles))]
            (valid, weighing, bgm, waz, haz, whz, has_waz, has_haz, has_whz, uw, st, sst, wa, swa, ow, reasons, refer,
             urgent) = p
            weight = round(3.3 + age / 365 * 2.2, 1)
            yield ((mid, c, day.isoformat(), age, weight, round(50 + age / 365 * 10, 1), "lying" if age < 730
                    else "standing", waz, haz, whz, "[]", int(not valid), weighing if weighing != "-" else None, bgm,
                    None, NOW),
                   (c, m.isoformat(), mid if valid else None, day.isoformat() if valid else None,
                    age if valid else None, 1, int(not valid), int(valid), weighing,
                    150 if weighing == "N" else None, bgm,
                    waz if valid else None, haz if valid else None, whz if valid else None, None, 0, has_waz,
                    has_haz, has_whz, uw, st, sst, wa, swa, ow, reasons, refer, urgent, status_svc.RULES_VERSION))


# ------------------------------------------------------------------ loading


def _batches(rows: Iterable[tuple[Any, ...]], size: int = BATCH) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for r in rows:
        batch.append(r)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_sqlite(path: Path, n_rows: int) -> Layout:
    """executemany in big transactions on one plain sqlite3 connection (foreign keys and fsync off while loading:
    setup, not measured)."""
    layout = Layout(children_needed(n_rows))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO areas (id, level, name, name_key, parent_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                     layout.areas())
    conn.executemany("INSERT INTO posyandu (id, name, name_key, area_id, created_at) VALUES (?, ?, ?, ?, ?)",
                     layout.posyandu_rows())
    births: list[str] = []
    for batch in _batches(child_rows(layout)):
        births += [r[5] for r in batch]
        conn.executemany("INSERT INTO children (id, code, name, name_key, sex, birth_date, posyandu_id, status,"
                         " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    conn.execute("UPDATE sequences SET value = ? WHERE name = 'child_code'", (layout.children + 1,))
    conn.execute("INSERT INTO users (telegram_id, display_name, language, role, area_id, created_at)"
                 " VALUES (?, 'Koordinator', 'id', 'coordinator', 1, ?)", (COORDINATOR, NOW))
    conn.execute("COMMIT")
    m_sql = f"INSERT INTO measurements ({_MEASUREMENT_COLS}) VALUES ({', '.join('?' * 16)})"
    s_sql = f"INSERT INTO child_month_status ({_STATUS_COLS}) VALUES ({', '.join('?' * 29)})"
    pairs = visit_rows(layout, births)
    done = 0
    t0 = time.perf_counter()
    while True:
        chunk = [p for _, p in zip(range(BATCH * 5), pairs, strict=False)]
        if not chunk:
            break
        conn.execute("BEGIN")
        conn.executemany(m_sql, [m for m, _ in chunk])
        conn.executemany(s_sql, [s for _, s in chunk])
        conn.execute("COMMIT")
        done += len(chunk)
        print(f"\r  loaded {done:,} visits ({done / (time.perf_counter() - t0):,.0f}/s)", end="", flush=True)
    print()
    conn.close()
    return layout


def _copy(url: str, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY ... FROM STDIN on a plain psycopg connection (PostgreSQL's bulk load)."""
    import psycopg

    n = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _identities_after_copy(url: str) -> None:
    """Rows went in with their ids: the identity columns continue after them."""
    import psycopg

    with psycopg.connect(url) as conn:
        for table in ("areas", "posyandu", "children", "measurements"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                         f" GREATEST((SELECT MAX(id) FROM {table}), 1))")


def load_postgres(url: str, n_rows: int) -> Layout:
    """The same rows as `load_sqlite`, with COPY into a database migrated by storage (storage.pg)."""
    layout = Layout(children_needed(n_rows))
    _copy(url, "areas", "id, level, name, name_key, parent_id, created_at", layout.areas())
    _copy(url, "posyandu", "id, name, name_key, area_id, created_at", layout.posyandu_rows())
    births: list[str] = []

    def children() -> Iterator[tuple[Any, ...]]:
        for r in child_rows(layout):
            births.append(r[5])
            yield r

    _copy(url, "children", "id, code, name, name_key, sex, birth_date, posyandu_id, status, created_at, updated_at",
          children())
    pairs = list(visit_rows(layout, births)) if n_rows <= 2_000_000 else None
    if pairs is None:  # two passes over the generator (same seed) rather than 2 x N rows in memory
        _copy(url, "measurements", _MEASUREMENT_COLS, (m for m, _ in visit_rows(layout, births)))
        _copy(url, "child_month_status", _STATUS_COLS, (st for _, st in visit_rows(layout, births)))
    else:
        _copy(url, "measurements", _MEASUREMENT_COLS, (m for m, _ in pairs))
        _copy(url, "child_month_status", _STATUS_COLS, (st for _, st in pairs))
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("UPDATE sequences SET value = %s WHERE name = 'child_code'", (layout.children + 1,))
        conn.execute("INSERT INTO users (telegram_id, display_name, language, role, area_id, created_at)"
                     " VALUES (%s, 'Koordinator', 'id', 'coordinator', 1, %s)", (COORDINATOR, NOW))
    _identities_after_copy(url)
    return layout


def _analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# ------------------------------------------------------------------ timing


async def median_of(fn: Callable[[], Awaitable[Any]], runs: int = RUNS) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


async def recap_counts(repos: Repositories, pids: list[int]) -> int:
    """What /rekap reads (build_recap): the month per posyandu and the month before summed, dirty children decided
    first."""
    now = await status_svc.month_counts(repos, pids, MONTH)
    await status_svc.month_total(repos, pids, rsvc.previous_month(MONTH))
    return sum(c.s for c in now.values())


async def plan(db: Database, sql: str, params: Sequence[Any]) -> str:
    if db.dialect == "sqlite":
        rows = await db.fetchall("EXPLAIN QUERY PLAN " + sql, params)
        return "; ".join(str(r["detail"]) for r in rows)
    rows = await db.fetchall("EXPLAIN " + sql, params)
    return " | ".join(" ".join(str(v).split()) for r in rows for v in r.values())


async def time_everything(db: Database, layout: Layout) -> None:
    repos = Repositories(db)
    all_pids = list(range(1, layout.posyandu + 1))
    province = all_pids[:max(1, round(len(all_pids) * PROVINCE_SHARE))]
    city = [p for p in all_pids if layout.city_of_posyandu(p) == 1]
    pid = city[len(city) // 2]
    print(f"scopes: province {len(province):,} posyandu, city {len(city):,} posyandu, posyandu #{pid}")
    tr = get_translator("id")
    for label, pids in (("province", province), ("city", city), ("posyandu", [pid])):
        secs, s = await median_of(lambda p=pids: recap_counts(repos, p))  # type: ignore[misc]
        print(f"recap {label}: {ms(secs)} median of {RUNS} (S {s:,}; this month and the last)")
    scope = await tsvc.staff_scope(repos, COORDINATOR, [])
    assert scope is not None
    secs, recap = await median_of(lambda: rsvc.build_recap(repos, scope, MONTH, tr))
    print(f"/rekap city coordinator (build_recap: area tree, {len(scope.posyandu_ids):,} posyandu, grouping): "
          f"{ms(secs)} (D {recap.total.d:,})")
    secs, rows = await median_of(lambda: status_svc.follow_up_rows(repos, [pid], TODAY, stale_after_days=60))
    print(f"follow-up list posyandu: {ms(secs)} ({len(rows)} children)")
    secs, rows = await median_of(lambda: status_svc.counted_in_month(repos, [pid], MONTH))
    print(f"export rows posyandu: {ms(secs)} ({len(rows)} rows)")
    sql, params = q.follow_up_sql([pid], TODAY, stale_after_days=60)
    print(f"  plan follow-up: {await plan(db, sql, params)}")
    sql, params = q.counted_in_month_sql([pid], MONTH)
    print(f"  plan export: {await plan(db, sql, params)}")
    # The write path: a visit saved, then decided (status rows and kept counts in one transaction).
    child = (await repos.children.list_by_posyandu(pid, limit=1))[0]
    days = iter(range(RUNS))

    async def save_and_decide() -> None:
        await repos.measurements.add(MeasurementCreate(
            child_id=child.id, measured_on=TODAY - dt.timedelta(days=next(days)), weight_kg=11.0, length_cm=85.0,
            waz=-0.5, haz=-1.0, whz=0.0))
        await status_svc.flush(repos, posyandu_ids=[pid])

    secs, _ = await median_of(save_and_decide)
    print(f"save one measurement and decide the child (kept counts included): {ms(secs)}")
    for label, pids in (("province", province), ("city", city)):
        t0 = time.perf_counter()
        await q.recount_month_counts(db, pids, MONTH)
        await q.recount_month_counts(db, pids, rsvc.previous_month(MONTH))
        print(f"for comparison, the recount of every child (before 0120), {label}: "
              f"{ms(time.perf_counter() - t0)} (one run)")


async def kept_only(path: Path | str, n_posyandu: int, fresh: bool) -> None:
    """The recap of a province over the kept counts of a country of `n_posyandu` posyandu (84 months each): the
    recap reads one row per posyandu and month, so its time depends on those, not on the number of measurements;
    this measures it at 100M size (~100,000 posyandu) without generating 100M status rows."""
    db = await open_database(path)
    try:
        t0 = time.perf_counter()
        if fresh and isinstance(path, str):
            await db.close()
            _fill_kept_postgres(path, n_posyandu)
            db = await open_database(path)
        elif fresh:
            await _fill_kept(db, n_posyandu)
        print(f"kept counts only: {n_posyandu:,} posyandu x 84 months ({time.perf_counter() - t0:.0f} s, not measured)")
        repos = Repositories(db)
        province = list(range(1, round(n_posyandu * PROVINCE_SHARE) + 1))
        secs, _ = await median_of(lambda: recap_counts(repos, province))
        print(f"recap province ({len(province):,} posyandu, kept counts only): {ms(secs)} median of {RUNS}")
    finally:
        await db.close()


def _kept_rows(n_posyandu: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(3)
    for m in months(84):  # month by month, as the bot writes them month after month
        for p in range(1, n_posyandu + 1):
            yield (p, m.isoformat(), 60, *(rng.randint(0, 50) for _ in summary.COUNT_FIELDS[1:]))


def _fill_kept_postgres(url: str, n_posyandu: int) -> None:
    layout = Layout(n_posyandu * CHILDREN_PER_POSYANDU)
    _copy(url, "areas", "id, level, name, name_key, parent_id, created_at", layout.areas())
    _copy(url, "posyandu", "id, name, name_key, area_id, created_at", layout.posyandu_rows())
    _copy(url, "posyandu_month_counts", f"posyandu_id, month, {', '.join(summary.COUNT_FIELDS)}",
          _kept_rows(n_posyandu))
    _identities_after_copy(url)
    _analyze(url)


async def _fill_kept(db: Database, n_posyandu: int) -> None:
    layout = Layout(n_posyandu * CHILDREN_PER_POSYANDU)
    async with db.transaction():
        await db.executemany("INSERT INTO areas (id, level, name, name_key, parent_id, created_at)"
                             " VALUES (?, ?, ?, ?, ?, ?)", list(layout.areas()))
        await db.executemany("INSERT INTO posyandu (id, name, name_key, area_id, created_at)"
                             " VALUES (?, ?, ?, ?, ?)", list(layout.posyandu_rows()))
    window = [m.isoformat() for m in months(84)]
    rng = random.Random(3)
    sql = (f"INSERT INTO posyandu_month_counts (posyandu_id, month, {', '.join(summary.COUNT_FIELDS)})"
           f" VALUES ({', '.join('?' * (2 + len(summary.COUNT_FIELDS)))})")
    for m in window:  # month by month, as the bot writes them month after month
        await db.executemany(sql, [(p, m, 60, *(rng.randint(0, 50) for _ in summary.COUNT_FIELDS[1:]))
                                   for p in range(1, n_posyandu + 1)])


async def _migrate(path: Path | str) -> None:
    db = await open_database(path)
    await db.close()


async def _run(path: Path | str, fresh: bool, layout: Layout | None) -> None:
    db = await open_database(path)
    try:
        if fresh:
            t0 = time.perf_counter()
            kept = await summary.rebuild(db)
            print(f"backfill of migration 0120 (recap_summary.rebuild): {kept:,} rows in "
                  f"{time.perf_counter() - t0:.1f} s")
            if isinstance(path, str):
                _analyze(path)
        if layout is None:
            layout = Layout(int(await db.fetchval("SELECT MAX(id) FROM children")))
        visits = await db.fetchval("SELECT MAX(id) FROM measurements")
        print(f"database: {visits:,} visits (measurements and status rows)")
        await time_everything(db, layout)
    finally:
        await db.close()


async def _has_rows(url: str) -> bool:
    db = await open_database(url)
    try:
        return await db.fetchone("SELECT id FROM posyandu LIMIT 1") is not None
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="measurements (default 200,000)")
    parser.add_argument("--keep", type=Path, help="keep the SQLite database here (reused when it exists)")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite (postgresql://...)")
    parser.add_argument("--kept-only", type=int, metavar="POSYANDU",
                        help="only the province recap over the kept counts of this many posyandu (100M: 100000)")
    args = parser.parse_args()
    if args.database_url:  # an empty database: migrated and loaded here; otherwise only timed
        url: str = args.database_url
        asyncio.run(_migrate(url))
        fresh = not asyncio.run(_has_rows(url))
        if args.kept_only:
            asyncio.run(kept_only(url, args.kept_only, fresh))
            return
        layout = None
        if fresh:
            t0 = time.perf_counter()
            layout = load_postgres(url, args.rows)
            print(f"setup (COPY): {layout.children:,} children, {layout.posyandu:,} posyandu "
                  f"({time.perf_counter() - t0:.0f} s, not measured)")
        asyncio.run(_run(url, fresh, layout))
        return
    if args.kept_only:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.keep or Path(tmp) / "kept.db"
            asyncio.run(kept_only(path, args.kept_only, not path.exists()))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path: Path = args.keep or Path(tmp) / "national.db"
        fresh = not path.exists()
        layout = None
        if fresh:
            asyncio.run(_migrate(path))
            t0 = time.perf_counter()
            layout = load_sqlite(path, args.rows)
            print(f"setup: {layout.children:,} children, {layout.posyandu:,} posyandu, {layout.cities:,} cities "
                  f"({time.perf_counter() - t0:.0f} s, not measured)")
        asyncio.run(_run(path, fresh, layout))
        print(f"database file: {path.stat().st_size / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
