"""Intervention programs (PMT for stunted children, "orang tua asuh" sponsors): defining one, the children its
criteria propose, enrolment, the children followed, and the monthly report against comparable children.

Criteria and outcomes are read from the stored monthly status (child_month_status, written by
bot.services.status); nothing here decides a category, N/T or a z-score. `report(repos, program_id, months)` is
the API the dashboard reads (pydantic models, JSON-ready).

How the comparison group is built (docs/services.md, "Program report"):
- Baseline of a child: its latest counted month weighed on or before a reference day, looking back two months (else
  the counted visit of the reference day's month); the reference day is the enrolment for an enrolled child, the
  program's start for everyone else.
- Comparison children: active children of the same posyandu (the program's kelurahan or posyandu), never enrolled
  in this program nor in another program running at the same time, whose baseline exists and whose stratum (age
  band at baseline: 0-5, 6-11, 12-23, 24-35, 36-59 months; and which of the program's criteria the baseline
  met) is the stratum of at least one enrolled child.
- A month's outcome counts children with a counted month after their baseline month; z-score changes are the
  month's value minus the baseline's, averaged without weights.
Limits: not randomised (enrolled children were chosen, often as the neediest), small numbers, strata not
re-weighted, children not weighed that month are missing (not carried forward), regression to the mean.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bot.growth.child_services import planned_pmt_days
from bot.growth.immunisation import add_months, completed_months
from bot.i18n import N_, Translator
from bot.services import access
from bot.services import status as status_svc
from storage import Repositories
from storage import program_queries as pq
from storage import services_queries as sq
from storage.errors import InvalidInput
from storage.models import Child, ChildStatus
from storage.program_queries import Enrolled, MonthFacts, Program, ProgramCreate
from storage.services_queries import ServiceRecord

log = logging.getLogger(__name__)

# Target criteria (any of them proposes a child), read from the stored status of the child's latest counted month.
CRITERIA: dict[str, str] = {
    "stunted": N_("stunted (length/height-for-age below −2 SD)"),
    "severely_stunted": N_("severely stunted (below −3 SD)"),
    "wasted": N_("wasted (weight-for-length below −2 SD)"),
    "underweight": N_("underweight (weight-for-age below −2 SD)"),
    "t": N_("weight not going up (T)"),
    "2t": N_("T twice in a row (2T)"),
    "bgm": N_("below the red line (BGM)"),
}
KINDS: dict[str, str] = {"pmt_lokal": N_("PMT lokal"), "pmt_pabrikan": N_("PMT pabrikan"),
                         "other": N_("other support")}
# Unit and usual size of one delivery per kind (PMT lokal: a week of meals; biscuits and other support: a package).
DELIVERY: dict[str, tuple[str, int]] = {"pmt_lokal": ("days", 7), "pmt_pabrikan": ("packages", 1),
                                        "other": ("packages", 1)}
RECENT_DAYS = 92  # a status older than this proposes nobody: weigh the child first
BASELINE_LOOKBACK_MONTHS = 2
AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 5), (6, 11), (12, 23), (24, 35), (36, 59))  # F2 2023 bands


class ProgramError(InvalidInput):
    """A program that cannot be created as asked (the handler says why)."""


MSG_BAD_PERIOD = N_("The end date must not be before the start date.")
MSG_OUTSIDE_SCOPE = N_("That place is outside your area.")
MSG_CHILD_OUTSIDE = N_("Child {code} is not registered in this program's area.")


def criteria_met(f: MonthFacts, criteria: Collection[str]) -> frozenset[str]:
    """Which of `criteria` the stored month says (never decided again here)."""
    holds = {"stunted": f.stunted, "severely_stunted": f.severely_stunted, "wasted": f.wasted,
             "underweight": f.underweight, "t": f.weighing in ("T", "2T"), "2t": f.weighing == "2T", "bgm": f.bgm}
    return frozenset(c for c in criteria if holds.get(c, False))


def age_band(age_days: int | None) -> int | None:
    """Index of the F2 age band of an age (None beyond 59 months or without an age)."""
    if age_days is None:
        return None
    months = int(age_days / 30.4375)
    return next((i for i, (low, high) in enumerate(AGE_BANDS) if low <= months <= high), None)


def baseline(rows: Sequence[MonthFacts], on: dt.date) -> MonthFacts | None:
    """A child's status when a program began for it (`on`: its enrolment, or the program's start): the latest
    counted month weighed on or before `on` (back to BASELINE_LOOKBACK_MONTHS before its month), else the counted
    visit of `on`'s own month (a child enrolled at the start of a month and weighed at that month's posyandu)."""
    first = add_months(on.replace(day=1), -BASELINE_LOOKBACK_MONTHS)
    usable = [r for r in rows if r.counted and r.month >= first and (r.waz is not None or r.haz is not None)]
    before = [r for r in usable if r.measured_on is not None and r.measured_on <= on]
    if before:
        return before[-1]
    return next((r for r in usable if r.month == on.replace(day=1)), None)


def program_months(program: Program, today: dt.date) -> list[dt.date]:
    """First days of the program's months up to today."""
    out = []
    month = program.starts_on.replace(day=1)
    last = min(program.ends_on, today).replace(day=1)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


