"""Webhook mode with several workers: each update processed once, a chat's updates in order, by one worker at a time.

Behind one webhook URL a proxy spreads Telegram's calls over the workers; any of them may receive any update,
and Telegram repeats a delivery that was not answered in time. So (UPDATE_SHARDS > 0, docs/workers.md):

1. The webhook of whichever worker receives an update stores it in `update_inbox` (update_id is the key: a
   repeated delivery is stored once) with shard = user id % UPDATE_SHARDS (the chat's id when there is no
   user), and answers 200.
2. Every shard is owned by one live worker through a lease row in `update_shards`; the workers split the shards
   evenly between those with a fresh heartbeat (bot/workers.py), take over the shards of a worker whose lease
   lapsed, and hand extra shards back when a worker joins.
3. The owner processes its shards' updates in update_id order, one at a time per shard (shards side by side).
   The update's "done" mark is committed in the same transaction as the conversation state and user data it
   produced (storage.persistence.FLUSH_ALSO), so a worker killed mid-update leaves neither: the next owner
   processes that update again from the state before it (its replies may go out twice; nothing is lost).
4. PTB keeps conversations and user_data in memory, read from persistence at start. A worker taking a shard
   reads that shard's users afresh before processing anything of it: another worker changed them meanwhile.

The shard key is the user, not the chat: user_data is per user, and our conversations are per chat and user (in
the private chats this bot lives in, user and chat are the same id).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update

from bot.workers import Heartbeat, Worker
from storage import inbox_queries as iq
from storage.persistence import FLUSH_ALSO, SQLitePersistence
from storage.values import to_db_time

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

POLL = 0.05  # seconds between looks for updates another worker's webhook stored for our shards
PURGE_EVERY = 600.0  # seconds between purges of processed updates
KEEP_DONE = dt.timedelta(days=1)  # Telegram gives up retrying an update after a day


def shard_key(update: Update) -> int | None:
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


def shard_of(key: int | None, shards: int) -> int:
    return 0 if key is None else key % shards


@dataclass
class _Shard:
    epoch: int
    valid_until: float  # time.monotonic(): our lease, less a margin, as of the last renewal
    queue: asyncio.Queue[iq.Stored | None] = field(default_factory=asyncio.Queue)
    queued: set[int] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    stopping: bool = False


class Inbox:
    """This worker's side of the shared inbox: stores what its webhook receives, processes the shards it owns."""

    def __init__(self, app: PosyanduApplication, *, shards: int, worker: Worker,
                 heartbeat: Heartbeat | None = None, poll: float = POLL) -> None:
        if shards < 1:
            raise ValueError("shards must be positive")
        self.app = app
        self.db = app.runtime.db
        self.shards = shards
        self.worker = worker
        self.heartbeat = heartbeat
        self.poll = poll
        self.owned: dict[int, _Shard] = {}
        self.processed = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next_purge = 0.0

    # ------------------------------------------------------------ the webhook side

    async def receive(self, payload: dict[str, Any], update: Update) -> bool:
        """Store an update for its shard's owner; False when it was already stored (a repeated delivery)."""
        shard = shard_of(shard_key(update), self.shards)
        stored = await iq.store(self.db, update.update_id, shard, json.dumps(payload), self.db.now())
        if shard in self.owned:
            self._wake.set()
        return stored

    # ------------------------------------------------------------ life cycle

    async def start(self) -> None:
        await iq.ensure_shards(self.db, self.shards)
        await iq.release_all(self.db, self.worker.id)
        await self._balance()
        self._task = asyncio.create_task(self._run(), name="inbox")
        log.info("inbox: worker %s owns %d of %d shard(s)", self.worker.id, len(self.owned), self.shards)

    async def stop(self) -> None:
        """Finish the update each shard is processing, then hand every shard back (others take them at once)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for shard in list(self.owned):
            await self._hand_back(shard)

    # ------------------------------------------------------------ ownership

    def _lease_seconds(self) -> float:
        return self.worker.lease.total_seconds()

    def _valid_until(self) -> float:
        # A margin of a third of the lease: we stop before another worker could take the shard over.
        return time.monotonic() + self._lease_seconds() * 2 / 3

    def target(self) -> int:
        live = self.heartbeat.live if self.heartbeat is not None else 1
        return math.ceil(self.shards / max(1, live))

    async def _balance(self) -> None:
        now = self.db.now()
        for shard, state in list(self.owned.items()):
            if state.stopping:
                continue
            if await iq.renew(self.db, shard, self.worker.id, state.epoch, now, self.worker.lease):
                state.valid_until = self._valid_until()
            else:
                log.warning("inbox: shard %d was taken over by another worker", shard)
                await self._drop(shard)
        target = self.target()
        while len(self.owned) > target:  # a worker joined: hand back the extra shards
            await self._hand_back(max(self.owned))
        if len(self.owned) < target:
            for shard in range(self.shards):
                if len(self.owned) >= target:
                    break
                if shard in self.owned:
                    continue
                epoch = await iq.take(self.db, shard, self.worker.id, now, self.worker.lease)
                if epoch is not None:
                    await self._adopt(shard, epoch)

    async def _adopt(self, shard: int, epoch: int) -> None:
        """A shard is ours: read its users' conversations and data afresh, then process its updates."""
        await self._reload(shard)
        state = _Shard(epoch=epoch, valid_until=self._valid_until())
        self.owned[shard] = state
        state.task = asyncio.create_task(self._drain(shard, state), name=f"inbox-shard-{shard}")
        self._wake.set()

    async def _stop_shard(self, shard: int) -> _Shard | None:
        state = self.owned.pop(shard, None)
        if state is None:
            return None
        state.stopping = True
        state.queue.put_nowait(None)
        if state.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await state.task
        return state

    async def _hand_back(self, shard: int) -> None:
        state = await self._stop_shard(shard)
        if state is not None:
            await iq.give_up(self.db, shard, self.worker.id, state.epoch)

    async def _drop(self, shard: int) -> None:
        """Lost (another worker owns it now): stop without touching its lease row."""
        await self._stop_shard(shard)

    async def _reload(self, shard: int) -> None:
        persistence = self.app.persistence
        if not isinstance(persistence, SQLitePersistence):
            return

        def mine(user_id: int) -> bool:
            return shard_of(user_id, self.shards) == shard

        conversations: dict[str, Any] = self.app._conversation_handler_conversations  # PTB has no API for it
        users, stored = await persistence.reload(mine, list(conversations))
        user_data: dict[int, Any] = self.app._user_data
        for uid in [u for u in user_data if mine(u)]:
            del user_data[uid]
        for uid, data in users.items():
            fresh = self.app.context_types.user_data()
            fresh.update(data)
            user_data[uid] = fresh
        for name, tracking in conversations.items():
            for key in [k for k in tracking.data if k and isinstance(k[-1], int) and mine(k[-1])]:
                del tracking.data[key]
            tracking.update_no_track(stored.get(name, {}))

    # ------------------------------------------------------------ processing

    async def _run(self) -> None:
        next_balance = time.monotonic() + self._lease_seconds() / 3
        while True:
            try:
                if time.monotonic() >= next_balance:
                    await self._balance()
                    next_balance = time.monotonic() + self._lease_seconds() / 3
                await self._fetch()
                if time.monotonic() >= self._next_purge:
                    await iq.purge(self.db, self.db.now() - KEEP_DONE)
                    self._next_purge = time.monotonic() + PURGE_EVERY
            except asyncio.CancelledError:
                raise
            except Exception:  # a locked or unreachable database: try again on the next round
                log.warning("inbox round failed", exc_info=True)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll)

    async def _fetch(self) -> None:
        active = [s for s, st in self.owned.items() if not st.stopping]
        for stored in await iq.todo(self.db, active):
            state = self.owned.get(stored.shard)
            if state is None or state.stopping or stored.update_id in state.queued:
                continue
            state.queued.add(stored.update_id)
            state.queue.put_nowait(stored)

    async def _drain(self, shard: int, state: _Shard) -> None:
        while True:
            item = await state.queue.get()
            if item is None or state.stopping:
                return
            try:
                if time.monotonic() > state.valid_until:
                    log.warning("inbox: lease of shard %d not renewed in time; stopping it", shard)
                    self.owned.pop(shard, None)
                    return
                await self._process(item)
            except Exception:
                log.exception("inbox: update %s failed", item.update_id)
            finally:
                state.queued.discard(item.update_id)

    async def _process(self, item: iq.Stored) -> None:
        # A row fetched before it was marked done (processed meanwhile by this shard's task) is skipped here:
        # only this task processes this shard, so the check is exact.
        if await iq.is_done(self.db, item.update_id):
            return
        update = Update.de_json(json.loads(item.payload), self.app.bot)
        self.app.bot.insert_callback_data(update)
        token = FLUSH_ALSO.set(((iq.DONE_SQL, (to_db_time(self.db.now()), item.update_id)),))
        try:
            await self.app.process_update(update)
        finally:
            FLUSH_ALSO.reset(token)
        # Without persistence, or when its flush failed: marked here (an update that keeps failing must not
        # block its shard).
        await iq.mark_done(self.db, item.update_id, self.db.now())
        self.processed += 1


__all__ = ["Inbox", "shard_key", "shard_of"]
