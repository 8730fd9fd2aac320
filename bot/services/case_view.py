"""A follow-up case as its card: who it is about, why, its state and deadline, and its timeline (who did what, on
which day, with their note), plus the actions the reader may record. Every piece of user data is escaped here."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from dataclasses import dataclass

from bot.growth.age import age_text
from bot.growth.case_rules import (
    LABELS,
    OUTCOME_LABELS,
    STATE_LABELS,
    URGENT_REASONS,
    Action,
    CaseState,
    Outcome,
    order_of,
)
from bot.i18n import N_, Translator
from bot.services import access
from bot.services import cases as case_svc
from bot.services import families as fam
from bot.services import status as status_svc
from bot.services.record_choices import ALL_CHECKS, GROUP_LABELS, WORDS
from storage import Repositories
from storage import case_queries as cq
from storage import coordinator_queries as coq

TIMELINE = 10  # newest entries shown on the card
NOTE_SHOWN = 160

ROLE_WORDS: dict[str, str] = {
    "cadre": N_("cadre"), "tpk": N_("TPK"), "health_worker": N_("midwife/puskesmas"),
    "coordinator": N_("coordinator"), "admin": N_("admin"),
}
_EVENT_WORDS: dict[str, str] = {
    "opened": N_("opened: {reasons}"),
    "reason": N_("new reason: {reasons}"),
    "visit": N_("home visit"),
    "referral": N_("referred to {place}"),
    "outcome": N_("puskesmas outcome: {outcome}"),
    "note": N_("note"),
    "close": N_("closed: {why}"),
    "recovered": N_("closed: back in range for two months"),
    "overdue": N_("⏰ deadline passed: reminder sent"),
    "escalated": N_("⏰ still no action: coordinator told"),
}


def reason_words(reasons: Iterable[str], tr: Translator) -> str:
    return ", ".join(tr.gettext(LABELS[r]) if r in LABELS else r for r in reasons)


def is_urgent(reasons: Iterable[str]) -> bool:
    return any(r in URGENT_REASONS for r in reasons)


@dataclass(frozen=True)
class CaseCard:
    case: cq.CaseRow
    subject: str  # escaped: name (code) · age, or name · group
    posyandu_name: str
    current: tuple[str, ...]  # the reasons the status says now (a child), else the case's
    events: list[cq.CaseEvent]
    names: dict[int, str]
    actions: set[Action]
    now: dt.datetime


async def case_card(repos: Repositories, p: access.Principal, case_id: int, now: dt.datetime, today: dt.date,
                    tr: Translator) -> CaseCard | None:
    """The card of a case the reader may see (None: no such case, or not theirs to see)."""
    case = await cq.get_case(repos.db, case_id)
    if case is None or not await case_svc.may_view(repos, p, case):
        return None
    current: tuple[str, ...] = case.reasons
    if case.child_id is not None:
        child = await repos.children.get(case.child_id)
        age = max(0, (today - child.birth_date).days)
        subject = f"<b>{html.escape(child.name)}</b> ({html.escape(child.code)}) · {age_text(age, tr)}"
        latest = (await status_svc.child_status(repos, child)).latest_counted
        if latest is not None and latest.counted is not None and latest.counted.refer:
            current = tuple(r.value for r in latest.counted.reasons)
    else:
        assert case.woman_id is not None
        view = await fam.woman_view(repos, p, case.woman_id, today)
        if view is None:
            return None
        subject = f"<b>{html.escape(view.woman.name)}</b>" + (
            f" · {tr.gettext(GROUP_LABELS[view.group])}" if view.group else "")
    events = await cq.events(repos.db, case.id, limit=TIMELINE)
    names = await coq.display_names(repos.db, {e.actor_id for e in events if e.actor_id is not None})
    posyandu = await repos.posyandu.get(case.posyandu_id)
    return CaseCard(case, subject, posyandu.name, tuple(sorted(current, key=order_of)), events, names,
                    await case_svc.allowed_actions(repos, p, case), now)


def _event_line(e: cq.CaseEvent, card: CaseCard, tr: Translator) -> str:
    words = tr.gettext(_EVENT_WORDS.get(e.kind, e.kind))
    detail = e.detail or ""
    text = words.format(
        reasons=html.escape(reason_words(e.reasons, tr)),
        place=html.escape(tr.gettext(WORDS[detail]) if detail in WORDS else detail),
        outcome=html.escape(tr.gettext(OUTCOME_LABELS[Outcome(detail)]) if detail in {o.value for o in Outcome}
                            else detail),
        why=html.escape(tr.gettext(WORDS[detail]) if detail in WORDS else detail))
    if e.kind == "opened" and e.actor_id is None:
        text += " " + tr.gettext("(from the measurement)")
    if e.checklist:
        text += ": " + html.escape(", ".join(tr.gettext(ALL_CHECKS.get(c, c)) for c in e.checklist))
    if e.actor_id is not None:
        who = html.escape(card.names.get(e.actor_id) or str(e.actor_id))
        role = tr.gettext(ROLE_WORDS[e.actor_role]) if e.actor_role in ROLE_WORDS else ""
        text += f" — {who}" + (f" ({role})" if role else "")
    if e.note:
        note = e.note if len(e.note) <= NOTE_SHOWN else e.note[: NOTE_SHOWN - 1] + "…"
        text += f"\n   “{html.escape(note)}”"
    return f"• {tr.short_date(e.on_date)} · {text}"


def format_card(card: CaseCard, tr: Translator) -> str:
    c = card.case
    mark = "🔴" if is_urgent(card.current) else "⚠️"
    lines = [tr.gettext("📁 <b>Case {id}</b> · {subject}").format(id=c.id, subject=card.subject),
             "🏠 " + html.escape(card.posyandu_name),
             f"{mark} " + tr.gettext("Why: {reasons}").format(reasons=html.escape(reason_words(card.current, tr)))]
    opened = c.opened_at.astimezone(case_svc.DEFAULT_TZ).date()
    lines.append(tr.gettext("State: {state} · opened {date}").format(
        state=tr.gettext(STATE_LABELS[CaseState(c.state)]), date=tr.date(opened)))
    if c.remind_at is not None:
        due = c.remind_at.astimezone(case_svc.DEFAULT_TZ)
        if case_svc.is_overdue(c, card.now):
            lines.append(tr.gettext("⏰ No action yet: the deadline was {date}.").format(date=tr.date(due.date())))
        else:
            lines.append(tr.gettext("⏳ Act by {date}.").format(date=tr.date(due.date())))
    lines += ["", tr.gettext("<b>What happened</b>")]
    lines += [_event_line(e, card, tr) for e in card.events]
    if Action.OUTCOME not in card.actions and c.is_open and card.actions:
        lines += ["", tr.gettext("The puskesmas outcome is entered by the midwife or puskesmas staff.")]
    return "\n".join(lines)


__all__ = ["ROLE_WORDS", "CaseCard", "case_card", "format_card", "is_urgent", "reason_words"]
