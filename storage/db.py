"""The database connection: opening SQLite safely, numbered migrations, transactions, error translation.

One `Database` wraps one aiosqlite connection. aiosqlite runs every statement on one thread, so two
tasks sharing the connection would see each other's open transaction; an asyncio lock serialises
statements and transactions (a task inside `transaction()` re-enters freely). Everything SQLite-specific
(PRAGMAs, BEGIN IMMEDIATE, error texts, the backup API) lives here, so a PostgreSQL `Database` could
stand in behind the same repositories.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite

from storage import files
from storage.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseOpenFailed,
    DatabaseReadOnly,
    IntegrityViolation,
    MigrationFailed,
    StorageError,
)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 5000
FOREIGN_KEYS_OFF = "-- migrate: foreign_keys off"
Row = dict[str, Any]
Params = Sequence[Any] | dict[str, Any]
_T = TypeVar("_T")


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class _UtcClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """`0001_init.sql`, `0002_x.sql` ... sorted by number; numbers must be unique."""
    found: dict[int, Migration] = {}
    for path in directory.glob("*.sql"):
        m = re.match(r"^(\d{4})_([\w\-]+)\.sql$", path.name)
        if not m:
            continue
        version = int(m.group(1))
        if version in found:
            raise RuntimeError(f"two migrations numbered {version}")
        found[version] = Migration(version, m.group(2), path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def translate_error(exc: sqlite3.Error, path: Path | str) -> StorageError | None:
    """Map SQLite's operational errors onto errors a person can act on (None: a programming error)."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return DatabaseReadOnly(path=str(path))
    if "locked" in text or "busy" in text:
        return DatabaseLocked()
    if "not a database" in text or "malformed" in text or "disk image" in text:
        return DatabaseCorrupt(path=str(path))
    if "unable to open" in text:
        return DatabaseOpenFailed(path=str(path))
    return None


