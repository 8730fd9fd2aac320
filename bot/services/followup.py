"""Children who need action now, for the coordinator's `/tindak_lanjut`: every child the status function told to go
to the puskesmas (its refer reasons, the same ones the card showed), and children not weighed for two months.
Ordered by urgency, with their posyandu and cadre.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from bot.growth.status import REASON_LABELS, REASON_ORDER, URGENT, Reason
from bot.i18n import N_, Translator
from bot.services import status as status_svc
from bot.services.team import StaffScope
from storage import Repositories
from storage import coordinator_queries as cq
from storage.status_queries import FollowUpRow

NOT_WEIGHED_DAYS = 60  # "not weighed for 2 months": no counted visit in the last 60 days
PER_PAGE = 8
NOT_WEIGHED = "not_weighed"
# The card's words for each refer reason (bot.growth.status), and one more for a child not weighed lately.
LABELS: dict[str, str] = {
    **{r.value: label for r, label in REASON_LABELS.items()},
    NOT_WEIGHED: N_("not weighed for 2 months"),
}
_ORDER = {**{r.value: REASON_ORDER[r] for r in Reason}, NOT_WEIGHED: len(Reason)}


def reasons_for(row: FollowUpRow, today: dt.date) -> list[str]:
    """Why this child needs action, most urgent first (empty: nothing to do): the stored refer reasons of the
    latest counted month, then "not weighed" after 60 days without a counted visit."""
    found: list[str] = []
    status = row.status
    if status is not None and status.refer:
        found += list(status.reasons)
    # A child never weighed counts from registration, so a newly registered child is not flagged at once.
    since = status.measured_on if status is not None and status.measured_on else row.child.created_at.date()
    if (today - since).days > NOT_WEIGHED_DAYS:
        found.append(NOT_WEIGHED)
    return sorted(found, key=lambda r: _ORDER.get(r, len(_ORDER)))


@dataclass(frozen=True)
class FollowUpItem:
    row: FollowUpRow
    reasons: list[str]
    posyandu_name: str
    cadre_name: str | None

    @property
    def urgent(self) -> bool:
        return any(r in {u.value for u in URGENT} for r in self.reasons)


async def build_follow_up(repos: Repositories, scope: StaffScope, today: dt.date,
                          posyandu_id: int | None = None) -> list[FollowUpItem]:
    """Every child in the scope (or one posyandu of it) needing action, most urgent first."""
    pids = [posyandu_id] if posyandu_id is not None and scope.allows_posyandu(posyandu_id) else scope.posyandu_ids
    rows = await status_svc.follow_up_rows(repos, pids, today, stale_after_days=NOT_WEIGHED_DAYS)
    cadres = await cq.cadre_names(repos.db, pids)
    entered = await cq.display_names(repos.db, {r.entered_by for r in rows if r.entered_by is not None})
    items: list[FollowUpItem] = []
    for row in rows:
        reasons = reasons_for(row, today)
        if not reasons:
            continue
        cadre = entered.get(row.entered_by) if row.entered_by is not None else None
        pid = row.child.posyandu_id
        if cadre is None and cadres.get(pid):
            cadre = cadres[pid][0][1]
        items.append(FollowUpItem(row, reasons, scope.tree.posyandu[pid].name, cadre))
    items.sort(key=lambda i: (_ORDER.get(i.reasons[0], len(_ORDER)), -len(i.reasons), i.posyandu_name.casefold(),
                              i.row.child.name.casefold()))
    return items


def reason_text(reason: str, tr: Translator) -> str:
    return tr.gettext(LABELS[reason]) if reason in LABELS else reason


def format_page(items: list[FollowUpItem], page: int, tr: Translator, today: dt.date) -> tuple[str, int, int]:
    """(HTML text, page shown, page count) for one page of the list."""
    pages = max(1, -(-len(items) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    if not items:
        return tr.gettext("✅ No child in your area needs follow-up right now."), 0, 1
    lines = [tr.ngettext("<b>Follow-up list</b>: {n} child needs action",
                         "<b>Follow-up list</b>: {n} children need action", len(items)).format(n=len(items))]
    for i, item in enumerate(items[page * PER_PAGE:(page + 1) * PER_PAGE], start=page * PER_PAGE + 1):
        child = item.row.child
        mark = "🔴 " if item.urgent else "⚠️ "
        reasons = ", ".join(reason_text(x, tr) for x in item.reasons)
        lines.append("")
        lines.append(f"{i}. {mark}<b>{html.escape(child.name)}</b> ({html.escape(child.code)}) — "
                     f"{html.escape(reasons)}")
        place = tr.gettext("{posyandu} · cadre: {cadre}").format(
            posyandu=html.escape(item.posyandu_name),
            cadre=html.escape(item.cadre_name) if item.cadre_name else tr.gettext("none yet"))
        status = item.row.status
        if status is not None and status.measured_on is not None:
            place += " · " + tr.gettext("last weighed {date}").format(date=tr.short_date(status.measured_on))
        else:
            place += " · " + tr.gettext("never weighed")
        lines.append("   " + place)
    lines.append("")
    lines.append(tr.gettext("Page {page} of {pages}. 🔴 = refer to the puskesmas today; ⚠️ = refer this week.").format(
        page=page + 1, pages=pages))
    return "\n".join(lines), page, pages


__all__ = ["NOT_WEIGHED", "NOT_WEIGHED_DAYS", "PER_PAGE", "FollowUpItem", "build_follow_up", "format_page",
           "reasons_for"]
