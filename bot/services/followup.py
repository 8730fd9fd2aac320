"""Children who need action now (2T, BGM, severe wasting or stunting, oedema, MUAC < 11.5 cm, not weighed for
two months), ordered by urgency, with their posyandu and cadre, for the coordinator's `/tindak_lanjut`."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_, Translator
from bot.services.team import StaffScope
from storage import coordinator_queries as q
from storage.db import Database

NOT_WEIGHED_DAYS = 60  # "not weighed for 2 months": no weighing in the last 60 days
MUAC_SEVERE_CM = 11.5
PER_PAGE = 8


class Reason(StrEnum):
    # Listed from most to least urgent: a list sorted by the first reason puts life-threatening cases on top.
    OEDEMA = "oedema"
    SEVERE_WASTING = "severe_wasting"  # WHZ < -3 (gizi buruk)
    MUAC = "muac"  # MUAC < 11.5 cm, 6-59 months
    BGM = "bgm"  # WAZ < -3, below the red line
    TWO_T = "2t"  # second T in a row
    SEVERE_STUNTING = "severe_stunting"  # HAZ < -3 (sangat pendek)
    NOT_WEIGHED = "not_weighed"


REASON_ORDER = {r: i for i, r in enumerate(Reason)}
REASON_LABELS: dict[Reason, str] = {
    Reason.OEDEMA: N_("oedema"),
    Reason.SEVERE_WASTING: N_("severely wasted (gizi buruk)"),
    Reason.MUAC: N_("MUAC {muac} cm"),
    Reason.BGM: N_("BGM"),
    Reason.TWO_T: N_("2T"),
    Reason.SEVERE_STUNTING: N_("severely stunted"),
    Reason.NOT_WEIGHED: N_("not weighed for 2 months"),
}


def _z_ok(value: float | None, indicator: str) -> bool:
    low, high = q.PLAUSIBLE[indicator]
    return value is not None and low <= value <= high


def reasons_for(row: q.FollowUpRow, today: dt.date) -> list[Reason]:
    """Why this child needs action, most urgent first (empty: nothing to do)."""
    found: list[Reason] = []
    if row.measured_on is not None:
        if row.oedema:
            found.append(Reason.OEDEMA)
        if _z_ok(row.whz, "whz") and row.whz is not None and row.whz < -3:
            found.append(Reason.SEVERE_WASTING)
        age = row.age_days if row.age_days is not None else (row.measured_on - row.birth_date).days
        if row.muac_cm is not None and row.muac_cm < MUAC_SEVERE_CM and q.MUAC_FROM_DAYS <= age <= q.UNDER_FIVE_DAYS:
            found.append(Reason.MUAC)
        if row.bgm or (_z_ok(row.waz, "waz") and row.waz is not None and row.waz < -3):
            found.append(Reason.BGM)
        if row.faltering == "2T":
            found.append(Reason.TWO_T)
        if _z_ok(row.haz, "haz") and row.haz is not None and row.haz < -3:
            found.append(Reason.SEVERE_STUNTING)
    last = row.measured_on
    # A child never weighed counts from registration, so a newly registered child is not flagged at once.
    since = last if last is not None else row.created_at.date()
    if (today - since).days > NOT_WEIGHED_DAYS:
        found.append(Reason.NOT_WEIGHED)
    return found


@dataclass(frozen=True)
class FollowUpItem:
    row: q.FollowUpRow
    reasons: list[Reason]
    posyandu_name: str
    cadre_name: str | None


async def build_follow_up(db: Database, scope: StaffScope, today: dt.date,
                          posyandu_id: int | None = None) -> list[FollowUpItem]:
    """Every child in the scope (or one posyandu of it) needing action, most urgent first."""
    pids = [posyandu_id] if posyandu_id is not None and scope.allows_posyandu(posyandu_id) else scope.posyandu_ids
    rows = await q.follow_up_candidates(db, pids, today, stale_after_days=NOT_WEIGHED_DAYS)
    cadres = await q.cadre_names(db, pids)
    entered = await q.display_names(db, {r.entered_by for r in rows if r.entered_by is not None})
    items: list[FollowUpItem] = []
    for row in rows:
        reasons = reasons_for(row, today)
        if not reasons:
            continue
        cadre = entered.get(row.entered_by) if row.entered_by is not None else None
        if cadre is None and cadres.get(row.posyandu_id):
            cadre = cadres[row.posyandu_id][0][1]
        items.append(FollowUpItem(row, reasons, scope.tree.posyandu[row.posyandu_id].name, cadre))
    items.sort(key=lambda i: (REASON_ORDER[i.reasons[0]], -len(i.reasons), i.posyandu_name.casefold(),
                              i.row.name.casefold()))
    return items


def reason_text(item: FollowUpItem, reason: Reason, tr: Translator) -> str:
    if reason == Reason.MUAC and item.row.muac_cm is not None:
        return tr.gettext(REASON_LABELS[reason]).format(muac=tr.decimal(item.row.muac_cm, 1))
    return tr.gettext(REASON_LABELS[reason])


def format_page(items: list[FollowUpItem], page: int, tr: Translator, today: dt.date) -> tuple[str, int, int]:
    """(HTML text, page shown, page count) for one page of the list."""
    pages = max(1, -(-len(items) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    if not items:
        return tr.gettext("✅ No child in your area needs follow-up right now."), 0, 1
    lines = [tr.ngettext("<b>Follow-up list</b>: {n} child needs action",
                         "<b>Follow-up list</b>: {n} children need action", len(items)).format(n=len(items))]
    for i, item in enumerate(items[page * PER_PAGE:(page + 1) * PER_PAGE], start=page * PER_PAGE + 1):
        r = item.row
        urgent = "🔴 " if item.reasons[0] in (Reason.OEDEMA, Reason.SEVERE_WASTING, Reason.MUAC) else "⚠️ "
        reasons = ", ".join(reason_text(item, x, tr) for x in item.reasons)
        lines.append("")
        lines.append(f"{i}. {urgent}<b>{html.escape(r.name)}</b> ({html.escape(r.code)}) — {html.escape(reasons)}")
        place = tr.gettext("{posyandu} · cadre: {cadre}").format(
            posyandu=html.escape(item.posyandu_name),
            cadre=html.escape(item.cadre_name) if item.cadre_name else tr.gettext("none yet"))
        if r.measured_on is not None:
            place += " · " + tr.gettext("last weighed {date}").format(date=tr.short_date(r.measured_on))
        else:
            place += " · " + tr.gettext("never weighed")
        lines.append("   " + place)
    lines.append("")
    lines.append(tr.gettext("Page {page} of {pages}. 🔴 = refer to the puskesmas today.").format(
        page=page + 1, pages=pages))
    return "\n".join(lines), page, pages


__all__ = ["NOT_WEIGHED_DAYS", "PER_PAGE", "FollowUpItem", "Reason", "build_follow_up", "format_page",
           "reasons_for"]