def _fetchall(conn: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    cur = conn.execute(sql, params)
    try:
        return [dict(r) for r in cur.fetchall()]
    finally:
        cur.close()


def _fetchone(conn: sqlite3.Connection, sql: str, params: Params) -> Row | None:
    cur = conn.execute(sql, params)
    try:
        row = cur.fetchone()
        return dict(row) if row is not None else None
    finally:
        cur.close()


def _execute(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    cur = conn.execute(sql, params)
    count = cur.rowcount
    cur.close()
    return count


# The same, public, for `Database.atomic` work functions (they run in the worker thread).
fetchone_sync = _fetchone
execute_sync = _execute


def _alone(fn: Callable[[sqlite3.Connection, str, Params], _T], conn: sqlite3.Connection, sql: str,
           params: Params) -> _T:
    """`Database.transaction()` around one statement, run in the worker thread."""
    return _atomic(lambda c: fn(c, sql, params), conn)


def _atomic(work: Callable[[sqlite3.Connection], _T], conn: sqlite3.Connection) -> _T:
    """BEGIN IMMEDIATE, `work(conn)`, COMMIT (ROLLBACK on any error), run in the worker thread."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.commit()
    except BaseException:
        try:
            conn.rollback()
        except sqlite3.Error:  # the connection may already have rolled back on its own
            log.warning("rollback failed", exc_info=True)
        raise
    return result


_current_tx: contextvars.ContextVar[Database | None] = contextvars.ContextVar("storage_tx", default=None)


class Database:
    """An open SQLite database. Create with `await open_database(path)`; finish with `await db.close()`."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path, clock: Clock | None = None) -> None:
        self._conn = conn
        self.path = path
        self.clock: Clock = clock or _UtcClock()
        self._lock = asyncio.Lock()
        self._closed = False

    # ------------------------------------------------------------ time

    def now(self) -> dt.datetime:
        return self.clock.now()

    # ------------------------------------------------------------ statements

    def _in_tx(self) -> bool:
        return _current_tx.get() is self

    @asynccontextmanager
    async def _guard(self) -> AsyncIterator[None]:
        """Serialise access unless this task already holds the transaction; translate SQLite errors."""
        try:
            if self._in_tx():
                yield
            else:
                async with self._lock:
                    yield
        except sqlite3.IntegrityError as exc:
            raise IntegrityViolation(detail=str(exc)) from exc
        except sqlite3.Error as exc:
            mapped = translate_error(exc, self.path)
            if mapped is None:
                raise
            raise mapped from exc

    # Each statement is one hop to aiosqlite's worker thread (execute + fetch + close together): a hop costs
    # an event-loop round trip, and a step of a conversation runs a dozen statements.

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._guard():
            return await self._conn._execute(_fetchall, self._conn._conn, sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._guard():
            return await self._conn._execute(_fetchone, self._conn._conn, sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else next(iter(row.values()))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows changed. Outside a transaction it commits itself."""
        if self._in_tx():
            async with self._guard():
                return await self._conn._execute(_execute, self._conn._conn, sql, params)
        # A statement of its own: BEGIN IMMEDIATE, the statement and COMMIT (or ROLLBACK) in one hop.
        async with self._lock:
            token = _current_tx.set(self)  # so that _guard does not take the lock again
            try:
                async with self._guard():
                    return await self._conn._execute(_alone, _execute, self._conn._conn, sql, params)
            finally:
                _current_tx.reset(token)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction(), self._guard():
            await self._conn.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an `INSERT ... RETURNING id` and return the id."""
        if self._in_tx():
            row = await self.fetchone(sql, params)
        else:  # BEGIN IMMEDIATE, the insert and COMMIT (or ROLLBACK) in one hop, as in execute()
            async with self._lock:
                token = _current_tx.set(self)
                try:
                    async with self._guard():
                        row = await self._conn._execute(_alone, _fetchone, self._conn._conn, sql, params)
                finally:
                    _current_tx.reset(token)
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        return int(next(iter(row.values())))

    async def atomic(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `work(conn)` as one transaction in one hop to the worker thread, and return its result.

        For a write of several statements on a hot path (a measurement with its audit row, the persistence
        flush of an update): `transaction()` costs a thread hop per statement. `work` runs on the worker
        thread: only sqlite3 calls on `conn` (the *_sync helpers), no awaits, nothing slow. An exception in
        it rolls everything back and reaches the caller (SQLite errors translated as everywhere else).
        Inside `transaction()` it joins the open transaction.
        """
        if self._in_tx():
            async with self._guard():
                return await self._conn._execute(work, self._conn._conn)
        async with self._lock:
            token = _current_tx.set(self)  # so that _guard does not take the lock again
            try:
                async with self._guard():
                    return await self._conn._execute(_atomic, work, self._conn._conn)
            finally:
                _current_tx.reset(token)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """`async with db.transaction():` — everything inside commits together or not at all.

        Nested use joins the outer transaction. BEGIN IMMEDIATE takes SQLite's write lock up front, so
        a second process waits (busy timeout) instead of failing half-way.
        """
        if self._in_tx():
            yield self
            return
        async with self._lock:
            token = _current_tx.set(self)
            try:
                try:
                    await self._conn.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    mapped = translate_error(exc, self.path)
                    if mapped is None:
                        raise
                    raise mapped from exc
                try:
                    yield self
                except BaseException:
                    await self._rollback_quietly()
                    raise
                try:
                    await self._conn.commit()
                except sqlite3.Error as exc:
                    await self._rollback_quietly()
                    mapped = translate_error(exc, self.path)
                    if mapped is None:
                        raise
                    raise mapped from exc
            finally:
                _current_tx.reset(token)

    async def _rollback_quietly(self) -> None:
        try:
            await self._conn.rollback()
        except sqlite3.Error:  # the connection may already have rolled back on its own
            log.warning("rollback failed", exc_info=True)

    # ------------------------------------------------------------ maintenance

    async def schema_version(self) -> int:
        return int(await self.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version") or 0)

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply the migrations not yet recorded, each in its own transaction. Returns the versions applied."""
        async with self._guard():
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            await self._conn.commit()
        done = {int(r["version"]) for r in await self.fetchall("SELECT version FROM schema_version")}
        applied: list[int] = []
        for mig in migrations if migrations is not None else load_migrations():
            if mig.version in done:
                continue
            stamp = self.now().astimezone(dt.UTC).isoformat(timespec="seconds")
            name = mig.name.replace("'", "")
            # executescript runs the whole file; the explicit BEGIN/COMMIT make it one transaction.
            script = (
                f"BEGIN IMMEDIATE;\n{mig.sql}\n;\n"
                f"INSERT INTO schema_version (version, name, applied_at) "
                f"VALUES ({mig.version}, '{name}', '{stamp}');\nCOMMIT;"
            )
            # A migration that rebuilds a table (SQLite cannot alter a CHECK constraint) says so on its first line:
            # foreign keys are off while it runs (PRAGMA foreign_keys is ignored inside a transaction), then
            # back on, and every reference is checked before the migration counts as applied.
            keys_off = mig.sql.lstrip().startswith(FOREIGN_KEYS_OFF)
            async with self._guard():
                try:
                    if keys_off:
                        await self._conn.execute("PRAGMA foreign_keys = OFF")
                    await self._conn.executescript(script)
                    if keys_off:
                        broken = list(await (await self._conn.execute("PRAGMA foreign_key_check")).fetchall())
                        await self._conn.execute("PRAGMA foreign_keys = ON")
                        if broken:
                            raise sqlite3.IntegrityError(f"migration {mig.version} broke {len(broken)} reference(s)")
                except sqlite3.Error as exc:
                    await self._rollback_quietly()
                    await self._conn.execute("PRAGMA foreign_keys = ON")
                    mapped = translate_error(exc, self.path)
                    if mapped is not None:
                        raise mapped from exc
                    raise MigrationFailed(version=mig.version) from exc
            log.info("applied migration %04d_%s", mig.version, mig.name)
            applied.append(mig.version)
        return applied

    async def backup(self, dest: Path) -> None:
        """Copy the database with SQLite's online backup API (consistent while the bot keeps writing).

        The copy is 0600 in a folder created 0700 (storage/files.py), also when it replaces an older backup.
        """
        with files.private_temp(dest) as tmp:  # a half-written backup never carries the final name
            target = sqlite3.connect(tmp)
            try:
                async with self._guard():
                    await self._conn.backup(target)
            finally:
                target.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await self._conn.close()


async def connect(path: Path, clock: Clock | None = None) -> Database:
    """Open (and create) the SQLite file with WAL, foreign keys, a busy timeout and synchronous=NORMAL.

    WAL + NORMAL: a commit survives a killed process (the WAL is in the OS cache); only a power loss can
    lose the last commits, never consistency.
    """
    try:
        # Owner-only whatever the umask: SQLite gives the -wal and -shm files the database file's mode.
        files.private_dir(path.parent)
        files.create_private(path)
    except OSError as exc:
        raise DatabaseOpenFailed(path=str(path)) from exc
    try:
        conn = await aiosqlite.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise translate_error(exc, path) or DatabaseOpenFailed(path=str(path)) from exc
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        async with conn.execute("PRAGMA journal_mode = WAL") as cur:
            row = await cur.fetchone()
        if row is None or str(row[0]).lower() != "wal":
            log.warning("WAL journal mode not available; using %s", row[0] if row else "?")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        # Touch the file so that a read-only or damaged file fails here, with a clear message.
        async with conn.execute("SELECT COUNT(*) FROM sqlite_master") as cur:
            await cur.fetchone()
    except sqlite3.Error as exc:
        await conn.close()
        raise translate_error(exc, path) or DatabaseOpenFailed(path=str(path)) from exc
    warn_if_readable_by_others(path)
    return Database(conn, path, clock)


def warn_if_readable_by_others(path: Path) -> None:
    """The start-up check: a database (or folder) that other accounts on the server may read is logged."""
    for loose, mode in files.looser_than_private(path, side_files=files.SQLITE_SIDE_FILES):
        kind = "folder" if loose.is_dir() else "file"
        log.warning("%s %s is readable by other accounts (mode %o): it holds children's personal data; "
                    "run: chmod %s %s", kind, loose, mode, "700" if kind == "folder" else "600", loose)


def is_server_url(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


async def connect_target(target: Path | str, clock: Clock | None = None) -> Database:
    """A SQLite file (a path) or a PostgreSQL server (a `postgresql://` URL), not yet migrated."""
    if is_server_url(target):
        from storage.pg import connect_postgres  # psycopg is needed only by those who use PostgreSQL

        return await connect_postgres(str(target), clock)
    return await connect(Path(target), clock)


async def open_database(path: Path | str, *, clock: Clock | None = None, migrate: bool = True) -> Database:
    """Open the database (a SQLite file, creating its folder; or a `postgresql://` URL) and apply pending
    migrations."""
    db = await connect_target(path, clock)
    if migrate:
        try:
            await db.migrate()
        except BaseException:
            await db.close()
            raise
    return db
