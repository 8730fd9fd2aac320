"""PostgreSQL behind the same `Database` interface as SQLite, for deployments that outgrow one machine.

`DATABASE_URL=postgresql://user@host/db` selects it. One `PgDatabase` holds one psycopg 3 connection used from
one worker thread, the model aiosqlite uses for SQLite: the repositories' `atomic` work functions (several
statements in one hop, on the hot paths) run unchanged on either engine, and a bot process keeps one connection
(several processes share the server: issue 18's workers). Statements are translated from the repositories' SQL
once each (storage/pg_sql.py).

Values keep SQLite's shapes so that every repository reads the same Python values from both: dates and times
are ISO text (as the SQLite columns hold them), booleans are 0/1, and `numeric` results (SUM, AVG) come back as
int when whole, float otherwise.

Transactions are READ COMMITTED, one at a time per process (the asyncio lock, as on SQLite); work that several
processes may claim at once takes row locks (`FOR UPDATE SKIP LOCKED`) where it is claimed.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import logging
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import psycopg
from psycopg import errors as pg_errors
from psycopg.abc import Buffer
from psycopg.adapt import Dumper, Loader
from psycopg.rows import RowMaker
from psycopg.types.string import StrDumperUnknown

from storage import files
from storage.db import FOREIGN_KEYS_OFF, MIGRATIONS_DIR, Clock, Database, Migration, Params, Row, load_migrations
from storage.errors import (
    BackupFailed,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseServerUnreachable,
    IntegrityViolation,
    MigrationFailed,
)
from storage.pg_sql import translate, translate_ddl

log = logging.getLogger(__name__)

PG_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgresql"
# One key for "migrations in progress": two workers starting at once apply each migration once.
_MIGRATE_LOCK = 0x504F5359  # "POSY"
_T = TypeVar("_T")


class PgRow(tuple[Any, ...]):
    """A result row readable as sqlite3.Row is: by position, by slice, by column name, and by `dict(row)`."""

    _names: tuple[str, ...]
    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: tuple[str, ...], index: dict[str, int]) -> PgRow:
        row = super().__new__(cls, values)
        row._names, row._index = names, index
        return row

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)


def _row_factory(cursor: psycopg.Cursor[Any]) -> RowMaker[PgRow]:
    names = tuple(c.name for c in cursor.description or ())
    index = {n: i for i, n in enumerate(names)}
    return lambda values: PgRow(values, names, index)


# ------------------------------------------------------------------ values as SQLite has them


class _IsoDateDumper(Dumper):
    """date/datetime/time parameters as the ISO text sqlite3's default adapters produce (the columns are TEXT)."""

    oid = 0  # unknown: PostgreSQL takes the type from the context, as it does for a quoted literal

    def dump(self, obj: Any) -> bytes:
        text = obj.isoformat(" ") if isinstance(obj, dt.datetime) else obj.isoformat()
        return cast(bytes, text.encode())


class _TextDumper(StrDumperUnknown):
    """Text as psycopg sends it, without NUL characters: PostgreSQL text cannot hold U+0000 (SQLite can), and
    nothing a person types means anything by it; a pasted one would otherwise refuse the whole message."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "") if "\x00" in obj else obj)


class _BoolAsIntDumper(Dumper):
    """True/False as 1/0: the flag columns are integers, as in SQLite."""

    oid = 20  # int8

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _NumericLoader(Loader):
    """SUM and AVG give `numeric`: an int when whole (a count), a float otherwise (no Decimal leaks out)."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


class _BoolLoader(Loader):
    """`x IS NULL`, `a < b`: SQLite gives 0/1, and so do we."""

    def load(self, data: Any) -> int:
        return 1 if bytes(data) == b"t" else 0


def _configure(conn: psycopg.Connection[Any]) -> None:
    adapters = conn.adapters
    for kind in (dt.date, dt.datetime, dt.time):
        adapters.register_dumper(kind, _IsoDateDumper)
    adapters.register_dumper(bool, _BoolAsIntDumper)
    adapters.register_dumper(str, _TextDumper)
    adapters.register_loader("numeric", _NumericLoader)
    adapters.register_loader("bool", _BoolLoader)
    # Dates stored by PostgreSQL itself (none of our columns, but a cast in a query) read as ISO text too.
    for name in ("date", "timestamp", "timestamptz", "time"):
        adapters.register_loader(name, psycopg.types.string.TextLoader)


