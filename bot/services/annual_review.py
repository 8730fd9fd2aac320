"""The annual performance review ("aksi konvergensi 8, reviu kinerja tahunan") of an area and year.

Source of the exercise: Pedoman Pelaksanaan Intervensi Penurunan Stunting Terintegrasi di Kabupaten/Kota
(Kementerian PPN/Bappenas and Kemendagri, November 2018), Aksi #8 "Reviu Kinerja Tahunan": achievements against
targets, the factors that held them back, the prevalence trend, and recommendations for next year.
docs/dashboard.md says how each figure is counted:

- prevalence this year against last year, per kelurahan and posyandu: month_counts of the review month (the
  latest month of the year, up to today, in which the area weighed anyone) against the same month a year before;
- coverage D/S of that month and of every month of the year (the same counts as /rekap);
- children who moved out of stunting: stunted (stored flag) in an earlier counted month of the year, not stunted
  in their latest counted month of the year with a valid length/height (storage.dashboard_queries.year_stunting);
- cases (opened, closed, still open) and programs: registered report sections (bot.services.dashboard_sections,
  filled by bot.services.dashboard_reports from the cases and programs journeys);
- the team's notes (achievements, obstacles, recommendations), stored and audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.i18n import Translator
from bot.services import dashboard_counts as dc
from bot.services.dashboard import DashboardError, area_or_home, kelurahan_of, row_json, totals_of
from bot.services.dashboard_scope import DashboardScope
from bot.services.dashboard_sections import SectionContext, ShownSection, build_sections
from bot.services.recap import Totals
from bot.services.team import area_label
from storage import Repositories
from storage import dashboard_queries as dq

MAX_NOTE_CHARS = 4000
FIRST_YEAR = 2000


@dataclass(frozen=True)
class ReviewRow:
    """One kelurahan or posyandu (or the area) in the review."""

    id: int | None
    name: str
    parent: str
    now: Totals
    before: Totals
    year: dq.YearStunting


@dataclass(frozen=True)
class Review:
    area_id: int | None
    area_label: str
    year: int
    month: dt.date  # the review month
    month_before: dt.date  # the same month a year earlier
    total: ReviewRow
    kelurahan: list[ReviewRow]
    posyandu: list[ReviewRow]
    coverage: list[tuple[dt.date, Totals]]  # every month of the year up to the review month
    notes: dq.ReviewNotes
    may_write: bool
    sections: list[ShownSection]


def _sum_year(items: list[dq.YearStunting]) -> dq.YearStunting:
    return dq.YearStunting(posyandu_id=0, measured=sum(i.measured for i in items),
                           ever_stunted=sum(i.ever_stunted for i in items),
                           stunted_latest=sum(i.stunted_latest for i in items),
                           moved_out=sum(i.moved_out for i in items))


def check_year(year: int, today: dt.date) -> int:
    if not FIRST_YEAR <= year <= today.year:
        raise DashboardError(400, "year_out_of_range")
    return year


async def build_review(repos: Repositories, scope: DashboardScope, area_id: int | None, year: int,
                       tr: Translator, today: dt.date) -> Review:
    area_id = area_or_home(scope, area_id)
    year = check_year(year, today)
    tree = scope.tree
    pids = scope.posyandu_within(area_id)
    last = dt.date(year, 12, 1) if year < today.year else today.replace(day=1)
    months = dc.months_back(last, last.month)  # January .. the last month of the year so far
    table = await dc.month_table(repos, pids, months)
    weighed = [m for m in months if totals_of(table[m].values()).d > 0]
    month = weighed[-1] if weighed else last
    month_before = month.replace(year=year - 1)
    before = (await dc.month_table(repos, pids, [month_before]))[month_before]
    stunting = await dc.year_table(repos, pids, year, last)
    now = table[month]

    def row(rid: int | None, name: str, parent: str, group: list[int]) -> ReviewRow:
        return ReviewRow(rid, name, parent, totals_of(now[p] for p in group), totals_of(before[p] for p in group),
                         _sum_year([stunting[p] for p in group]))

    by_kel: dict[int, list[int]] = {}
    rows_pos = []
    for pid in pids:
        kel = kelurahan_of(scope, pid)
        if kel is not None:
            by_kel.setdefault(kel, []).append(pid)
        rows_pos.append(row(pid, tree.posyandu[pid].name, tree.areas[kel].name if kel else "", [pid]))
    rows_kel = sorted((row(k, tree.areas[k].name, "", g) for k, g in by_kel.items()),
                      key=lambda r: (r.name.casefold(), r.id or 0))
    area = tree.areas.get(area_id) if area_id is not None else None
    notes = await dq.review_notes(repos.db, area_id, year) if area_id is not None else dq.ReviewNotes(
        area_id=0, year=year)
    ctx = SectionContext(scope=scope, area_id=area_id, posyandu_ids=pids, tr=tr, today=today, year=year)
    return Review(area_id=area_id, area_label=area_label(area, tr), year=year, month=month,
                  month_before=month_before, total=row(area_id, area_label(area, tr), "", pids),
                  kelurahan=rows_kel, posyandu=rows_pos,
                  coverage=[(m, totals_of(table[m].values())) for m in months], notes=notes,
                  may_write=area_id is not None and scope.may_write_notes(area_id),
                  sections=await build_sections(repos, "review", ctx))


# What the page shows of each kelurahan's and posyandu's two months (the recap's percentages come with them).
_ROW_COUNTS = ("s", "d", "stunted", "wasted", "underweight", "overweight")


def _row_json(r: ReviewRow, names: tuple[str, ...] | None = _ROW_COUNTS) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "parent": r.parent, "now": row_json(r.now, names),
            "before": row_json(r.before, names),
            "measured_year": r.year.measured, "ever_stunted": r.year.ever_stunted,
            "stunted_latest": r.year.stunted_latest, "moved_out": r.year.moved_out}


def review_json(review: Review) -> dict[str, Any]:
    n = review.notes
    return {"area": {"id": review.area_id, "label": review.area_label}, "year": review.year,
            "month": f"{review.month:%Y-%m}", "month_before": f"{review.month_before:%Y-%m}",
            "total": _row_json(review.total, None), "kelurahan": [_row_json(r) for r in review.kelurahan],
            "posyandu": [_row_json(r) for r in review.posyandu],
            "coverage": [{"month": f"{m:%Y-%m}", "s": t.s, "d": t.d, "d_s": row_json(t)["d_s"]}
                         for m, t in review.coverage],
            "notes": {"achievements": n.achievements, "obstacles": n.obstacles,
                      "recommendations": n.recommendations, "updated_at": n.updated_at},
            "may_write": review.may_write, "sections": [s.as_json() for s in review.sections]}


async def save_notes(repos: Repositories, scope: DashboardScope, area_id: int, year: int, values: dict[str, Any],
                     today: dt.date) -> list[str]:
    """Store the team's notes of an area and year (coordinators and admins within scope); the fields changed."""
    if not scope.allows_area(area_id):
        raise DashboardError(403, "area_outside_scope")
    if not scope.may_write_notes(area_id):
        raise DashboardError(403, "notes_read_only")
    check_year(year, today)
    texts: dict[str, str] = {}
    for name in dq.NOTE_FIELDS:
        value = values.get(name, "")
        if not isinstance(value, str) or len(value) > MAX_NOTE_CHARS:
            raise DashboardError(400, "bad_note")
        texts[name] = value.replace("\r\n", "\n").strip()
    notes = dq.ReviewNotes(area_id=area_id, year=year, **texts)
    return await dq.save_review_notes(repos.db, notes, scope.user_id)


__all__ = ["MAX_NOTE_CHARS", "Review", "ReviewRow", "build_review", "check_year", "review_json", "save_notes"]
