"""The database: pragmas, migrations recorded and idempotent, transactions, unreadable files."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from storage import (
    Database,
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    open_database,
)
from storage.db import Migration, execute_sync, fetchone_sync, load_migrations
from storage.errors import IntegrityViolation
from tests.storage.conftest import places_written_by_hand


@pytest.mark.sqlite_only("SQLite's PRAGMAs")
async def test_pragmas(db: Database) -> None:
    assert (await db.fetchval("PRAGMA journal_mode")).lower() == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchval("PRAGMA busy_timeout") >= 1000
    assert await db.fetchval("PRAGMA synchronous") in (1, 2, 3)  # NORMAL or stronger


async def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    db = await open_database(path)
    assert await db.schema_version() == load_migrations()[-1].version
    assert await db.migrate() == []
    await db.close()
    db = await open_database(path)
    assert await db.fetchval("SELECT COUNT(*) FROM schema_version") == len(load_migrations())
    await db.close()


async def test_failed_migration_leaves_nothing(db: Database) -> None:
    bad = Migration(999, "bad", "CREATE TABLE half (x INTEGER);\nINSERT INTO nope VALUES (1);")
    with pytest.raises(Exception, match="999"):
        await db.migrate([bad])
    catalog = ("SELECT name FROM sqlite_master WHERE name = 'half'" if db.dialect == "sqlite"
               else "SELECT table_name FROM information_schema.tables WHERE table_name = 'half'")
    assert await db.fetchone(catalog) is None
    assert await db.fetchone("SELECT 1 FROM schema_version WHERE version = 999") is None


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 't', 'x')")
            raise RuntimeError("boom")
    assert await db.fetchval("SELECT COUNT(*) FROM tips_sent") == 0


async def test_nested_transaction_joins_outer(db: Database) -> None:
    async with db.transaction():
        async with db.transaction():
            await db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 't', 'x')")
        assert await db.fetchval("SELECT COUNT(*) FROM tips_sent") == 1
    assert await db.fetchval("SELECT COUNT(*) FROM tips_sent") == 1


async def test_atomic_work_commits_in_one_go_and_returns_its_result(db: Database) -> None:
    def work(conn: sqlite3.Connection) -> int:
        execute_sync(conn, "INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 'a', 'x')", ())
        execute_sync(conn, "INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 'b', 'x')", ())
        row = fetchone_sync(conn, "SELECT COUNT(*) AS n FROM tips_sent", ())
        assert row is not None
        return int(row["n"])

    assert await db.atomic(work) == 2
    assert await db.fetchval("SELECT COUNT(*) FROM tips_sent") == 2


async def test_atomic_work_rolls_back_on_any_error(db: Database) -> None:
    def work(conn: sqlite3.Connection) -> None:
        execute_sync(conn, "INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 'a', 'x')", ())
        raise ValueError("checked after the first insert")

    with pytest.raises(ValueError, match="checked"):
        await db.atomic(work)
    assert await db.fetchval("SELECT COUNT(*) FROM tips_sent") == 0
    # The connection is usable afterwards (no transaction left open).
    await db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 'b', 'x')")
    assert await db.fetchval("SELECT COUNT(*) FROM tips_sent") == 1


async def test_atomic_translates_integrity_errors(db: Database) -> None:
    def twice(conn: sqlite3.Connection) -> None:
        for _ in range(2):
            execute_sync(conn, "INSERT INTO tips_sent (id, user_id, tip_id, sent_at) VALUES (7, 1, 'a', 'x')", ())

    with pytest.raises(IntegrityViolation):
        await db.atomic(twice)
    assert await db.fetchval("SELECT COUNT(*) FROM tips_sent") == 0


async def test_atomic_inside_a_transaction_joins_it(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.atomic(lambda conn: execute_sync(
                conn, "INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 'a', 'x')", ()))
            raise RuntimeError("the outer transaction fails later")
    assert await db.fetchval("SELECT COUNT(*) FROM tips_sent") == 0


def _make_read_only(folder: Path, read_only: bool) -> None:
    if read_only:
        for p in folder.iterdir():
            p.chmod(0o444)
    folder.chmod(0o555 if read_only else 0o755)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
@pytest.mark.sqlite_only("a read-only SQLite file")
async def test_read_only_file_gives_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    db = await open_database(path)
    await db.close()
    _make_read_only(tmp_path, True)
    try:
        with pytest.raises(DatabaseReadOnly) as err:
            db = await open_database(path)
            await db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 't', 'x')")
        assert "hanya-baca" in err.value.message()
    finally:
        _make_read_only(tmp_path, False)


@pytest.mark.sqlite_only("a read-only SQLite connection")
async def test_read_only_connection_gives_clear_message(tmp_path: Path) -> None:
    """Also as root: a database opened read-only by SQLite refuses writes with our message."""
    path = tmp_path / "ro.db"
    await (await open_database(path)).close()
    import aiosqlite

    raw = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
    raw.row_factory = sqlite3.Row
    db = Database(raw, path)
    with pytest.raises(DatabaseReadOnly) as err:
        await db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 't', 'x')")
    assert "hanya-baca" in err.value.message()
    await db.close()


@pytest.mark.sqlite_only("a damaged SQLite file")
async def test_garbage_file_gives_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseCorrupt) as err:
        await open_database(path)
    assert "rusak" in err.value.message()


@pytest.mark.sqlite_only("SQLite's file lock")
async def test_locked_database_gives_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    db = await open_database(path)
    await db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseLocked) as err:
            await db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 't', 'x')")
        assert "sibuk" in err.value.message()
    finally:
        other.rollback()
        other.close()
        await db.close()


@pytest.mark.sqlite_only("SQLite's backup API (PostgreSQL: tests/storage/test_pg.py)")
async def test_backup_is_a_consistent_copy(db: Database, tmp_path: Path) -> None:
    await db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (1, 't', 'x')")
    dest = tmp_path / "backup" / "copy.db"
    await db.backup(dest)
    copy = sqlite3.connect(dest)
    assert copy.execute("SELECT COUNT(*) FROM tips_sent").fetchone() == (1,)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()


@pytest.mark.sqlite_only("SQLite's table rebuild with foreign keys off")
async def test_a_table_rebuilding_migration_keeps_every_reference(tmp_path: Path) -> None:
    """0062 rebuilds users and invites (new roles) with foreign keys off: guardians' links survive, and the new
    roles are accepted."""
    from storage import Repositories, Role

    db = await open_database(tmp_path / "m.db", migrate=False)
    try:
        await db.migrate([m for m in load_migrations() if m.version < 62])
        repos = Repositories(db)
        # Written as the code of that time did (today's repositories also keep the recap counts of 0120 and the
        # places counter of 0130).
        kel_id, (pos_id,) = await places_written_by_hand(db)
        child_id = await db.insert(
            "INSERT INTO children (code, name, name_key, sex, birth_date, posyandu_id, status, created_at, updated_at)"
            " VALUES ('A1', 'Budi', 'budi', 'M', '2024-01-01', ?, 'active', '2024-01-02', '2024-01-02') RETURNING id",
            (pos_id,))
        await repos.users.upsert(501, "Ibu")
        await repos.guardians.link(child_id, 501)
        assert await db.migrate() == [m.version for m in load_migrations() if m.version >= 62]
        assert set(await repos.guardians.child_ids_of(501)) == {child_id}
        assert (await repos.users.set_role(502, Role.TPK, area_id=kel_id)).role is Role.TPK
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()
