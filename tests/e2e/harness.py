"""Runs the real Application against the local Bot API stand-in, over HTTP, and chats with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.app import OFFLINE_TOKEN, PosyanduApplication, create_application
from bot.clock import Clock
from bot.config import Settings, load_settings
from bot.sim.fake_api import FakeBotAPI


class BotHarness:
    """One bot process-equivalent: start, chat, restart on the same database, stop."""

    def __init__(self, api: FakeBotAPI, db_path: Path, *, clock: Clock | None = None,
                 admin_ids: list[int] | None = None, **overrides: Any) -> None:
        self.api = api
        self.clock = clock
        # A scripted user types far faster than a person: with Telegram's 1 message a second per chat the bot
        # would wait between steps and `settle` would take the wait for quiet. The pacing itself is tested in
        # tests/e2e/test_send_budget_flood.py (which passes Telegram's limits).
        overrides.setdefault("telegram_chat_burst", 100)
        overrides.setdefault("telegram_chat_sends_per_second", 100.0)
        self.settings: Settings = load_settings(
            telegram_api_base_url=api.base_url,
            telegram_api_base_file_url=api.base_file_url,
            database_url=f"sqlite:///{db_path}",
            admin_telegram_ids=admin_ids or [],
            **overrides,
        )
        self.app: PosyanduApplication | None = None
        self._seen: dict[int, int] = {}

    @property
    def runtime(self) -> Any:
        assert self.app is not None
        return self.app.runtime

    async def start(self) -> PosyanduApplication:
        self.app = await create_application(self.settings, clock=self.clock)
        await self.app.initialize()
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0, timeout=1)
        return self.app

    async def stop(self) -> None:
        if self.app is None:
            return
        assert self.app.updater is not None
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def _new_messages(self, chat_id: int) -> list[dict[str, Any]]:
        msgs = self.api.messages(chat_id)
        start = self._seen.get(chat_id, 0)
        self._seen[chat_id] = len(msgs)
        return msgs[start:]

    async def say(self, user_id: int, text: str, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Send text as the user; return the bot's new messages to that chat."""
        self._new_messages(user_id)
        self.api.send_message(user_id, text)
        await self._settle(timeout)
        return self._new_messages(user_id)

    async def press(self, user_id: int, label: str, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Press the newest button whose label contains `label`; return new messages (edits show in last())."""
        self._new_messages(user_id)
        self.api.press(user_id, label)
        await self._settle(timeout)
        return self._new_messages(user_id)

    async def sticker(self, user_id: int, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Send a sticker as the user (something that is not text); return the bot's new messages."""
        self._new_messages(user_id)
        self.api.send_sticker(user_id)
        await self._settle(timeout)
        return self._new_messages(user_id)

    async def _settle(self, timeout: float) -> None:
        """Wait until the stand-in is quiet *and* PTB has finished the update (a chart computes silently)."""
        queue = self.app.update_queue if self.app is not None else None
        await self.api.wait_idle(timeout=timeout, update_queue=queue)

    def last(self, user_id: int) -> dict[str, Any]:
        return self.api.last_message(user_id)

    def last_text(self, user_id: int) -> str:
        return str(self.api.last_message(user_id).get("text") or self.api.last_message(user_id).get("caption"))


def texts(messages: list[dict[str, Any]]) -> str:
    """All texts and captions of messages, joined, for `in` assertions."""
    return "\n".join(str(m.get("text") or m.get("caption") or "") for m in messages)


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [b["text"] if isinstance(b, dict) else str(b) for row in rows for b in row]


def today_wib() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()


__all__ = ["OFFLINE_TOKEN", "BotHarness", "buttons", "texts", "today_wib"]
