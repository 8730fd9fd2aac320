"""Logging: one line per event, no personal data (ids only, and bot/redact.py masks what libraries log),
quiet third-party loggers."""

from __future__ import annotations

import logging

from bot import redact

# Chatty at DEBUG and of no use for running the bot (font lookups, PNG chunks, each SQLite call, each job).
QUIET = ("httpx", "apscheduler", "aiohttp.access", "aiosqlite", "matplotlib", "PIL", "hpack")


def setup_logging(level: str = "INFO") -> None:
    redact.install()
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, which contains the bot token.
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
