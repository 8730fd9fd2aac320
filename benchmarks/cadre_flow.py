"""Benchmark of the cadre journey end to end: the Bot API stand-in in this process, the bot in a subprocess.

Each "entry" is the full guided `/ukur` (6 round trips: child by code, today, weight, length, no extras,
save) or one `/catat` line. Several simulated cadres run at once; each waits for the bot's answer before the
next step, like a person would. Printed: complete entries per second, p50/p95 latency per step and of the last
step (Save -> result card), next to the same figures for a bare PTB echo bot (answers each message or button
with one message) driven the same way on the same stand-in, and the ratio. The echo bot runs twice: with PTB's
default transport (httpx: the "bare PTB echo bot") and with our aiohttp transport (bot/telegram_http.py), so
the second ratio shows what our handlers, database and persistence cost on top of the same HTTP client.

    .venv/bin/python benchmarks/cadre_flow.py                 # production settings (the bot: the shared send
                                                              # budget, 30 msg/s and 1/s per chat; echo: AIORateLimiter)
    .venv/bin/python benchmarks/cadre_flow.py --no-limiter    # without the rate limiter: our own overhead

With the limiter both bots are capped by Telegram's 30 messages/s, so the figures without it show what our
handlers, database and per-update persistence flush cost.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from bot.app import OFFLINE_TOKEN  # noqa: E402
from bot.sim.fake_api import FakeBotAPI  # noqa: E402

FIRST_CADRE = 50_000


class DelayedBotAPI(FakeBotAPI):
    """The stand-in with a network round trip added to every request, like a bot in Indonesia talking to
    api.telegram.org (tens to hundreds of ms). getUpdates is not delayed: it only adds idle time."""

    latency = 0.0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.latency and request.match_info.get("method", "").lower() != "getupdates":
            await asyncio.sleep(self.latency)
        return await super()._handle(request)


# ------------------------------------------------------------------ the bot processes


async def serve_bot(base_url: str, file_url: str, db_path: str, limiter: bool) -> None:
    from bot.app import create_application
    from bot.config import load_settings

    settings = load_settings(telegram_api_base_url=base_url, telegram_api_base_file_url=file_url,
                             database_url=f"sqlite:///{db_path}", log_level="WARNING")
    app = await create_application(settings)
    if not limiter:
        app.bot._rate_limiter = None  # benchmark only: measure our overhead, not Telegram's cap
    await _run_forever(app)


async def serve_echo(base_url: str, limiter: bool, transport: str = "httpx") -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import AIORateLimiter, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler
    from telegram.ext import filters as f

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat
        if update.callback_query:
            await update.callback_query.answer()
        text = update.effective_message.text if update.message and update.message.text else "ok"
        # One button on every answer, so the driver presses buttons where the real flow does.
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]])
        await context.bot.send_message(update.effective_chat.id, text or "ok", reply_markup=keyboard)

    builder = ApplicationBuilder().token(OFFLINE_TOKEN).base_url(base_url)
    if transport == "aiohttp":  # the echo bot on our transport: the ratio then shows our handlers' overhead only
        from bot.telegram_http import make_request

        builder = builder.request(make_request("aiohttp"))
        builder = builder.get_updates_request(make_request("aiohttp", for_updates=True))
    if limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.add_handler(MessageHandler(f.ALL, echo))
    app.add_handler(CallbackQueryHandler(echo))
    await _run_forever(app)


async def _run_forever(app: Any) -> None:
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await asyncio.Event().wait()


# ------------------------------------------------------------------ driving


@dataclass
class Figures:
    entries: int = 0
    seconds: float = 0.0
    step_ms: list[float] = field(default_factory=list)
    last_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = float("nan")  # the bot process (all threads) during the run

    def line(self, name: str) -> str:
        def pct(values: list[float], p: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")

        return (f"{name:<28} {self.entries / self.seconds:7.1f} entries/s   step p50 {pct(self.step_ms, .5):6.1f} ms"
                f"  p95 {pct(self.step_ms, .95):6.1f} ms   last step p50 {pct(self.last_ms, .5):6.1f} ms"
                f"  p95 {pct(self.last_ms, .95):6.1f} ms"
                f"   bot CPU {1000 * self.cpu_seconds / self.entries:5.1f} ms/entry")


async def _step(api: FakeBotAPI, user: int, action: str, timeout: float = 20.0) -> float:
    """Send a message ("text") or press a button ("@label"); return ms until the bot's next new message."""
    before = len(api.messages(user))
    started = time.perf_counter()
    if action.startswith("@"):
        api.press(user, action[1:])
    else:
        api.send_message(user, action)
    deadline = started + timeout
    while len(api.messages(user)) <= before:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no answer to {action!r} for user {user}\n{api.dump()}")
        await asyncio.sleep(0.0005)
    return (time.perf_counter() - started) * 1000


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(api: FakeBotAPI, scripts: dict[int, list[list[str]]], pid: int) -> Figures:
    figures = Figures()
    cpu_before = _cpu_seconds(pid)

    async def cadre(user: int, entries: list[list[str]]) -> None:
        for steps in entries:
            for i, action in enumerate(steps):
                ms = await _step(api, user, action)
                figures.step_ms.append(ms)
                if i == len(steps) - 1:
                    figures.last_ms.append(ms)
            figures.entries += 1

    started = time.perf_counter()
    await asyncio.gather(*(cadre(u, e) for u, e in scripts.items()))
    figures.seconds = time.perf_counter() - started
    figures.cpu_seconds = _cpu_seconds(pid) - cpu_before
    return figures


