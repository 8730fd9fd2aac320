"""Throughput of a broadcast sent by 1 and 2 worker processes through the Bot API stand-in (issue 18, item 2).

    .venv/bin/python benchmarks/workers.py [--recipients 300] [--raised-recipients 2000] [--raised-rate 1000]

Each run seeds a fresh SQLite database with one confirmed broadcast, starts the workers (`python -m bot run
--webhook`, as in production) and measures, at the stand-in, the messages per second from the first copy to the
last, and checks that nobody got the announcement twice or not at all. With Telegram's limit (30/s) the workers
share the budget, so two workers are no faster; with the limit raised (TELEGRAM_SENDS_PER_SECOND) the figure
shows the claims themselves scale.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import OFFLINE_TOKEN  # noqa: E402
from storage import open_database  # noqa: E402
from tests.e2e import workers_support as ws  # noqa: E402


async def run(workers: int, recipients: int, per_second: int, delay: float) -> tuple[float, int, int, float]:
    """(messages a second, lost, doubled, elapsed seconds) of one broadcast."""
    api = ws.HoldingBotAPI(token=OFFLINE_TOKEN, delay=delay)
    await api.start()
    procs: list[asyncio.subprocess.Process] = []
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        db = await open_database(db_path)
        try:
            _, chats = await ws.seed_broadcast(db, api, recipients)
        finally:
            await db.close()
        try:
            for i in range(workers):
                env = ws.worker_env(api, db_path, f"w{i + 1}", TELEGRAM_SENDS_PER_SECOND=str(per_second),
                                    POSYANDU_REMINDER_FIRST="3600", LOG_LEVEL="WARNING")
                procs.append(await ws.spawn(env, Path(tmp) / f"w{i + 1}.log"))
            started = time.monotonic()
            await api.wait_for(lambda: set(ws.received(api, chats, "Halo semua")) == chats,
                               timeout=max(60.0, 3 * recipients / min(per_second, 400)))
            elapsed = time.monotonic() - started
            await asyncio.sleep(1.0)  # anything sent twice would show now
        finally:
            await ws.stop(procs)
            await api.stop()
    got = ws.received(api, chats, "Halo semua")
    times = sorted(c.at for c in ws.sends(api) if c.params["chat_id"] in chats)
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
    lost = len(chats - set(got))
    doubled = sum(n - 1 for n in Counter(got).values() if n > 1)
    return rate, lost, doubled, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--raised-recipients", type=int, default=2000)
    parser.add_argument("--raised-rate", type=int, default=1000, help="TELEGRAM_SENDS_PER_SECOND for the 2nd table")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds the stand-in takes per sendMessage")
    args = parser.parse_args()
    print(f"stand-in latency {args.delay * 1000:.0f} ms per sendMessage; 8 sends in flight per worker")
    for label, per_second, n in (("Telegram's limit", 30, args.recipients),
                                 ("limit raised", args.raised_rate, args.raised_recipients)):
        print(f"\n{label}: TELEGRAM_SENDS_PER_SECOND={per_second}, broadcast to {n}")
        print(f"{'workers':>8} {'msgs/s':>8} {'lost':>5} {'doubled':>8} {'wall s':>7}")
        for workers in (1, 2):
            rate, lost, doubled, elapsed = await run(workers, n, per_second, args.delay)
            print(f"{workers:>8} {rate:>8.1f} {lost:>5} {doubled:>8} {elapsed:>7.1f}")


if __name__ == "__main__":
    asyncio.run(main())
