"""Storage benchmarks: bulk and single measurement inserts, the monthly recap over a large database, and
the import of a large children file. Prints its figures.

    python benchmarks/storage.py             # full size (targets: 100k inserts <= 10 s, recap <= 1 s,
                                             #                     import >= 5,000 rows/s)
    python benchmarks/storage.py --scale 0.05  # quick run
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.services import status as status_svc
from bot.services.importer import import_children
from storage import (
    AreaLevel,
    ChildCreate,
    MeasurementCreate,
    PosyanduCreate,
    Repositories,
    Sex,
    open_database,
    recap_summary,
)
from storage import status_queries as status_q
from storage.values import encode_child_code, search_key

NOW = "2024-12-01T00:00:00+00:00"
AREA_SQL = "INSERT INTO areas (id, level, name, name_key, parent_id, created_at) VALUES (?, ?, ?, ?, ?, ?)"
POSYANDU_SQL = ("INSERT INTO posyandu (id, name, name_key, area_id, timezone, active, created_at)"
                " VALUES (?, ?, ?, ?, 'Asia/Jakarta', 1, ?)")
CHILD_SQL = ("INSERT INTO children (id, code, name, name_key, sex, birth_date, posyandu_id, status, created_at,"
             " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)")
MEASUREMENT_SQL = ("INSERT INTO measurements (child_id, measured_on, age_days, weight_kg, length_cm, waz, haz, whz,"
                   " flags, implausible, faltering, bgm, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


async def setup_places(repos: Repositories, n_posyandu: int) -> list[int]:
    """n_posyandu spread over 10 cities x 10 kecamatan x 10 kelurahan (bulk SQL: setup is not measured)."""
    db = repos.db
    async with db.transaction():
        await db.executemany(AREA_SQL, [(c, "city", f"Kota {c}", f"kota {c}", None, NOW) for c in range(1, 11)])
        await db.executemany(AREA_SQL, [(100 + k, "kecamatan", f"Kec {k}", f"kec {k}", 1 + k // 10, NOW)
                                        for k in range(100)])
        await db.executemany(AREA_SQL, [(1000 + k, "kelurahan", f"Kel {k}", f"kel {k}", 100 + k // 10, NOW)
                                        for k in range(1000)])
        await db.executemany(POSYANDU_SQL, [(p, f"Posyandu {p}", f"posyandu {p}", 1000 + p % 1000, NOW)
                                            for p in range(1, n_posyandu + 1)])
    return list(range(1, n_posyandu + 1))


async def bench_inserts(path: Path, n: int) -> None:
    db = await open_database(path)
    repos = Repositories(db)
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="P", area_id=kel.id))
    kids = [await repos.children.create(ChildCreate(name=f"Anak {i}", sex=Sex.FEMALE, birth_date=dt.date(2022, 1, 1),
                                                    posyandu_id=pos.id)) for i in range(100)]
    rng = random.Random(1)
    items = [MeasurementCreate(child_id=kids[i % 100].id, measured_on=dt.date(2024, 1, 1) + dt.timedelta(days=i % 300),
                               weight_kg=round(rng.uniform(6, 16), 1), length_cm=round(rng.uniform(65, 100), 1),
                               age_days=700 + i % 300, waz=rng.gauss(-0.5, 1), haz=rng.gauss(-1, 1),
                               whz=rng.gauss(0, 1), categories={"haz": "normal"}, faltering="N") for i in range(n)]
    t0 = time.perf_counter()
    for start in range(0, n, 10_000):
        await repos.measurements.add_many(items[start:start + 10_000])
    bulk = time.perf_counter() - t0
    print(f"insert {n:,} measurements (add_many, batches of 10,000): {bulk:.2f} s = {n / bulk:,.0f} rows/s "
          f"(target: 100,000 in <= 10 s)")
    k = max(200, n // 50)
    t0 = time.perf_counter()
    for item in items[:k]:
        await repos.measurements.add(item)
    single = time.perf_counter() - t0
    print(f"insert {k:,} measurements one by one (add: own transaction + audit row, read back): {single:.2f} s = "
          f"{k / single:,.0f} rows/s -> 100,000 would take {100_000 * single / k:.1f} s")
    await db.close()


async def bench_recap(path: Path, n_measurements: int, n_posyandu: int) -> None:
    db = await open_database(path)
    repos = Repositories(db)
    posyandu = await setup_places(repos, n_posyandu)
    months = 12
    n_children = max(n_posyandu, n_measurements // months)
    rng = random.Random(2)
    t0 = time.perf_counter()
    async with db.transaction():
        await db.executemany(
            CHILD_SQL,
            [(i, encode_child_code(i), f"Anak {i}", search_key(f"Anak {i}"), "MF"[i % 2],
              (dt.date(2020, 1, 1) + dt.timedelta(days=i % 1700)).isoformat(), posyandu[i % n_posyandu], NOW, NOW)
             for i in range(1, n_children + 1)])
        rows = []
        fal = ["N", "N", "N", "T", "2T", "O", "B"]
        for i in range(n_measurements):
            child = 1 + i % n_children
            month = i // n_children % months
            day = dt.date(2024, 1 + month, 1 + child % 28)
            implausible = 1 if rng.random() < 0.01 else 0
            rows.append((child, day.isoformat(), 700, round(rng.uniform(6, 16), 1), round(rng.uniform(65, 100), 1),
                         rng.gauss(-0.5, 1.1), rng.gauss(-1.0, 1.1), rng.gauss(0.1, 1.1), "[]", implausible,
                         fal[i % 7], 1 if rng.random() < 0.02 else 0, NOW))
            if len(rows) == 50_000:
                await db.executemany(MEASUREMENT_SQL, rows)
                rows = []
        if rows:
            await db.executemany(MEASUREMENT_SQL, rows)
    print(f"setup: {n_children:,} children, {n_measurements:,} measurements in {n_posyandu:,} posyandu "
          f"({time.perf_counter() - t0:.1f} s, not measured)")
    # Rows written straight into SQL (as a migration or an import could): every child is decided once by the
    # status function before any recap reads (bot.services.status.flush), as the bot does at start.
    await status_q.mark_all_dirty(db)
    t0 = time.perf_counter()
    decided = await status_svc.flush(repos)
    took = time.perf_counter() - t0
    print(f"status decided for {decided:,} children ({n_measurements:,} measurements): {took:.1f} s = "
          f"{decided / took:,.0f} children/s")
    await recap_summary.rebuild(db)  # the children went in by SQL too: their S is counted here (migration 0120)
    await db.execute("ANALYZE")
    for label, ids in (("all posyandu", posyandu), ("one city", await repos.areas.posyandu_ids_within(1)),
                       ("one kelurahan", await repos.areas.posyandu_ids_within(1001))):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            counts = await status_svc.month_counts(repos, ids, dt.date(2024, 6, 1))
            best = min(best, time.perf_counter() - t0)
        total_d = sum(c.d for c in counts.values())
        print(f"monthly recap, {label} ({len(counts):,} posyandu, D = {total_d:,}): best of 3 {best * 1000:.0f} ms "
              f"(target <= 1000 ms)")
    await db.close()


async def bench_import(path: Path, n_rows: int) -> None:
    csv_path = path.with_suffix(".csv")
    rng = random.Random(3)
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["kode", "nama", "jenis_kelamin", "tanggal_lahir", "nik", "nama_ortu", "hp_ortu", "posyandu",
                    "kelurahan", "kecamatan", "kota", "alamat"])
        for i in range(n_rows):
            birth = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1700))
            nik = f"3273{i % 100:02d}{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{i % 9000 + 1:04d}"
            w.writerow(["", f"Anak Nomor {i}", "LP"[i % 2], birth.strftime("%d/%m/%Y"), nik if i % 3 else "",
                        f"Ibu {i}", f"0812{i:08d}", f"Posyandu {i % 200}", f"Kel {i % 200}", f"Kec {i % 20}",
                        "Kota Bench", f"Jl. Mawar {i}"])
    db = await open_database(path)
    repos = Repositories(db)
    t0 = time.perf_counter()
    report = await import_children(repos, csv_path)
    first = time.perf_counter() - t0
    print(f"import {n_rows:,} rows (new): {first:.2f} s = {n_rows / first:,.0f} rows/s; created {report.created:,}, "
          f"rejected {len(report.rejected):,} (target >= 5,000 rows/s)")
    t0 = time.perf_counter()
    report = await import_children(repos, csv_path)
    again = time.perf_counter() - t0
    print(f"re-import of the same file (all matched): {again:.2f} s = {n_rows / again:,.0f} rows/s; "
          f"unchanged {report.unchanged:,}")
    await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size (0.05 for a quick run)")
    args = parser.parse_args()
    s = args.scale
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"scale {s}")
        await bench_inserts(folder / "inserts.db", int(100_000 * s))
        await bench_recap(folder / "recap.db", int(1_000_000 * s), max(10, int(2_000 * s)))
        await bench_import(folder / "import.db", int(50_000 * s))


if __name__ == "__main__":
    asyncio.run(main())
