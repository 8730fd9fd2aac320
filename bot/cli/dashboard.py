"""`dashboard refresh`: count the dashboard's kept month counts again (after data was changed behind the bot's back).

Importing this module (the CLI imports every command module) also registers the dashboard's status listener, so a
CLI command that decides children's statuses (an export deciding the dirty list, for one) keeps the dashboard's
kept counts current too.
"""

from __future__ import annotations

import argparse
import datetime as dt

from bot.cli.db import run_with_db, tr
from bot.i18n import N_
from bot.services import dashboard_counts as dc
from storage import Repositories
from storage import dashboard_queries as dq

MSG_REFRESHED = N_("Dashboard counts: {rows} kept row(s) dropped; {months} month(s) of {posyandu} posyandu counted "
                   "again.")


def _refresh(args: argparse.Namespace) -> int:
    async def work(repos: Repositories) -> tuple[int, int]:
        dropped = await dq.forget_counts(repos.db)
        pids = [p.id for p in await repos.posyandu.list_all()]
        today = dt.datetime.now(args.settings.timezone).date()
        await dc.fill(repos, pids, today, months=args.months)
        return dropped, len(pids)

    result = run_with_db(args, work)
    if result is None:
        return 1
    print(tr.gettext(MSG_REFRESHED).format(rows=result[0], months=args.months, posyandu=result[1]))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("dashboard", help="the dashboard's kept month counts")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    refresh = actions.add_parser("refresh", help="drop the kept counts and count the last months again")
    refresh.add_argument("--months", type=int, default=13, help="months to count again (default 13)")
    refresh.set_defaults(func=_refresh)
