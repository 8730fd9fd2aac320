"""Ask a person: the working-day rule (bot.services.parent_threads.escalation_due; docs/parents.md, Perpres
21/2023 five-day working week, 08.00-16.00) and that the first reply wins."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.services.parent_threads import escalation_due
from storage import Repositories, open_database
from storage import thread_queries as q
from storage.models import AreaLevel, PosyanduCreate

WIB = ZoneInfo("Asia/Jakarta")
WIT = ZoneInfo("Asia/Jayapura")


def at(day: int, hour: int, minute: int = 0, tz: ZoneInfo = WIB) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=tz)  # 7 December 2026 is a Monday


@pytest.mark.parametrize(("asked", "due"), [
    (at(7, 7, 59), at(7, 16)),  # before the working day starts: that whole day
    (at(7, 8, 0), at(7, 16)),  # exactly at the start: still the whole day
    (at(7, 8, 1), at(8, 16)),  # the day has begun: the next one
    (at(7, 23, 0), at(8, 16)),
    (at(11, 10), at(14, 16)),  # Friday during the day: Monday
    (at(11, 19), at(14, 16)),  # Friday evening: Monday
    (at(12, 9), at(14, 16)),  # Saturday
    (at(13, 23, 59), at(14, 16)),  # Sunday night
])
def test_a_question_is_due_at_the_end_of_the_next_whole_working_day(asked: dt.datetime, due: dt.datetime) -> None:
    """docs/parents.md: 16.00 of the first working day (Mon-Fri) whose hours (08.00-16.00) begin after asking."""
    assert escalation_due(asked.astimezone(dt.UTC), WIB) == due


def test_the_rule_uses_the_posyandus_own_time_zone() -> None:
    """Monday 07.00 WIB is 09.00 WIT: in Papua the working day has begun, so the question is due Tuesday."""
    asked = at(7, 7, 0)
    assert escalation_due(asked, WIB) == at(7, 16)
    assert escalation_due(asked, WIT) == at(8, 16, tz=WIT)


async def test_only_the_first_of_two_simultaneous_replies_answers(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "t.db")
    try:
        repos = Repositories(db)
        city = await repos.areas.create(AreaLevel.CITY, "Kota")
        kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
        kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
        pos = await repos.posyandu.create(PosyanduCreate(name="P", area_id=kel.id))
        await repos.users.upsert(1, "Ibu", "id")
        now = dt.datetime(2026, 12, 7, 3, tzinfo=dt.UTC)
        thread = await q.create_thread(db, parent_id=1, child_id=None, posyandu_id=pos.id, question="?", now=now,
                                       due_at=now, recipients=[(2, "cadre"), (3, "cadre")])
        wins = await asyncio.gather(q.claim_answer(db, thread.id, 2, "a", now),
                                    q.claim_answer(db, thread.id, 3, "b", now))
        assert sorted(wins) == [False, True]
        stored = await q.get_thread(db, thread.id)
        assert stored is not None and stored.answer == ("a" if wins[0] else "b")
    finally:
        await db.close()