COMPARISON_NOTE = N_(
    "Comparison: children of the same area not enrolled in this or another program at the same time, in the same "
    "age band (0–5, 6–11, 12–23, 24–35, 36–59 months) with the same baseline status (which of the program's "
    "criteria they met), baseline = their last weighing up to the program's start (or in its first month). Not a "
    "randomised trial: "
    "enrolled children were chosen (often the neediest), numbers are small, and children not weighed in a month are "
    "missing from it.")



class FactsLike(Protocol):
    """A stored month, or its anonymised copy (read-only attributes)."""

    @property
    def stunted(self) -> bool: ...

    @property
    def severely_stunted(self) -> bool: ...

    @property
    def wasted(self) -> bool: ...

    @property
    def underweight(self) -> bool: ...

    @property
    def weighing(self) -> str | None: ...


def facts_words(tr: Translator, f: FactsLike | None) -> str:
    """`pendek, T` / `normal` from a stored month (the status service's flags)."""
    if f is None:
        return tr.gettext("no weighing")
    words = []
    if f.severely_stunted:
        words.append(tr.gettext("severely stunted"))
    elif f.stunted:
        words.append(tr.gettext("stunted"))
    if f.wasted:
        words.append(tr.gettext("wasted"))
    elif f.underweight:
        words.append(tr.gettext("underweight"))
    if f.weighing in ("T", "2T"):
        words.append(f.weighing)
    return ", ".join(words) or tr.gettext("normal")



# ------------------------------------------------------------------ the report (JSON-ready for the dashboard)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Outcome(_Model):
    """Children with a counted month after their baseline, and how they changed since it."""

    children: int = 0
    waz_n: int = 0
    waz_change: float | None = None  # mean of (month WAZ - baseline WAZ)
    haz_n: int = 0
    haz_change: float | None = None
    stunted_before: int = 0  # stunted at baseline (with a length/height this month)
    stunted_recovered: int = 0  # stunted -> not stunted
    became_stunted: int = 0  # not stunted -> stunted
    underweight_before: int = 0
    underweight_recovered: int = 0


class MonthRow(_Model):
    month: dt.date
    enrolled: int  # enrolled at some time in the month
    deliveries: int
    children_reached: int
    quantity: int  # days or packages delivered (the program's unit)
    enrolled_outcome: Outcome
    comparison_outcome: Outcome


class ProgramReport(_Model):
    program_id: int
    name: str
    sponsor: str
    kind: str
    unit: str
    starts_on: dt.date
    ends_on: dt.date
    enrolled_total: int  # ever enrolled
    enrolled_with_baseline: int
    comparison_total: int  # children in the comparison group
    strata: tuple[str, ...]  # "12-23:stunted" ...
    months: tuple[MonthRow, ...]


