"""Runs the bot until SIGINT/SIGTERM: long polling, or webhook mode behind HTTPS."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update

from bot.app import PosyanduApplication, create_application
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import N_

log = logging.getLogger(__name__)

MSG_NO_WEBHOOK_URL = N_("WEBHOOK_URL is required for --webhook (e.g. https://bot.example.id/telegram).")
MSG_NO_WEBHOOK_SECRET = N_(
    "WEBHOOK_SECRET is required for --webhook: without it anyone who reaches the port can send the bot "
    "updates in a cadre's name. Make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
# Telegram accepts a 1-character secret; a guessable one is no protection, so the log says so.
STRONG_SECRET_LENGTH = 16


def webhook_problem(settings: Settings) -> str | None:
    """Why webhook mode cannot start with these settings (an untranslated message id), or None."""
    if not settings.webhook_url:
        return MSG_NO_WEBHOOK_URL
    if settings.webhook_secret is None:
        return MSG_NO_WEBHOOK_SECRET
    return None


async def start_webhook(app: PosyanduApplication, settings: Settings) -> None:
    """Serve Telegram's webhook calls; PTB refuses (403) every request without the secret header."""
    assert app.updater is not None and settings.webhook_url and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    if len(secret) < STRONG_SECRET_LENGTH:
        log.warning("WEBHOOK_SECRET has only %d characters; use at least %d random ones", len(secret),
                    STRONG_SECRET_LENGTH)
    url_path = settings.webhook_url.split("://", 1)[1].partition("/")[2]
    await app.updater.start_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=url_path,
        webhook_url=settings.webhook_url,
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
    log.info("webhook mode: listening on %s:%s", settings.webhook_listen, settings.webhook_port)


async def run_bot(settings: Settings, *, webhook: bool = False, clock: Clock | None = None,
                  stop: asyncio.Event | None = None) -> None:
    """One event loop for the database and PTB (PTB's run_polling would own the loop itself).

    `stop` (tests): run until it is set instead of until a signal.
    """
    if webhook and (problem := webhook_problem(settings)) is not None:
        raise SystemExit(problem)  # the CLI checks first and prints it translated; this guards other callers
    app = await create_application(settings, clock=clock)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        assert app.updater is not None
        if webhook:
            await start_webhook(app, settings)
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("polling Telegram; press Ctrl+C to stop")
        await stop.wait()
        log.info("stopping")
        await app.updater.stop()
        await app.stop()