# ------------------------------------------------------------------ the connection the work functions see


class _Cursor:
    """What `Database.atomic` work functions use of a sqlite3 cursor: iteration, fetchone, fetchall, rowcount."""

    def __init__(self, cur: psycopg.Cursor[PgRow]) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def fetchone(self) -> PgRow | None:
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self) -> list[PgRow]:
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._cur.close()


class PgConnection:
    """The sqlite3.Connection calls the repositories make, on a psycopg connection, in the worker thread."""

    def __init__(self, conn: psycopg.Connection[PgRow]) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Params = ()) -> _Cursor:
        cur = self.raw.cursor()
        cur.execute(cast(Any, translate(sql)), _params(params))
        return _Cursor(cur)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(translate(sql), [_params(r) for r in rows])


def _params(params: Params) -> Sequence[Any] | dict[str, Any]:
    return params if isinstance(params, dict) else list(params)


def _translate_error(exc: psycopg.Error) -> Exception | None:
    if isinstance(exc, pg_errors.IntegrityError):
        return IntegrityViolation(detail=str(exc).splitlines()[0])
    if isinstance(exc, pg_errors.SerializationFailure | pg_errors.DeadlockDetected | pg_errors.LockNotAvailable
                  | pg_errors.QueryCanceled):
        return DatabaseLocked()
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return DatabaseReadOnly(path="postgresql")
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return DatabaseServerUnreachable(where="PostgreSQL")
    return None


_current_tx: contextvars.ContextVar[PgDatabase | None] = contextvars.ContextVar("pg_tx", default=None)


