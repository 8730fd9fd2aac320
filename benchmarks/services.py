"""Services, reminders from records and program reports (issue 14) on a kelurahan-sized database. Prints figures.

A kelurahan of 10 posyandu and 1,000 children (0-59 months), each with the doses of its age recorded (about 15 rows
a child) and six monthly weighings, then times what people wait for: the buttons under a result card (`due_today`),
a page of /daftar (`due_for_children` of 10 children), recording one service, the Buku KIA picture, a day of the
reminder job (records read for every claimed immunisation reminder), and a program report of 200 enrolled children
against the rest of the kelurahan.

    python benchmarks/services.py                 # 1,000 children
    python benchmarks/services.py --children 5000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import ManualClock
from bot.growth.child_services import ServiceKind
from bot.growth.immunisation import SCHEDULE, due_date
from bot.i18n import get_translator
from bot.render.kia_picture import kia_png
from bot.services import child_services, programs, reminders, services_due
from bot.services import status as status_svc
from bot.services.child_services import Wish
from bot.services.schedule import parse_rule
from storage import AreaLevel, PosyanduCreate, Repositories, open_database
from storage import program_queries as pq
from storage.program_queries import ProgramCreate
from storage.values import encode_child_code, search_key

TODAY = dt.date(2025, 8, 12)
NOW = dt.datetime(2025, 8, 12, 2, 0, tzinfo=dt.UTC)
STAMP = NOW.isoformat()


async def timed(label: str, runs: int, fn: Callable[[], Awaitable[Any]]) -> None:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t0) * 1000)
    print(f"{label:<58} median {statistics.median(times):7.2f} ms   max {max(times):7.2f} ms   ({runs} runs)")


async def generate(repos: Repositories, n_children: int) -> tuple[list[int], int]:
    db = repos.db
    city = (await repos.areas.get_or_create(AreaLevel.CITY, "Kota"))[0]
    kec = (await repos.areas.get_or_create(AreaLevel.KECAMATAN, "Kec", city.id))[0]
    kel = (await repos.areas.get_or_create(AreaLevel.KELURAHAN, "Kel", kec.id))[0]
    rule = parse_rule("Selasa minggu ke-2 08.00-11.00").to_json()
    posyandu = [(await repos.posyandu.create(PosyanduCreate(name=f"Posyandu {i}", area_id=kel.id,
                                                            schedule_rule=rule))).id for i in range(10)]
    rng = random.Random(14)
    children, services, measurements, guardians = [], [], [], []
    for i in range(1, n_children + 1):
        birth = TODAY - dt.timedelta(days=rng.randint(20, 1790))
        children.append((i, encode_child_code(i), f"Anak {i}", search_key(f"Anak {i}"), "MF"[i % 2],
                         birth.isoformat(), posyandu[i % 10], STAMP, STAMP))
        for dose in SCHEDULE:
            on = due_date(dose, birth) + dt.timedelta(days=rng.randint(0, 20))
            if on < TODAY - dt.timedelta(days=10) and not dose.regional and rng.random() < 0.9:
                services.append((i, "immunisation", dose.code, on.isoformat(), STAMP))
        for m in range(6):
            day = TODAY.replace(day=5) - dt.timedelta(days=30 * m)
            if day > birth:
                measurements.append((i, day.isoformat(), (day - birth).days, 9.0, 76.0, round(rng.gauss(-0.8, 1), 2),
                                     round(rng.gauss(-1.2, 1), 2), STAMP))
        guardians.append((i, 100_000 + i))
    async with db.transaction():
        await db.executemany(
            "INSERT INTO children (id, code, name, name_key, sex, birth_date, posyandu_id, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)", children)
        await db.executemany(
            "INSERT INTO child_services (child_id, kind, code, given_on, source, created_at)"
            " VALUES (?, ?, ?, ?, 'import', ?)", services)
        await db.executemany(
            "INSERT INTO measurements (child_id, measured_on, age_days, weight_kg, length_cm, waz, haz, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", measurements)
        await db.executemany("INSERT INTO users (telegram_id, display_name, language, role, posyandu_id, created_at)"
                             " VALUES (?, 'Ortu', 'id', 'parent', NULL, ?)", [(g, STAMP) for _, g in guardians])
        await db.executemany("INSERT INTO guardians (child_id, user_id, created_at) VALUES (?, ?, ?)",
                             [(c, g, STAMP) for c, g in guardians])
        await db.execute("INSERT INTO status_dirty (child_id, version, facts) SELECT id, 1, 0 FROM children")
    print(f"{n_children} children, {len(services)} service records, {len(measurements)} weighings")
    return posyandu, kel.id


class Sink:
    async def send_message(self, chat_id: int, text: str) -> Any:
        return None


async def main(n_children: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(NOW)
        db = await open_database(Path(tmp) / "bench.db", clock=clock)
        repos = Repositories(db)
        posyandu, kel = await generate(repos, n_children)
        t0 = time.perf_counter()
        await status_svc.flush(repos)
        print(f"status decided for every child once (setup, not a user wait): {time.perf_counter() - t0:.1f} s")
        kids = await repos.children.list_by_posyandu(posyandu[0], limit=10)
        one = kids[0]
        await timed("result card buttons: due_today (one child)", 100,
                    lambda: services_due.due_today(repos, one, TODAY))
        await timed("/daftar page: due_for_children (10 children)", 100,
                    lambda: services_due.due_for_children(repos, kids, TODAY))
        wishes = iter(range(10**6))

        async def record() -> None:
            child = (await repos.children.get_many([1 + next(wishes) % n_children]))[0]
            await child_services.record(repos, child, Wish(ServiceKind.VITAMIN_A), TODAY, by=1, today=TODAY)
        await timed("a button press: record one service (checks + insert + audit)", 200, record)
        page = await services_due.kia_page(repos, one, TODAY)
        tr = get_translator("id")
        await timed("Buku KIA picture (matplotlib, in the worker thread)", 10,
                    lambda: asyncio.to_thread(kia_png, tr, page, "Catatan imunisasi"))

        class Runtime:
            pass
        runtime: Any = Runtime()
        runtime.db, runtime.repos, runtime.clock = db, repos, clock
        claimed = sent = 0
        hours: list[float] = []
        for h in range(24):
            clock.set(dt.datetime(2025, 8, 12, tzinfo=dt.UTC) + dt.timedelta(hours=h))
            t0 = time.perf_counter()
            report = await reminders.run_due(runtime, Sink())
            hours.append((time.perf_counter() - t0) * 1000)
            claimed += report.claimed
            sent += report.sent
        print(f"{'reminder job, one day hourly (' + str(n_children) + ' families)':<58} median "
              f"{statistics.median(hours):7.2f} ms   max {max(hours):7.2f} ms   ({claimed} claimed, {sent} sent)")

        program = await pq.create(db, ProgramCreate(name="Bench", area_id=kel, kind="pmt_lokal",
                                                    starts_on=dt.date(2025, 3, 1), ends_on=dt.date(2025, 12, 31),
                                                    criteria=("stunted",)))
        ids = [r["id"] for r in await db.fetchall("SELECT id FROM children ORDER BY id LIMIT 200")]
        await pq.enrol(db, program.id, ids, dt.date(2025, 3, 1), None)
        await timed("program report: 200 enrolled vs the kelurahan, 6 months", 5,
                    lambda: programs.report(repos, program.id, today=TODAY))
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=1000)
    asyncio.run(main(parser.parse_args().children))
