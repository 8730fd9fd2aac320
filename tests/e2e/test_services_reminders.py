"""Reminders from the records (issue 14), with an injected clock and run_due, through the real Application and the
stand-in: a parent is reminded of what is due or overdue for this child, a dose recorded stops its reminder, the
window-closing reminder is only for doses not recorded, a capsule given this round stops the vitamin A reminder.
Schedule and limits: docs/clinical-rules.md §7 (Juknis ILP 2023; Surat Dirjen P2P IM.02.02/C/3052/2023)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services.reminders import run_due
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage.models import Role
from tests.e2e.harness import BotHarness
from tests.e2e.services_support import CADRE, World, add_child, doses, give, make_world
from tests.e2e.test_reminders_support import sends

START = dt.datetime(2025, 1, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
async def rbot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "rem.db", clock=ManualClock(START), telegram_sends_per_second=1000)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def _run(bot: BotHarness, api: FakeBotAPI, start: dt.datetime, end: dt.datetime) -> dict[int, list[str]]:
    """The reminder job every 3 hours from `start` to `end` (the windows are days long); what each chat got."""
    assert bot.app is not None
    clock: ManualClock = bot.runtime.clock
    got: dict[int, list[str]] = {}
    now = start
    while now < end:
        clock.set(now)
        before = len(api.calls)
        await run_due(bot.runtime, bot.app.bot)
        for call in sends(api, before):
            got.setdefault(int(call.params["chat_id"]), []).append(str(call.result["text"]))
        now += dt.timedelta(hours=3)
    return got


async def _parent(repos: Repositories, api: FakeBotAPI, world: World, uid: int, label: str, name: str,
                  born: dt.date) -> int:
    child = await add_child(repos, world, label, name, born)
    await repos.users.upsert(uid, f"Ortu {uid}", "id")
    await repos.users.set_role(uid, Role.PARENT, posyandu_id=world.posyandu_id)
    await repos.guardians.link(child.id, uid)
    api.user(uid, f"Ortu{uid}")
    return child.id


def _about(texts: list[str], word: str) -> list[str]:
    return [t for t in texts if word in t]


async def test_a_dose_recorded_stops_its_reminder_and_a_missing_one_is_caught_up(rbot: BotHarness,
                                                                                 api: FakeBotAPI) -> None:
    """Rara (2 months on 4 January) is reminded of her 2-month doses. Her cadre records three of the four at the
    posyandu; at 3 months she is reminded of the 3-month doses and of PCV 1, still missing and still allowed.
    Sari, whose 2-month doses were recorded that very morning, gets no reminder for them."""
    repos = rbot.runtime.repos
    world = await make_world(repos, api)
    await _parent(repos, api, world, 5101, "rara", "Rara Ayu", dt.date(2024, 11, 4))
    await _parent(repos, api, world, 5102, "sari", "Sari Indah", dt.date(2024, 11, 4))
    for label in ("rara", "sari"):
        await give(repos, world.children[label], doses(dt.date(2024, 11, 4), "HB0")
                   + doses(dt.date(2024, 12, 4), "BCG", "OPV1"))
    rbot.runtime.clock.set(dt.datetime(2025, 1, 4, 3, 0, tzinfo=dt.UTC))  # 10.00 WIB, before the 16.00 reminder
    sari = world.children["sari"].code
    await rbot.say(CADRE, f"/catat {sari} imun:dpt imun:polio imun:pcv imun:rota")
    got = await _run(rbot, api, dt.datetime(2025, 1, 4, 0, 0, tzinfo=dt.UTC), dt.datetime(2025, 1, 20, tzinfo=dt.UTC))
    rara = _about(got.get(5101, []), "waktunya imunisasi")
    assert len(rara) == 1
    for dose in ("DPT-HB-Hib 1", "Polio tetes 2", "PCV 1", "Rotavirus 1"):
        assert dose in rara[0]
    assert "BCG" not in rara[0]  # recorded: not reminded
    assert _about(got.get(5102, []), "imunisasi") == []

    rbot.runtime.clock.set(dt.datetime(2025, 1, 14, 2, 0, tzinfo=dt.UTC))  # the posyandu day
    await rbot.say(CADRE, f"/catat {world.children['rara'].code} imun:dpt imun:polio imun:rota")
    got = await _run(rbot, api, dt.datetime(2025, 1, 20, tzinfo=dt.UTC), dt.datetime(2025, 2, 10, tzinfo=dt.UTC))
    rara = _about(got.get(5101, []), "imunisasi")
    assert len(rara) == 1 and "waktunya imunisasi" in rara[0]
    assert "DPT-HB-Hib 2" in rara[0] and "Rotavirus 2" in rara[0]
    assert "masih bisa dikejar: PCV 1" in rara[0]
    sent = await repos.db.fetchall("SELECT idempotency_key FROM reminders_sent WHERE recipient_id = 5101"
                                   " AND status = 'sent' AND kind LIKE 'immunisation%' ORDER BY id")
    child = world.children["rara"].id
    assert [r["idempotency_key"] for r in sent] == [f"immunisation:5101:{child}:2", f"immunisation:5101:{child}:3"]


async def test_a_window_about_to_close_is_reminded_only_for_doses_not_recorded(rbot: BotHarness,
                                                                               api: FakeBotAPI) -> None:
    """Born 1 July 2024: rotavirus only until 30 January 2025. Tono's three doses are recorded: no reminder. Wati has
    no record at the posyandu: she is reminded, "if it has not been given yet"."""
    repos = rbot.runtime.repos
    world = await make_world(repos, api)
    await _parent(repos, api, world, 5201, "tono", "Tono Wijaya", dt.date(2024, 7, 1))
    await _parent(repos, api, world, 5202, "wati", "Wati Sari", dt.date(2024, 7, 1))
    await give(repos, world.children["tono"], doses(dt.date(2024, 9, 2), "DPT1", "OPV2", "PCV1", "RV1")
               + doses(dt.date(2024, 10, 1), "DPT2", "OPV3", "PCV2", "RV2")
               + doses(dt.date(2024, 11, 1), "DPT3", "OPV4", "IPV1", "RV3"))
    got = await _run(rbot, api, START, dt.datetime(2025, 1, 5, tzinfo=dt.UTC))
    assert _about(got.get(5201, []), "hanya bisa diberikan sampai") == []
    wati = _about(got.get(5202, []), "hanya bisa diberikan sampai")
    assert len(wati) == 1 and "Rotavirus 1" in wati[0] and "30 Januari 2025" in wati[0]


async def test_the_overdue_reminder_names_the_doses_still_missing(rbot: BotHarness, api: FakeBotAPI) -> None:
    """Dimas's record is kept here up to 3 months; his 4-month doses are not recorded a month after they fell due:
    one catch-up reminder, with each dose still within its limit (rotavirus until 6 months 29 days)."""
    repos = rbot.runtime.repos
    world = await make_world(repos, api)
    await _parent(repos, api, world, 5301, "dimas", "Dimas Arya", dt.date(2024, 9, 1))
    await give(repos, world.children["dimas"], doses(dt.date(2024, 10, 1), "BCG", "OPV1")
               + doses(dt.date(2024, 11, 1), "DPT1", "OPV2", "PCV1", "RV1")
               + doses(dt.date(2024, 12, 2), "DPT2", "OPV3", "PCV2", "RV2"))
    got = await _run(rbot, api, dt.datetime(2025, 1, 25, tzinfo=dt.UTC), dt.datetime(2025, 2, 10, tzinfo=dt.UTC))
    late = _about(got.get(5301, []), "masih perlu imunisasi")
    assert len(late) == 1
    for dose in ("DPT-HB-Hib 3", "Polio tetes 4", "IPV 1", "Rotavirus 3"):
        assert dose in late[0]


async def test_a_capsule_given_this_round_stops_the_vitamin_a_reminder(rbot: BotHarness, api: FakeBotAPI) -> None:
    """February round, session on 11 February: Nina had her capsule at a sweeping on 3 February, Omar did not."""
    repos = rbot.runtime.repos
    world = await make_world(repos, api)
    await _parent(repos, api, world, 5401, "nina", "Nina Rahma", dt.date(2023, 5, 5))
    await _parent(repos, api, world, 5402, "omar", "Omar Said", dt.date(2023, 5, 5))
    rbot.runtime.clock.set(dt.datetime(2025, 2, 4, tzinfo=dt.UTC))
    await give(repos, world.children["nina"], [("vitamin_a", "red", dt.date(2025, 2, 3))])
    got = await _run(rbot, api, dt.datetime(2025, 2, 4, tzinfo=dt.UTC), dt.datetime(2025, 2, 12, tzinfo=dt.UTC))
    assert _about(got.get(5401, []), "vitamin A") == []
    omar = _about(got.get(5402, []), "bulan vitamin A")
    assert len(omar) == 1 and "kapsul merah" in omar[0]
