"""What handlers and jobs need at run time (settings, database, repositories, clock), built once at start."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.workers import Worker, default_worker_id
from storage import Database, Repositories


@dataclass
class Runtime:
    settings: Settings
    db: Database
    repos: Repositories
    clock: Clock = field(default_factory=SystemClock)
    # This process as a claimer of scheduled sends shared with other workers (bot/workers.py).
    worker: Worker = field(default_factory=lambda: Worker(default_worker_id()))

    def today(self, tz: ZoneInfo | None = None) -> dt.date:
        """Today's date in the given time zone (default: the bot's default time zone)."""
        return self.clock.now().astimezone(tz or self.settings.timezone).date()
