"""The Application's rate limiter: every Bot API call of the process goes through it (PTB routes all but
getUpdates here), so conversations, reminders, broadcasts and notices share one `SendBudget`.

Why not PTB's AIORateLimiter: its overall limiter is a leaky bucket that lets 30 requests through at once
*and* 30 more in the same second, it does not pace a private chat at all, and a 429 only holds back the
requests that had not yet passed its gate (measured: 55 messages in one second, and a retry_after ignored).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.send_budget import SendBudget

log = logging.getLogger(__name__)

# Calls that put a message on someone's screen or change one: these count against Telegram's limits.
# (answerCallbackQuery, getFile, sendChatAction, setMyCommands ... do not.)
METERED = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAudio", "sendVoice", "sendVideo",
    "sendAnimation", "sendVideoNote", "sendSticker", "sendLocation", "sendVenue", "sendContact", "sendPoll",
    "sendDice", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "editMessageText",
    "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup",
})
RETRY_MARGIN = 0.1  # seconds added to Telegram's retry_after (its clock and ours are not the same)


def _seconds(exc: RetryAfter) -> float:
    value = exc._retry_after  # the timedelta behind the (deprecated int or timedelta) public property
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _chat_of(data: dict[str, Any]) -> int | str | None:
    chat = data.get("chat_id")
    if chat is None:
        return None  # an inline message: counts overall only
    try:
        return int(chat)
    except (TypeError, ValueError):
        return str(chat)  # "@channel"


class BudgetRateLimiter(BaseRateLimiter[int]):
    """Takes a slot of the budget for each metered call; on 429 pauses every sender and tries again
    (`max_retries` times, then the RetryAfter reaches the caller, which may queue the message for later)."""

    def __init__(self, budget: SendBudget, *, max_retries: int = 3) -> None:
        self.budget = budget
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up (the budget lives as long as the process)."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        metered = endpoint in METERED
        chat = _chat_of(data) if metered else None
        for attempt in range(retries + 1):
            if metered:
                await self.budget.acquire(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc) + RETRY_MARGIN
                # Every sender waits, not only this one: Telegram's limit is the bot's, not the chat's.
                await self.budget.pause(seconds)
                if attempt == retries:
                    log.warning("%s: flood control persists after %d retries (retry_after %.1f s)", endpoint,
                                retries, seconds)
                    raise
                log.info("%s: flood control, every sender waits %.1f s", endpoint, seconds)
            finally:
                if metered:
                    await self.budget.release(chat)
        raise AssertionError("unreachable")  # the loop returns or raises


__all__ = ["METERED", "BudgetRateLimiter"]
