"""Updates of different chats run concurrently; updates of one chat run one at a time, in order.

PTB's `concurrent_updates` alone lets a chat's follow-up message overtake the previous one, and a
ConversationHandler then loses it (architecture.md measured 0 of 666 conversations completing). Serialising
per chat keeps each cadre's conversation exact while a slow step of one cadre (a chart, an export, a database
write) no longer holds up everybody else. Hand-written because PTB ships only the unordered processor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    @staticmethod
    def _key(update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        if key is None:
            await coroutine
            return
        # asyncio.Lock wakes waiters in FIFO order, and PTB starts the tasks in the order the updates
        # arrived, so one chat's updates are handled in arrival order.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:  # nobody else queued for this chat: forget it (bounded memory)
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""
