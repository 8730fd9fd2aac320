"""Registers the reminders job on PTB's JobQueue: one repeating "what is due now" run, not a job per reminder.

Why one polling job: due reminders are computed from the database each run, so a restart, a clock jump
or a changed schedule needs no job bookkeeping (PTB does not persist jobs), and a run after a start retries
whatever a killed process had claimed but not sent (once its claim's lease lapsed, or at once for a restart of
the same WORKER_ID). Every worker runs the job; claims make two runs at once split the work (docs/workers.md).

Environment knobs (tests and operations):
- POSYANDU_REMINDER_INTERVAL: seconds between runs (default 300).
- POSYANDU_REMINDER_FIRST: seconds from start to the first run (default 10).
- POSYANDU_FAKE_NOW: test-only. An ISO time with offset (e.g. 2025-01-13T16:05:00+07:00); the runtime's
  clock then starts at that time and runs at normal speed. Used by the kill -9 test of `python -m bot run`,
  which cannot inject a `ManualClock`. Never set it in production.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.clock import Clock

if TYPE_CHECKING:
    from bot.app import PosyanduApplication
    from bot.context import BotContext

log = logging.getLogger(__name__)

JOB_ID = "reminders:run_due"
DEFAULT_INTERVAL = 300.0
DEFAULT_FIRST = 10.0


class OffsetClock:
    """A clock that starts at a chosen time and then advances with real time (see POSYANDU_FAKE_NOW)."""

    def __init__(self, start: dt.datetime, base: Clock) -> None:
        if start.tzinfo is None:
            raise ValueError("POSYANDU_FAKE_NOW needs a UTC offset, e.g. 2025-01-13T16:05:00+07:00")
        self._base = base
        self._offset = start - base.now()

    def now(self) -> dt.datetime:
        return (self._base.now() + self._offset).astimezone(dt.UTC)


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw, default)
        return default
    return max(value, 0.05)


def apply_fake_now(app: PosyanduApplication) -> None:
    raw = os.environ.get("POSYANDU_FAKE_NOW", "").strip()
    if raw:
        app.runtime.clock = OffsetClock(dt.datetime.fromisoformat(raw), app.runtime.clock)
        log.warning("POSYANDU_FAKE_NOW is set: the clock starts at %s (test mode)", raw)


async def _run_job(context: BotContext) -> None:
    from bot.services.reminders import run_due

    await run_due(context.runtime, context.bot)


# Every "what is due now" job (reminders; journeys add theirs, e.g. the parents' questions): the simulator's
# clock command runs them at once after moving the clock, so a newcomer sees a day later without waiting.
DueJob = Callable[[Any, Any], Awaitable[object]]


async def _reminders_due(runtime: Any, bot: Any) -> object:
    from bot.services.reminders import run_due

    return await run_due(runtime, bot)


DUE_JOBS: list[DueJob] = [_reminders_due]


def register_due_job(job: DueJob) -> None:
    if job not in DUE_JOBS:
        DUE_JOBS.append(job)


async def run_due_jobs(runtime: Any, bot: Any) -> None:
    """Run every registered due job now, in order (the simulator's /jam)."""
    for job in DUE_JOBS:
        await job(runtime, bot)


def start_jobs(app: PosyanduApplication) -> Any:
    """Register the repeating reminders job (it starts running when the application starts)."""
    apply_fake_now(app)
    if app.job_queue is None:
        log.error("JobQueue missing (install python-telegram-bot[job-queue]): no reminders will be sent")
        return None
    interval = _seconds("POSYANDU_REMINDER_INTERVAL", DEFAULT_INTERVAL)
    first = _seconds("POSYANDU_REMINDER_FIRST", DEFAULT_FIRST)
    return app.job_queue.run_repeating(
        _run_job, interval=interval, first=first, name=JOB_ID,
        # A stable id replaces a previous registration; one instance at a time, and missed runs collapse
        # into one (the run itself catches up on everything due).
        job_kwargs={"id": JOB_ID, "replace_existing": True, "max_instances": 1, "coalesce": True,
                    "misfire_grace_time": None},
    )
