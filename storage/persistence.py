"""python-telegram-bot persistence in our SQLite database: user, chat and bot data, callback data and
conversation states, stored as JSON and written through on every `update_*` call.

PTB calls `update_*` from `Application.update_persistence()`; the application flushes after every update,
so each call here is its own short transaction and a kill -9 loses at most the update being processed.
Values are JSON with a few tagged types (date, datetime, time, Decimal, tuple, set, dicts with non-string
keys), so the data stays readable and never unpickles code. Anything else is refused with a TypeError
naming the key path, at the moment it is stored.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.db import Database, execute_sync, open_database

log = logging.getLogger(__name__)

TAG = "__t__"

# Statements to commit in the same transaction as the flush of the update being processed in this context: the
# inbox of several workers (bot/inbox.py) marks an update processed together with the state it produced, so a
# worker killed in between leaves neither (the update is processed again from the state before it).
FLUSH_ALSO: contextvars.ContextVar[tuple[tuple[str, tuple[Any, ...]], ...]] = contextvars.ContextVar(
    "persistence_flush_also", default=())


# ------------------------------------------------------------------ tagged JSON


def _encode(value: Any, path: str = "$") -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [_encode(v, f"{path}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, set | frozenset):
        items = [_encode(v, f"{path}{{}}") for v in value]
        return {TAG: "frozenset" if isinstance(value, frozenset) else "set",
                "v": sorted(items, key=lambda x: json.dumps(x, sort_keys=True))}
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: _encode(v, f"{path}.{k}") for k, v in value.items()}
        return {TAG: "dict", "v": [[_encode(k, f"{path}<key>"), _encode(v, f"{path}[{k!r}]")]
                                   for k, v in value.items()]}
    if isinstance(value, dt.datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {TAG: "time", "v": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {TAG: "timedelta", "v": value.total_seconds()}
    if isinstance(value, Decimal):
        return {TAG: "decimal", "v": str(value)}
    if isinstance(value, bytes):
        return {TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"cannot persist a {type(value).__name__} at {path}: store plain data (ids, numbers, text)")


_DECODERS: dict[str, Any] = {
    "tuple": lambda v: tuple(_decode(x) for x in v),
    "set": lambda v: {_decode(x) for x in v},
    "frozenset": lambda v: frozenset(_decode(x) for x in v),
    "dict": lambda v: {_decode(k): _decode(x) for k, x in v},
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(seconds=v),
    "decimal": Decimal,
    "bytes": base64.b64decode,
}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        tag = value.get(TAG)
        if isinstance(tag, str) and tag in _DECODERS and set(value) == {TAG, "v"}:
            return _DECODERS[tag](value["v"])
        return {k: _decode(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    """Tagged JSON text of `value` (TypeError for values that are not plain data)."""
    return json.dumps(_encode(value), ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def loads(text: str) -> Any:
    return _decode(json.loads(text))


# ------------------------------------------------------------------ persistence


_Write = tuple[str, tuple[Any, ...], tuple[str, object], str | None]


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """`SQLitePersistence(db)` on an open `Database`, or `SQLitePersistence(path)` to open its own."""

    def __init__(self, database: Database | Path, *, store_data: PersistenceInput | None = None,
                 update_interval: float = 60) -> None:
        super().__init__(store_data=store_data or PersistenceInput(), update_interval=update_interval)
        self._db: Database | None = database if isinstance(database, Database) else None
        self._path: Path | None = None if isinstance(database, Database) else Path(database)
        self._owns_db = self._db is None
        # Last text written per row: PTB reports every touched chat; unchanged ones cost no write.
        self._written: dict[tuple[str, object], str] = {}
        # Writes collected by `batched()`: (sql, params, cache key, text written or None for a delete).
        self._batch: list[_Write] | None = None
        # The writes of a batch that failed (e.g. database locked): PTB has forgotten them, so they go first
        # into the next batch instead of being lost until each chat changes again.
        self._unwritten: list[_Write] = []
        self._batch_lock = asyncio.Lock()

    async def reload(self, belongs: Callable[[int], bool],
                     names: Iterable[str]) -> tuple[dict[int, dict[Any, Any]], dict[str, ConversationDict]]:
        """The stored user data and conversations of the users for whom `belongs(user_id)` (a conversation by
        the last part of its key, the user in our per-chat-and-user conversations), read afresh: another worker
        may have written them since this process read them (a shard taken over: bot/inbox.py)."""
        db = await self._database()
        for cache_key in [k for k in self._written if k[0] == "ptb_user_data" and isinstance(k[1], int)
                          and belongs(k[1])]:
            del self._written[cache_key]
        users: dict[int, dict[Any, Any]] = {}
        if self.store_data.user_data:
            for row in await db.fetchall("SELECT user_id AS k, data FROM ptb_user_data"):
                if belongs(int(row["k"])):
                    self._written[("ptb_user_data", int(row["k"]))] = row["data"]
                    users[int(row["k"])] = loads(row["data"])
        conversations: dict[str, ConversationDict] = {}
        for name in names:
            def mine(key_text: str) -> bool:
                key = json.loads(key_text)
                return bool(key) and isinstance(key[-1], int) and belongs(key[-1])

            for cache_key in list(self._written):
                table, where = cache_key
                if table == "ptb_conversations" and isinstance(where, tuple) and where[0] == name and mine(where[1]):
                    del self._written[cache_key]
            found: ConversationDict = {}
            for row in await db.fetchall("SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)):
                if mine(row["key"]):
                    found[tuple(json.loads(row["key"]))] = loads(row["state"])
                    self._written[("ptb_conversations", (name, row["key"]))] = row["state"]
            conversations[name] = found
        return users, conversations

    @asynccontextmanager
    async def batched(self) -> AsyncIterator[None]:
        """Collect the writes made inside (one `Application.update_persistence()`) and run them as one
        transaction in one hop to the database thread; a step of a conversation writes the user's data and
        the conversation state, which were two transactions before."""
        async with self._batch_lock:
            self._batch = []
            try:
                yield
                pending = self._unwritten + self._batch + [(sql, params, ("", None), None)
                                                           for sql, params in FLUSH_ALSO.get()]
            finally:
                self._batch = None
            if not pending:
                return

            def work(conn: sqlite3.Connection) -> None:
                for sql, params, _, _ in pending:  # in order: a later write of the same row wins
                    execute_sync(conn, sql, params)

            try:
                db = await self._database()
                await db.atomic(work)
            except BaseException:
                self._unwritten = pending
                raise
            self._unwritten = []
            for _, _, cache_key, text in pending:
                self._remember(cache_key, text)

    def _remember(self, cache_key: tuple[str, object], text: str | None) -> None:
        if text is None:
            self._written.pop(cache_key, None)
        else:
            self._written[cache_key] = text

    async def _write(self, sql: str, params: tuple[Any, ...], cache_key: tuple[str, object],
                     text: str | None) -> None:
        """Run (or, inside `batched()`, queue) one write and remember what the row now holds."""
        if self._batch is not None:
            self._batch.append((sql, params, cache_key, text))
            return
        db = await self._database()
        await db.execute(sql, params)
        self._remember(cache_key, text)

    async def _database(self) -> Database:
        if self._db is None:
            assert self._path is not None
            self._db = await open_database(self._path)
        return self._db

    async def _put(self, table: str, key_col: str, key: object, data: object) -> None:
        text = dumps(data)
        if self._written.get((table, key)) == text:
            return
        await self._write(f"INSERT INTO {table} ({key_col}, data) VALUES (?, ?)"
                          f" ON CONFLICT ({key_col}) DO UPDATE SET data = excluded.data",
                          (key, text), (table, key), text)

    async def _load_map(self, table: str, key_col: str) -> dict[int, dict[Any, Any]]:
        db = await self._database()
        out: dict[int, dict[Any, Any]] = {}
        for row in await db.fetchall(f"SELECT {key_col} AS k, data FROM {table}"):
            self._written[(table, int(row["k"]))] = row["data"]
            out[int(row["k"])] = loads(row["data"])
        return out

    # -------------------------------------------------------------- user / chat / bot data

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return await self._load_map("ptb_user_data", "user_id")

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return await self._load_map("ptb_chat_data", "chat_id")

    async def get_bot_data(self) -> dict[Any, Any]:
        value = await self._get_document("bot_data")
        return value if isinstance(value, dict) else {}

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._put("ptb_user_data", "user_id", user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await self._put("ptb_chat_data", "chat_id", chat_id, data)

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        await self._put("ptb_documents", "name", "bot_data", data)

    async def drop_user_data(self, user_id: int) -> None:
        await self._write("DELETE FROM ptb_user_data WHERE user_id = ?", (user_id,), ("ptb_user_data", user_id), None)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._write("DELETE FROM ptb_chat_data WHERE chat_id = ?", (chat_id,), ("ptb_chat_data", chat_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Nothing to do: only this bot writes these rows."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Nothing to do: only this bot writes these rows."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Nothing to do: only this bot writes these rows."""

    # -------------------------------------------------------------- callback data

    async def _get_document(self, name: str) -> Any:
        db = await self._database()
        text = await db.fetchval("SELECT data FROM ptb_documents WHERE name = ?", (name,))
        if text is None:
            return None
        self._written[("ptb_documents", name)] = text
        return loads(text)

    async def get_callback_data(self) -> CDCData | None:
        value = await self._get_document("callback_data")
        if value is None:
            return None
        buttons, mapping = value
        return [tuple(b) for b in buttons], dict(mapping)

    async def update_callback_data(self, data: CDCData) -> None:
        buttons, mapping = data
        await self._put("ptb_documents", "name", "callback_data", [[list(b) for b in buttons], dict(mapping)])

    # -------------------------------------------------------------- conversations

    async def get_conversations(self, name: str) -> ConversationDict:
        db = await self._database()
        rows = await db.fetchall("SELECT key, state FROM ptb_conversations WHERE name = ?", (name,))
        for r in rows:
            self._written[("ptb_conversations", (name, r["key"]))] = r["state"]
        return {tuple(json.loads(r["key"])): loads(r["state"]) for r in rows}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        key_text = json.dumps(list(key))
        # Same skip as _put: PTB reports the conversation after every update, mostly with an unchanged state.
        cache_key = ("ptb_conversations", (name, key_text))
        if new_state is None:
            await self._write("DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, key_text),
                              cache_key, None)
            return
        text = dumps(new_state)
        if self._written.get(cache_key) == text:
            return
        await self._write("INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)"
                          " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                          (name, key_text, text), cache_key, text)

    # -------------------------------------------------------------- shutdown

    async def flush(self) -> None:
        """Everything is already written; close the connection if this persistence opened it."""
        if self._owns_db and self._db is not None:
            await self._db.close()
            self._db = None
