"""Helpers of the dashboard tests (no tests here): the bot's web server on a free port beside a BotHarness, and
requests signed as Telegram signs a Mini App's initData."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from bot.webapp.initdata import signed_init_data
from bot.webapp.server import WebServer, make_web_app
from tests.e2e.harness import BotHarness

DASHBOARD_URL = "https://bot.example.id/dasbor/"
PREFIX = "/dasbor"


class Dashboard:
    """The running dashboard of one harness: `get`/`put`/`post` as a Telegram user (signed initData)."""

    def __init__(self, bot: BotHarness) -> None:
        assert bot.app is not None
        self.bot = bot
        self.server = WebServer(make_web_app(bot.app, bot.settings))
        self.token = bot.app.bot.token
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> Dashboard:
        await self.server.start("127.0.0.1", 0)
        self.session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        await self.server.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{PREFIX}/"

    def init_data(self, user_id: int, *, age: float = 60, lang: str = "id") -> str:
        now = self.bot.runtime.clock.now().timestamp()
        return signed_init_data(user_id, self.token, int(now - age), language_code=lang)

    def headers(self, user_id: int | None, **kw: Any) -> dict[str, str]:
        return {} if user_id is None else {"Authorization": "tma " + self.init_data(user_id, **kw)}

    async def request(self, method: str, path: str, user_id: int | None, *, json: Any = None,
                      headers: dict[str, str] | None = None, **kw: Any) -> tuple[int, Any]:
        assert self.session is not None
        async with self.session.request(method, self.base + path, json=json,
                                        headers=headers if headers is not None else self.headers(user_id, **kw)) as r:
            if r.content_type == "application/json":
                return r.status, await r.json()
            return r.status, await r.read()

    async def get(self, path: str, user_id: int | None, **kw: Any) -> tuple[int, Any]:
        return await self.request("GET", path, user_id, **kw)


def now_seconds() -> float:
    return time.time()
