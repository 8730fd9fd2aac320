"""The dashboard's report sections from the other journeys: follow-up cases (issue 16, bot.services.cases) and
intervention programs (issue 14, bot.services.programs), registered in bot.services.dashboard_sections in place of
their "not yet available" placeholders. Imported by handlers/dashboard.py (and the benchmark), so the bot's process
always has them.

Each builder reads only the posyandu the caller may see (SectionContext.posyandu_ids) and the programs whose place
the caller's dashboard scope reaches; the figures are the journeys' own counts, not counted again here.
"""

from __future__ import annotations

import datetime as dt

from bot.i18n import N_
from bot.services import access
from bot.services import cases as cases_svc
from bot.services import programs as programs_svc
from bot.services.dashboard_counts import months_back
from bot.services.dashboard_sections import Figure, Section, SectionContext, SectionResult, Table, Value, register
from storage import Repositories
from storage import program_queries as pq

CASE_COLUMNS = (N_("Posyandu"), N_("Opened"), N_("Closed, recovered"), N_("Closed, other reason"),
                N_("Still open"), N_("Went overdue"))
PROGRAM_COLUMNS = (N_("Program"), N_("Sponsor"), N_("Period"), N_("Enrolled"), N_("Deliveries"),
                   N_("Children reached"), N_("Stunted at baseline"), N_("Out of stunting"),
                   N_("Comparison: stunted at baseline"), N_("Comparison: out of stunting"))


def _months(ctx: SectionContext) -> list[dt.date]:
    """The overview's month, or the review year's months up to today."""
    if ctx.year is None:
        return [(ctx.month or ctx.today).replace(day=1)]
    last = dt.date(ctx.year, 12, 1) if ctx.year < ctx.today.year else ctx.today.replace(day=1)
    return months_back(last, last.month)


async def follow_up_cases(repos: Repositories, ctx: SectionContext) -> SectionResult:
    """Cases opened, closed (recovered or otherwise), still open and gone overdue, per posyandu and in total
    (bot.services.cases.case_counts, month by month; "still open" at the end of the last month)."""
    months = _months(ctx)
    per: dict[int, list[int]] = {p: [0, 0, 0, 0, 0] for p in ctx.posyandu_ids}
    for i, month in enumerate(months):
        counts = await cases_svc.case_counts(repos, ctx.posyandu_ids, month)
        for pid, c in counts.items():
            row = per.setdefault(pid, [0, 0, 0, 0, 0])
            row[0] += c.opened
            row[1] += c.closed_recovered
            row[2] += c.closed_other
            row[4] += c.overdue
            if i == len(months) - 1:
                row[3] = c.still_open
    totals = [sum(r[i] for r in per.values()) for i in range(5)]
    tree = ctx.scope.tree
    rows: list[list[Value]] = [[tree.posyandu[p].name, *r] for p, r in per.items() if any(r) and p in tree.posyandu]
    rows.sort(key=lambda r: str(r[0]).casefold())
    figures = [Figure(label, value) for label, value in zip(CASE_COLUMNS[1:], totals, strict=True)]
    tables = [Table(N_("Cases per posyandu"), list(CASE_COLUMNS), rows)] if rows else []
    return SectionResult(figures=figures, tables=tables,
                         note=None if any(totals) else N_("No follow-up case in this period."))


async def intervention_programs(repos: Repositories, ctx: SectionContext) -> SectionResult:
    """Every program of the caller's area that ran in the period, from its own monthly report
    (bot.services.programs.report): enrolment, deliveries, and stunting at baseline and since, against its
    comparison group."""
    months = set(_months(ctx))
    wanted_pids = set(ctx.posyandu_ids)
    rows: list[list[Value]] = []
    for program in await pq.every_program(repos.db):
        period = [m for m in programs_svc.program_months(program, ctx.today) if m in months]
        if not period:
            continue
        place = await programs_svc.place_of(repos, program)
        if not access.can_view_dashboard(ctx.scope.principal, place):
            continue
        if not wanted_pids & set(await programs_svc.posyandu_ids(repos, program)):
            continue
        report = await programs_svc.report(repos, program.id, period, today=ctx.today)
        last = report.months[-1] if report.months else None
        rows.append([
            report.name, report.sponsor, f"{report.starts_on:%Y-%m-%d} – {report.ends_on:%Y-%m-%d}",
            report.enrolled_total, sum(m.deliveries for m in report.months),
            max((m.children_reached for m in report.months), default=0),
            last.enrolled_outcome.stunted_before if last else None,
            last.enrolled_outcome.stunted_recovered if last else None,
            last.comparison_outcome.stunted_before if last else None,
            last.comparison_outcome.stunted_recovered if last else None,
        ])
    if not rows:
        return SectionResult(note=N_("No program ran in this area in this period."))
    enrolled = sum(int(r[3] or 0) for r in rows)
    return SectionResult(
        figures=[Figure(N_("Programs"), len(rows)), Figure(N_("Children enrolled"), enrolled)],
        tables=[Table(N_("Programs in this period"), list(PROGRAM_COLUMNS), rows)],
        note=N_("Out of stunting: stunted at the child's baseline, not stunted in the latest counted month; the "
                "comparison group is children of the same area, age band and baseline status not in a program."))


def install() -> None:
    """Replace the placeholders (idempotent)."""
    register(Section("cases", N_("Follow-up cases: opened and closed"), frozenset({"overview", "review"}),
                     follow_up_cases))
    register(Section("programs", N_("Programs and sponsors"), frozenset({"overview", "review"}),
                     intervention_programs))


install()

__all__ = ["follow_up_cases", "install", "intervention_programs"]
