"""Dashboard benchmark on one city with 1,000,000 measurements (default). Prints its figures.

Runs the real bot application and its web server against the local Bot API stand-in, then:
- API latency: real HTTP requests (aiohttp client, signed initData) to every read endpoint, percentiles;
- time to first render: headless Chromium (the system's) opens the Mini App as Telegram would and waits until the
  overview is on screen (the page marks `ready-overview`): a first open with a new browser profile, then reloads;
- the annual review's files (XLSX, PDF) for the city.

Targets (issue 17): the city overview on screen within 1 s; the API's p95 at most 200 ms.

    python benchmarks/dashboard.py                          # 1,000,000 measurements, 500 posyandu
    python benchmarks/dashboard.py --measurements 100000    # quick run
The generated database is kept in --cache (default: a folder in the system's temp dir); the first run at full size
spends about 13 minutes deciding every child's status (not measured).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.dashboard_data import COORD_CITY, COORD_KEL, TODAY, prepare
from bot.app import OFFLINE_TOKEN, create_application
from bot.config import load_settings
from bot.services import dashboard_counts as dc
from bot.sim.fake_api import FakeBotAPI
from bot.webapp.initdata import signed_init_data
from bot.webapp.server import WebServer, make_web_app

URL = "https://bench.example.id/dasbor/"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class FixedClock:
    """December 2024 in the bot's eyes (the generated data covers 2024)."""

    def now(self) -> dt.datetime:
        return dt.datetime.combine(TODAY, dt.time(3, 0), tzinfo=dt.UTC)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

    return f"p50 {at(0.5):.0f} ms · p95 {at(0.95):.0f} ms · p99 {at(0.99):.0f} ms · max {ordered[-1] * 1000:.0f} ms"


async def api_latency(base: str, init_data: dict[int, str], rounds: int) -> None:
    import aiohttp

    paths = [
        ("me", COORD_CITY, "api/me"),
        ("overview city", COORD_CITY, "api/overview?month=2024-12"),
        ("overview city, June", COORD_CITY, "api/overview?month=2024-06"),
        ("overview kecamatan", COORD_CITY, "api/overview?area=100&month=2024-12"),
        ("overview kelurahan", COORD_KEL, "api/overview?month=2024-12"),
        ("posyandu month", COORD_KEL, "api/posyandu/100?month=2024-12"),
        ("annual review kelurahan", COORD_KEL, "api/review?year=2024"),
        ("annual review city", COORD_CITY, "api/review?year=2024"),
    ]
    every: list[float] = []
    async with aiohttp.ClientSession() as session:
        for label, uid, path in paths:
            samples = []
            headers = {"Authorization": "tma " + init_data[uid]}
            for i in range(rounds + 2):
                t0 = time.perf_counter()
                async with session.get(base + path, headers=headers) as r:
                    body = await r.read()
                    assert r.status == 200, (path, r.status, body[:200])
                if i >= 2:  # the first two warm the connection and the process's caches
                    samples.append(time.perf_counter() - t0)
            every += samples
            print(f"  {label:<26} {percentiles(samples)}  ({len(body) / 1024:.0f} KiB)")
        # Four clients at once (a few coordinators opening the dashboard together).
        async def client(uid: int, path: str) -> list[float]:
            out = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                async with session.get(base + path, headers={"Authorization": "tma " + init_data[uid]}) as r:
                    await r.read()
                out.append(time.perf_counter() - t0)
            return out

        concurrent = await asyncio.gather(*(client(uid, path) for _, uid, path in paths[1:5]))
    print(f"  {'all of the above':<26} {percentiles(every)}  ({len(every)} requests, one at a time)")
    print(f"  {'4 clients at once':<26} {percentiles([s for c in concurrent for s in c])}")


