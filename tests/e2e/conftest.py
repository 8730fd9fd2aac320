"""Fixtures: a started Bot API stand-in and a bot running against it on a fresh database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import OFFLINE_TOKEN
from bot.clock import Clock
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness

# The real reminder job would fire during long tests and surprise them; reminder tests call run_due() themselves.
os.environ.setdefault("POSYANDU_REMINDER_FIRST", "3600")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI(token=OFFLINE_TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def clock() -> Clock | None:
    """The bot's clock; a test module overrides this fixture to fix "now" (None: the real clock)."""
    return None


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, clock: Clock | None) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "bot.db", clock=clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
