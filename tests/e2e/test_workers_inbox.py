"""Webhook mode with two workers behind one URL (UPDATE_SHARDS): a chat's updates in order and once, across a kill -9.

Telegram (the stand-in) posts every update to a round-robin proxy in front of two worker processes, and the
proxy delivers each update a second time to the other worker, as Telegram does when an answer is late. A cadre
enters a measurement with /ukur; half-way, the worker that owns the cadre's shard is killed with SIGKILL. The
survivor takes the shard over when its lease lapses, reads the cadre's conversation afresh from the database,
and the cadre carries on at the same step: one measurement stored, every prompt shown once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import signal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.app import OFFLINE_TOKEN
from bot.demo import CADRE_ID, seed_demo
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories, open_database
from tests.e2e import workers_support as ws
from tests.e2e.harness import buttons

SHARDS = 8


class ProxiedBotAPI(FakeBotAPI):
    """Delivers the webhook to `proxy_url` whatever URL the bot registered (the bot's URL is the public one)."""

    proxy_url = ""

    async def _m_set_webhook(self, p: Any) -> Any:
        return await super()._m_set_webhook({**p, "url": self.proxy_url})


class Proxy:
    """Round robin over the workers, the next one when a worker is down; every update goes to a second worker
    too (a repeated delivery)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._turn = itertools.cycle(range(len(ports)))
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.session: ClientSession | None = None

    async def _post(self, port: int, request: web.Request, body: bytes) -> int:
        assert self.session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type",
                                                                             "x-telegram-bot-api-secret-token")}
        async with self.session.post(f"http://127.0.0.1:{port}/telegram", data=body, headers=headers) as r:
            return r.status

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        first = next(self._turn)
        order = [self.ports[(first + i) % len(self.ports)] for i in range(len(self.ports))]
        for i, port in enumerate(order):
            try:
                status = await self._post(port, request, body)
            except ClientError:
                continue  # that worker is down: the next one
            for other in order[i + 1:]:  # the repeated delivery
                with contextlib.suppress(ClientError):
                    await self._post(other, request, body)
            return web.Response(status=status)
        return web.Response(status=502)

    async def start(self) -> None:
        self.session = ClientSession(timeout=ClientTimeout(total=20))
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        port = ws.free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/"

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self._runner is not None:
            await self._runner.cleanup()


async def _say(api: FakeBotAPI, text: str, expect: str, *, press: bool = False, timeout: float = 30) -> str:
    before = len(api.messages(CADRE_ID))
    if press:
        api.press(CADRE_ID, text)
    else:
        api.send_message(CADRE_ID, text)

    def arrived() -> bool:
        msgs = api.messages(CADRE_ID)[max(before - 1, 0):]
        return any(expect in str(m.get("text") or "") + " ".join(buttons(m)) for m in msgs)

    await api.wait_for(arrived, timeout=timeout)
    return str(api.last_message(CADRE_ID).get("text"))


@pytest.mark.slow
async def test_two_webhook_workers_keep_a_conversation_in_order_and_once_across_a_kill(tmp_path: Path) -> None:
    api = ProxiedBotAPI(token=OFFLINE_TOKEN)
    await api.start()
    db_path = tmp_path / "bot.db"
    db = await open_database(db_path)
    try:
        await seed_demo(Repositories(db), dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date())
    finally:
        await db.close()
    api.user(CADRE_ID, "Sari")
    envs = [ws.worker_env(api, db_path, f"w{i + 1}", UPDATE_SHARDS=str(SHARDS), POSYANDU_REMINDER_FIRST="3600")
            for i in range(2)]
    proxy = Proxy([int(env["WEBHOOK_PORT"]) for env in envs])
    await proxy.start()
    api.proxy_url = proxy.url
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    procs: list[asyncio.subprocess.Process] = []
    try:
        procs = [await ws.spawn(env, log) for env, log in zip(envs, logs, strict=True)]
        await _say(api, "/ukur A1", "Hari ini", timeout=40)
        await _say(api, "Hari ini", "Berat badan", press=True)
        await _say(api, "10,9", "Panjang")
        await asyncio.sleep(0.3)  # the reply went out; its flush is in the same update

        db = await open_database(db_path, migrate=False)
        try:
            owner = await db.fetchval("SELECT owner FROM update_shards WHERE shard = ?", (CADRE_ID % SHARDS,))
        finally:
            await db.close()
        assert owner in ("w1", "w2")
        victim = procs[int(str(owner)[1:]) - 1]
        victim.send_signal(signal.SIGKILL)
        await victim.wait()

        reply = await _say(api, "81,5", "LiLA", timeout=30)  # the length step, with the weight kept
        assert "LiLA" in reply
        await _say(api, "Tidak ada ukuran lain", "Simpan", press=True)
        card = await _say(api, "Simpan", "Tersimpan", press=True)
        assert "10,9 kg" in card and "81,5 cm" in card
        await asyncio.sleep(1.0)
        await ws.stop(procs)

        texts = [str(m.get("text") or "") for m in api.messages(CADRE_ID) if m.get("from", {}).get("is_bot")]
        for prompt in ("Kapan anak diukur", "Berat badan (kg)?", "Panjang/tinggi badan (cm)?",
                       "Lingkar lengan atas (LiLA)", "Mohon periksa", "✅ Tersimpan"):
            assert sum(t.split("\n")[0].startswith(prompt) or ("\n" + prompt) in t for t in texts) == 1, prompt
        db = await open_database(db_path, migrate=False)
        try:
            assert await db.fetchval(
                "SELECT COUNT(*) FROM measurements m JOIN children c ON c.id = m.child_id"
                " WHERE c.code = 'A1' AND m.weight_kg = 10.9") == 1
            assert await db.fetchval("SELECT COUNT(*) FROM update_inbox WHERE done_at IS NULL") == 0
        finally:
            await db.close()
    except BaseException:
        for log in logs:
            print(log.name, log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)")
        print(api.dump())
        raise
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await proxy.stop()
        await api.stop()
