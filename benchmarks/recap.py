"""Recap and export benchmark on a large database (default 1,000,000 measurements). Prints its figures.

Uses the storage benchmark's place layout and bulk SQL (benchmarks/storage.py), then times what a coordinator
waits for: /rekap (two months of counts, grouped, formatted), the chart, /tindak_lanjut, and /ekspor (the
XLSX of the area), for a kelurahan, a city and, for the recap, the whole installation.

    python benchmarks/recap.py                    # 1,000,000 measurements in 1,000 posyandu
    python benchmarks/recap.py --measurements 100000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.storage import CHILD_SQL, MEASUREMENT_SQL, NOW, setup_places
from bot.i18n import get_translator
from bot.services import export as xsvc
from bot.services import followup as fsvc
from bot.services import recap as rsvc
from bot.services import status as status_svc
from bot.services import team as tsvc
from storage import Repositories, open_database, recap_summary
from storage import status_queries as status_q
from storage.values import encode_child_code, search_key

MONTH = dt.date(2024, 6, 1)
TODAY = dt.date(2024, 6, 28)
COORD_CITY, COORD_KEL, ADMIN = 1, 2, 3


async def generate(repos: Repositories, n_measurements: int, n_posyandu: int) -> None:
    """Children born 2020-2024, each weighed once a month through 2024 (12 months), z-scores ~ N(μ, 1.1)."""
    db = repos.db
    posyandu = await setup_places(repos, n_posyandu)
    months = 12
    n_children = max(n_posyandu, n_measurements // months)
    rng = random.Random(7)
    fal = ["N", "N", "N", "T", "2T", "O", "B"]
    async with db.transaction():
        await db.executemany(
            CHILD_SQL,
            [(i, encode_child_code(i), f"Anak {i}", search_key(f"Anak {i}"), "MF"[i % 2],
              (dt.date(2020, 1, 1) + dt.timedelta(days=i % 1600)).isoformat(), posyandu[i % n_posyandu], NOW, NOW)
             for i in range(1, n_children + 1)])
        rows = []
        for i in range(n_measurements):
            child = 1 + i % n_children
            month = i // n_children % months
            day = dt.date(2024, 1 + month, 1 + child % 28)
            rows.append((child, day.isoformat(), 700, round(rng.uniform(6, 16), 1), round(rng.uniform(65, 100), 1),
                         rng.gauss(-0.5, 1.1), rng.gauss(-1.0, 1.1), rng.gauss(0.1, 1.1), "[]",
                         1 if rng.random() < 0.01 else 0, fal[i % 7], 1 if rng.random() < 0.02 else 0, NOW))
            if len(rows) == 50_000:
                await db.executemany(MEASUREMENT_SQL, rows)
                rows = []
        if rows:
            await db.executemany(MEASUREMENT_SQL, rows)
        await db.executemany(
            "INSERT INTO users (telegram_id, display_name, language, role, area_id, created_at)"
            " VALUES (?, ?, 'id', ?, ?, ?)",
            [(COORD_CITY, "Kota", "coordinator", 1, NOW), (COORD_KEL, "Kel", "coordinator", 1001, NOW)])
    await db.execute("ANALYZE")


async def best_of(n: int, fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        result = await fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measurements", type=int, default=1_000_000)
    parser.add_argument("--posyandu", type=int, default=1000)
    args = parser.parse_args()
    tr = get_translator("id")
    with tempfile.TemporaryDirectory() as tmp:
        db = await open_database(Path(tmp) / "recap.db")
        repos = Repositories(db)
        t0 = time.perf_counter()
        await generate(repos, args.measurements, args.posyandu)
        n_children = await db.fetchval("SELECT COUNT(*) FROM children")
        print(f"setup: {n_children:,} children, {args.measurements:,} measurements, {args.posyandu:,} posyandu "
              f"in 10 cities ({time.perf_counter() - t0:.1f} s, not measured)")
        # The rows went in by bulk SQL: each child is decided once by the status function (as at start-up).
        t0 = time.perf_counter()
        await status_q.mark_all_dirty(db)
        decided = await status_svc.flush(repos)
        took = time.perf_counter() - t0
        await recap_summary.rebuild(db)  # the children went in by SQL too: their S is counted here (migration 0120)
        print(f"status decided for {decided:,} children: {took:.1f} s = {decided / took:,.0f} children/s")
        for label, uid, admins in (("kelurahan", COORD_KEL, []), ("city", COORD_CITY, []),
                                   ("whole installation (admin)", ADMIN, [ADMIN])):
            scope = await tsvc.staff_scope(repos, uid, admins)
            assert scope is not None
            n_pos = len(scope.posyandu_ids)
            secs, recap = await best_of(3, lambda s=scope: rsvc.build_recap(repos, s, MONTH, tr))  # type: ignore[misc]
            text = rsvc.format_recap(recap, tr)
            print(f"/rekap {label} ({n_pos:,} posyandu, S {recap.total.s:,}, D {recap.total.d:,}): "
                  f"{secs * 1000:.0f} ms best of 3 (this and last month), message {len(text):,} chars")
            t1 = time.perf_counter()
            png = rsvc.render_stunting_chart(recap, tr)
            print(f"  chart: {1000 * (time.perf_counter() - t1):.0f} ms, {len(png) / 1024:.0f} KiB")
            secs, items = await best_of(
                3, lambda s=scope: fsvc.build_follow_up(repos, s, TODAY))  # type: ignore[misc]
            print(f"  /tindak_lanjut: {secs * 1000:.0f} ms best of 3, {len(items):,} children need action")
            if scope.is_admin:
                continue
            t1 = time.perf_counter()
            data = await xsvc.collect_export(repos, MONTH, scope.posyandu_ids)
            t2 = time.perf_counter()
            content = xsvc.export_bytes(data, "xlsx")
            t3 = time.perf_counter()
            print(f"  /ekspor: {data.row_count:,} rows, {len(data.posyandu):,} sheets: query {t2 - t1:.2f} s + "
                  f"XLSX {t3 - t2:.2f} s = {t3 - t1:.2f} s, {len(content) / 2**20:.1f} MiB")
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