def _outcome(pairs: Sequence[tuple[MonthFacts, MonthFacts]]) -> Outcome:
    """`pairs`: (baseline, month) of each child counted this month."""
    waz = [m.waz - b.waz for b, m in pairs if m.waz is not None and b.waz is not None]
    haz = [m.haz - b.haz for b, m in pairs if m.haz is not None and b.haz is not None]
    with_haz = [(b, m) for b, m in pairs if m.haz is not None and b.haz is not None]
    with_waz = [(b, m) for b, m in pairs if m.waz is not None and b.waz is not None]
    return Outcome(
        children=len(pairs), waz_n=len(waz), waz_change=round(sum(waz) / len(waz), 3) if waz else None,
        haz_n=len(haz), haz_change=round(sum(haz) / len(haz), 3) if haz else None,
        stunted_before=sum(b.stunted for b, _ in with_haz),
        stunted_recovered=sum(b.stunted and not m.stunted for b, m in with_haz),
        became_stunted=sum(not b.stunted and m.stunted for b, m in with_haz),
        underweight_before=sum(b.underweight for b, _ in with_waz),
        underweight_recovered=sum(b.underweight and not m.underweight for b, m in with_waz))


def _pairs(month: dt.date, bases: dict[int, MonthFacts], facts: dict[int, list[MonthFacts]],
           who: Collection[int]) -> list[tuple[MonthFacts, MonthFacts]]:
    out = []
    for cid in who:
        base = bases.get(cid)
        now = next((r for r in facts.get(cid, []) if r.month == month and r.counted), None)
        if base is not None and now is not None and now.month > base.month:
            out.append((base, now))
    return out


def stratum(f: MonthFacts, criteria: Collection[str]) -> tuple[int | None, frozenset[str]]:
    return age_band(f.age_days), criteria_met(f, criteria)


def _stratum_label(s: tuple[int | None, frozenset[str]]) -> str:
    band = AGE_BANDS[s[0]] if s[0] is not None else None
    ages = f"{band[0]}-{band[1]}" if band else "?"
    return ages + ":" + "+".join(sorted(s[1]) or ["none"])


def compute_report(program: Program, months: Sequence[dt.date], enrolled: Sequence[Enrolled],
                   deliveries: Sequence[ServiceRecord], facts: dict[int, list[MonthFacts]],
                   others: Collection[int], ages: dict[int, dt.date]) -> ProgramReport:
    """The report from stored data (pure: tests feed it hand-made rows). `others`: children of the program's area
    never enrolled in it nor in an overlapping program; `ages`: birth dates (age range at baseline)."""
    bases = {e.child_id: b for e in enrolled if (b := baseline(facts.get(e.child_id, []), e.enrolled_on)) is not None}
    strata = {stratum(b, program.criteria) for b in bases.values()}
    comparison: dict[int, MonthFacts] = {}
    for cid in others:
        b = baseline(facts.get(cid, []), program.starts_on)
        if b is None or cid not in ages:
            continue
        months_old = completed_months(ages[cid], b.measured_on or b.month)
        if not program.min_months <= months_old <= program.max_months:
            continue
        if stratum(b, program.criteria) in strata:
            comparison[cid] = b
    rows = []
    for month in months:
        end = add_months(month, 1) - dt.timedelta(days=1)
        active = [e.child_id for e in enrolled if e.enrolled_on <= end and (e.left_on is None or e.left_on >= month)]
        in_month = [d for d in deliveries if month <= d.given_on <= end]
        rows.append(MonthRow(
            month=month, enrolled=len(active), deliveries=len(in_month),
            children_reached=len({d.child_id for d in in_month}), quantity=sum(d.quantity or 0 for d in in_month),
            enrolled_outcome=_outcome(_pairs(month, bases, facts, active)),
            comparison_outcome=_outcome(_pairs(month, comparison, facts, comparison))))
    return ProgramReport(
        program_id=program.id, name=program.name, sponsor=program.sponsor, kind=program.kind, unit=program.unit,
        starts_on=program.starts_on, ends_on=program.ends_on, enrolled_total=len(enrolled),
        enrolled_with_baseline=len(bases), comparison_total=len(comparison),
        strata=tuple(sorted(_stratum_label(s) for s in strata)), months=tuple(rows))


# ------------------------------------------------------------------ places and access


async def posyandu_ids(repos: Repositories, program: Program) -> list[int]:
    if program.posyandu_id is not None:
        return [program.posyandu_id]
    assert program.area_id is not None
    return await repos.areas.posyandu_ids_within(program.area_id)


async def place_of(repos: Repositories, program: Program) -> access.Place:
    if program.posyandu_id is not None:
        return await access.place_of_posyandu(repos, program.posyandu_id)
    assert program.area_id is not None
    return await access.place_of_area(repos, program.area_id)


