"""`import-children FILE.csv|xlsx`: import or update a children register; prints a report in Indonesian."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.db import run_with_db, tr
from bot.i18n import N_
from bot.services.importer import ImportReport, dry_run_import, import_children
from storage import Repositories

MSG_FILE_MISSING = N_("File not found: {path}")


def _import(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        print(tr.gettext(MSG_FILE_MISSING).format(path=path), file=sys.stderr)
        return 2

    async def work(repos: Repositories) -> ImportReport:
        if args.dry_run:
            return await dry_run_import(repos, path)
        return await import_children(repos, path)

    report = run_with_db(args, work)
    if report is None:
        return 1
    print(report.format(tr))
    return 0 if not report.rejected else 3


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-children", help="import children from a .csv or .xlsx file (idempotent)")
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true", help="check the file and report, save nothing")
    p.set_defaults(func=_import)
