"""Several real worker processes (`python -m bot run`) on one database against the Bot API stand-in.

Used by tests/e2e/test_workers.py and benchmarks/workers.py. The stand-in can *hold* every sendMessage: a
request that arrives while held waits; when released, a request whose client is gone (the worker was killed
meanwhile) is not performed, as Telegram never received it. Holding before a kill -9 makes the kill land
while requests are in flight and never in the few milliseconds between Telegram's answer and the worker's
commit of "sent" (the one window where a message can go out twice: docs/workers.md).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import OFFLINE_TOKEN
from bot.sim.fake_api import FakeBotAPI
from storage import coordinator_queries as cq
from storage.db import Database
from storage.models import BroadcastCreate
from tests import pg_server

ROOT = Path(__file__).resolve().parents[2]
AUTHOR = 7000  # the coordinator who "sent" the seeded broadcast (gets its final report)
BROADCAST_FIRST = 30_000


class HoldingBotAPI(FakeBotAPI):
    """sendMessage takes `delay` seconds and waits while held; a request whose worker died is dropped."""

    def __init__(self, *args: Any, delay: float = 0.05, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay
        self._open = asyncio.Event()
        self._open.set()
        self.dropped = 0

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info.get("method", "").lower() == "sendmessage":
            try:
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self._open.wait()
            except asyncio.CancelledError:  # aiohttp cancels the handler of a connection that died
                self.dropped += 1
                raise
            if request.transport is None or request.transport.is_closing():
                self.dropped += 1
                return web.Response(status=499)
        return await super()._handle(request)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_env(api: FakeBotAPI, db_path: Path, worker_id: str, **extra: str) -> dict[str, str]:
    """A worker in webhook mode (as in production: docs/deployment.md), each on a port of its own. Nothing posts
    updates to it here; the webhook mode only keeps the workers from competing for getUpdates."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": OFFLINE_TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_BASE_FILE_URL": api.base_file_url,
        "DATABASE_URL": pg_server.database_url(db_path),
        "WORKER_ID": worker_id,
        "WEBHOOK_URL": "https://bot.example.id/telegram",
        "WEBHOOK_SECRET": "workers-test-secret-0123456789",
        "WEBHOOK_PORT": str(free_port()),
        "WORKER_LEASE_SECONDS": "4",
        "WORKER_HEARTBEAT_SECONDS": "0.5",
        "POSYANDU_BROADCAST_RESUME_INTERVAL": "1",
        "POSYANDU_REMINDER_FIRST": "0.5",
        "POSYANDU_REMINDER_INTERVAL": "1",
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra)
    return env


async def spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    fh = log.open("ab")
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", "--webhook", cwd=str(ROOT),
                                                env=env, stdout=fh, stderr=fh)


async def seed_broadcast(db: Database, api: FakeBotAPI, n: int) -> tuple[int, set[int]]:
    """A confirmed broadcast to `n` parents (as /siaran leaves it): every worker's resume job picks it up."""
    recipients = list(range(BROADCAST_FIRST, BROADCAST_FIRST + n))
    for uid in [*recipients, AUTHOR]:
        api.user(uid, f"U{uid}")
    created = await cq.create_broadcast(db, BroadcastCreate(author_id=AUTHOR, text="Halo semua, posyandu buka.",
                                                            audience="parents"), recipients, chat_id=AUTHOR)
    return created.id, set(recipients)


def sends(api: FakeBotAPI) -> list[Any]:
    return [c for c in api.calls if c.method == "sendMessage" and c.error is None]


def doubled(api: FakeBotAPI) -> dict[tuple[int, str], int]:
    """(chat, text) pairs sent more than once."""
    counts = Counter((c.params["chat_id"], c.result["text"]) for c in sends(api))
    return {k: v for k, v in counts.items() if v > 1}


def received(api: FakeBotAPI, chats: set[int], marker: str) -> Counter[int]:
    """How many messages containing `marker` each of `chats` got."""
    return Counter(c.params["chat_id"] for c in sends(api)
                   if c.params["chat_id"] in chats and marker in c.result["text"])


def max_per_second(api: FakeBotAPI, since: float = 0.0, until: float = float("inf")) -> int:
    """The most sendMessage calls that reached the stand-in within any one second of [since, until]."""
    times = sorted(c.at for c in sends(api) if since <= c.at <= until)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def stop(procs: list[asyncio.subprocess.Process]) -> None:
    for proc in procs:
        if proc.returncode is None:
            proc.terminate()
    for proc in procs:
        try:
            await asyncio.wait_for(proc.wait(), timeout=15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def now() -> float:
    return time.monotonic()
