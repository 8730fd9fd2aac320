"""Deadlines of follow-up cases as reminders: a case with no action by its deadline (bot.growth.case_rules.DEADLINES)
reminds the cadres of the child's posyandu (the TPK of the village for a woman's case), and when still nothing was
recorded by the second deadline, the coordinators nearest to the posyandu.

The reminders go through the reminders engine (bot.services.reminders, registered in its CANDIDATE_SOURCES): an
idempotency key per recipient, case and deadline makes each reminder go out exactly once, also across restarts; a
new reason with an earlier deadline is a new deadline and reminds again. Nothing is claimed in the posyandu's quiet
hours, so a reminder is never written at night and sent stale the next morning: it is claimed and sent at 06.00.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.growth.case_rules import CLOSE_STATE, CloseReason
from bot.i18n import get_translator
from bot.services import reminders
from bot.services.case_view import reason_words
from storage import Repositories
from storage import case_queries as cq
from storage import family_queries as fq
from storage.db import Database

FIRST = "case_due"  # the cadre (a child's case) or the TPK (a woman's)
ESCALATED = "case_escalated"  # the coordinator
EXPIRES_AFTER = dt.timedelta(days=30)  # a reminder the bot could not send for a month is not sent any more


async def _subjects(repos: Repositories, due: Sequence[cq.DueCase]) -> dict[int, str]:
    """case id -> "<b>name</b> (code)" for the message (names go to people who may see them, never to logs)."""
    child_ids = [d.case.child_id for d in due if d.case.child_id is not None]
    children = {c.id: c for c in await repos.children.get_many(child_ids)} if child_ids else {}
    out: dict[int, str] = {}
    for d in due:
        if d.case.child_id is not None and d.case.child_id in children:
            c = children[d.case.child_id]
            out[d.case.id] = f"<b>{html.escape(c.name)}</b> ({html.escape(c.code)})"
        elif d.case.woman_id is not None:
            woman = await fq.get_woman(repos.db, d.case.woman_id)
            out[d.case.id] = f"<b>{html.escape(woman.name)}</b>" if woman else "?"
    return out


async def _coordinators(repos: Repositories, area_ids: set[int]) -> dict[int, list[cq.Recipient]]:
    """For each kelurahan: the coordinators of the nearest area above it (itself first) that has any."""
    chains = {a: [x.id for x in await repos.areas.ancestors(a)] for a in area_ids}
    every = sorted({x for chain in chains.values() for x in chain})
    by_area = await cq.staff_of_areas(repos.db, "coordinator", every)
    return {a: next((by_area[x] for x in chain if by_area.get(x)), []) for a, chain in chains.items()}


def _text(kind: str, subject: str, posyandu: str, reasons: Sequence[str], deadline: dt.datetime, case_id: int,
          tz: ZoneInfo, lang: str) -> str:
    tr = get_translator(lang)
    day = tr.date(deadline.astimezone(tz).date())
    if kind == FIRST:
        head = tr.gettext("⏰ No action recorded yet on the case of {subject}, {posyandu}: {reasons}. It was due "
                          "{date}.")
        ask = tr.gettext("Please visit the family or refer them to the puskesmas, then record it: /kasus_{id}")
    else:
        head = tr.gettext("⏰ Still no action on the case of {subject}, {posyandu}: {reasons}. The deadline was "
                          "{date} and the cadre (or TPK) was reminded.")
        ask = tr.gettext("Please make sure someone acts: /kasus_{id}")
    return "\n".join([head.format(subject=subject, posyandu=html.escape(posyandu),
                                  reasons=html.escape(reason_words(reasons, tr)), date=day), ask.format(id=case_id)])


async def candidates(db: Database, repos: Any, now: dt.datetime) -> list[reminders.Candidate]:
    for gone in await cq.open_cases_of_gone(db):
        await _close_gone(db, gone, now)
    due = await cq.past_deadline(db, now)
    due = [d for d in due if d.subject_status == "active" and not reminders.in_quiet_hours(now, ZoneInfo(d.timezone))]
    if not due:
        return []
    posyandu_names = {p.id: p.name for p in await repos.posyandu.get_many(sorted({d.case.posyandu_id for d in due}))}
    subjects = await _subjects(repos, due)
    kelurahan = {d.kelurahan_id for d in due}
    coordinators = await _coordinators(repos, kelurahan)
    tpk = await cq.staff_of_areas(db, "tpk", sorted(kelurahan))
    marked = await cq.marked_deadlines(db, [d.case.id for d in due])
    cadres = await cq.cadres_of(db, {d.case.posyandu_id for d in due if d.case.child_id is not None})
    out: list[reminders.Candidate] = []
    to_mark: list[cq.DeadlineMark] = []
    for d in due:
        case, tz = d.case, ZoneInfo(d.timezone)
        local = now.astimezone(tz).date()
        first = cadres.get(case.posyandu_id, []) if case.child_id is not None else tpk.get(d.kelurahan_id, [])
        above = coordinators.get(d.kelurahan_id, [])
        stages: list[tuple[str, dt.datetime, list[cq.Recipient]]] = []
        assert case.remind_at is not None
        stages.append((FIRST, case.remind_at, first or above))  # nobody at the posyandu: the coordinator at once
        if case.escalate_at is not None and case.escalate_at <= now:
            stages.append((ESCALATED, case.escalate_at, above))
        for kind, deadline, people in stages:
            event = "overdue" if kind == FIRST else "escalated"
            if (case.id, event, deadline) not in marked:
                to_mark.append(cq.DeadlineMark(case_id=case.id, kind=event, deadline=deadline, on=local))
            for person in people:
                async def render(kind: str = kind, deadline: dt.datetime = deadline, person: cq.Recipient = person,
                                 case: cq.CaseRow = case, tz: ZoneInfo = tz) -> tuple[str, dict[str, Any]]:
                    return _text(kind, subjects.get(case.id, "?"), posyandu_names.get(case.posyandu_id, "?"),
                                 case.reasons, deadline, case.id, tz, person.language), {"case_id": case.id}
                out.append(reminders.Candidate(
                    key=reminders.key(kind, person.user_id, case.id, deadline.isoformat()),
                    recipient_id=person.user_id, kind=kind, tz=d.timezone, due_at=deadline,
                    expires_at=deadline + EXPIRES_AFTER, render=render))
    await cq.mark_deadlines(db, to_mark, now)
    return out


async def _close_gone(db: Database, d: cq.DueCase, now: dt.datetime) -> None:
    """A child (or woman) marked as moved or deceased in the register: the case closes the same way instead of
    reminding anyone (the register is where a cadre records it)."""
    reason = CloseReason.DIED if d.subject_status == "deceased" else CloseReason.MOVED
    await cq.record_action(db, cq.ActionWrite(
        case_id=d.case.id, kind="close", on_date=now.astimezone(ZoneInfo(d.timezone)).date(), at=now,
        actor_id=None, actor_role=None, new_state=CLOSE_STATE[reason].value, detail=reason.value,
        closed_reason=reason.value, counts_as_action=False))


def install() -> None:
    if candidates not in reminders.CANDIDATE_SOURCES:
        reminders.CANDIDATE_SOURCES.append(candidates)


__all__ = ["ESCALATED", "FIRST", "candidates", "install"]