async def first_render(page_url: str, loads: int) -> None:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        print("  (playwright not installed: make test installs it)")
        return
    if shutil.which(CHROMIUM) is None:
        print("  (no Chromium: apt-get install chromium)")
        return
    profile = tempfile.mkdtemp(prefix="dashboard-bench-")
    try:
        async with async_playwright() as pw:
            context = await pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS,
                viewport={"width": 360, "height": 740})
            page = context.pages[0] if context.pages else await context.new_page()
            times = []
            for i in range(loads):
                t0 = time.perf_counter()
                if i == 0:
                    await page.goto(page_url)
                else:
                    await page.reload()
                await page.wait_for_selector("body[data-ready=overview]", timeout=30000)
                wall = time.perf_counter() - t0
                mark = await page.evaluate("performance.getEntriesByName('ready-overview')[0].startTime")
                times.append(mark / 1000)
                rows = await page.locator("#pos tbody tr").count()
                if i == 0:
                    print(f"  first open (new profile): {mark:.0f} ms from navigation to the overview on screen "
                          f"({wall * 1000:.0f} ms as Playwright saw it; {rows} posyandu rows shown)")
                if i in (0, loads - 1):
                    steps = await page.evaluate(
                        "JSON.stringify(performance.getEntriesByType('resource').map(e => "
                        "[e.name.split('?')[0].split('/').slice(-2).join('/'), Math.round(e.startTime), "
                        "Math.round(e.responseEnd)]))")
                    print("    " + ("first open" if i == 0 else "last reload") + ": " + ", ".join(
                        f"{name} {start}-{end} ms" for name, start, end in json.loads(steps)))
            print(f"  reloads: {percentiles(times[1:])} ({loads - 1} loads)")
            await context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


async def files(repos: Any, settings: Any) -> None:
    from bot.i18n import get_translator
    from bot.services import annual_review as review_svc
    from bot.services import review_files
    from bot.services.dashboard_scope import dashboard_scope

    tr = get_translator("id")
    scope = await dashboard_scope(repos, COORD_CITY, [])
    assert scope is not None
    t0 = time.perf_counter()
    review = await review_svc.build_review(repos, scope, None, 2024, tr, TODAY)
    t1 = time.perf_counter()
    xlsx = review_files.review_xlsx(review, tr)
    t2 = time.perf_counter()
    pdf = review_files.review_pdf(review, tr)
    t3 = time.perf_counter()
    print(f"  city review: data {1000 * (t1 - t0):.0f} ms, XLSX {1000 * (t2 - t1):.0f} ms "
          f"({len(xlsx) / 1024:.0f} KiB), PDF {1000 * (t3 - t2):.0f} ms ({len(pdf) / 1024:.0f} KiB, "
          f"{len(review.posyandu)} posyandu)")


async def main(args: argparse.Namespace, db_path: Path) -> None:
    api = FakeBotAPI(token=OFFLINE_TOKEN)
    await api.start()
    settings = load_settings(telegram_api_base_url=api.base_url, telegram_api_base_file_url=api.base_file_url,
                             database_url=f"sqlite:///{db_path}", dashboard_url=URL)
    app = await create_application(settings, clock=FixedClock())
    await app.initialize()
    server = WebServer(make_web_app(app, settings))
    try:
        await app.start()
        port = await server.start("127.0.0.1", 0)
        base = f"http://127.0.0.1:{port}/dasbor/"
        repos = app.runtime.repos
        pids = [p.id for p in await repos.posyandu.list_all()]
        t0 = time.perf_counter()
        await dc.fill(repos, pids, TODAY)
        print(f"kept month counts, first fill after start ({len(pids)} posyandu x 13 months, in the background "
              f"while the bot runs): {time.perf_counter() - t0:.1f} s")
        now = int(FixedClock().now().timestamp())
        init_data = {uid: signed_init_data(uid, OFFLINE_TOKEN, now - 60) for uid in (COORD_CITY, COORD_KEL)}
        print(f"API latency, real HTTP ({args.rounds} requests each):")
        await api_latency(base, init_data, args.rounds)
        print("Time to first render in headless Chromium (city coordinator, 360 px):")
        url = (base + "#tgWebAppData=" + quote(init_data[COORD_CITY], safe="") + "&tgWebAppVersion=7.0"
               "&tgWebAppThemeParams=" + quote(json.dumps({"bg_color": "#ffffff"}), safe=""))
        await first_render(url, args.loads)
        print("Annual review files:")
        await files(repos, settings)
    finally:
        await server.stop()
        await app.stop()
        await app.shutdown()
        await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measurements", type=int, default=1_000_000)
    parser.add_argument("--posyandu", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=40, help="requests per endpoint")
    parser.add_argument("--loads", type=int, default=6, help="page loads in the browser")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "posyandu-bench")
    arguments = parser.parse_args()
    path = prepare(arguments.measurements, arguments.posyandu, arguments.cache)
    asyncio.run(main(arguments, path))