async def manager(repos: Repositories, user_id: int, admin_ids: Collection[int]) -> access.Principal | None:
    """The caller as a program manager (admin or coordinator), or None."""
    if user_id in set(admin_ids):
        return access.Principal(user_id=user_id, role=access.Role.ADMIN)
    p = await access.load_principal(repos, user_id)
    if p is None or p.role not in (access.Role.ADMIN, access.Role.COORDINATOR) or not p.active:
        return None
    return p


async def may_manage(repos: Repositories, principal: access.Principal, program: Program) -> bool:
    return access.can_manage_program(principal, await place_of(repos, program))


async def programs_for(repos: Repositories, principal: access.Principal) -> list[Program]:
    """Programs a manager may manage."""
    everything = await pq.every_program(repos.db)
    return [p for p in everything if await may_manage(repos, principal, p)]


async def create(repos: Repositories, principal: access.Principal, data: ProgramCreate) -> Program:
    if data.ends_on < data.starts_on:
        raise ProgramError(MSG_BAD_PERIOD)
    place = (await access.place_of_posyandu(repos, data.posyandu_id) if data.posyandu_id is not None
             else await access.place_of_area(repos, data.area_id or 0))
    if not access.can_manage_program(principal, place):
        raise ProgramError(MSG_OUTSIDE_SCOPE)
    unit, size = DELIVERY[data.kind]
    program = await pq.create(repos.db, data.model_copy(update={"unit": unit, "per_delivery": size,
                                                                "created_by": principal.user_id}))
    log.info("program %s created by %s", program.id, principal.user_id)
    return program


# ------------------------------------------------------------------ proposals, enrolment, following


@dataclass(frozen=True)
class Proposal:
    child: Child
    facts: MonthFacts
    met: frozenset[str]


async def _area_children(repos: Repositories, program: Program, today: dt.date) -> list[Child]:
    ids = await posyandu_ids(repos, program)
    rows = await status_svc.follow_up_rows(repos, ids, today)  # active under-fives, stored status decided first
    return [r.child for r in rows]


async def _latest(repos: Repositories, child_ids: Collection[int], today: dt.date) -> dict[int, MonthFacts]:
    facts = await pq.month_facts(repos.db, child_ids, add_months(today.replace(day=1), -12), today)
    out = {}
    for cid, rows in facts.items():
        counted = [r for r in rows if r.counted]
        if counted:
            out[cid] = counted[-1]
    return out


async def proposals(repos: Repositories, program: Program, today: dt.date) -> list[Proposal]:
    """Children of the program's area, in its age range today, whose latest counted month (of the past RECENT_DAYS)
    meets one of its criteria, and who are not enrolled now."""
    children = await _area_children(repos, program, today)
    enrolled = {e.child_id for e in await pq.enrolled(repos.db, program.id) if e.left_on is None}
    latest = await _latest(repos, [c.id for c in children], today)
    out = []
    for child in children:
        f = latest.get(child.id)
        if child.id in enrolled or f is None or f.measured_on is None:
            continue
        if (today - f.measured_on).days > RECENT_DAYS:
            continue
        if not program.min_months <= completed_months(child.birth_date, today) <= program.max_months:
            continue
        met = criteria_met(f, program.criteria)
        if met:
            out.append(Proposal(child, f, met))
    return out


async def enrol(repos: Repositories, program: Program, child_ids: Sequence[int], today: dt.date,
                by: int | None) -> int:
    """Enrol children of the program's area (a child from elsewhere is refused)."""
    ids = set(await posyandu_ids(repos, program))
    children = await repos.children.get_many(list(child_ids))
    for child in children:
        if child.posyandu_id not in ids or child.status != ChildStatus.ACTIVE:
            raise ProgramError(MSG_CHILD_OUTSIDE, code=child.code)
    return await pq.enrol(repos.db, program.id, [c.id for c in children], today, by)


@dataclass(frozen=True)
class Followed:
    """An enrolled child with its status at enrolment and now, and what it received."""

    child: Child
    enrolment: Enrolled
    base: MonthFacts | None
    latest: MonthFacts | None
    received: int  # days or packages
    deliveries: int
    planned_days: int | None  # PMT lokal: by the child's problem at enrolment (Juknis PMT lokal 2023)


