"""Webhook mode (issue 19, items 1 and 7) through the real webhook server: `run_bot(webhook=True)` listens on a
free local port, the test POSTs updates with and without the secret header, the stand-in shows what the bot
sent in reply."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import OFFLINE_TOKEN
from bot.cli import main
from bot.config import Settings, load_settings
from bot.demo import CADRE_ID, seed_demo
from bot.runner import run_bot
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories, open_database

SECRET = "Xq7-vR2_kLm9pZt4wNc8bYh3"
ATTACKER_CHAT = 666_666


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(api: FakeBotAPI, db: Path, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": OFFLINE_TOKEN, "telegram_api_base_url": api.base_url,
        "telegram_api_base_file_url": api.base_file_url, "database_url": f"sqlite:///{db}",
        "webhook_url": "https://bot.example.id/telegram", "webhook_port": port, "webhook_secret": SECRET,
    }
    values.update(overrides)
    return load_settings(**values)


class WebhookBot:
    def __init__(self, api: FakeBotAPI, port: int) -> None:
        self.api = api
        self.url = f"http://127.0.0.1:{port}/telegram"
        self._update_id = 1000

    def update(self, from_id: int, chat_id: int, text: str) -> dict[str, Any]:
        """A message update as Telegram would POST it (the sender and the chat are whatever the body says)."""
        self._update_id += 1
        sender = {"id": from_id, "is_bot": False, "first_name": "Sari", "language_code": "id"}
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text[:1] == "/" else []
        return {"update_id": self._update_id, "message": {
            "message_id": self._update_id, "date": int(dt.datetime.now().timestamp()), "from": sender,
            "chat": {"id": chat_id, "type": "private", "first_name": "Sari"}, "text": text, "entities": entities}}

    async def post(self, body: dict[str, Any], secret: str | None) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with aiohttp.ClientSession() as session, session.post(self.url, json=body, headers=headers) as r:
            return r.status

    def sent_to(self, chat_id: int) -> list[str]:
        return [str(c.params.get("text")) for c in self.api.calls
                if c.method == "sendMessage" and c.params.get("chat_id") == chat_id]


@pytest.fixture
async def webhook_bot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[WebhookBot]:
    db_path = tmp_path / "bot.db"
    db = await open_database(db_path)
    try:
        await seed_demo(Repositories(db), dt.date.today())
    finally:
        await db.close()
    api.user(CADRE_ID, "Sari")
    api.user(ATTACKER_CHAT, "Mallory")
    port = _free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(_settings(api, db_path, port), webhook=True, stop=stop))
    await api.wait_for(lambda: bool(api.webhook.get("url")) or task.done(), timeout=15)
    for _ in range(200):  # setWebhook comes first; the server may need a moment more to accept connections
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        break
    try:
        yield WebhookBot(api, port)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_webhook_refuses_forged_update_without_secret(webhook_bot: WebhookBot, api: FakeBotAPI) -> None:
    """A POST "from" a cadre without the secret header is refused; no child's card reaches the chosen chat."""
    status = await webhook_bot.post(webhook_bot.update(CADRE_ID, ATTACKER_CHAT, "/riwayat Budi"), secret=None)
    assert status == 403
    await asyncio.sleep(0.5)
    assert webhook_bot.sent_to(ATTACKER_CHAT) == []


async def test_webhook_refuses_a_wrong_secret(webhook_bot: WebhookBot, api: FakeBotAPI) -> None:
    status = await webhook_bot.post(webhook_bot.update(CADRE_ID, ATTACKER_CHAT, "/riwayat Budi"),
                                    secret="not-the-secret")
    assert status == 403
    await asyncio.sleep(0.5)
    assert webhook_bot.sent_to(ATTACKER_CHAT) == []


async def test_webhook_with_the_secret_is_answered(webhook_bot: WebhookBot, api: FakeBotAPI) -> None:
    status = await webhook_bot.post(webhook_bot.update(CADRE_ID, CADRE_ID, "/riwayat Budi"), secret=SECRET)
    assert status == 200
    await api.wait_for(lambda: any("Budi" in t for t in webhook_bot.sent_to(CADRE_ID)), timeout=10)


async def test_webhook_registers_the_secret_with_telegram(webhook_bot: WebhookBot, api: FakeBotAPI) -> None:
    assert api.webhook["secret_token"] == SECRET
    assert api.webhook["url"] == "https://bot.example.id/telegram"


def test_webhook_listens_on_localhost_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WEBHOOK_LISTEN", raising=False)
    assert load_settings().webhook_listen == "127.0.0.1"


def _cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api: FakeBotAPI, **env: str) -> int:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("WEBHOOK_SECRET", "WEBHOOK_URL", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    values = {"TELEGRAM_BOT_TOKEN": OFFLINE_TOKEN, "TELEGRAM_API_BASE_URL": api.base_url,
              "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "WEBHOOK_URL": "https://bot.example.id/telegram",
              **env}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return main(["run", "--webhook"])


async def test_webhook_mode_refuses_to_start_without_a_secret(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api: FakeBotAPI, capsys: pytest.CaptureFixture[str]) -> None:
    code = await asyncio.to_thread(_cli, monkeypatch, tmp_path, api)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "WEBHOOK_SECRET" in err and "\n" not in err and "Traceback" not in err
    assert not [c for c in api.calls if c.method == "setWebhook"]
    assert not (tmp_path / "bot.db").exists()  # refused before anything was opened


async def test_a_webhook_secret_telegram_does_not_allow_is_a_configuration_error(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api: FakeBotAPI, capsys: pytest.CaptureFixture[str]) -> None:
    code = await asyncio.to_thread(_cli, monkeypatch, tmp_path, api, WEBHOOK_SECRET="geheim wachtwoord!")
    err = capsys.readouterr().err
    assert code == 2
    assert "WEBHOOK_SECRET" in err and "Traceback" not in err
    assert "geheim" not in err  # the (bad) secret itself is not echoed
    assert not [c for c in api.calls if c.method == "setWebhook"]
