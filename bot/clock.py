"""One injectable source of "now", so scheduling and "today" can be driven by tests."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Aware current time (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that only moves when told to (tests, simulations of a month)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def set(self, value: dt.datetime) -> None:
        self._now = value

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


def local_today(clock: Clock, tz: ZoneInfo) -> dt.date:
    """Today's date where the posyandu is (WIB, WITA or WIT)."""
    return clock.now().astimezone(tz).date()
