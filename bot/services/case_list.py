"""`/tindak_lanjut` as the case list: every open case in the reader's reach (children's, and women's for the roles
that may see them), with the reasons the status function gives now, urgency and the deadline; plus the children
with nothing to open a case on but something to act on (not weighed for two months, or a refer month too old to
have opened a case: bot.services.followup.reasons_for). Most urgent first, paged.

Also the coordinator's `/kasus` overview: open and overdue cases per posyandu.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from bot.growth.case_rules import STATE_LABELS, CaseState, order_of, sort_reasons
from bot.i18n import Translator
from bot.services import cases as case_svc
from bot.services import followup as fsvc
from bot.services import status as status_svc
from bot.services.case_view import is_urgent, reason_words
from bot.services.families import group_of
from bot.services.record_choices import GROUP_LABELS
from storage import Child, Repositories
from storage import case_queries as cq
from storage import coordinator_queries as coq
from storage import family_queries as fq

PER_PAGE = fsvc.PER_PAGE
_NOT_WEIGHED_WORDS = fsvc.LABELS[fsvc.NOT_WEIGHED]


@dataclass(frozen=True)
class Item:
    reasons: tuple[str, ...]
    posyandu_name: str
    case: cq.CaseRow | None = None
    child: Child | None = None
    woman: fq.Woman | None = None
    group: str | None = None
    cadre_name: str | None = None
    last_weighed: dt.date | None = None
    never_weighed: bool = False
    overdue: bool = False

    @property
    def urgent(self) -> bool:
        return is_urgent(self.reasons)

    @property
    def name(self) -> str:
        return self.child.name if self.child else self.woman.name if self.woman else ""


async def build(repos: Repositories, scope: case_svc.CaseScope, today: dt.date, now: dt.datetime) -> list[Item]:
    pids = list(scope.posyandu_ids)
    if not pids:
        return []
    tree = {p.id: p.name for p in await repos.posyandu.get_many(pids)}
    rows = {r.child.id: r for r in await status_svc.follow_up_rows(repos, pids, today,
                                                                   stale_after_days=fsvc.NOT_WEIGHED_DAYS)}
    open_cases = await case_svc.cases_for(repos, scope)
    by_child = {c.child_id: c for c in open_cases if c.child_id is not None}
    missing = [cid for cid in by_child if cid not in rows]
    children = {c.id: c for c in await repos.children.get_many(missing)} if missing else {}
    # A case closed since the child's last counted visit (a puskesmas outcome) settled that visit's reasons.
    settled = await cq.last_closed_on(repos.db, [cid for cid in rows if cid not in by_child])
    cadres = await coq.cadre_names(repos.db, pids)
    entered = await coq.display_names(repos.db, {r.entered_by for r in rows.values() if r.entered_by is not None})
    items: list[Item] = []
    for cid in {*rows, *by_child}:
        row, case = rows.get(cid), by_child.get(cid)
        child = row.child if row else children.get(cid)
        if child is None or child.status.value != "active":
            continue
        reasons = fsvc.reasons_for(row, today) if row else []
        seen_on = row.status.measured_on if row is not None and row.status is not None else None
        if case is None and seen_on is not None and cid in settled and seen_on <= settled[cid]:
            reasons = [r for r in reasons if r == fsvc.NOT_WEIGHED]
        if case is not None:
            now_refers = row is not None and row.status is not None and row.status.refer
            reasons = list(row.status.reasons if now_refers and row and row.status else case.reasons) + [
                r for r in reasons if r == fsvc.NOT_WEIGHED]
        if not reasons:
            continue
        cadre = entered.get(row.entered_by) if row and row.entered_by is not None else None
        if cadre is None and cadres.get(child.posyandu_id):
            cadre = cadres[child.posyandu_id][0][1]
        status = row.status if row else None
        items.append(Item(
            reasons=tuple(sorted(dict.fromkeys(reasons), key=_order)), posyandu_name=tree.get(child.posyandu_id, "?"),
            case=case, child=child, cadre_name=cadre,
            last_weighed=status.measured_on if status is not None else None,
            never_weighed=row is not None and status is None,
            overdue=case is not None and case_svc.is_overdue(case, now)))
    women_cases = [c for c in open_cases if c.woman_id is not None]
    if women_cases:
        women = {w.id: w for w in await fq.women_in(repos.db, pids)}
        pregnancies = await fq.pregnancies_of(repos.db, list(women))
        for c in women_cases:
            woman = women.get(c.woman_id or 0)
            if woman is None:
                continue
            items.append(Item(reasons=sort_reasons(c.reasons), posyandu_name=tree.get(c.posyandu_id, "?"), case=c,
                              woman=woman, group=group_of(woman, pregnancies.get(woman.id, []), today),
                              overdue=case_svc.is_overdue(c, now)))
    items.sort(key=lambda i: (_order(i.reasons[0]), -len(i.reasons), i.posyandu_name.casefold(),
                              i.name.casefold()))
    return items


def _order(reason: str) -> float:
    return order_of(reason) if reason != fsvc.NOT_WEIGHED else 1000.0


def _words(reasons: tuple[str, ...], tr: Translator) -> str:
    return ", ".join(tr.gettext(_NOT_WEIGHED_WORDS) if r == fsvc.NOT_WEIGHED else reason_words([r], tr)
                     for r in reasons)


def format_page(items: list[Item], page: int, tr: Translator) -> tuple[str, int, int, list[tuple[int, Item]]]:
    """(HTML text, page shown, page count, the numbered items of the page) for one page of the list."""
    pages = max(1, -(-len(items) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    if not items:
        return tr.gettext("✅ No child in your area needs follow-up right now."), 0, 1, []
    children = sum(1 for i in items if i.child is not None)
    women = len(items) - children
    head = tr.ngettext("<b>Follow-up list</b>: {n} child needs action",
                       "<b>Follow-up list</b>: {n} children need action", children).format(n=children)
    if women:
        head += " · " + tr.ngettext("{n} woman", "{n} women", women).format(n=women)
    lines = [head]
    shown = list(enumerate(items[page * PER_PAGE:(page + 1) * PER_PAGE], start=page * PER_PAGE + 1))
    for n, item in shown:
        mark = "🔴 " if item.urgent else "⚠️ "
        lines.append("")
        if item.child is not None:
            who = f"<b>{html.escape(item.child.name)}</b> ({html.escape(item.child.code)})"
        else:
            group = tr.gettext(GROUP_LABELS[item.group]) if item.group else tr.gettext("mother")
            who = f"<b>{html.escape(item.name)}</b> ({html.escape(group)})"
        lines.append(f"{n}. {mark}{who} — {html.escape(_words(item.reasons, tr))}")
        place = html.escape(item.posyandu_name)
        if item.child is not None:
            place = tr.gettext("{posyandu} · cadre: {cadre}").format(
                posyandu=place, cadre=html.escape(item.cadre_name) if item.cadre_name else tr.gettext("none yet"))
            if item.last_weighed is not None:
                place += " · " + tr.gettext("last weighed {date}").format(date=tr.short_date(item.last_weighed))
            elif item.never_weighed:
                place += " · " + tr.gettext("never weighed")
        lines.append("   " + place)
        if item.case is not None:
            state = tr.gettext(STATE_LABELS[CaseState(item.case.state)])
            line = tr.gettext("📁 /kasus_{id} · {state}").format(id=item.case.id, state=state)
            if item.overdue:
                line += " · " + tr.gettext("⏰ past the deadline")
            lines.append("   " + line)
    lines.append("")
    lines.append(tr.gettext("Page {page} of {pages}. 🔴 = refer to the puskesmas today; ⚠️ = refer this week.").format(
        page=page + 1, pages=pages))
    return "\n".join(lines), page, pages, [(n, i) for n, i in shown if i.case is not None]


# ------------------------------------------------------------------ /kasus


async def overview_text(repos: Repositories, scope: case_svc.CaseScope, now: dt.datetime, tr: Translator,
                        title: str) -> str:
    pids = list(scope.posyandu_ids)
    counts = await case_svc.open_overview(repos, pids, now)
    names = {p.id: p.name for p in await repos.posyandu.get_many(pids)} if pids else {}
    total = sum(c.open for c in counts.values())
    overdue = sum(c.overdue for c in counts.values())
    lines = [tr.gettext("<b>Cases — {area}</b>").format(area=html.escape(title)),
             tr.ngettext("{n} open case", "{n} open cases", total).format(n=total) + " · "
             + tr.ngettext("{n} past the deadline", "{n} past the deadline", overdue).format(n=overdue), ""]
    listed = sorted((c for c in counts.values() if c.open), key=lambda c: (-c.overdue, -c.open,
                                                                          names.get(c.posyandu_id, "")))
    for c in listed[:30]:
        line = tr.gettext("• {posyandu}: {open} open · {overdue} past the deadline").format(
            posyandu=html.escape(names.get(c.posyandu_id, "?")), open=c.open, overdue=c.overdue)
        if c.escalated:
            line += " · " + tr.ngettext("{n} reported to the coordinator", "{n} reported to the coordinator",
                                        c.escalated).format(n=c.escalated)
        if c.women and scope.women:
            line += " · " + tr.ngettext("{n} woman", "{n} women", c.women).format(n=c.women)
        lines.append(line)
    if not listed:
        lines.append(tr.gettext("✅ No open case."))
    lines += ["", tr.gettext("The list with names: /tindak_lanjut")]
    return "\n".join(lines)


__all__ = ["PER_PAGE", "Item", "build", "format_page", "overview_text"]
