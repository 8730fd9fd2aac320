"""Private files (issue 19, item 2): the database with its -wal/-shm, backups and full-NIK exports are created
owner-only whatever the umask, and a start-up check warns about files other accounts can read."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo import CADRE_ID, seed_demo
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories, open_database
from tests.e2e.harness import BotHarness


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask of a server account: new files 0644, folders 0755 unless the code says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    db = tmp_path / "data" / "posyandu.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return db


@pytest.mark.sqlite_only("the SQLite file, its -wal and -shm (PostgreSQL's files are the server's)")
async def test_database_wal_and_shm_are_owner_only_whatever_the_umask(
        api: FakeBotAPI, tmp_path: Path, umask_022: None) -> None:
    db = tmp_path / "data" / "posyandu.db"
    bot = BotHarness(api, db)
    await bot.start()
    try:
        await seed_demo(bot.runtime.repos, bot.runtime.today())
        api.user(CADRE_ID, "Sari")
        await bot.say(CADRE_ID, "/daftar")  # the bot writes (persistence): the WAL and its index exist now
        wal, shm = db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")
        assert wal.exists() and shm.exists()
        assert (mode(db.parent), mode(db), mode(wal), mode(shm)) == (0o700, 0o600, 0o600, 0o600)
    finally:
        await bot.stop()


async def _seeded(db: Path) -> None:
    database = await open_database(db)
    try:
        await seed_demo(Repositories(database), dt.date.today())
    finally:
        await database.close()


async def test_backup_is_owner_only_even_over_an_older_readable_backup(cli_env: Path, tmp_path: Path,
                                                                       umask_022: None) -> None:
    await _seeded(cli_env)
    new_dir = tmp_path / "backups" / "new"
    older = tmp_path / "old-backup.db"
    older.write_bytes(b"")
    older.chmod(0o644)
    assert await asyncio.to_thread(main, ["backup", str(new_dir / "b.db")]) == 0
    assert await asyncio.to_thread(main, ["backup", str(older)]) == 0
    assert mode(new_dir / "b.db") == 0o600 and mode(new_dir) == 0o700
    assert mode(older) == 0o600


async def test_full_nik_export_is_owner_only(cli_env: Path, tmp_path: Path, umask_022: None) -> None:
    await _seeded(cli_env)
    month = dt.date.today().strftime("%Y-%m")
    csv_out, xlsx_out = tmp_path / "out" / "e.csv", tmp_path / "e.xlsx"
    xlsx_out.write_bytes(b"old")
    xlsx_out.chmod(0o644)
    assert await asyncio.to_thread(main, ["export", "--month", month, "--full-nik", "-o", str(csv_out)]) == 0
    assert await asyncio.to_thread(main, ["export", "--month", month, "--full-nik", "-o", str(xlsx_out)]) == 0
    assert mode(csv_out) == 0o600 and mode(csv_out.parent) == 0o700
    assert mode(xlsx_out) == 0o600 and xlsx_out.read_bytes()[:2] == b"PK"


@pytest.mark.sqlite_only("the SQLite file's mode")
async def test_start_up_warns_about_a_database_other_accounts_can_read(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "loose" / "posyandu.db"
    await _seeded(db)
    db.chmod(0o644)
    db.parent.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="storage.db"):
        database = await open_database(db)
        await database.close()
    warned = [r.getMessage() for r in caplog.records if r.name == "storage.db"]
    assert any(str(db) in m and "chmod 600" in m for m in warned)
    assert any(str(db.parent) in m and "chmod 700" in m for m in warned)


async def test_a_private_database_gives_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "private" / "posyandu.db"
    await _seeded(db)
    with caplog.at_level(logging.WARNING, logger="storage.db"):
        database = await open_database(db)
        await database.close()
    assert not [r for r in caplog.records if r.name == "storage.db" and r.levelno >= logging.WARNING]