class PgDatabase(Database):
    """An open PostgreSQL database. Create with `await open_database("postgresql://...")`."""

    dialect = "postgresql"

    def __init__(self, url: str, conn: psycopg.Connection[PgRow], clock: Clock | None = None) -> None:
        super().__init__(cast(Any, None), Path("postgresql"), clock)
        self.url = url
        self._pg = PgConnection(conn)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres")

    # ------------------------------------------------------------ the worker thread

    def _in_tx(self) -> bool:
        return _current_tx.get() is self

    async def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except psycopg.Error as exc:
            mapped = _translate_error(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def _ensure_open(self) -> None:
        """Reconnect between transactions when the server dropped us (a restart, a failover)."""
        if self._pg.raw.closed or self._pg.raw.broken:
            log.warning("PostgreSQL connection lost; reconnecting")
            self._pg = PgConnection(_connect_sync(self.url))

    def _one(self, mode: str, sql: str, params: Params) -> Any:
        # Outside a transaction the connection autocommits: one statement is its own transaction.
        if not self._in_tx_sync:
            self._ensure_open()
        return _run(self._pg, mode, sql, params)

    _in_tx_sync = False  # set in the worker thread while a transaction is open

    def _begin_sync(self) -> None:
        self._ensure_open()
        self._pg.raw.execute("BEGIN")
        self._in_tx_sync = True

    def _end_sync(self, commit: bool) -> None:
        self._in_tx_sync = False
        if self._pg.raw.closed:
            return
        try:
            self._pg.raw.execute("COMMIT" if commit else "ROLLBACK")
        except psycopg.Error:
            if commit:
                raise
            log.warning("rollback failed", exc_info=True)

    def _atomic_sync(self, work: Callable[[PgConnection], _T]) -> _T:
        self._begin_sync()
        try:
            result = work(self._pg)
        except BaseException:
            self._end_sync(False)
            raise
        self._end_sync(True)
        return result

    # ------------------------------------------------------------ statements

    @asynccontextmanager
    async def _held(self) -> AsyncIterator[None]:
        if self._in_tx():
            yield
        else:
            async with self._lock:
                yield

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._held():
            return cast(list[Row], await self._call(self._one, "all", sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._held():
            return cast(Row | None, await self._call(self._one, "one", sql, params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._held():
            return cast(int, await self._call(self._one, "count", sql, params))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        batch = list(rows)
        async with self._held():
            if self._in_tx():
                await self._call(self._pg.executemany, sql, batch)
            else:
                await self._call(self._atomic_sync, lambda c: c.executemany(sql, batch))

    async def insert(self, sql: str, params: Params = ()) -> int:
        row = await self.fetchone(sql, params)
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        return int(next(iter(row.values())))

    async def atomic(self, work: Callable[[Any], _T]) -> _T:
        async with self._held():
            if self._in_tx():
                return await self._call(work, self._pg)
            return await self._call(self._atomic_sync, work)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        if self._in_tx():
            yield self
            return
        async with self._lock:
            token = _current_tx.set(self)
            try:
                await self._call(self._begin_sync)
                try:
                    yield self
                except BaseException:
                    await self._call(self._end_sync, False)
                    raise
                await self._call(self._end_sync, True)
            finally:
                _current_tx.reset(token)

    # ------------------------------------------------------------ maintenance

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply the migrations not yet recorded, each in its own transaction, under an advisory lock so that
        workers starting together apply each one once. A file in migrations/postgresql/ with the same number
        replaces the translated SQLite file (a table rebuild SQLite needs, PostgreSQL does with ALTER)."""
        plan = migrations if migrations is not None else load_migrations()
        own = {m.version: m for m in load_migrations(PG_MIGRATIONS_DIR)} if PG_MIGRATIONS_DIR.is_dir() else {}

        def run(conn: PgConnection) -> list[int]:
            raw = conn.raw
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
            raw.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                        " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            done = {int(r[0]) for r in raw.execute("SELECT version FROM schema_version").fetchall()}
            applied: list[int] = []
            for mig in plan:
                if mig.version in done:
                    continue
                chosen = own.get(mig.version, mig)
                body = chosen.sql if chosen is not mig else translate_ddl(mig.sql.replace(FOREIGN_KEYS_OFF, ""))
                stamp = self.now().astimezone(dt.UTC).isoformat(timespec="seconds")
                try:
                    raw.execute("SAVEPOINT migration")
                    raw.execute(cast(Any, body))
                    raw.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (%s, %s, %s)",
                                (mig.version, mig.name, stamp))
                    raw.execute("RELEASE SAVEPOINT migration")
                except psycopg.Error as exc:
                    raise MigrationFailed(version=mig.version) from exc
                log.info("applied migration %04d_%s", mig.version, mig.name)
                applied.append(mig.version)
            return applied

        async with self._lock:
            token = _current_tx.set(self)
            try:
                return await self._call(self._atomic_sync, run)
            finally:
                _current_tx.reset(token)

    async def backup(self, dest: Path) -> None:
        """A custom-format `pg_dump` of the database into `dest` (0600, in a 0700 folder): restore with
        `pg_restore -d <url> <file>`. Point-in-time recovery and replicas are the server's own business."""
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupFailed(reason="pg_dump")
        # The password goes in the environment, not on the command line (which every local account can read).
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        password = info.pop("password", None)
        env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
        with files.private_temp(dest) as tmp:
            proc = await asyncio.create_subprocess_exec(
                pg_dump, "--format=custom", "--file", str(tmp), "--dbname", psycopg.conninfo.make_conninfo("", **info),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env)
            _, err = await proc.communicate()
            if proc.returncode != 0:
                log.error("pg_dump failed: %s", err.decode(errors="replace").strip()[:300])
                raise BackupFailed(reason=f"pg_dump {proc.returncode}")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._pg.raw.close)
        self._executor.shutdown(wait=False)


def _run(conn: PgConnection, mode: str, sql: str, params: Params) -> Any:
    cur = conn.execute(sql, params)
    try:
        if mode == "all":
            return [dict(r) for r in cur.fetchall()]
        if mode == "one":
            row = cur.fetchone()
            return dict(row) if row is not None else None
        return cur.rowcount
    finally:
        cur.close()


def _connect_sync(url: str) -> psycopg.Connection[PgRow]:
    conn = psycopg.connect(url, autocommit=True, row_factory=_row_factory, connect_timeout=10,
                           application_name="posyandu-bot")
    _configure(conn)
    return conn


async def connect_postgres(url: str, clock: Clock | None = None) -> PgDatabase:
    """Open a connection to `url` (postgresql://...); a clear error when the server cannot be reached."""
    loop = asyncio.get_running_loop()
    try:
        conn = await loop.run_in_executor(None, _connect_sync, url)
    except psycopg.Error as exc:
        log.error("cannot connect to PostgreSQL: %s", type(exc).__name__)
        raise DatabaseServerUnreachable(where=_safe_url(url)) from exc
    return PgDatabase(url, conn, clock)


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"postgresql://{info.get('host', '')}/{info.get('dbname', '')}"
