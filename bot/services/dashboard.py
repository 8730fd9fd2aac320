"""What the dashboard pages show: the area overview (SKDN and prevalence with 12-month trends, per kelurahan and
posyandu), a posyandu's month (children measured, missing, follow-up) and a child's growth chart.

Every number comes from the children's stored monthly status: counts from bot.services.status.month_counts (kept
for the trends by bot.services.dashboard_counts), percentages with the recap's own formulas (recap.Totals), lists
from month_page and bot.services.followup. Nothing here decides a category. Callers pass only ids the caller's
DashboardScope accepted; this module checks again where an id comes from the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from bot.i18n import N_, Translator
from bot.services import dashboard_counts as dc
from bot.services import followup as fsvc
from bot.services import parent as parent_svc
from bot.services import status as status_svc
from bot.services.dashboard_scope import DashboardScope
from bot.services.dashboard_sections import SectionContext, build_sections
from bot.services.recap import Totals
from bot.services.team import area_label
from storage import Repositories
from storage import dashboard_queries as dq
from storage.models import AreaLevel
from storage.status_queries import UNDER_FIVE_DAYS, StatusRow

TREND_MONTHS = 12
MAX_CHILDREN = 5000  # a posyandu has a few hundred; the cap only bounds a broken request
CHART_INDICATORS = ("wfa", "lhfa", "wflh")

# Short tags of a child's stored month (the flags the status function stored; nothing is judged here).
TAGS: dict[str, str] = {
    "severely_stunted": N_("severely stunted"),
    "stunted": N_("stunted"),
    "severely_wasted": N_("severely wasted"),
    "wasted": N_("wasted"),
    "underweight": N_("underweight"),
    "overweight": N_("overweight"),
    "bgm": N_("BGM"),
}


class DashboardError(Exception):
    """A request the service refuses: `status` is the HTTP status (400, 403, 404), `reason` a short log code."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


_N_FIELDS = len(fields(Totals))
_STUNTED, _WITH_HAZ = (dq.COUNT_FIELDS.index(n) for n in ("stunted", "with_haz"))
# What the page shows of a kelurahan's or posyandu's row (the counts it needs, and the recap's percentages).
ROW_FIELDS = ("s", "d", "n", "refer", "urgent", "stunted", "wasted", "underweight", "overweight", "bgm", "t2")


def totals_of(rows: Iterable[tuple[int, ...]]) -> Totals:
    sums = [sum(col) for col in zip(*rows, strict=True)]
    return Totals(*sums) if sums else Totals(*([0] * _N_FIELDS))


def stunting_of(rows: Iterable[tuple[int, ...]]) -> float | None:
    """Stunting prevalence of summed rows, as Totals.stunting (stunted / children with a valid HAZ)."""
    stunted = with_haz = 0
    for row in rows:
        stunted += row[_STUNTED]
        with_haz += row[_WITH_HAZ]
    return round(100.0 * stunted / with_haz, 1) if with_haz else None


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def row_json(t: Totals, names: Iterable[str] | None = None) -> dict[str, Any]:
    """Counts (all, or `names`) and the recap's percentages of one group."""
    out: dict[str, Any] = {n: getattr(t, n) for n in (names or (f.name for f in fields(Totals)))}
    out.update(d_s=_pct(t.d_s), n_d=_pct(t.n_d), stunting=_pct(t.stunting), wasting=_pct(t.wasting),
               underweight_pct=_pct(t.underweight_pct), overweight_pct=_pct(t.overweight_pct))
    return out


def check_month(month: dt.date, today: dt.date) -> dt.date:
    first = month.replace(day=1)
    if first > today.replace(day=1) or first.year < 2000:
        raise DashboardError(400, "month_out_of_range")
    return first


def kelurahan_of(scope: DashboardScope, posyandu_id: int) -> int | None:
    tree = scope.tree
    return next((a for a in tree.chain(tree.posyandu[posyandu_id].area_id)
                 if tree.areas[a].level == AreaLevel.KELURAHAN), None)


