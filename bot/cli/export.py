"""`export --month YYYY-MM [--area NAME | --posyandu NAME] [--format csv|xlsx] -o FILE`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.db import run_with_db, tr
from bot.cli.posyandu import resolve_area, resolve_posyandu
from bot.i18n import N_
from bot.services.export import collect_export, write_csv, write_xlsx
from storage import Repositories, StorageError
from storage.files import write_private
from storage.values import parse_month

MSG_BAD_MONTH = N_("Write the month as YYYY-MM, e.g. 2024-11.")
MSG_EXPORTED = N_("{rows} row(s) from {posyandu} posyandu written to {path}.")


def _export(args: argparse.Namespace) -> int:
    try:
        month = parse_month(args.month)
    except ValueError:
        print(tr.gettext(MSG_BAD_MONTH), file=sys.stderr)
        return 2
    out: Path = args.output
    fmt = args.format or ("csv" if out.suffix.lower() == ".csv" else "xlsx")

    async def work(repos: Repositories) -> tuple[int, int]:
        ids: list[int] | None = None
        if args.area:
            area = await resolve_area(repos, args.area)
            ids = await repos.areas.posyandu_ids_within(area.id)
        elif args.posyandu:
            ids = [(await resolve_posyandu(repos, args.posyandu)).id]
        data = await collect_export(repos, month, ids)
        # Names, birth dates and NIK: the file is the owner's only (0600), also when it replaces an older one.
        if fmt == "csv":
            write_private(out, lambda path: write_csv(data, path, full_nik=args.full_nik))
        else:
            write_private(out, lambda path: write_xlsx(data, path, full_nik=args.full_nik))
        return data.row_count, len(data.posyandu)

    try:
        result = run_with_db(args, work)
    except StorageError as exc:  # raised outside the database helper
        print(exc.message(tr), file=sys.stderr)
        return 1
    if result is None:
        return 1
    print(tr.gettext(MSG_EXPORTED).format(rows=result[0], posyandu=result[1], path=out))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="export a month's measurements (e-PPGBM columns) to CSV or Excel")
    p.add_argument("--month", required=True, help="YYYY-MM")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--area", help="city, kecamatan or kelurahan name (or its id)")
    scope.add_argument("--posyandu", help="posyandu name (or its id)")
    p.add_argument("--format", choices=["csv", "xlsx"], help="default: from the file name, else xlsx")
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--full-nik", action="store_true", help="write the NIK in full (for an e-PPGBM upload)")
    p.set_defaults(func=_export)