def values(n: int) -> tuple[str, str]:
    """Weight and length of the n-th entry: different for every entry (no cache sees the same child twice),
    all plausible for the seeded ages (1-2 years)."""
    return f"{9 + (n * 7 % 31) / 10:.1f}".replace(".", ","), f"{76 + (n * 13 % 97) / 10:.1f}".replace(".", ",")


def guided(code: str, n: int = 0) -> list[str]:
    weight, length = values(n)
    return [f"/ukur {code}", "@Hari ini", weight, length, "@Tidak ada ukuran lain", "@Simpan"]


def echo_guided(code: str, n: int = 0) -> list[str]:
    # The same number of round trips, buttons pressed where the real flow presses them.
    weight, length = values(n)
    return [f"/ukur {code}", "@ok", weight, length, "@ok", "@ok"]


async def _seed(db_path: Path, cadres: int, children: int) -> list[str]:
    from storage import Repositories, open_database
    from storage.models import AreaLevel, ChildCreate, PosyanduCreate, Role, Sex

    db = await open_database(db_path)
    repos = Repositories(db)
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="Posyandu Bench", area_id=kel.id))
    for i in range(cadres):
        await repos.users.set_role(FIRST_CADRE + i, Role.CADRE, posyandu_id=pos.id)
    first_birth = dt.date.today() - dt.timedelta(days=700)
    codes = []
    for i in range(children):
        # Ages 1 y 2 m to 1 y 11 m, both sexes: no two entries share a growth-table lookup.
        birth = first_birth + dt.timedelta(days=i % 270)
        child = await repos.children.create(ChildCreate(name=f"Anak {i}", sex=(Sex.MALE, Sex.FEMALE)[i % 2],
                                                        birth_date=birth, posyandu_id=pos.id))
        codes.append(child.code)
    await db.close()
    return codes


async def _count_measurements(db_path: Path) -> int:
    from storage import open_database

    db = await open_database(db_path)
    try:
        return int(await db.fetchval("SELECT COUNT(*) FROM measurements WHERE superseded_by IS NULL"))
    finally:
        await db.close()


async def _with_subprocess(api: FakeBotAPI, argv: list[str]) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(sys.executable, __file__, *argv, env=env)
    await api.wait_for(lambda: api.get_updates_calls > 0, timeout=60)
    return proc


