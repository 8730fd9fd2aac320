"""`migrate` and `backup PATH`; also the helper the other admin commands use to run against the database."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from bot.i18n import N_, get_translator
from storage import Database, Repositories, StorageError, open_database

T = TypeVar("T")
tr = get_translator("id")

MSG_MIGRATED = N_("Database {path}: schema version {version} ({count} migration(s) applied now).")
MSG_BACKUP_DONE = N_("Backup written to {path}.")
MSG_BACKUP_SAME_FILE = N_("The backup must go to a different file than the database.")


def run_with_db(args: argparse.Namespace, work: Callable[[Repositories], Awaitable[T]]) -> T | None:
    """Open the database from the settings (applying migrations), run `work`, close; print a translated
    message and return None when the database refuses (read-only, locked, damaged) or the data is invalid."""

    async def main() -> T:
        db = await open_database(args.settings.database)
        try:
            return await work(Repositories(db))
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except StorageError as exc:
        print(exc.message(tr), file=sys.stderr)
        return None


def _where(target: Path | str) -> str:
    """The database named without a password (a URL's password never reaches the terminal or a log)."""
    if isinstance(target, Path):
        return str(target)
    rest = target.split("://", 1)[1]
    return target.split("://", 1)[0] + "://" + rest.rsplit("@", 1)[-1]


def _migrate(args: argparse.Namespace) -> int:
    async def main() -> tuple[list[int], int]:
        from storage.db import connect_target

        db: Database = await connect_target(args.settings.database)
        try:
            applied = await db.migrate()
            return applied, await db.schema_version()
        finally:
            await db.close()

    try:
        applied, version = asyncio.run(main())
    except StorageError as exc:
        print(exc.message(tr), file=sys.stderr)
        return 1
    print(tr.gettext(MSG_MIGRATED).format(path=_where(args.settings.database), version=version, count=len(applied)))
    return 0


def _backup(args: argparse.Namespace) -> int:
    dest: Path = args.path
    if isinstance(args.settings.database, Path) and dest.resolve() == args.settings.database.resolve():
        print(tr.gettext(MSG_BACKUP_SAME_FILE), file=sys.stderr)
        return 2

    async def work(repos: Repositories) -> bool:
        await repos.db.backup(dest)
        return True

    if run_with_db(args, work) is None:
        return 1
    print(tr.gettext(MSG_BACKUP_DONE).format(path=dest))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    m = sub.add_parser("migrate", help="apply pending database migrations")
    m.set_defaults(func=_migrate)
    b = sub.add_parser("backup", help="copy the database safely while the bot runs (SQLite online backup)")
    b.add_argument("path", type=Path, help="backup file to write")
    b.set_defaults(func=_backup)
