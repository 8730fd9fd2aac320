"""One budget for everything the bot sends: Telegram's flood limits are per bot token, not per sender.

Telegram allows a bot about 30 messages a second overall and about one a second per chat (short bursts are
tolerated); over that it answers 429 with `retry_after`, and every request of the bot should then wait.
Conversations, reminders, broadcasts and parent notices all send, often at the same moment (a broadcast at
29/s plus the reminders due during it reached 55 messages in one second). So they all draw from one
`SendBudget`, through the Application's rate limiter (bot/rate_limit.py), and a `retry_after` pauses them all.

`SendBudget` is the interface; `InProcessSendBudget` serves one process. Several worker processes on one token
split the limit between them: each process's budget gets its share (`set_per_second`) from bot/workers.py, which
counts the live workers by their heartbeats (docs/workers.md).

Why windows that count requests in flight (as bot/services/broadcast.Pacer does): the budget grants a slot
when a request starts, but Telegram counts when it arrives. A request in flight is counted as if it arrived
now and a finished one by its finish time; then no 1-second window at the server can hold more than the
limit, whatever the network delays (proof in tests/test_send_budget.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

# Telegram's documented limits (core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
GLOBAL_PER_SECOND = 30
CHAT_PER_SECOND = 1.0
CHAT_BURST = 3  # messages one chat may get at once (a card and two notes) before 1/s applies
_POLL = 0.01  # seconds between looks when only a finishing request can free a slot
_SWEEP_AT = 2000  # chats remembered before idle ones are forgotten


class SendBudget(Protocol):
    """Slots for outgoing messages. Pair every `acquire` with one `release`; `pause` stops every sender."""

    async def acquire(self, chat_id: int | str | None) -> None:
        """Wait until one more message (to `chat_id`, None for no particular chat) is within the limits."""
        ...

    async def release(self, chat_id: int | str | None) -> None:
        """The request that acquired a slot has returned (successfully or not)."""
        ...

    async def pause(self, seconds: float) -> None:
        """Telegram asked to wait (`retry_after`): no sender may start a request for `seconds`."""
        ...


@asynccontextmanager
async def slot(budget: SendBudget, chat_id: int | str | None) -> AsyncIterator[None]:
    await budget.acquire(chat_id)
    try:
        yield
    finally:
        await budget.release(chat_id)


class _Window:
    """At most `limit` requests in any `window` seconds, counting in-flight ones as now (see module doc)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.in_flight = 0
        self.finished: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.finished and self.finished[0] <= now - self.window:
            self.finished.popleft()
        if len(self.finished) + self.in_flight < self.limit:
            return 0.0
        # Full: the oldest finished request leaving the window frees a slot, or one in flight finishing.
        return self.finished[0] + self.window - now if self.finished else _POLL

    def take(self) -> None:
        self.in_flight += 1

    def give_back(self, now: float, *, sent: bool = True) -> None:
        self.in_flight -= 1
        if sent:
            self.finished.append(now)

    def idle(self, now: float) -> bool:
        return self.in_flight == 0 and (not self.finished or self.finished[-1] <= now - self.window)


@dataclass
class _Chat:
    window: _Window
    next_at: float = 0.0  # GCRA "theoretical arrival time": the long-run 1/s pace with a burst allowance
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class InProcessSendBudget:
    """The budget of one process: ≤ `per_second` messages in any second overall, and per chat at most
    `chat_burst` in any second and `chat_per_second` in the long run (a burst is paid back at that pace)."""

    def __init__(self, *, per_second: int = GLOBAL_PER_SECOND, chat_per_second: float = CHAT_PER_SECOND,
                 chat_burst: int = CHAT_BURST, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        if per_second < 1 or chat_burst < 1 or chat_per_second <= 0:
            raise ValueError("limits must be positive")
        self.per_second = per_second
        self.chat_per_second = chat_per_second
        self.chat_burst = chat_burst
        self._clock = clock
        self._sleep = sleep
        self._global = _Window(per_second, 1.0)
        self._global_lock = asyncio.Lock()  # waiters are served first come, first served
        self._chats: dict[int | str, _Chat] = {}
        self._paused_until = 0.0
        self.pauses = 0  # retry_after pauses seen (a figure for tests and logs)
        self.on_pause: Callable[[float], None] | None = None  # called with each retry_after (bot/workers.py)

    def set_per_second(self, per_second: int) -> None:
        """A new overall limit, from the next slot on (a worker's share of the bot's limit: bot/workers.py)."""
        if per_second < 1:
            raise ValueError("limits must be positive")
        self.per_second = per_second
        self._global.limit = per_second

    def _paused(self, now: float) -> float:
        return self._paused_until - now

    def _chat_wait(self, chat: _Chat, now: float) -> float:
        interval = 1.0 / self.chat_per_second
        tolerance = (self.chat_burst - 1) * interval
        return max(chat.window.wait(now), chat.next_at - tolerance - now)

    async def acquire(self, chat_id: int | str | None) -> None:
        chat: _Chat | None = None
        if chat_id is not None:
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = self._chats[chat_id] = _Chat(_Window(self.chat_burst, 1.0))
            # The chat's own turn first, outside the global queue: a chat waiting for its 1/s must not hold
            # up messages to everyone else.
            async with chat.lock:
                while (wait := max(self._paused(self._clock()), self._chat_wait(chat, self._clock()))) > 0:
                    await self._sleep(wait)
                now = self._clock()
                chat.next_at = max(chat.next_at, now) + 1.0 / self.chat_per_second
                chat.window.take()
        try:
            async with self._global_lock:
                while (wait := max(self._paused(self._clock()), self._global.wait(self._clock()))) > 0:
                    await self._sleep(wait)
                self._global.take()
        except BaseException:  # cancelled while waiting: the chat's slot was never used
            if chat is not None:
                chat.window.give_back(self._clock(), sent=False)
            raise

    async def release(self, chat_id: int | str | None) -> None:
        now = self._clock()
        self._global.give_back(now)
        if chat_id is not None and (chat := self._chats.get(chat_id)) is not None:
            chat.window.give_back(now)
        if len(self._chats) > _SWEEP_AT:
            self._sweep(now)

    async def pause(self, seconds: float) -> None:
        self.pauses += 1
        self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))
        if self.on_pause is not None:  # several workers: tell the others (bot/workers.py)
            self.on_pause(seconds)

    def pause_for_others(self, seconds: float) -> None:
        """Another worker of this bot was told to wait: so do we (not passed on again)."""
        self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    def _sweep(self, now: float) -> None:
        """Forget chats with nothing in flight, nothing in their window and their burst paid back."""
        for key in [k for k, c in self._chats.items()
                    if c.window.idle(now) and c.next_at <= now and not c.lock.locked()]:
            del self._chats[key]


__all__ = ["CHAT_BURST", "CHAT_PER_SECOND", "GLOBAL_PER_SECOND", "InProcessSendBudget", "SendBudget", "slot"]
