"""`recap rebuild` and `recap check`: the recap counts kept per posyandu and month (migration 0120).

Every write through the bot keeps them; `rebuild` counts them again from every child after data was changed behind
the bot's back (SQL by hand, a restored table), `check` compares them with a recount for one month.
"""

from __future__ import annotations

import argparse
import datetime as dt

from bot.cli.db import run_with_db, tr
from bot.i18n import N_
from bot.services import status as status_svc
from storage import Repositories
from storage import recap_summary as summary
from storage import status_queries as q
from storage.values import parse_month

MSG_REBUILT = N_("Recap counts: {rows} row(s) counted again from every child.")
MSG_CHECK_OK = N_("Recap counts of {month}: all {posyandu} posyandu equal the recount.")
MSG_CHECK_BAD = N_("Recap counts of {month}: {bad} of {posyandu} posyandu differ from the recount; run: "
                   "python -m bot recap rebuild")


def _rebuild(args: argparse.Namespace) -> int:
    async def work(repos: Repositories) -> int:
        await status_svc.flush(repos)  # decided first, so the rows counted are the current ones
        return await summary.rebuild(repos.db)

    rows = run_with_db(args, work)
    if rows is None:
        return 1
    print(tr.gettext(MSG_REBUILT).format(rows=rows))
    return 0


def _check(args: argparse.Namespace) -> int:
    month: dt.date = args.month or dt.datetime.now(args.settings.timezone).date().replace(day=1)

    async def work(repos: Repositories) -> tuple[int, int]:
        pids = [p.id for p in await repos.posyandu.list_all(active_only=False)]
        await status_svc.flush(repos)
        bad = 0
        for _marks, part in summary.chunks(pids):
            kept = await q.month_counts(repos.db, part, month)
            recount = await q.recount_month_counts(repos.db, part, month)
            bad += sum(1 for pid in part if kept[pid] != recount[pid])
        return bad, len(pids)

    result = run_with_db(args, work)
    if result is None:
        return 1
    bad, total = result
    label = f"{month:%Y-%m}"
    if bad:
        print(tr.gettext(MSG_CHECK_BAD).format(month=label, bad=bad, posyandu=total))
        return 1
    print(tr.gettext(MSG_CHECK_OK).format(month=label, posyandu=total))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("recap", help="the recap counts kept per posyandu and month")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    rebuild = actions.add_parser("rebuild", help="count them again from every child (after SQL by hand)")
    rebuild.set_defaults(func=_rebuild)
    check = actions.add_parser("check", help="compare one month with a recount of every child")
    check.add_argument("--month", type=parse_month, help="YYYY-MM (default: this month)")
    check.set_defaults(func=_check)
