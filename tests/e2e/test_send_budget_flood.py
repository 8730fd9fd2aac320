"""One send budget for everything (issue 19, item 8): a broadcast, the reminders due meanwhile and a cadre's
conversation, all at once, against a stand-in that enforces Telegram's limits (30 messages a second overall,
3 in a second to one chat). It never sees more than 30 sends in any second nor more than the per-chat
limit, nobody gets a 429, everyone gets each message once, and a retry_after stops every sender."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services.reminders import run_due
from bot.sim.fake_api import FakeBotAPI, SentCall
from handlers.broadcast import start_sending
from storage import coordinator_queries as q
from storage.models import BroadcastCreate, Role
from tests.e2e.harness import BotHarness
from tests.e2e.test_reminders_support import World, add_cadre, add_family, make_posyandu

# 11 March 2024, 16.05 WIB: the day-before reminders of the 2nd-Tuesday posyandu (12 March) are due.
NOW = dt.datetime(2024, 3, 11, 9, 5, tzinfo=dt.UTC)
PARENTS = 60
CADRE, COORDINATOR, FIRST_PARENT = 880, 881, 30_000
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"})


@pytest.fixture
async def limited_bot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """Telegram's limits in the bot (the harness loosens the per-chat one for other tests) and in the stand-in."""
    api.rate_limit_per_second = 30
    api.per_chat_limit = 3
    harness = BotHarness(api, tmp_path / "flood.db", clock=ManualClock(NOW), telegram_sends_per_second=30,
                         telegram_chat_sends_per_second=1.0, telegram_chat_burst=3)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _sends(api: FakeBotAPI, since: int) -> list[SentCall]:
    return [c for c in api.calls[since:] if c.method in SENDS]


async def _world(bot: BotHarness, api: FakeBotAPI) -> tuple[World, int]:
    repos = bot.runtime.repos
    world = World()
    pid = await make_posyandu(repos, world, "Cempaka", "Asia/Jakarta", "Selasa minggu ke-2 08.00-11.00")
    for i in range(PARENTS):
        await add_family(repos, api, world, FIRST_PARENT + i, pid, [dt.date(2023, 1, 10)])
    await add_cadre(repos, api, world, CADRE, pid)
    posyandu = await repos.posyandu.get(pid)
    await repos.users.upsert(COORDINATOR, "Koordinator", "id")
    await repos.users.set_role(COORDINATOR, Role.COORDINATOR, area_id=posyandu.area_id)
    api.user(COORDINATOR, "Koord")
    return world, pid


async def _broadcast(bot: BotHarness, pid: int) -> int:
    recipients = [FIRST_PARENT + i for i in range(PARENTS)]
    broadcast = await q.create_broadcast(bot.runtime.db, BroadcastCreate(
        author_id=COORDINATOR, text="Besok ada pemberian vitamin A.", audience="parents", scope_posyandu_id=pid),
        recipients, chat_id=COORDINATOR)
    assert bot.app is not None
    start_sending(bot.app, broadcast.id)
    return broadcast.id


async def _cadre_types_fast(bot: BotHarness, api: FakeBotAPI) -> None:
    for text in ("/help", "/daftar", "/help", "/jadwal", "/batal", "/help", "/tanya"):
        api.send_message(CADRE, text)
        await asyncio.sleep(0.05)


async def test_broadcast_reminders_and_a_conversation_share_one_budget(limited_bot: BotHarness,
                                                                        api: FakeBotAPI) -> None:
    bot = limited_bot
    _, pid = await _world(bot, api)
    mark = len(api.calls)
    started = asyncio.get_running_loop().time()
    await _broadcast(bot, pid)
    assert bot.app is not None
    report, _ = await asyncio.gather(run_due(bot.runtime, bot.app.bot), _cadre_types_fast(bot, api))
    await api.wait_for(lambda: sum(1 for c in _sends(api, mark) if "vitamin A" in str(c.params.get("text")))
                       >= PARENTS, timeout=60)
    await bot._settle(30)
    elapsed = asyncio.get_running_loop().time() - started

    sends = _sends(api, mark)
    assert [c.error for c in api.calls[mark:] if c.error] == []  # no 429, nothing refused
    assert most_in_any_second([c.at for c in sends]) <= 30
    by_chat: dict[int, list[float]] = defaultdict(list)
    for c in sends:
        by_chat[int(c.params["chat_id"])].append(c.at)
    assert max(most_in_any_second(times) for times in by_chat.values()) <= 3
    cadre = sorted(by_chat[CADRE])
    assert len(cadre) >= 7 and cadre[-1] - cadre[0] >= len(cadre) - 3 - 0.1  # its burst, then one a second
    assert elapsed >= len(sends) / 30 - 1  # the limit was really in force (not a quiet day)
    texts = Counter((int(c.params["chat_id"]), str(c.params.get("text"))[:20]) for c in sends
                    if c.method == "sendMessage")
    for i in range(PARENTS):
        parent = FIRST_PARENT + i
        assert texts[(parent, "📢 <b>Pengumuman — Po")] == 1
        assert sum(n for (chat, text), n in texts.items() if chat == parent and "Besok" in text) == 1
    assert report.sent == PARENTS + 1 and not report.rate_limited


async def test_a_retry_after_stops_every_sender(limited_bot: BotHarness, api: FakeBotAPI) -> None:
    bot = limited_bot
    _, pid = await _world(bot, api)
    api.inject("sendMessage", "429", retry_after=1, chat_id=FIRST_PARENT + 5)
    mark = len(api.calls)
    await _broadcast(bot, pid)
    assert bot.app is not None
    await asyncio.gather(run_due(bot.runtime, bot.app.bot), _cadre_types_fast(bot, api))
    await api.wait_for(lambda: sum(1 for c in _sends(api, mark) if c.error is None
                                   and "vitamin A" in str(c.params.get("text"))) >= PARENTS, timeout=60)
    await bot._settle(30)

    refused = [c for c in api.calls[mark:] if c.error and c.error["error_code"] == 429]
    assert len(refused) == 1  # the injected one; the retry and everyone else waited
    t429 = refused[0].at
    # Requests already on the wire when the 429 came back may land just after it; nothing starts later.
    during_pause = [c for c in _sends(api, mark) if t429 + 0.1 < c.at < t429 + 1.0]
    assert during_pause == []
    retried = [c for c in _sends(api, mark) if c.params.get("chat_id") == FIRST_PARENT + 5 and c.error is None
               and "vitamin A" in str(c.params.get("text"))]
    assert len(retried) == 1 and retried[0].at >= t429 + 1.0
