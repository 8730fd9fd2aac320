"""Runs the bot until SIGINT/SIGTERM: long polling, or webhook mode behind HTTPS."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update

from bot.app import create_application
from bot.config import Settings

log = logging.getLogger(__name__)


async def run_bot(settings: Settings, *, webhook: bool = False) -> None:
    """One event loop for the database and PTB (PTB's run_polling would own the loop itself)."""
    app = await create_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        assert app.updater is not None
        if webhook:
            if not settings.webhook_url:
                raise SystemExit("WEBHOOK_URL is required for --webhook (e.g. https://bot.example.id/telegram)")
            url_path = settings.webhook_url.split("://", 1)[1].partition("/")[2]
            await app.updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=url_path,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("webhook mode: listening on %s:%s", settings.webhook_listen, settings.webhook_port)
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("polling Telegram; press Ctrl+C to stop")
        await stop.wait()
        log.info("stopping")
        await app.updater.stop()
        await app.stop()
