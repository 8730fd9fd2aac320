"""`import-services FILE.xlsx|csv` (past doses, capsules, tablets and PMT deliveries, checked like a cadre's entry)
and `deworming --year 2025 [--months 2,8 | --default] [--area "Kota X"]` (a year's deworming months)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bot.cli.db import run_with_db, tr
from bot.i18n import N_
from bot.render.services import problem_text
from bot.services import reminders, services_due
from bot.services.services_import import ServicesImportReport, import_services
from storage import Repositories
from storage.models import AreaLevel

MSG_FILE_MISSING = N_("File not found: {path}")
MSG_REPORT = N_("Import of {file}: rows read {total}, recorded {recorded}, unchanged {unchanged}, rejected {rejected}.")
MSG_REJECTED = N_("Rejected rows (nothing of them was saved):")
MSG_DRY_RUN = N_("Trial run: nothing was saved.")
MSG_ROW = N_("row {row}: {reason}")
MSG_NO_AREA = N_("No area is named {name}.")
_TAGS = re.compile(r"<[^>]+>")


def format_report(report: ServicesImportReport) -> str:
    lines = [tr.gettext(MSG_REPORT).format(file=report.file_name, total=report.total, recorded=report.recorded,
                                           unchanged=report.unchanged, rejected=len(report.rejected))]
    if report.rejected:
        lines.append(tr.gettext(MSG_REJECTED))
        for r in report.rejected[:500]:
            reason = tr.gettext(r.msgid) if r.msgid else problem_text(tr, r.refused) if r.refused else "?"
            reason = _TAGS.sub("", reason).replace("⚠️ ", "").replace("\n", " ")
            lines.append("  " + tr.gettext(MSG_ROW).format(row=r.row, reason=reason))
    if report.dry_run:
        lines.append(tr.gettext(MSG_DRY_RUN))
    return "\n".join(lines)


def _import(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        print(tr.gettext(MSG_FILE_MISSING).format(path=path), file=sys.stderr)
        return 2

    async def work(repos: Repositories) -> ServicesImportReport:
        return await import_services(repos, path, dry_run=args.dry_run)

    report = run_with_db(args, work)
    if report is None:
        return 1
    print(format_report(report))
    return 0 if not report.rejected else 3


def _deworming(args: argparse.Namespace) -> int:
    months: tuple[int, ...] | None = None
    if args.months is not None:
        try:
            months = reminders.parse_vitamin_a_months(args.months)
        except reminders.VitaminAMonthsError as exc:
            print(f"deworming: cannot read the month {exc.args[0]!r}: write numbers (2,8) or names (feb,agu)",
                  file=sys.stderr)
            return 2

    async def work(repos: Repositories) -> tuple[int, ...] | str:
        area_id = None
        if args.area:
            found = await repos.areas.find(args.area)
            cities = [a for a in found if a.level == AreaLevel.CITY] or found
            if not cities:
                return tr.gettext(MSG_NO_AREA).format(name=args.area)
            area_id = cities[0].id
        if months is not None or args.default:
            return await services_due.set_deworming_months(repos, args.year, area_id, months)
        return await services_due.area_deworming_months(repos, args.year, area_id)

    result = run_with_db(args, work)
    if result is None:
        return 1
    if isinstance(result, str):
        print(result, file=sys.stderr)
        return 2
    where = f" ({args.area})" if args.area else ""
    print(f"deworming {args.year}{where}: months {', '.join(str(m) for m in result)}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-services", help="import past immunisation, vitamin A, deworming and PMT records "
                                               "from a .csv or .xlsx file (idempotent)")
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true", help="check the file and report, save nothing")
    p.set_defaults(func=_import)
    d = sub.add_parser("deworming", help="show or change a year's deworming months (everyone's, or an area's)")
    d.add_argument("--year", type=int, required=True)
    d.add_argument("--area", help="a city/regency that sets its own months (POPM twice a year)")
    change = d.add_mutually_exclusive_group()
    change.add_argument("--months", help="the months, e.g. 2,8 or feb,agu")
    change.add_argument("--default", action="store_true", help="back to August (or everyone's months)")
    d.set_defaults(func=_deworming)
