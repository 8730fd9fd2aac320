"""A simulated February 2024 (leap year) through the real Application and the Bot API stand-in.

Three posyandu in WIB, WITA and WIT, 200 parents, cadres; the ManualClock moves hour by hour and the
test calls `run_due` as the job would. Every due reminder must arrive exactly once, in the recipient's
language, never in quiet hours, never to opted-out users; a blocked user is marked inactive.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.services.reminders import run_due
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage.models import MeasurementCreate, SessionStatus
from storage.reminders_queries import set_session_override
from tests.e2e.harness import BotHarness
from tests.e2e.test_reminders_support import World, add_cadre, add_family, local_hour, make_posyandu, sends

START = dt.datetime(2024, 1, 31, 0, 0, tzinfo=dt.UTC)
END = dt.datetime(2024, 3, 2, 0, 0, tzinfo=dt.UTC)

# birth date -> (immunisation reminders due in the simulated window, vitamin A eligible in February)
BIRTHS: list[tuple[dt.date, int, bool]] = [
    (dt.date(2023, 12, 10), 1, False),  # 2 months on 10 Feb
    (dt.date(2023, 11, 20), 2, False),  # 2 months on 20 Jan (still in its 14-day window), 3 months on 20 Feb
    (dt.date(2023, 5, 15), 1, True),  # 9 months (MR) on 15 Feb; JE at 10 months is regional
    (dt.date(2022, 8, 1), 1, True),  # 18 months on 1 Feb
    (dt.date(2021, 3, 3), 0, True),
    (dt.date(2018, 6, 1), 0, False),  # over five: no posyandu reminders at all
    (dt.date(2024, 1, 5), 1, False),  # 1 month (BCG, OPV 1) on 5 Feb
]
OVER_FIVE = dt.date(2018, 6, 1)


@dataclass
class Tip:
    id: str
    text: str


def fake_tips() -> tuple[types.ModuleType, list[tuple[int, str]]]:
    """Stand-in for the parent engineer's bot.services.tips, with the agreed API."""
    module = types.ModuleType("bot.services.tips")
    marked: list[tuple[int, str]] = []
    counter = iter(range(1, 10_000))

    async def next_tip(repos: Any, user_id: int, child_id: int, today: dt.date, lang: str) -> Tip:
        n = next(counter)
        return Tip(id=f"t{n}", text=f"Tip nomor {n} ({lang})")

    async def mark_sent(repos: Any, user_id: int, tip_id: str, when: dt.datetime) -> None:
        marked.append((user_id, tip_id))

    module.next_tip = next_tip  # type: ignore[attr-defined]
    module.mark_sent = mark_sent  # type: ignore[attr-defined]
    return module, marked


async def seed(repos: Repositories, api: FakeBotAPI) -> World:
    world = World()
    p1 = await make_posyandu(repos, world, "Melati WIB", "Asia/Jakarta", "Selasa minggu ke-2 08.00-11.00",
                             address="Balai RW 03")
    p2 = await make_posyandu(repos, world, "Mawar WITA", "Asia/Makassar", "Kamis terakhir 09.00-12.00")
    p3 = await make_posyandu(repos, world, "Anggrek WIT", "Asia/Jayapura", "tanggal 5 07.30-10.00")
    # Posyandu Anggrek moves its February session (5th) to the 7th.
    await set_session_override(repos.db, p3, dt.date(2024, 2, 5), SessionStatus.MOVED, moved_to=dt.date(2024, 2, 7))
    ids = [p1, p2, p3]
    for i in range(200):
        uid = 10_000 + i
        births = [BIRTHS[i % 7][0]]
        if i % 20 == 0:
            births.append(BIRTHS[(i + 3) % 7][0])
        await add_family(repos, api, world, uid, ids[i % 3], births, opted_out=i % 10 == 9,
                         blocked=i in (4, 50, 101), language="en" if i % 50 == 7 else "id")
    for j, pid in enumerate(ids):
        await add_cadre(repos, api, world, 900 + 2 * j, pid)
        await add_cadre(repos, api, world, 901 + 2 * j, pid)
        await add_cadre(repos, api, world, 950 + j, pid, opted_out=True)
    # Posyandu Melati weighs all but five of its under-fives on the day; Anggrek weighs all of them.
    p1_kids = await repos.children.list_by_posyandu(p1, limit=1000)
    young = [c for c in p1_kids if c.birth_date != OVER_FIVE]
    for c in young[5:]:
        await repos.measurements.add(MeasurementCreate(child_id=c.id, measured_on=dt.date(2024, 2, 13), weight_kg=9.0))
    for c in await repos.children.list_by_posyandu(p3, limit=1000):
        await repos.measurements.add(MeasurementCreate(child_id=c.id, measured_on=dt.date(2024, 2, 7), weight_kg=9.0))
    return world


@pytest.fixture
async def month_bot(api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotHarness]:
    # The test drives run_due itself; keep the repeating job from firing during the run.
    monkeypatch.setenv("POSYANDU_REMINDER_FIRST", "3600")
    # A month of ~1,200 reminders in simulated time: at Telegram's real 30 a second that is 40 s of waiting for
    # nothing this test checks (the shared limit has its own test, test_send_budget_flood.py).
    harness = BotHarness(api, tmp_path / "month.db", clock=ManualClock(START), telegram_sends_per_second=1000)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.mark.slow