def area_or_home(scope: DashboardScope, area_id: int | None) -> int | None:
    """The area asked for (checked against the scope), or the caller's own (None: admin's whole installation)."""
    if area_id is None:
        return scope.home_area_id
    if not scope.allows_area(area_id):
        raise DashboardError(403, "area_outside_scope")
    return area_id


# ------------------------------------------------------------------ what the page starts with


def me(scope: DashboardScope, tr: Translator, today: dt.date) -> dict[str, Any]:
    """The caller's role, own area, the areas and posyandu they may open, and today's month."""
    tree = scope.tree
    area_ids = scope.area_ids
    areas = [{"id": a, "name": tree.areas[a].name, "label": area_label(tree.areas[a], tr),
              "level": tree.areas[a].level.value, "parent": tree.areas[a].parent_id} for a in area_ids]
    posyandu = [{"id": p, "name": tree.posyandu[p].name, "area": tree.posyandu[p].area_id}
                for p in scope.posyandu_within(scope.home_area_id)]
    return {"role": scope.role.value, "home": scope.home_area_id, "home_label": area_label(scope.area, tr),
            "areas": areas, "posyandu": posyandu, "month": f"{today:%Y-%m}", "year": today.year,
            "lang": tr.lang}


# ------------------------------------------------------------------ area overview


async def overview(repos: Repositories, scope: DashboardScope, area_id: int | None, month: dt.date,
                   tr: Translator, today: dt.date) -> dict[str, Any]:
    """SKDN and prevalence of the area in `month` with its 12-month trend, per kelurahan and per posyandu."""
    area_id = area_or_home(scope, area_id)
    month = check_month(month, today)
    tree = scope.tree
    pids = scope.posyandu_within(area_id)
    months = dc.months_back(month, TREND_MONTHS)
    table = await dc.month_table(repos, pids, months)
    now = table[month]
    trend = []
    for m in months:
        t = totals_of(table[m].values())
        trend.append({"month": f"{m:%Y-%m}", "s": t.s, "d": t.d, "d_s": _pct(t.d_s), "n_d": _pct(t.n_d),
                      "stunting": _pct(t.stunting), "wasting": _pct(t.wasting),
                      "underweight_pct": _pct(t.underweight_pct), "overweight_pct": _pct(t.overweight_pct)})
    by_kel: dict[int, list[int]] = {}
    rows_pos = []
    for pid in pids:
        kel = kelurahan_of(scope, pid)
        if kel is not None:
            by_kel.setdefault(kel, []).append(pid)
        row = row_json(Totals(*now[pid]), ROW_FIELDS)
        row.update(id=pid, name=tree.posyandu[pid].name, parent=tree.areas[kel].name if kel else "",
                   trend=[stunting_of([table[m][pid]]) for m in months])
        rows_pos.append(row)
    rows_kel = []
    for kel, kpids in by_kel.items():
        row = row_json(totals_of(now[p] for p in kpids), ROW_FIELDS)
        parent = tree.areas[kel].parent_id
        row.update(id=kel, name=tree.areas[kel].name, parent=tree.areas[parent].name if parent else "",
                   trend=[stunting_of(table[m][p] for p in kpids) for m in months], posyandu=len(kpids))
        rows_kel.append(row)
    rows_kel.sort(key=lambda r: (str(r["name"]).casefold(), r["id"]))
    area = tree.areas.get(area_id) if area_id is not None else None
    ctx = SectionContext(scope=scope, area_id=area_id, posyandu_ids=pids, tr=tr, today=today, month=month)
    sections = await build_sections(repos, "overview", ctx)
    return {"area": {"id": area_id, "label": area_label(area, tr), "level": area.level.value if area else None},
            "month": f"{month:%Y-%m}", "months": [f"{m:%Y-%m}" for m in months],
            "total": row_json(totals_of(now.values())), "trend": trend, "kelurahan": rows_kel,
            "posyandu": rows_pos, "sections": [s.as_json() for s in sections]}


# ------------------------------------------------------------------ a posyandu's month


