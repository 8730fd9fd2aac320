"""Reminders service: pure rules (windows, ages, quiet hours) and run_due against a real database with a fake bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.clock import ManualClock
from bot.services import reminders as r
from bot.services.reminders import add_months, age_months, followup_date, in_quiet_hours, run_due, tip_day
from storage import Repositories, open_database
from storage.models import SessionStatus
from storage.reminders_queries import set_session_override
from tests.e2e.test_reminders_support import World, add_cadre, add_family, make_posyandu

WIB = ZoneInfo("Asia/Jakarta")
WIT = ZoneInfo("Asia/Jayapura")


# ------------------------------------------------------------------ pure rules


@pytest.mark.parametrize(("day", "months", "expected"), [
    (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),  # leap year: the month's last day
    (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
    (dt.date(2023, 12, 15), 2, dt.date(2024, 2, 15)),  # across the year end
    (dt.date(2024, 3, 31), -1, dt.date(2024, 2, 29)),
    (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
])
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


@given(st.dates(dt.date(2000, 1, 1), dt.date(2090, 1, 1)), st.integers(0, 72))
def test_age_months_of_add_months_is_the_same_number(birth: dt.date, months: int) -> None:
    assert age_months(birth, add_months(birth, months)) == months or birth.day > 28


@pytest.mark.parametrize(("session", "expected"), [
    (dt.date(2024, 2, 13), dt.date(2024, 2, 17)),  # Tuesday -> that Saturday
    (dt.date(2024, 2, 16), dt.date(2024, 2, 17)),  # Friday -> the next day
    (dt.date(2024, 2, 17), dt.date(2024, 2, 24)),  # Saturday -> a week later
    (dt.date(2024, 2, 18), dt.date(2024, 2, 24)),  # Sunday -> the next Saturday
])
def test_followup_is_at_the_end_of_the_session_week(session: dt.date, expected: dt.date) -> None:
    assert followup_date(session) == expected


def test_tip_day_is_the_sunday_of_the_week() -> None:
    assert tip_day(dt.date(2024, 2, 12)) == dt.date(2024, 2, 18)
    assert tip_day(dt.date(2024, 2, 18)) == dt.date(2024, 2, 18)


@pytest.mark.parametrize(("utc", "tz", "quiet"), [
    (dt.datetime(2024, 2, 1, 13, 59, tzinfo=dt.UTC), WIB, False),  # 20.59 WIB
    (dt.datetime(2024, 2, 1, 14, 0, tzinfo=dt.UTC), WIB, True),  # 21.00 WIB
    (dt.datetime(2024, 2, 1, 22, 59, tzinfo=dt.UTC), WIB, True),  # 05.59 WIB
    (dt.datetime(2024, 2, 1, 23, 0, tzinfo=dt.UTC), WIB, False),  # 06.00 WIB
    (dt.datetime(2024, 2, 1, 12, 0, tzinfo=dt.UTC), WIT, True),  # 21.00 WIT is 19.00 WIB
])
def test_quiet_hours_are_recipient_local(utc: dt.datetime, tz: ZoneInfo, quiet: bool) -> None:
    assert in_quiet_hours(utc, tz) is quiet


# ------------------------------------------------------------------ run_due with a fake bot


@dataclass
class FakeBot:
    """Records sends; can fail chosen chats with a given exception, or fail every send."""

    sent: list[tuple[int, str]] = field(default_factory=list)
    fail: dict[int, Exception] = field(default_factory=dict)
    fail_all: Exception | None = None

    async def send_message(self, chat_id: int, text: str) -> Any:
        if self.fail_all is not None:
            raise self.fail_all
        if chat_id in self.fail:
            raise self.fail[chat_id]
        self.sent.append((chat_id, text))
        return None


@pytest.fixture
async def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SimpleNamespace]:
    monkeypatch.setattr(r, "tips_service", lambda: None)
    db = await open_database(tmp_path / "r.db")
    repos = Repositories(db)
    world = World()
    # Posyandu in WIB on the 2nd Tuesday: 12 March 2024; H-1 is Monday 11 March, 16.00 WIB (09.00 UTC).
    # (March: no vitamin A month; the children are past their immunisation ages; tips are switched off.)
    pid = await make_posyandu(repos, world, "Melati", "Asia/Jakarta", "Selasa minggu ke-2 08.00-11.00")
    await add_family(repos, None, world, 1, pid, [dt.date(2021, 3, 3)])
    await add_family(repos, None, world, 2, pid, [dt.date(2021, 4, 4)])
    await add_family(repos, None, world, 3, pid, [dt.date(2021, 5, 5)], opted_out=True)
    await add_cadre(repos, None, world, 9, pid)
    clock = ManualClock(dt.datetime(2024, 3, 11, 9, 0, tzinfo=dt.UTC))
    runtime = SimpleNamespace(db=db, repos=repos, clock=clock)
    try:
        yield SimpleNamespace(db=db, repos=repos, world=world, pid=pid, clock=clock, runtime=runtime)
    finally:
        await db.close()


async def test_h1_goes_to_linked_parents_and_cadres_once(env: SimpleNamespace) -> None:
    bot = FakeBot()
    report = await run_due(env.runtime, bot)
    assert sorted(chat for chat, _ in bot.sent) == [1, 2, 9]  # not the opted-out parent 3
    assert report.sent == 3
    again = await run_due(env.runtime, bot)
    assert again.sent == 0 and len(bot.sent) == 3


async def test_nothing_is_sent_before_it_is_due(env: SimpleNamespace) -> None:
    env.clock.set(dt.datetime(2024, 3, 11, 8, 59, tzinfo=dt.UTC))  # 15.59 WIB
    bot = FakeBot()
    assert (await run_due(env.runtime, bot)).claimed == 0
    assert bot.sent == []


async def test_a_claimed_but_unsent_row_is_retried_after_a_crash(env: SimpleNamespace) -> None:
    """A process that claimed and died (network error here) leaves pending rows; the next run sends them once."""
    down = FakeBot(fail_all=NetworkError("connection reset"))
    report = await run_due(env.runtime, down)
    assert report.claimed == 3 and report.sent == 0 and report.retry_later == 3
    bot = FakeBot()
    env.clock.advance(dt.timedelta(minutes=5))
    assert (await run_due(env.runtime, bot)).sent == 3
    await run_due(env.runtime, bot)
    assert len(bot.sent) == 3


async def test_blocked_user_is_marked_inactive_and_not_retried(env: SimpleNamespace) -> None:
    bot = FakeBot(fail={1: Forbidden("Forbidden: bot was blocked by the user")})
    report = await run_due(env.runtime, bot)
    assert report.blocked == 1
    assert not (await env.repos.users.get(1)).active
    env.clock.advance(dt.timedelta(hours=14))  # the morning reminder
    bot.fail.clear()
    await run_due(env.runtime, bot)
    assert 1 not in {chat for chat, _ in bot.sent}


async def test_persistent_flood_control_stops_the_run_and_keeps_the_rest(env: SimpleNamespace) -> None:
    bot = FakeBot(fail_all=RetryAfter(dt.timedelta(seconds=5)))
    report = await run_due(env.runtime, bot)
    assert report.rate_limited and report.sent == 0
    bot.fail_all = None
    env.clock.advance(dt.timedelta(minutes=5))
    assert (await run_due(env.runtime, bot)).sent == 3


async def test_bad_request_fails_the_row_without_retrying(env: SimpleNamespace) -> None:
    bot = FakeBot(fail={2: BadRequest("Chat not found")})
    assert (await run_due(env.runtime, bot)).failed == 1
    bot.fail.clear()
    env.clock.advance(dt.timedelta(minutes=5))
    assert (await run_due(env.runtime, bot)).sent == 0


async def test_catching_up_in_quiet_hours_sends_only_what_is_still_true_in_the_morning(env: SimpleNamespace) -> None:
    """Down from 15.00 to 22.00 WIB: the H-1 reminders wait out the night. At 06.00 on the day "tomorrow" is no
    longer true: the parents' ones are covered by the morning reminder, the cadre's list says "today"."""
    env.clock.set(dt.datetime(2024, 3, 11, 15, 0, tzinfo=dt.UTC))  # 22.00 WIB
    bot = FakeBot()
    report = await run_due(env.runtime, bot)
    assert report.claimed == 3 and report.postponed_quiet == 3 and bot.sent == []
    env.clock.set(dt.datetime(2024, 3, 11, 22, 59, tzinfo=dt.UTC))  # 05.59 WIB
    assert (await run_due(env.runtime, bot)).sent == 0
    env.clock.set(dt.datetime(2024, 3, 11, 23, 0, tzinfo=dt.UTC))  # 06.00 WIB
    report = await run_due(env.runtime, bot)
    assert report.sent_by_kind == {r.CADRE_H1: 1}
    assert all("Besok" not in text for _, text in bot.sent)
    assert any("Hari ini: posyandu" in text for _, text in bot.sent)


async def test_a_pending_reminder_past_its_window_is_dropped_not_sent_late(env: SimpleNamespace) -> None:
    await run_due(env.runtime, FakeBot(fail_all=NetworkError("down")))
    env.clock.set(dt.datetime(2024, 3, 12, 4, 0, tzinfo=dt.UTC))  # 11.00 WIB on the day: H-1 is stale
    bot = FakeBot()
    report = await run_due(env.runtime, bot)
    assert report.expired == 3
    assert all("Besok" not in text for _, text in bot.sent)


async def test_cancelled_session_sends_nothing(env: SimpleNamespace) -> None:
    await set_session_override(env.db, env.pid, dt.date(2024, 3, 12), SessionStatus.CANCELLED)
    bot = FakeBot()
    await run_due(env.runtime, bot)
    assert bot.sent == []


async def test_parent_reminder_text_names_the_children_and_escapes_them(env: SimpleNamespace) -> None:
    await env.db.execute("UPDATE children SET name = 'Budi <b>' WHERE id = (SELECT child_id FROM guardians"
                         " WHERE user_id = 1)")
    bot = FakeBot()
    await run_due(env.runtime, bot)
    text = next(t for chat, t in bot.sent if chat == 1)
    assert "Budi &lt;b&gt;" in text
    assert "Selasa, 12 Maret 2024, pukul 08.00–11.00" in text
    assert "/jadwal" in text


async def test_weekly_tip_comes_from_the_tips_service_on_sunday_once(env: SimpleNamespace,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The real bot.services.tips: one tip on Sunday 09.00 local, recorded with mark_sent, not repeated."""
    import importlib

    monkeypatch.setattr(r, "tips_service", lambda: importlib.import_module("bot.services.tips"))
    env.clock.set(dt.datetime(2024, 3, 10, 1, 59, tzinfo=dt.UTC))  # Sunday 08.59 WIB
    bot = FakeBot()
    await run_due(env.runtime, bot)
    assert bot.sent == []
    env.clock.set(dt.datetime(2024, 3, 10, 2, 0, tzinfo=dt.UTC))  # 09.00 WIB
    report = await run_due(env.runtime, bot)
    assert report.sent_by_kind == {r.TIP: 2}  # parents 1 and 2; parent 3 opted out
    assert all("Tips minggu ini" in text for _, text in bot.sent)
    env.clock.advance(dt.timedelta(hours=3))
    await run_due(env.runtime, bot)
    assert len(bot.sent) == 2
    recorded = await env.db.fetchval("SELECT COUNT(*) FROM tips_sent")
    assert recorded == 2


async def test_tip_day_missed_entirely_is_skipped_not_sent_late(env: SimpleNamespace,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setattr(r, "tips_service", lambda: importlib.import_module("bot.services.tips"))
    env.clock.set(dt.datetime(2024, 3, 10, 14, 0, tzinfo=dt.UTC))  # Sunday 21.00 WIB: the window has closed
    bot = FakeBot()
    await run_due(env.runtime, bot)
    assert [t for _, t in bot.sent if "Tips" in t] == []
