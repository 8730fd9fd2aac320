"""Fixtures: a started Bot API stand-in, a PTB Bot pointed at it, and a tiny echo Application polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sim.fake_api import FakeBotAPI


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("🔁 Ulang", callback_data="again"),
                                    InlineKeyboardButton("Selesai", callback_data="done")]])
    await update.effective_message.reply_text(f"Kamu bilang: <b>{update.effective_message.text}</b>",
                                              parse_mode="HTML", reply_markup=markup)


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Halo!")


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("oke")
    await query.edit_message_text(f"Ditekan: {query.data}")


def build_echo_app(base_url: str, base_file_url: str, token: str = "123456:TEST") -> Application:
    """A not yet initialised echo app: text -> echo with two buttons; a button edits its message."""
    app = ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url).build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(CallbackQueryHandler(_button))
    return app


@pytest.fixture
async def echo_app(api: FakeBotAPI) -> AsyncIterator[Application]:
    app = build_echo_app(api.base_url, api.base_file_url, api.token)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
