"""The sponsor's monthly report in the chat: on the first days of a month, each member of a program that ran the
month before gets its report (counts and mean changes only), through the reminders dispatch (claimed once per
member, program and month: key `sponsor_report:<user>:<program>:<YYYY-MM>`; quiet hours respected).

Registered in bot.services.reminders.COLLECTORS by handlers/sponsor.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.growth.immunisation import add_months
from bot.i18n import get_translator
from bot.render.programs import report_text
from bot.services import programs as programs_svc
from bot.services import reminders as r
from storage import program_queries as pq
from storage.db import Database

SPONSOR_REPORT = "sponsor_report"
REPORT_AT = dt.time(9, 0)  # local time of the program's place, on the first of the month
WINDOW = dt.timedelta(days=7)  # a bot down on the first still sends it in the first week
MONTHS_IN_MESSAGE = 3


async def _zone(db: Database, repos: Any, program: pq.Program) -> ZoneInfo:
    ids = await programs_svc.posyandu_ids(repos, program)
    if ids:
        p = await repos.posyandu.find_by_id(ids[0])
        if p is not None:
            return ZoneInfo(p.timezone)
    return ZoneInfo("Asia/Jakarta")


async def collect(db: Database, repos: Any, now: dt.datetime) -> list[r._Candidate]:
    """A report per sponsor member of every program that ran last month, in the first week of this month."""
    out: list[r._Candidate] = []
    for program in await pq.every_program(db):
        members = await pq.members_of(db, program.id)
        if not members:
            continue
        tz = await _zone(db, repos, program)
        this_month = now.astimezone(tz).date().replace(day=1)
        last_month = add_months(this_month, -1)
        if program.starts_on >= this_month or program.ends_on < last_month:
            continue  # it did not run last month
        due = r.local(this_month, REPORT_AT, tz)
        if not r._window(due, due + WINDOW, now):
            continue
        months = [m for m in programs_svc.program_months(program, this_month - dt.timedelta(days=1))]
        for uid in members:
            user = await repos.users.find(uid)
            if user is None or user.opted_out:
                continue

            async def render(program: pq.Program = program, lang: str = user.language, months: list[dt.date] = months,
                             until: dt.date = this_month - dt.timedelta(days=1)) -> tuple[str, dict[str, Any]] | None:
                report = await programs_svc.report(repos, program.id, months, today=until)
                return report_text(get_translator(lang), report, last=MONTHS_IN_MESSAGE), {}
            out.append(r._Candidate(r.key(SPONSOR_REPORT, uid, program.id, last_month.strftime("%Y-%m")), uid,
                                    SPONSOR_REPORT, str(tz), due, due + WINDOW, render))
    return out


__all__ = ["SPONSOR_REPORT", "collect"]
