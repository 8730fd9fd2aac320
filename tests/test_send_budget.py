"""The shared send budget (bot/send_budget.py), on real time with small numbers.

Why the windows count requests in flight: the budget hands out a slot when a request starts, Telegram counts
it when it arrives, somewhere before it finishes. Take any second [T, T+1) at the server and the last request
R to start among those arriving in it: R started before T+1, and every other one arrived at or after T, so it
finished at or after T, i.e. less than a second before R started, or was still in flight. Both are counted
when R asks for its slot, so the second holds at most the limit. The first test checks exactly that with
random network delays.
"""

from __future__ import annotations

import asyncio
import random
import time

from bot.send_budget import InProcessSendBudget, slot


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_no_second_at_the_server_holds_more_than_the_limit_whatever_the_delays() -> None:
    budget = InProcessSendBudget(per_second=20, chat_burst=5)
    rng = random.Random(19)
    arrivals: list[float] = []

    async def send(chat: int) -> None:
        async with slot(budget, chat):
            await asyncio.sleep(rng.uniform(0, 0.08))  # on the way to the server
            arrivals.append(time.monotonic())
            await asyncio.sleep(rng.uniform(0, 0.08))  # the answer on its way back

    started = time.monotonic()
    await asyncio.gather(*(send(i) for i in range(50)))
    assert most_in_any_second(arrivals) <= 20
    assert time.monotonic() - started < 3.5  # and it does use the budget: 50 at 20 a second


async def test_one_chat_gets_a_short_burst_then_its_steady_pace() -> None:
    budget = InProcessSendBudget(per_second=30, chat_per_second=10, chat_burst=3)
    starts: list[float] = []

    async def send() -> None:
        async with slot(budget, 7):
            starts.append(time.monotonic())

    t0 = time.monotonic()
    await asyncio.gather(*(send() for _ in range(6)))
    offsets = [round(s - t0, 2) for s in starts]
    assert all(o < 0.05 for o in offsets[:3])  # the burst goes at once
    assert offsets[3] >= 0.09 and offsets[5] >= 0.29  # then 10 a second


async def test_other_chats_are_not_held_up_by_one_busy_chat() -> None:
    budget = InProcessSendBudget(per_second=30, chat_per_second=1, chat_burst=1)
    await budget.acquire(1)
    await budget.release(1)
    busy = asyncio.create_task(budget.acquire(1))  # waits about a second for chat 1's next turn
    await asyncio.sleep(0.01)
    t0 = time.monotonic()
    async with slot(budget, 2):
        waited = time.monotonic() - t0
    assert waited < 0.05
    busy.cancel()


async def test_a_retry_after_pauses_every_sender() -> None:
    budget = InProcessSendBudget(per_second=30)
    await budget.pause(0.3)
    t0 = time.monotonic()
    waits: list[float] = []

    async def send(chat: int | None) -> None:
        async with slot(budget, chat):
            waits.append(time.monotonic() - t0)

    await asyncio.gather(send(1), send(2), send(None))
    assert min(waits) >= 0.29
    assert budget.pauses == 1


async def test_a_cancelled_waiter_gives_its_chat_slot_back() -> None:
    budget = InProcessSendBudget(per_second=1, chat_burst=1, chat_per_second=100)
    await budget.acquire(1)  # the only global slot this second
    waiting = asyncio.create_task(budget.acquire(2))
    await asyncio.sleep(0.05)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await budget.release(1)
    await asyncio.sleep(1.05)
    t0 = time.monotonic()
    async with slot(budget, 2):  # chat 2's slot was given back: no wait
        assert time.monotonic() - t0 < 0.05


def test_most_in_any_second_counts_a_sliding_window() -> None:
    assert most_in_any_second([0.0, 0.5, 0.99, 1.0, 1.2]) == 4
