"""The TPK report per village (kelurahan/desa) per month: the families accompanied by group (bride-to-be, pregnant,
after birth, children under two), how many of them are at risk, were visited and were referred; and the outcomes
of the follow-up cases (opened, closed recovered, closed otherwise, still open, gone past a deadline). In the chat
and as an Excel file (openpyxl, like the e-PPGBM export of bot.services.export). Counts only: no names.

What each number counts is written in docs/cases.md §5.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from dataclasses import dataclass, field

from bot.i18n import N_, Translator, fmt_month, get_translator
from bot.services import access
from bot.services import cases as case_svc
from bot.services import families as fam
from bot.services.team import load_tree
from storage import AreaLevel, Repositories
from storage import case_queries as cq
from storage import family_queries as fq

BADUTA = "baduta"
GROUP_ORDER = (fam.CATIN, fam.PREGNANT, fam.POSTPARTUM, BADUTA)
GROUP_WORDS = {fam.CATIN: N_("Brides-to-be (catin)"), fam.PREGNANT: N_("Pregnant women"),
               fam.POSTPARTUM: N_("Mothers after birth"), BADUTA: N_("Children under two (baduta)")}
MAX_VILLAGES_IN_CHAT = 15


@dataclass
class GroupRow:
    accompanied: int = 0
    at_risk: int = 0
    visited: int = 0
    referred: int = 0


@dataclass
class VillageReport:
    area_id: int
    name: str
    kecamatan: str
    groups: dict[str, GroupRow] = field(default_factory=dict)
    cases: cq.MonthCases = field(default_factory=lambda: cq.MonthCases(posyandu_id=0))


def _bounds(month: dt.date, now: dt.datetime) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime, dt.date]:
    start = month.replace(day=1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    tz = case_svc.DEFAULT_TZ
    start_at = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    end_at = min(now, dt.datetime.combine(end, dt.time(), tzinfo=tz))
    ref = min(now.astimezone(tz).date(), end - dt.timedelta(days=1))
    return start, end, start_at, end_at, ref


def _two_years_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 2)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 2, day=28)


async def villages_for(repos: Repositories, p: access.Principal) -> list[tuple[int, str, str, list[int]]]:
    """(area id, name, kecamatan, posyandu ids) of every kelurahan/desa with posyandu the reader may report on."""
    tree = await load_tree(repos)
    out = []
    for area in sorted(tree.areas.values(), key=lambda a: a.name.casefold()):
        pids = tree.posyandu_in.get(area.id, [])
        if area.level != AreaLevel.KELURAHAN or not pids:
            continue
        if not access.can_view_family_report(p, access.Place(area_ids=tuple(tree.chain(area.id)))):
            continue
        parent = tree.areas.get(area.parent_id) if area.parent_id is not None else None
        out.append((area.id, area.name, parent.name if parent else "", pids))
    return out


async def build(repos: Repositories, p: access.Principal, month: dt.date, now: dt.datetime) -> list[VillageReport]:
    start, end, start_at, end_at, ref = _bounds(month, now)
    reports = []
    for area_id, name, kecamatan, pids in await villages_for(repos, p):
        women = await fq.women_in(repos.db, pids, created_before=end_at)
        pregnancies = await fq.pregnancies_of(repos.db, [w.id for w in women])
        groups = {w.id: fam.group_of(w, pregnancies.get(w.id, []), ref) for w in women}
        activity = await cq.subject_activity(repos.db, pids, start, end, start_at, end_at)
        visited = await fq.visited_in(repos.db, [w.id for w in women], start, end, ("home", "postnatal")) | set(
            activity.visited_women)
        baduta = await fq.young_children(repos.db, pids, _two_years_before(ref), ref, end_at)
        report = VillageReport(area_id, name, kecamatan)
        for group in (fam.CATIN, fam.PREGNANT, fam.POSTPARTUM):
            members = {wid for wid, g in groups.items() if g == group}
            report.groups[group] = GroupRow(len(members), len(members & activity.at_risk_women),
                                            len(members & visited), len(members & activity.referred_women))
        report.groups[BADUTA] = GroupRow(len(baduta), len(baduta & activity.at_risk_children),
                                         len(baduta & activity.visited_children),
                                         len(baduta & activity.referred_children))
        counts = await case_svc.case_counts(repos, pids, month, now=now)
        total = cq.MonthCases(posyandu_id=0)
        for c in counts.values():
            total = cq.MonthCases(posyandu_id=0, **{k: getattr(total, k) + getattr(c, k) for k in
                                                    ("opened", "closed_recovered", "closed_other", "still_open",
                                                     "overdue")})
        report.cases = total
        reports.append(report)
    return reports


def format_chat(reports: list[VillageReport], month: dt.date, tr: Translator) -> str:
    lines = [tr.gettext("<b>TPK report — {month}</b>").format(month=fmt_month(month, tr.lang))]
    if not reports:
        return "\n".join([*lines, tr.gettext("No kelurahan/desa with a posyandu in your area.")])
    lines.append(tr.gettext("Per group: accompanied · at risk · visited · referred"))
    for r in reports[:MAX_VILLAGES_IN_CHAT]:
        lines += ["", "🏘 <b>" + html.escape(r.name) + "</b>"]
        for g in GROUP_ORDER:
            row = r.groups[g]
            lines.append(f"• {tr.gettext(GROUP_WORDS[g])}: {row.accompanied} · {row.at_risk} · {row.visited} · "
                         f"{row.referred}")
        c = r.cases
        lines.append(tr.gettext("Cases: opened {a} · closed recovered {b} · closed otherwise {c} · still open {d} · "
                                "past the deadline {e}").format(a=c.opened, b=c.closed_recovered, c=c.closed_other,
                                                                d=c.still_open, e=c.overdue))
    if len(reports) > MAX_VILLAGES_IN_CHAT:
        lines += ["", tr.gettext("… and {n} more villages: see the Excel file.").format(
            n=len(reports) - MAX_VILLAGES_IN_CHAT)]
    return "\n".join(lines)


def xlsx_bytes(reports: list[VillageReport], month: dt.date) -> bytes:
    """Two sheets (families accompanied, cases), in Indonesian like the e-PPGBM export."""
    from openpyxl import Workbook

    tr = get_translator("id")
    wb = Workbook(write_only=True)
    families = wb.create_sheet(tr.gettext("Families accompanied")[:31])
    families.append([f"{month:%Y-%m}"])
    families.append([tr.gettext("Kelurahan/desa"), tr.gettext("Kecamatan"), tr.gettext("Group"),
                     tr.gettext("Accompanied"), tr.gettext("At risk"), tr.gettext("Visited"), tr.gettext("Referred")])
    for r in reports:
        for g in GROUP_ORDER:
            row = r.groups[g]
            families.append([r.name, r.kecamatan, tr.gettext(GROUP_WORDS[g]), row.accompanied, row.at_risk,
                             row.visited, row.referred])
    cases = wb.create_sheet(tr.gettext("Cases")[:31])
    cases.append([f"{month:%Y-%m}"])
    cases.append([tr.gettext("Kelurahan/desa"), tr.gettext("Kecamatan"), tr.gettext("Opened"),
                  tr.gettext("Closed recovered"), tr.gettext("Closed otherwise"), tr.gettext("Still open"),
                  tr.gettext("Past the deadline")])
    for r in reports:
        c = r.cases
        cases.append([r.name, r.kecamatan, c.opened, c.closed_recovered, c.closed_other, c.still_open, c.overdue])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["BADUTA", "GROUP_ORDER", "GroupRow", "VillageReport", "build", "format_chat", "villages_for",
           "xlsx_bytes"]