async def test_a_month_of_reminders_each_sent_once_never_in_quiet_hours(
        month_bot: BotHarness, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    tips, marked = fake_tips()
    monkeypatch.setitem(sys.modules, "bot.services.tips", tips)
    app = month_bot.app
    assert app is not None
    runtime = month_bot.runtime
    clock: ManualClock = runtime.clock
    # The weighings of the month are seeded up front; the database refuses measurements dated after its
    # clock, so seed them "from the end of the month" and then go back to the start.
    clock.set(dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    world = await seed(runtime.repos, api)
    clock.set(START)

    sent_at: list[tuple[int, str, dt.datetime]] = []  # (chat, text, clock time of the run that sent it)
    now = START
    while now <= END:
        clock.set(now)
        before = len(api.calls)
        await run_due(runtime, app.bot)
        sent_at += [(c.params["chat_id"], c.result["text"], now) for c in sends(api, before)]
        now += dt.timedelta(hours=1)

    by_chat: dict[int, list[str]] = defaultdict(list)
    for chat, text, _ in sent_at:
        by_chat[chat].append(text)

    # Quiet hours (21.00–06.00 recipient-local) are never used.
    tz_of = {f.user_id: f.tz for f in world.families} | {u: world.tz[p] for u, p in world.cadres.items()}
    for chat, _text, at in sent_at:
        hour = local_hour(at, tz_of[chat])
        assert 6 <= hour < 21, f"sent to {chat} at {hour} local"

    # Every parent gets exactly what is due, once.
    for i, fam in enumerate(world.families):
        got = by_chat.get(fam.user_id, [])
        if fam.opted_out or fam.blocked or all(b == OVER_FIVE for b in fam.births):
            assert got == [], f"parent {i} should get nothing"
            continue
        info = [b for b in BIRTHS if b[0] in fam.births]
        english = i % 50 == 7
        marks = {
            ("Tomorrow is posyandu day" if english else "Besok hari posyandu"): 1,
            ("Posyandu is today" if english else "Hari ini posyandu"): 1,
            ("vitamin A month" if english else "bulan vitamin A"): int(any(v for _, _, v in info)),
            ("time for immunisation" if english else "waktunya imunisasi"): sum(n for _, n, _ in info),
            ("Tip of the week" if english else "Tips minggu ini"): 4,
        }
        counts = {m: sum(m in t for t in got) for m in marks}
        assert counts == marks, f"parent {i}: {counts} != {marks}"
        assert len(got) == sum(marks.values())
        assert len(set(got)) == len(got)

    # Dates in the posyandu's own zone; a moved session says so.
    p1_parent = next(f for f in world.families if f.posyandu_id == world.posyandu["Melati WIB"]
                     and not f.opted_out and not f.blocked and f.births[0] != OVER_FIVE)
    h1 = next(t for t in by_chat[p1_parent.user_id] if "Besok hari posyandu" in t)
    assert "Selasa, 13 Februari 2024, pukul 08.00–11.00" in h1
    assert "Balai RW 03" in h1
    p2_parent = next(f for f in world.families if f.posyandu_id == world.posyandu["Mawar WITA"]
                     and not f.opted_out and not f.blocked and f.births[0] != OVER_FIVE)
    assert any("Kamis, 29 Februari 2024, pukul 09.00–12.00" in t for t in by_chat[p2_parent.user_id])
    p3_parent = next(f for f in world.families if f.posyandu_id == world.posyandu["Anggrek WIT"]
                     and not f.opted_out and not f.blocked and f.births[0] != OVER_FIVE)
    h1 = next(t for t in by_chat[p3_parent.user_id] if "Besok hari posyandu" in t)
    assert "Rabu, 7 Februari 2024, pukul 07.30–10.00" in h1
    assert "dipindah dari Senin, 5 Februari 2024" in h1

    # Cadres: H-1 list for each session; a follow-up only where children were missed.
    for uid, pid in world.cadres.items():
        got = by_chat[uid]
        assert sum("Besok: posyandu" in t for t in got) == 1
        followups = [t for t in got if "belum ditimbang" in t]
        if pid == world.posyandu["Melati WIB"]:
            assert len(followups) == 1 and "5 anak belum ditimbang" in followups[0]
        else:
            assert followups == []
    assert all(not by_chat.get(950 + j) for j in range(3))  # opted-out cadres

    # Blocked parents were tried once and are now inactive; nothing was sent twice overall.
    for fam in world.families:
        if fam.blocked:
            assert not (await runtime.repos.users.get(fam.user_id)).active
    assert Counter(k for k in (c.params.get("chat_id") for c in api.calls if c.method == "sendMessage"
                               and c.error and c.error["error_code"] == 403)) == Counter(
        {f.user_id: 1 for f in world.families if f.blocked})
    rows = await runtime.db.fetchall("SELECT status, COUNT(*) AS n FROM reminders_sent GROUP BY status")
    counts = {r["status"]: r["n"] for r in rows}
    assert counts.get("pending", 0) == 0
    assert counts["sent"] == len(sent_at)
    assert len(marked) == sum("Tip" in t for _, t, _ in sent_at)
