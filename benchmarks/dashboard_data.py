"""Data for benchmarks/dashboard.py: one city with 1,000,000 measurements (bulk SQL, decided once by the status
function), kept in a file so repeated runs skip the set-up."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.storage import AREA_SQL, CHILD_SQL, MEASUREMENT_SQL, NOW, POSYANDU_SQL
from bot.services import status as status_svc
from storage import Repositories, open_database, recap_summary
from storage import status_queries as status_q
from storage.values import encode_child_code, search_key

TODAY = dt.date(2024, 12, 20)
MONTHS = 12  # January to December 2024
CITY, COORD_CITY, COORD_KEL, HEALTH_WORKER = 1, 1, 2, 3
FIRST_KEL = 1000


async def generate(path: Path, n_measurements: int, n_posyandu: int) -> tuple[int, float]:
    """One city: 10 kecamatan x 10 kelurahan, `n_posyandu` posyandu; children born 2020-2024 weighed once a
    month through 2024. Returns (children, seconds the status function took to decide them all)."""
    db = await open_database(path)
    repos = Repositories(db)
    rng = random.Random(7)
    n_children = max(n_posyandu, n_measurements // MONTHS)
    fal = ["N", "N", "N", "T", "2T", "O", "B"]
    async with db.transaction():
        await db.executemany(AREA_SQL, [(CITY, "city", "Kota Contoh", "kota contoh", None, NOW)])
        await db.executemany(AREA_SQL, [(100 + k, "kecamatan", f"Kecamatan {k}", f"kecamatan {k}", CITY, NOW)
                                        for k in range(10)])
        await db.executemany(AREA_SQL, [(FIRST_KEL + k, "kelurahan", f"Kelurahan {k}", f"kelurahan {k}",
                                         100 + k // 10, NOW) for k in range(100)])
        await db.executemany(POSYANDU_SQL, [(p, f"Posyandu {p}", f"posyandu {p}", FIRST_KEL + p % 100, NOW)
                                            for p in range(1, n_posyandu + 1)])
        await db.executemany(
            CHILD_SQL,
            [(i, encode_child_code(i), f"Anak {i}", search_key(f"Anak {i}"), "MF"[i % 2],
              (dt.date(2020, 1, 1) + dt.timedelta(days=i % 1700)).isoformat(), 1 + i % n_posyandu, NOW, NOW)
             for i in range(1, n_children + 1)])
        rows = []
        for i in range(n_measurements):
            child = 1 + i % n_children
            month = i // n_children % MONTHS
            day = dt.date(2024, 1 + month, 1 + child % 28)
            # Stunting falls a little over the year, so the trend has a shape.
            rows.append((child, day.isoformat(), 700, round(rng.uniform(6, 16), 1), round(rng.uniform(65, 100), 1),
                         rng.gauss(-0.5, 1.1), rng.gauss(-1.0 + month * 0.03, 1.1), rng.gauss(0.1, 1.1), "[]",
                         1 if rng.random() < 0.01 else 0, fal[i % 7], 1 if rng.random() < 0.02 else 0, NOW))
            if len(rows) == 50_000:
                await db.executemany(MEASUREMENT_SQL, rows)
                rows = []
        if rows:
            await db.executemany(MEASUREMENT_SQL, rows)
        await db.executemany(
            "INSERT INTO users (telegram_id, display_name, language, role, area_id, created_at)"
            " VALUES (?, ?, 'id', ?, ?, ?)",
            [(COORD_CITY, "Kota", "coordinator", CITY, NOW), (COORD_KEL, "Kel", "coordinator", FIRST_KEL, NOW),
             (HEALTH_WORKER, "Bidan", "health_worker", 100, NOW)])
    await db.execute("ANALYZE")
    t0 = time.perf_counter()
    await status_q.mark_all_dirty(db)
    await status_svc.flush(repos)
    await recap_summary.rebuild(db)  # the children went in by SQL too: their S is counted here (migration 0120)
    await status_q.set_rules_version(db, status_svc.RULES_VERSION)  # as the bot's start-up would record it
    took = time.perf_counter() - t0
    await db.close()
    return n_children, took


def prepare(n_measurements: int, n_posyandu: int, cache_dir: Path) -> Path:
    """A fresh copy of the generated database (made once per size in `cache_dir`, kept for the next runs)."""
    cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    source = cache_dir / f"dashboard-{n_measurements}-{n_posyandu}.db"
    if not source.exists():
        t0 = time.perf_counter()
        tmp = source.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        children, decide = asyncio.run(generate(tmp, n_measurements, n_posyandu))
        tmp.rename(source)
        print(f"setup: {children:,} children, {n_measurements:,} measurements, {n_posyandu:,} posyandu in one city "
              f"({time.perf_counter() - t0:.0f} s, of which the status function {decide:.0f} s; not measured)")
    work = cache_dir / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, work)
    work.chmod(0o600)
    return work
