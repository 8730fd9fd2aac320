"""`vitamin-a --year 2023 --months 2,10` (or `--default`, or no option to show): the months of a year's vitamin A
rounds, for when the ministry moves one (in 2023 the August round became October)."""

from __future__ import annotations

import argparse
import sys

from bot.cli.db import run_with_db
from bot.growth.immunisation import VITAMIN_A_MONTHS
from bot.services import reminders
from storage import Repositories


def _vitamin_a(args: argparse.Namespace) -> int:
    months: tuple[int, ...] | None = None
    if args.months is not None:
        try:
            months = reminders.parse_vitamin_a_months(args.months)
        except reminders.VitaminAMonthsError as exc:
            print(f"vitamin-a: cannot read the month {exc.args[0]!r}: write numbers (2,10) or names (feb,okt)",
                  file=sys.stderr)
            return 2

    async def work(repos: Repositories) -> tuple[int, ...]:
        if months is not None or args.default:
            return await reminders.set_vitamin_a_months(repos.db, args.year, months)
        return await reminders.vitamin_a_months(repos.db, args.year)

    result = run_with_db(args, work)
    if result is None:
        return 1
    note = " (default)" if result == VITAMIN_A_MONTHS else ""
    print(f"vitamin A rounds {args.year}: months {', '.join(str(m) for m in result)}{note}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("vitamin-a", help="show or change the months of a year's vitamin A rounds")
    p.add_argument("--year", type=int, required=True)
    change = p.add_mutually_exclusive_group()
    change.add_argument("--months", help="the round months, e.g. 2,10 or feb,okt")
    change.add_argument("--default", action="store_true", help="back to February and August")
    p.set_defaults(func=_vitamin_a)
