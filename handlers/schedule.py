"""`/jadwal`: posyandu schedules (placeholder while the conversation is written) and the reminders job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.scheduler import start_jobs

if TYPE_CHECKING:
    from bot.app import PosyanduApplication


def register(app: PosyanduApplication) -> None:
    start_jobs(app)
