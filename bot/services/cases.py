"""Follow-up cases: opened by the status function (a child) or a woman's risk flag, acted on by people, closed by
a health worker's outcome or by two months back in range.

- `on_decided` is registered in bot.services.status.DECIDED_LISTENERS (`install`): whenever a child's status is
  stored, a month that says "refer" opens a case (one open case per child: new reasons join its timeline), and two
  consecutive counted months without a refer reason close it (bot.growth.case_rules.recovered).
- `record` applies a person's action (visit, referral, outcome, note, close) after the access rules
  (bot.services.access) allowed it; every write is audited (storage.case_queries).
- `case_scope`, `cases_for`, `open_overview` and `case_counts` are what lists, reports and the dashboard read.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.growth import case_rules as rules
from bot.growth.case_rules import Action, CaseState, CloseReason, CountedMonth, Due, Outcome
from bot.services import access
from bot.services import status as status_svc
from storage import Repositories, Role
from storage import case_queries as q
from storage.status_queries import ChildDecision

log = logging.getLogger(__name__)

# A month that says "refer" opens a case only when its visit is recent: re-deciding old history (new rules, an
# import) must not open cases about visits long past, with deadlines counted from today.
LOOK_BACK_DAYS = 60
DEFAULT_TZ = ZoneInfo("Asia/Jakarta")
CASE_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.CADRE, Role.HEALTH_WORKER, Role.TPK})


class CaseRefused(Exception):
    """An action that cannot be recorded; `code` says why (the handler words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# ------------------------------------------------------------------ who sees which cases


@dataclass(frozen=True)
class CaseScope:
    """The caller's reach over cases: the posyandu whose cases they see, and whether women's cases too."""

    principal: access.Principal
    posyandu_ids: tuple[int, ...]

    @property
    def user_id(self) -> int:
        return self.principal.user_id

    @property
    def role(self) -> Role:
        assert self.principal.role is not None
        return self.principal.role

    @property
    def women(self) -> bool:
        return self.role != Role.CADRE

    @property
    def may_record_outcome_somewhere(self) -> bool:
        return self.role in (Role.HEALTH_WORKER, Role.ADMIN)


async def principal_of(repos: Repositories, user_id: int, admin_ids: Collection[int]) -> access.Principal | None:
    if user_id in set(admin_ids):
        return access.Principal(user_id=user_id, role=Role.ADMIN)
    return await access.load_principal(repos, user_id)


async def case_scope(repos: Repositories, user_id: int, admin_ids: Collection[int]) -> CaseScope | None:
    """None for parents, sponsors, strangers and deactivated accounts."""
    p = await principal_of(repos, user_id, admin_ids)
    if p is None or not p.active or p.role not in CASE_ROLES:
        return None
    ids = await access.case_posyandu_ids(repos, p)
    if ids is None:
        ids = [x.id for x in await repos.posyandu.list_all()]
    return CaseScope(p, tuple(ids))


async def place_of(repos: Repositories, posyandu_id: int) -> access.Place:
    return await access.place_of_posyandu(repos, posyandu_id)


async def may_view(repos: Repositories, p: access.Principal, case: q.CaseRow) -> bool:
    return access.can_view_case(p, await place_of(repos, case.posyandu_id), about_woman=case.about_woman)


# ------------------------------------------------------------------ opening and closing from the status


def _local(now: dt.datetime, tz: str | None) -> dt.date:
    return now.astimezone(ZoneInfo(tz) if tz else DEFAULT_TZ).date()


def _due_of(case: q.CaseRow) -> Due | None:
    if case.remind_at is None or case.escalate_at is None:
        return None
    return Due(case.remind_at, case.escalate_at)


async def on_decided(repos: Repositories, decisions: Sequence[ChildDecision]) -> None:
    """The status listener: open, extend or close children's cases from the months just stored."""
    counted = {d.child_id: [r for r in d.rows if r.measurement_id is not None] for d in decisions}
    counted = {cid: rows for cid, rows in counted.items() if rows}
    if not counted:
        return
    db = repos.db
    open_cases = await q.open_cases_of_children(db, counted)
    latest = {cid: max(rows, key=lambda r: r.month) for cid, rows in counted.items()}
    wanted = [cid for cid, row in latest.items() if row.refer or cid in open_cases]
    if not wanted:
        return
    facts = await q.child_facts(db, wanted)
    closed = await q.last_closed_on(db, [cid for cid in wanted if cid not in open_cases])
    now = db.now()
    for cid in wanted:
        fact, row, case = facts.get(cid), latest[cid], open_cases.get(cid)
        if fact is None or not fact.active:
            continue
        today = _local(now, fact.timezone)
        if case is None:
            # A case closed since this visit (a health worker's outcome) is not reopened by the visits it knew.
            known = row.measured_on is None or (cid in closed and row.measured_on <= closed[cid])
            if not known and (today - row.measured_on).days <= LOOK_BACK_DAYS:  # type: ignore[operator]
                await open_for(repos, child_id=cid, posyandu_id=fact.posyandu_id, reasons=row.reasons, now=now,
                               today=today)
        elif row.refer:
            await add_reasons(repos, case, row.reasons, now=now, today=today)
        elif rules.recovered([CountedMonth(r.month, r.refer) for r in counted[cid]], case.opened_month):
            await q.record_action(db, q.ActionWrite(
                case_id=case.id, kind="recovered", on_date=today, at=now, actor_id=None, actor_role=None,
                new_state=CaseState.CLOSED.value, closed_reason=CloseReason.RECOVERED.value, counts_as_action=False))
            log.info("case %s closed: back in range for %s months", case.id, rules.RECOVERY_MONTHS)


async def open_for(repos: Repositories, *, posyandu_id: int, reasons: Sequence[str], now: dt.datetime,
                   today: dt.date, child_id: int | None = None, woman_id: int | None = None,
                   actor: access.Principal | None = None) -> q.CaseRow | None:
    ordered = rules.sort_reasons(reasons)
    due = rules.due_after(now, ordered)
    case = await q.open_case(repos.db, q.NewCase(
        child_id=child_id, woman_id=woman_id, posyandu_id=posyandu_id, reasons=ordered, opened_at=now,
        opened_on=today, remind_at=due.remind_at, escalate_at=due.escalate_at,
        actor_id=actor.user_id if actor else None, actor_role=actor.role.value if actor and actor.role else None))
    if case is not None:
        log.info("case %s opened (%s)", case.id, ",".join(ordered))
    return case


async def add_reasons(repos: Repositories, case: q.CaseRow, reasons: Sequence[str], *, now: dt.datetime,
                      today: dt.date, actor: access.Principal | None = None) -> list[str]:
    """Reasons the open case did not have yet join its timeline; returns them."""
    added = [r for r in rules.sort_reasons(reasons) if r not in case.reasons]
    if not added:
        return []
    due = rules.tighter(_due_of(case), rules.due_after(now, added))
    await q.add_reasons(repos.db, case.id, added, rules.sort_reasons([*case.reasons, *added]), on=today, at=now,
                        remind_at=due.remind_at, escalate_at=due.escalate_at,
                        actor_id=actor.user_id if actor else None,
                        actor_role=actor.role.value if actor and actor.role else None)
    return added


def install() -> None:
    """Register the status listener (idempotent: every Application built runs the handlers' register)."""
    if on_decided not in status_svc.DECIDED_LISTENERS:
        status_svc.DECIDED_LISTENERS.append(on_decided)


# ------------------------------------------------------------------ people's actions


@dataclass(frozen=True)
class ActionInput:
    action: Action
    on: dt.date
    outcome: Outcome | None = None
    close: CloseReason | None = None
    detail: str | None = None  # referral place
    checklist: tuple[str, ...] = ()
    note: str | None = None


async def allowed_actions(repos: Repositories, p: access.Principal, case: q.CaseRow) -> set[Action]:
    if not case.is_open:
        return set()
    place = await place_of(repos, case.posyandu_id)
    if not access.can_act_on_case(p, place, about_woman=case.about_woman):
        return set()
    actions = {Action.VISIT, Action.REFERRAL, Action.NOTE, Action.CLOSE}
    if access.can_record_outcome(p, place):
        actions.add(Action.OUTCOME)
    return actions


async def record(repos: Repositories, p: access.Principal, case_id: int, entry: ActionInput, *,
                 today: dt.date) -> q.CaseRow:
    """Record a person's action on an open case; CaseRefused when the case or the rules do not allow it."""
    case = await q.get_case(repos.db, case_id)
    if case is None:
        raise CaseRefused("not_found")
    if entry.action not in await allowed_actions(repos, p, case):
        raise CaseRefused("closed" if not case.is_open else "not_allowed")
    opened_on = _local(case.opened_at, None)
    if entry.on > today:
        raise CaseRefused("date_future")
    if entry.on < opened_on - dt.timedelta(days=1):
        raise CaseRefused("before_opened")
    state = rules.next_state(CaseState(case.state), entry.action, outcome=entry.outcome, close=entry.close)
    closed: CloseReason | None = entry.close
    if entry.action is Action.OUTCOME and entry.outcome is not None:
        closed = rules.close_reason_of(entry.outcome)
    detail = entry.outcome.value if entry.outcome else (entry.close.value if entry.close else entry.detail)
    done = await q.record_action(repos.db, q.ActionWrite(
        case_id=case.id, kind=entry.action.value, on_date=entry.on, at=repos.db.now(), actor_id=p.user_id,
        actor_role=p.role.value if p.role else None, new_state=state.value, detail=detail,
        checklist=entry.checklist, note=entry.note, closed_reason=closed.value if closed else None))
    if not done:
        raise CaseRefused("closed")
    log.info("case %s: %s by user %s", case.id, entry.action.value, p.user_id)
    updated = await q.get_case(repos.db, case.id)
    assert updated is not None
    return updated


# ------------------------------------------------------------------ reading (lists, reports, dashboard)


async def cases_for(repos: Repositories, scope: CaseScope, *, open_only: bool = True) -> list[q.CaseRow]:
    """Every case the scope reaches (children's; women's too for the roles that may see them)."""
    return await q.cases_in(repos.db, scope.posyandu_ids, women=scope.women, open_only=open_only)


async def open_overview(repos: Repositories, posyandu_ids: Collection[int], now: dt.datetime
                        ) -> dict[int, q.PosyanduCases]:
    """Open, overdue and escalated cases per posyandu (the coordinator's /kasus)."""
    return await q.open_counts(repos.db, posyandu_ids, now)


async def case_counts(repos: Repositories, posyandu_ids: Collection[int], month: dt.date, *,
                      now: dt.datetime | None = None) -> dict[int, q.MonthCases]:
    """Per posyandu for the calendar month: opened, closed recovered, closed otherwise, still open (at the month's
    end, or now for the running month) and gone overdue."""
    start = month.replace(day=1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    now = now or repos.db.now()
    end_at = min(now, dt.datetime.combine(end, dt.time(), tzinfo=DEFAULT_TZ))
    return await q.month_counts(repos.db, posyandu_ids, start, end, end_at,
                                [r.value for r in rules.RECOVERED_REASONS])


def is_overdue(case: q.CaseRow, now: dt.datetime) -> bool:
    return case.is_open and case.remind_at is not None and case.remind_at <= now


def is_escalated(case: q.CaseRow, now: dt.datetime) -> bool:
    return case.is_open and case.escalate_at is not None and case.escalate_at <= now


__all__ = [
    "CASE_ROLES", "LOOK_BACK_DAYS", "ActionInput", "CaseRefused", "CaseScope", "add_reasons", "allowed_actions",
    "case_counts", "case_scope", "cases_for", "install", "is_escalated", "is_overdue", "may_view", "on_decided",
    "open_for", "open_overview", "place_of", "principal_of", "record",
]
