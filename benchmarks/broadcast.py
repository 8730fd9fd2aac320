"""Broadcast benchmark: one /siaran to N recipients through the real Application and the Bot API stand-in,
with the stand-in enforcing Telegram's 30 messages/s (sliding one-second window, 429 beyond it).

Prints the achieved send rate as a share of the limit, lost and duplicated copies, 429s seen, and memory
(tracemalloc peak of the whole process, and the bot side alone: everything but the stand-in's own
records), plus the process's peak RSS.

    python benchmarks/broadcast.py                       # 10,000 recipients, the bot's defaults (~6 min)
    python benchmarks/broadcast.py -n 1500               # quicker
    python benchmarks/broadcast.py -n 1500 --rate 0 --concurrency 30   # PTB's AIORateLimiter alone
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import handlers.broadcast_send as hb
from bot.app import OFFLINE_TOKEN, create_application
from bot.config import load_settings
from bot.sim.fake_api import FakeBotAPI
from storage import AreaLevel, PosyanduCreate, Repositories, Role

LIMIT = 30.0
COORDINATOR = 1
FIRST_RECIPIENT = 1_000_000
TEXT = "Pengumuman: posyandu bulan ini diadakan hari Selasa pukul 08.00 di balai RW 05."


async def seed(repos: Repositories, n: int) -> None:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Bench")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kecamatan Bench", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kelurahan Bench", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="Posyandu Bench", area_id=kel.id))
    await repos.users.upsert(COORDINATOR, "Koordinator", "id")
    await repos.users.set_role(COORDINATOR, Role.COORDINATOR, area_id=kel.id)
    now = "2024-12-01T00:00:00.000000+00:00"
    # Bulk SQL: setting up 10,000 cadres is not what is measured.
    await repos.db.executemany(
        "INSERT INTO users (telegram_id, display_name, language, role, posyandu_id, created_at)"
        " VALUES (?, ?, 'id', 'cadre', ?, ?)",
        [(FIRST_RECIPIENT + i, f"Kader {i}", pos.id, now) for i in range(n)])


async def press(api: FakeBotAPI, label: str) -> None:
    api.press(COORDINATOR, label)
    await api.wait_idle(timeout=30)


async def run(n: int, rate: float, concurrency: int, window_limit: int | None, window: float, path: Path) -> None:
    tracemalloc.start()
    api = FakeBotAPI(token=OFFLINE_TOKEN)
    await api.start()
    api.rate_limit_per_second = LIMIT
    api.per_chat_limit = 1.0
    api.user(COORDINATOR, "Koordinator")
    for i in range(n):
        api.user(FIRST_RECIPIENT + i, f"Kader {i}")
    hb.SEND_RATE, hb.SEND_CONCURRENCY, hb.SEND_WINDOW_LIMIT, hb.SEND_WINDOW = rate, concurrency, window_limit, window
    settings = load_settings(telegram_api_base_url=api.base_url, telegram_api_base_file_url=api.base_file_url,
                             database_url=f"sqlite:///{path}")
    app = await create_application(settings)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        await seed(app.runtime.repos, n)
        api.send_message(COORDINATOR, "/siaran")
        await api.wait_idle(timeout=30)
        api.send_message(COORDINATOR, TEXT)
        await api.wait_idle(timeout=30)
        await press(api, "Kader")
        await press(api, "Seluruh Kelurahan Bench")
        # 1 message a second to one chat (the bot's send budget, and the stand-in's limit): the summary after the
        # preview comes a moment later; the area picker's text also starts with "Kirim ke".
        counted = (f"{n:,}".replace(",", "."), str(n))

        def summary_shown() -> bool:
            text = str(api.last_message(COORDINATOR).get("text"))
            return "Kirim ke" in text and any(c in text for c in counted)

        await api.wait_for(summary_shown, 30)
        snapshot_before = tracemalloc.take_snapshot()
        started = time.monotonic()
        api.press(COORDINATOR, "Kirim")

        def reported() -> bool:
            return any(str(m.get("text", "")).startswith("✅ Siaran") for m in api.messages(COORDINATOR))

        await api.wait_for(reported, timeout=n / LIMIT * 3 + 60)
        elapsed = time.monotonic() - started
        snapshot_after = tracemalloc.take_snapshot()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await api.stop()

    sends = [c for c in api.calls if c.method == "sendMessage" and isinstance(c.params.get("chat_id"), int)
             and c.params["chat_id"] >= FIRST_RECIPIENT]
    ok = [c for c in sends if c.error is None]
    got = Counter(c.params["chat_id"] for c in ok)
    lost = sum(1 for i in range(n) if got[FIRST_RECIPIENT + i] == 0)
    duplicated = sum(1 for v in got.values() if v > 1)
    too_many = sum(1 for c in sends if c.error and c.error.get("error_code") == 429)
    too_many_other = sum(1 for c in api.calls if c.error and c.error.get("error_code") == 429) - too_many
    first, last = min(c.at for c in ok), max(c.at for c in ok)
    achieved = (len(ok) - 1) / (last - first) if last > first else float("inf")
    edits = sum(1 for c in api.calls if c.method == "editMessageText" and c.params.get("chat_id") == COORDINATOR)
    bot_side = sum(s.size_diff for s in snapshot_after.compare_to(snapshot_before, "filename")
                   if "fake_api" not in str(s.traceback) and "aiohttp" not in str(s.traceback))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"recipients {n:,}; pacing {rate:g}/s (0 = none), at most {window_limit or int(rate)} per {window:g} s, "
          f"{concurrency} sends in flight; stand-in limit {LIMIT:g}/s")
    print(f"  delivered {len(ok):,} in {last - first:.1f} s of sending ({elapsed:.1f} s from 'Kirim' to the report)")
    print(f"  achieved rate {achieved:.2f} msg/s = {100 * achieved / LIMIT:.1f} % of the limit (target >= 90 %)")
    print(f"  lost {lost}, duplicated {duplicated}, 429 answers to broadcast sends {too_many} (to the "
          f"coordinator's own chat, 1 msg/s per chat: {too_many_other}), progress edits {edits}")
    print(f"  memory: tracemalloc peak {peak / 2**20:.1f} MiB (whole process incl. the stand-in's records), "
          f"bot-side growth during the send {bot_side / 2**20:.1f} MiB; peak RSS {rss_mb:.0f} MiB")
    tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=hb.SEND_RATE, help="our pacing, messages/s (0: none)")
    parser.add_argument("--concurrency", type=int, default=hb.SEND_CONCURRENCY)
    parser.add_argument("--window-limit", type=int, default=hb.SEND_WINDOW_LIMIT,
                        help="sends per window (0: no window cap; default: int(rate))")
    parser.add_argument("--window", type=float, default=hb.SEND_WINDOW)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.recipients, args.rate, args.concurrency, args.window_limit, args.window,
                        Path(tmp) / "bench.db"))


if __name__ == "__main__":
    main()
