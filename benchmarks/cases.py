"""Follow-up cases benchmark (issue 16). Prints its figures.

On a city-size database (default 20,000 children in 200 posyandu, three monthly weighings each, z-scores drawn so
that about a fifth of the children are referred), it times:
- deciding every child's status with and without the case listener (what the listener costs the status function,
  and how many cases it opens);
- `/tindak_lanjut` (the case list) for a kelurahan coordinator and a city coordinator;
- `/kasus` (open and overdue per posyandu) for the city;
- one reminders run's case candidates with every case overdue (bot.services.case_reminders);
- the TPK report of a month for the city.

    python benchmarks/cases.py
    python benchmarks/cases.py --children 5000
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
from bot.services import case_list as list_svc
from bot.services import case_reminders, tpk_report
from bot.services import cases as case_svc
from bot.services import followup as fsvc
from bot.services import status as status_svc
from bot.services import team as tsvc
from storage import Repositories, Role, open_database
from storage import case_queries as cq
from storage import status_queries as status_q
from storage.values import encode_child_code, search_key


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.value = now

    def now(self) -> dt.datetime:
        return self.value


START = dt.datetime(2024, 3, 20, 3, 0, tzinfo=dt.UTC)
COORD_CITY, COORD_KEL = 1, 2


async def generate(repos: Repositories, n_children: int, n_posyandu: int) -> None:
    db = repos.db
    posyandu = await setup_places(repos, n_posyandu)
    rng = random.Random(16)
    async with db.transaction():
        await db.executemany(CHILD_SQL, [
            (i, encode_child_code(i), f"Anak {i}", search_key(f"Anak {i}"), "MF"[i % 2],
             (dt.date(2020, 1, 1) + dt.timedelta(days=i % 1400)).isoformat(), posyandu[i % n_posyandu], NOW, NOW)
            for i in range(1, n_children + 1)])
        rows = []
        for child in range(1, n_children + 1):
            for month in (1, 2, 3):
                day = dt.date(2024, month, 1 + child % 15)
                rows.append((child, day.isoformat(), 700, round(10 + month * 0.3 + rng.uniform(-0.2, 0.2), 1),
                             80.0, rng.gauss(-0.6, 1.1), rng.gauss(-1.0, 1.0), rng.gauss(0.0, 1.0), "[]", 0, None, 0,
                             NOW))
        await db.executemany(MEASUREMENT_SQL, rows)
        await db.executemany(
            "INSERT INTO users (telegram_id, display_name, language, role, area_id, created_at)"
            " VALUES (?, ?, 'id', ?, ?, ?)",
            [(COORD_CITY, "Kota", "coordinator", 1, NOW), (COORD_KEL, "Kel", "coordinator", 1001, NOW)])
        await db.executemany(
            "INSERT INTO users (telegram_id, display_name, language, role, posyandu_id, created_at)"
            " VALUES (?, ?, 'id', 'cadre', ?, ?)", [(10_000 + p, f"Kader {p}", p, NOW) for p in posyandu])


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = await fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


async def main(n_children: int, n_posyandu: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(START)
        db = await open_database(Path(tmp) / "cases.db", clock=clock)
        repos = Repositories(db)
        await generate(repos, n_children, n_posyandu)
        print(f"setup: {n_children:,} children x 3 weighings in {n_posyandu} posyandu (not measured)")

        status_svc.DECIDED_LISTENERS.clear()
        await status_q.mark_all_dirty(db)
        await status_svc.flush(repos)  # warm-up (z-scores read once, caches filled): not measured
        await status_q.mark_all_dirty(db)
        t0 = time.perf_counter()
        await status_svc.flush(repos)
        without = time.perf_counter() - t0
        case_svc.install()
        await status_q.mark_all_dirty(db)
        t0 = time.perf_counter()
        await status_svc.flush(repos)
        with_listener = time.perf_counter() - t0
        opened = await db.fetchval("SELECT COUNT(*) FROM cases")
        print(f"deciding every child: {without:.2f} s without the case listener, {with_listener:.2f} s with it "
              f"(+{(with_listener - without) / n_children * 1e6:.0f} µs a child); {opened:,} cases opened")
        await status_q.mark_all_dirty(db)
        t0 = time.perf_counter()
        await status_svc.flush(repos)
        again = time.perf_counter() - t0
        print(f"deciding every child again (cases open already, nothing to write): {again:.2f} s")
        await db.execute("ANALYZE")

        tscope = await tsvc.staff_scope(repos, COORD_CITY, ())
        assert tscope is not None
        secs, old = await timed(lambda: fsvc.build_follow_up(repos, tscope, START.date()))
        print(f"the follow-up list before issue 16 (status rows only) for the city: {len(old):,} items, "
              f"{secs * 1000:.0f} ms")
        for label, uid in (("kelurahan coordinator", COORD_KEL), ("city coordinator", COORD_CITY)):
            scope = await case_svc.case_scope(repos, uid, ())
            assert scope is not None and scope.role == Role.COORDINATOR
            secs, items = await timed(lambda s=scope: list_svc.build(repos, s, START.date(), START))  # type: ignore[misc]
            print(f"/tindak_lanjut for a {label} ({len(scope.posyandu_ids)} posyandu, {len(items):,} items): "
                  f"{secs * 1000:.0f} ms")
        city = await case_svc.case_scope(repos, COORD_CITY, ())
        assert city is not None
        secs, _ = await timed(lambda: case_svc.open_overview(repos, city.posyandu_ids, START))
        print(f"/kasus for the city ({len(city.posyandu_ids)} posyandu): {secs * 1000:.0f} ms")

        clock.value = START + dt.timedelta(days=30)
        t0 = time.perf_counter()
        candidates = await case_reminders.candidates(db, repos, clock.value)
        first = time.perf_counter() - t0
        secs, _ = await timed(lambda: case_reminders.candidates(db, repos, clock.value))
        overdue = len(await cq.past_deadline(db, clock.value))
        print(f"case reminders: {overdue:,} overdue cases -> {len(candidates):,} candidates in {first * 1000:.0f} ms "
              f"(first run, writing the 'overdue' entries), {secs * 1000:.0f} ms on later runs")

        principal = city.principal
        secs, reports = await timed(lambda: tpk_report.build(repos, principal, dt.date(2024, 3, 1), clock.value))
        print(f"TPK report of a month for the city ({len(reports)} villages): {secs * 1000:.0f} ms")
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--posyandu", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.children, args.posyandu))
