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
from bot.inbox import Inbox
from bot.webapp.server import WebServer, start_web

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


async def start_webhook(app: PosyanduApplication, settings: Settings) -> WebServer:
    """Serve Telegram's webhook calls (and the dashboard, when DASHBOARD_URL is set) from our aiohttp server on
    WEBHOOK_PORT (bot/webapp/server.py); every request without the secret header is refused (403)."""
    assert settings.webhook_url and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    if len(secret) < STRONG_SECRET_LENGTH:
        log.warning("WEBHOOK_SECRET has only %d characters; use at least %d random ones", len(secret),
                    STRONG_SECRET_LENGTH)
    if settings.update_shards:
        app.inbox = Inbox(app, shards=settings.update_shards, worker=app.runtime.worker, heartbeat=app.heartbeat)
        await app.inbox.start()
    server = await start_web(app, settings, webhook=True)
    assert server is not None
    log.info("webhook mode: listening on %s:%s", settings.webhook_listen, settings.webhook_port)
    return server


async def run_bot(settings: Settings, *, webhook: bool = False, clock: Clock | None = None,
                  stop: asyncio.Event | None = None) -> None:
    """One event loop for the database and PTB (PTB's run_polling would own the loop itself).

    `stop` (tests): run until it is set instead of until a signal.
    """
    if webhook and (problem := webhook_problem(settings)) is not None:
        raise SystemExit(problem)  # the CLI checks first and prints it translated; this guards other callers
    if settings.update_shards and not webhook:
        log.warning("UPDATE_SHARDS is set but the bot polls: updates are processed here, without the shared inbox "
                    "(several workers need webhook mode: docs/workers.md)")
    app = await create_application(settings, clock=clock)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        assert app.updater is not None
        server: WebServer | None
        if webhook:
            server = await start_webhook(app, settings)
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("polling Telegram; press Ctrl+C to stop")
            server = await start_web(app, settings, webhook=False)  # the dashboard, when DASHBOARD_URL is set
        await stop.wait()
        log.info("stopping")
        if server is not None:
            await server.stop()
        if app.inbox is not None:  # the update each shard is processing is finished, the shards handed back
            await app.inbox.stop()
        if app.updater.running:
            await app.updater.stop()
        await app.stop()