async def bench(cadres: int, per_cadre: int, limiter: bool, quick: bool, latency_ms: float = 0.0) -> None:
    lim = [] if limiter else ["--no-limiter"]
    results: list[tuple[str, Figures]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        codes = await _seed(db_path, cadres, cadres * per_cadre * (2 if quick else 1))
        for kind in ("bot", "echo", "echo-aiohttp"):
            api = DelayedBotAPI(token=OFFLINE_TOKEN)
            api.latency = latency_ms / 1000
            await api.start()
            argv = (["--serve-bot", api.base_url, api.base_file_url, str(db_path)] if kind == "bot"
                    else ["--serve-echo", api.base_url, "aiohttp" if kind == "echo-aiohttp" else "httpx"])
            proc = await _with_subprocess(api, argv + lim)
            try:
                users = [FIRST_CADRE + i for i in range(cadres)]
                for u in users:
                    api.user(u, f"Kader {u}")
                make = guided if kind == "bot" else echo_guided
                await _step(api, users[0], "/start")  # warm-up (first update, imports, catalogs)
                scripts = {u: [make(codes[i * per_cadre + j], i * per_cadre + j) for j in range(per_cadre)]
                           for i, u in enumerate(users)}
                results.append((f"{kind}: /ukur (6 steps)", await _drive(api, scripts, proc.pid)))
                if quick:
                    offset = cadres * per_cadre
                    qscripts = {u: [[f"/catat {codes[offset + i * per_cadre + j]} "
                                      f"{' '.join(values(offset + i * per_cadre + j))}"] if kind == "bot"
                                     else ["/catat"] for j in range(per_cadre)] for i, u in enumerate(users)}
                    results.append((f"{kind}: /catat (1 step)", await _drive(api, qscripts, proc.pid)))
            finally:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), timeout=10)
                await api.stop()
            if kind == "bot":  # every entry counted above must be a saved measurement, not a question
                saved = await _count_measurements(db_path)
                expected = cadres * per_cadre * (2 if quick else 1)
                if saved != expected:
                    raise SystemExit(f"only {saved} of {expected} entries were saved: the figures are void")
    print(f"cadres at once: {cadres}, entries per cadre: {per_cadre}, rate limiter: {'on' if limiter else 'off'}, "
          f"added network latency per Bot API call: {latency_ms:g} ms")
    for name, fig in results:
        print(fig.line(name))
    by_name = dict(results)
    for flow in ("/ukur (6 steps)", "/catat (1 step)"):
        ours = by_name.get(f"bot: {flow}")
        for echo_name, what in (("echo", "the bare PTB echo bot (httpx)"),
                                ("echo-aiohttp", "the echo bot on our aiohttp transport")):
            echo = by_name.get(f"{echo_name}: {flow}")
            if ours and echo:
                print(f"{flow}: throughput {100 * ours.entries / ours.seconds / (echo.entries / echo.seconds):.0f}% "
                      f"of {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=8)
    parser.add_argument("--entries", type=int, default=10, help="entries per cadre")
    parser.add_argument("--no-limiter", action="store_true")
    parser.add_argument("--no-quick", action="store_true")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="delay every Bot API call by this much (real Telegram is tens of ms away)")
    parser.add_argument("--serve-bot", nargs=3, metavar=("BASE_URL", "FILE_URL", "DB"))
    parser.add_argument("--serve-echo", nargs=2, metavar=("BASE_URL", "TRANSPORT"))
    args = parser.parse_args()
    if args.serve_bot:
        if os.environ.get("CADRE_BENCH_PROFILE"):  # where the bot's time goes: cProfile dump on SIGTERM
            import cProfile
            import signal

            profiler = cProfile.Profile()
            # Start on SIGUSR1 when asked (CADRE_BENCH_PROFILE_ON_SIGNAL=1), so start-up stays out of the figures.
            if os.environ.get("CADRE_BENCH_PROFILE_ON_SIGNAL"):
                signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
            else:
                profiler.enable()

            def dump(*_: object) -> None:
                profiler.disable()
                profiler.dump_stats(os.environ["CADRE_BENCH_PROFILE"])
                os._exit(0)

            signal.signal(signal.SIGTERM, dump)
        asyncio.run(serve_bot(*args.serve_bot, limiter=not args.no_limiter))
    elif args.serve_echo:
        asyncio.run(serve_echo(args.serve_echo[0], limiter=not args.no_limiter, transport=args.serve_echo[1]))
    else:
        asyncio.run(bench(args.cadres, args.entries, not args.no_limiter, not args.no_quick, args.latency_ms))


if __name__ == "__main__":
    main()
