"""Test-wide settings: PTB's timedelta retry_after, and no real .env leaking into tests."""

import os

os.environ.setdefault("PTB_TIMEDELTA", "1")
os.environ.pop("TELEGRAM_BOT_TOKEN", None)

# ---------------------------------------------------------------- the PostgreSQL run (tests/pg_server.py)

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg_server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): about the SQLite file itself; skipped on PostgreSQL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not pg_server.enabled():
        return
    for item in items:
        mark = item.get_closest_marker("sqlite_only")
        if mark is not None:
            item.add_marker(pytest.mark.skip(reason="SQLite only: " + (mark.args[0] if mark.args else "")))


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[pg_server.Databases | None]:
    if not pg_server.enabled():
        yield None
        return
    if not pg_server.available():
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql) and POSYANDU_TEST_PG_URL is"
                    " not set")
    server, dbs = pg_server.start()
    pg_server.ACTIVE = dbs
    try:
        yield dbs
    finally:
        pg_server.ACTIVE = None
        dbs.drop_all()
        if server is not None:
            server.stop()


@pytest.fixture(autouse=True)
def _database_engine(_pg_databases: pg_server.Databases | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """On the PostgreSQL run, a database opened by path is a fresh PostgreSQL database (same path, same one)."""
    if _pg_databases is None:
        yield
        return
    import storage.db
    from storage.pg import connect_postgres

    dbs = _pg_databases

    async def connect(path: Path, clock: storage.db.Clock | None = None) -> storage.db.Database:
        return await connect_postgres(dbs.url_for(path), clock)

    monkeypatch.setattr(storage.db, "connect", connect)
    try:
        yield
    finally:
        dbs.release_all()
