"""Both Bot API transports (bot/telegram_http.py) against the local stand-in: same answers, same exceptions."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.app import OFFLINE_TOKEN
from bot.config import load_settings
from bot.sim.fake_api import FakeBotAPI, tiny_png
from bot.telegram_http import AiohttpRequest, HttpClient, make_request
from tests.e2e.harness import BotHarness

USER = 1001


class SlowBotAPI(FakeBotAPI):
    """The stand-in, answering sendMessage only after `delay` seconds."""

    delay = 0.0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.delay and request.match_info.get("method", "").lower() == "sendmessage":
            await asyncio.sleep(self.delay)
        return await super()._handle(request)


@pytest.fixture
async def api() -> AsyncIterator[SlowBotAPI]:
    server = SlowBotAPI(token=OFFLINE_TOKEN)
    await server.start()
    server.user(USER, "Sari")
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(params=["aiohttp", "httpx"])
async def bot(request: pytest.FixtureRequest, api: SlowBotAPI) -> AsyncIterator[Bot]:
    client: HttpClient = request.param
    async with Bot(OFFLINE_TOKEN, base_url=api.base_url, base_file_url=api.base_file_url,
                   request=make_request(client), get_updates_request=make_request(client, for_updates=True)) as b:
        yield b


async def test_text_with_html_and_keyboard_round_trips(bot: Bot, api: SlowBotAPI) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Simpan", callback_data="ukur:save")]])
    sent = await bot.send_message(USER, "Berat <b>10,5 kg</b> — naik ✓", parse_mode="HTML", reply_markup=markup)
    assert sent.text == "Berat 10,5 kg — naik ✓"
    assert sent.reply_markup == markup
    assert api.messages(USER)[-1]["text"] == "Berat 10,5 kg — naik ✓"


async def test_photo_upload_is_multipart_with_caption(bot: Bot, api: SlowBotAPI) -> None:
    png = tiny_png(8, 6)
    sent = await bot.send_photo(USER, png, caption="Grafik <i>BB/U</i>", parse_mode="HTML")
    assert sent.caption == "Grafik BB/U"
    assert api.messages(USER)[-1]["caption"] == "Grafik BB/U"


async def test_document_upload_keeps_its_file_name(bot: Bot, api: SlowBotAPI) -> None:
    sent = await bot.send_document(USER, b"PK\x03\x04 not really xlsx", filename="rekap-2026-11.xlsx")
    assert sent.document is not None and sent.document.file_name == "rekap-2026-11.xlsx"


async def test_api_errors_become_ptb_exceptions(bot: Bot, api: SlowBotAPI) -> None:
    api.inject("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as exc:
        await bot.send_message(USER, "a")
    assert exc.value.retry_after in (7, dt.timedelta(seconds=7))
    api.inject("sendMessage", "403")
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "a")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "a")
    api.inject("sendMessage", "500")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "a")


async def test_dropped_connections_are_network_errors_and_the_next_call_works(bot: Bot, api: SlowBotAPI) -> None:
    api.inject("sendMessage", "drop")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "a")
    api.inject("sendMessage", "drop_after")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "b")
    await bot.send_message(USER, "c")
    assert [m["text"] for m in api.messages(USER)] == ["b", "c"]


async def test_a_slow_answer_is_timed_out(bot: Bot, api: SlowBotAPI) -> None:
    api.delay = 0.6
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "a", read_timeout=0.2)
    api.delay = 0.0
    await bot.send_message(USER, "b")


async def test_long_polling_outlasts_the_read_timeout(bot: Bot, api: SlowBotAPI) -> None:
    """getUpdates(timeout=2) with a 5 s read timeout: PTB adds them; an empty poll returns after ~2 s."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1, read_timeout=0.5) == ()
    assert loop.time() - started >= 0.9
    api.send_message(USER, "halo")
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None and update.message.text == "halo"


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    request = AiohttpRequest(pool_size=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.do_request(f"http://127.0.0.1:{port}/bot{OFFLINE_TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()


async def test_uninitialised_request_says_so() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")


async def test_shutdown_twice_and_reinitialise() -> None:
    request = AiohttpRequest(pool_size=1)
    await request.initialize()
    await request.shutdown()
    await request.shutdown()
    await request.initialize()
    assert request.read_timeout == 5.0
    await request.shutdown()


@pytest.mark.parametrize("client", ["aiohttp", "httpx"])
async def test_the_bot_runs_on_either_transport(client: HttpClient, api: SlowBotAPI, tmp_path: Path) -> None:
    harness = BotHarness(api, tmp_path / "bot.db", telegram_http_client=client)
    await harness.start()
    try:
        replies = await harness.say(USER, "/start")
        assert "Posyandu" in replies[-1]["text"]
    finally:
        await harness.stop()


def test_setting_rejects_an_unknown_client() -> None:
    from bot.config import SettingsError

    with pytest.raises(SettingsError, match=r"(?i)telegram_http_client"):
        load_settings(telegram_http_client="curl")


def test_proxy_comes_from_the_environment_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.local:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    request = AiohttpRequest()
    assert request._proxy_for("https://api.telegram.org/bot1:x/getMe") == "http://proxy.local:3128"
    assert request._proxy_for("http://127.0.0.1:8081/bot1:x/getMe") is None
    monkeypatch.delenv("HTTPS_PROXY")
    assert request._proxy_for("https://api.telegram.org/bot1:x/sendMessage") == "http://proxy.local:3128"  # cached


def test_all_proxy_counts_and_socks_is_refused_with_a_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "http://proxy.local:3128")
    assert AiohttpRequest()._proxy_for("https://api.telegram.org/bot1:x/getMe") == "http://proxy.local:3128"
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy.local:1080")
    with pytest.raises(NetworkError, match="TELEGRAM_HTTP_CLIENT=httpx"):
        AiohttpRequest()._proxy_for("https://api.telegram.org/bot1:x/getMe")