def age_months(birth: dt.date, on: dt.date) -> int:
    months = (on.year - birth.year) * 12 + on.month - birth.month - (1 if on.day < birth.day else 0)
    return max(months, 0)


def tags_of(status: StatusRow, tr: Translator) -> list[str]:
    found = [key for key in TAGS if getattr(status, key)]
    if "severely_stunted" in found:
        found.remove("stunted")
    if "severely_wasted" in found:
        found.remove("wasted")
    return [tr.gettext(TAGS[k]) for k in found]


async def posyandu_month(repos: Repositories, scope: DashboardScope, posyandu_id: int, month: dt.date,
                         tr: Translator, today: dt.date) -> dict[str, Any]:
    """The posyandu's counts, its under-fives measured and missing this month, and who needs follow-up."""
    if not scope.allows_posyandu(posyandu_id):
        raise DashboardError(403, "posyandu_outside_scope")
    month = check_month(month, today)
    counts = await status_svc.month_counts(repos, [posyandu_id], month)
    total = row_json(totals_of([dc.as_tuple(counts[posyandu_id])]))
    page = await status_svc.month_page(repos, [posyandu_id], month, limit=MAX_CHILDREN)
    on = min(today, (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1))
    oldest = month - dt.timedelta(days=UNDER_FIVE_DAYS)
    may_chart = scope.allows_child_at(0, posyandu_id)  # the same answer for every child of one posyandu
    measured, remeasure, missing = [], [], []
    for cm in page:
        child = cm.child
        if not oldest < child.birth_date <= on:
            continue
        item: dict[str, Any] = {"id": child.id, "code": child.code, "name": child.name, "sex": child.sex.value,
                                "age": age_months(child.birth_date, on)}
        s = cm.status
        if s is not None and s.counted:
            item.update(measured_on=s.measured_on.isoformat() if s.measured_on else None, weighing=s.weighing,
                        tags=tags_of(s, tr), refer=s.refer, urgent=s.urgent)
            measured.append(item)
        elif s is not None:
            remeasure.append(item)
        else:
            missing.append(item)
    items = await fsvc.build_follow_up(repos, scope.follow_up_scope(posyandu_id), today)
    follow_up = [{"id": i.row.child.id, "code": i.row.child.code, "name": i.row.child.name,
                  "reasons": [fsvc.reason_text(r, tr) for r in i.reasons], "urgent": i.urgent,
                  "last": i.row.status.measured_on.isoformat() if i.row.status and i.row.status.measured_on
                  else None} for i in items]
    p = scope.tree.posyandu[posyandu_id]
    kel = kelurahan_of(scope, posyandu_id)
    return {"posyandu": {"id": posyandu_id, "name": p.name, "area": p.area_id,
                         "kelurahan": scope.tree.areas[kel].name if kel else ""},
            "month": f"{month:%Y-%m}", "total": total, "measured": measured, "remeasure": remeasure,
            "missing": missing, "follow_up": follow_up, "may_chart": may_chart}


# ------------------------------------------------------------------ a child's growth chart


async def child_chart(repos: Repositories, scope: DashboardScope, child_id: int, indicator: str,
                      tr: Translator) -> bytes:
    """PNG of the child's growth on the WHO curves (bot.growth.chart, as in the chat), for callers who may see
    the child."""
    if indicator not in CHART_INDICATORS:
        raise DashboardError(400, "bad_indicator")
    child = await repos.children.find_by_id(child_id)
    if child is None or not scope.allows_child_at(child.id, child.posyandu_id):
        # The same answer for an unknown child and one outside the scope: ids are not probed.
        raise DashboardError(403, "child_outside_scope")
    png = await parent_svc.chart_png(repos, child, indicator, tr)
    if png is None:
        raise DashboardError(404, "nothing_to_chart")
    return png


__all__ = ["CHART_INDICATORS", "TAGS", "DashboardError", "age_months", "check_month", "child_chart", "me",
           "overview", "posyandu_month", "row_json", "totals_of"]