async def followed(repos: Repositories, program: Program, today: dt.date) -> list[Followed]:
    enrolments = [e for e in await pq.enrolled(repos.db, program.id)]
    if not enrolments:
        return []
    await status_svc.flush(repos, posyandu_ids=await posyandu_ids(repos, program))
    ids = [e.child_id for e in enrolments]
    children = {c.id: c for c in await repos.children.get_many(ids)}
    facts = await pq.month_facts(repos.db, ids, add_months(program.starts_on.replace(day=1), -BASELINE_LOOKBACK_MONTHS),
                                 today)
    deliveries = await sq.program_deliveries(repos.db, program.id)
    out = []
    for e in enrolments:
        child = children.get(e.child_id)
        if child is None:
            continue
        rows = facts.get(e.child_id, [])
        base = baseline(rows, e.enrolled_on)
        counted = [r for r in rows if r.counted]
        mine = [d for d in deliveries if d.child_id == e.child_id]
        planned = None
        if program.kind == "pmt_lokal" and base is not None:
            planned = planned_pmt_days(wasted=base.wasted, underweight=base.underweight,
                                       faltering=base.weighing in ("T", "2T"))
        out.append(Followed(child, e, base, counted[-1] if counted else None, sum(d.quantity or 0 for d in mine),
                            len(mine), planned))
    return out


async def report(repos: Repositories, program_id: int, months: Sequence[dt.date] | None = None, *,
                 today: dt.date | None = None) -> ProgramReport:
    """The program's monthly report (`months`: first days; default: the program's months up to today)."""
    program = await pq.require(repos.db, program_id)
    today = today or repos.db.now().date()
    wanted = sorted({m.replace(day=1) for m in months}) if months is not None else program_months(program, today)
    ids = await posyandu_ids(repos, program)
    await status_svc.flush(repos, posyandu_ids=ids)
    enrolled = await pq.enrolled(repos.db, program.id)
    area = await _area_children(repos, program, wanted[-1] if wanted else today)
    enrolled_ids = {e.child_id for e in enrolled}
    busy = await _in_overlapping_programs(repos, program, [c.id for c in area])
    others = [c.id for c in area if c.id not in enrolled_ids and c.id not in busy]
    first = add_months(min([program.starts_on.replace(day=1), *wanted, *(e.enrolled_on.replace(day=1)
                                                                         for e in enrolled)]),
                       -BASELINE_LOOKBACK_MONTHS)
    last = max([*wanted, program.starts_on])
    facts = await pq.month_facts(repos.db, [*enrolled_ids, *others], first, last)
    ages = {c.id: c.birth_date for c in area}
    deliveries = await sq.program_deliveries(repos.db, program.id)
    return compute_report(program, wanted, enrolled, deliveries, facts, others, ages)


async def _in_overlapping_programs(repos: Repositories, program: Program, child_ids: Sequence[int]) -> set[int]:
    """Children enrolled in another program whose period overlaps this one (they got an intervention too)."""
    enrolments = await pq.enrolments_of(repos.db, child_ids)
    busy: set[int] = set()
    others: dict[int, Program | None] = {}
    for cid, items in enrolments.items():
        for e in items:
            if e.program_id == program.id:
                continue
            if e.program_id not in others:
                others[e.program_id] = await pq.get(repos.db, e.program_id)
            other = others[e.program_id]
            if other is not None and other.starts_on <= program.ends_on and program.starts_on <= other.ends_on:
                busy.add(cid)
    return busy


# Pass-throughs for the Telegram side (handlers reach storage only through services).
get_program = pq.get
enrolled_in = pq.enrolled
members_of = pq.members_of
find_record = sq.find


__all__ = [
    "AGE_BANDS",
    "CRITERIA",
    "DELIVERY",
    "KINDS",
    "Followed",
    "MonthRow",
    "Outcome",
    "Program",
    "ProgramCreate",
    "ProgramError",
    "ProgramReport",
    "Proposal",
    "age_band",
    "baseline",
    "compute_report",
    "create",
    "criteria_met",
    "enrol",
    "enrolled_in",
    "find_record",
    "followed",
    "get_program",
    "manager",
    "may_manage",
    "members_of",
    "place_of",
    "posyandu_ids",
    "program_months",
    "programs_for",
    "proposals",
    "report",
]
