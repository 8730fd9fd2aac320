"""What a child is due today (the buttons under the result card, `/daftar`), the round months of vitamin A and
deworming, and a child's Buku KIA page (immunisation and vitamin A record) for parents and cadres.

Decisions come from bot.growth.child_services over the stored records; this module only gathers the records,
the round months and the programs a child is enrolled in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.growth.child_services import (
    DEWORMING_MONTHS,
    Given,
    KiaRow,
    ServiceKind,
    check_delivery,
    kia_rows,
    knows_history,
    offers_on,
)
from bot.growth.child_services import Enrolment as RuleEnrolment
from bot.growth.immunisation import VITAMIN_A_MONTHS, Capsule, vitamin_a_capsule
from bot.services.child_services import given_of
from storage import Repositories
from storage import program_queries as pq
from storage import reminders_queries as rq
from storage import services_queries as sq
from storage.models import Child
from storage.services_queries import ServiceRecord

MAX_DOSE_BUTTONS = 6  # more than this on a card is a child whose book should be copied in first (/layanan)


@dataclass(frozen=True)
class Due:
    """A service due for a child on a day. `code`: dose, capsule colour, tablet; for a delivery the program id."""

    kind: ServiceKind
    code: str
    overdue: bool = False
    program: pq.Program | None = None

    @property
    def key(self) -> str:
        """The item key of the button (`MR1`, `vita`, `worm`, `p12`): see child_services.Wish.to_key."""
        if self.kind is ServiceKind.IMMUNISATION:
            return self.code
        if self.kind is ServiceKind.VITAMIN_A:
            return "vita"
        if self.kind is ServiceKind.DEWORMING:
            return "worm"
        return f"p{self.code}"


class Rounds:
    """The vitamin A and deworming months, read once per request (small tables)."""

    def __init__(self, vitamin_a: dict[int, tuple[int, ...]], deworming: dict[int, dict[int | None, tuple[int, ...]]],
                 chains: dict[int, list[int]]) -> None:
        self._vitamin_a = vitamin_a
        self._deworming = deworming
        self._chains = chains  # posyandu id -> its areas, nearest first

    def vitamin_a_month(self, day: dt.date) -> bool:
        return day.month in self._vitamin_a.get(day.year, VITAMIN_A_MONTHS)

    def deworming_months(self, year: int, posyandu_id: int) -> tuple[int, ...]:
        """The area's own months (nearest area first), else everyone's, else August."""
        by_area = self._deworming.get(year, {})
        for area in self._chains.get(posyandu_id, []):
            if area in by_area:
                return by_area[area]
        return by_area.get(None, DEWORMING_MONTHS)

    def deworming_month(self, day: dt.date, posyandu_id: int) -> bool:
        return day.month in self.deworming_months(day.year, posyandu_id)


async def load_rounds(repos: Repositories, posyandu_ids: Sequence[int], years: Sequence[int]) -> Rounds:
    deworming = {year: await sq.deworming_rounds(repos.db, year) for year in set(years)}
    # The posyandu's areas are only needed when some area set its own months (usually none did).
    by_area = any(area is not None for rows in deworming.values() for area in rows)
    chains = {pid: await repos.posyandu.area_chain(pid) for pid in set(posyandu_ids)} if by_area else {}
    return Rounds(await rq.vitamin_a_rounds(repos.db), deworming, chains)


async def area_deworming_months(repos: Repositories, year: int, area_id: int | None) -> tuple[int, ...]:
    """The months set for an area (None: for everyone), else everyone's, else August."""
    rows = await sq.deworming_rounds(repos.db, year)
    return rows.get(area_id, rows.get(None, DEWORMING_MONTHS))


async def set_deworming_months(repos: Repositories, year: int, area_id: int | None, months: Sequence[int] | None,
                               *, actor_id: int | None = None) -> tuple[int, ...]:
    """Set a year's deworming months for an area (None: everyone); None months: back to the default. Returns the
    months now in force for that area."""
    await sq.set_deworming_rounds(repos.db, year, area_id, months, actor_id=actor_id)
    return await area_deworming_months(repos, year, area_id)


async def deworming_months(repos: Repositories, year: int, posyandu_id: int) -> tuple[int, ...]:
    return (await load_rounds(repos, [posyandu_id], [year])).deworming_months(year, posyandu_id)


def _deliveries_due(child: Child, on: dt.date, given: Sequence[Given], enrolments: Sequence[pq.Enrolled],
                    programs: dict[int, pq.Program]) -> list[Due]:
    out = []
    for e in enrolments:
        program = programs.get(e.program_id)
        if program is None:
            continue
        rule = RuleEnrolment(program.id, program.starts_on, program.ends_on, e.enrolled_on, e.left_on)
        if check_delivery(on, rule, given) is None:
            kind = ServiceKind.AID if program.kind == "other" else ServiceKind.PMT
            out.append(Due(kind, str(program.id), program=program))
    return out


def _dues(child: Child, on: dt.date, records: Sequence[ServiceRecord], rounds: Rounds,
          enrolments: Sequence[pq.Enrolled], programs: dict[int, pq.Program]) -> list[Due]:
    given = given_of(records)
    offers = offers_on(child.birth_date, on, given, vitamin_a_round=rounds.vitamin_a_month(on),
                       deworming_round=rounds.deworming_month(on, child.posyandu_id))
    doses = [Due(o.kind, o.code, o.overdue) for o in offers if o.kind is ServiceKind.IMMUNISATION]
    others = [Due(o.kind, o.code) for o in offers if o.kind is not ServiceKind.IMMUNISATION]
    return doses[:MAX_DOSE_BUTTONS] + others + _deliveries_due(child, on, given, enrolments, programs)


async def due_for_children(repos: Repositories, children: Sequence[Child], on: dt.date) -> dict[int, list[Due]]:
    """What each child is due on `on` (children over five get nothing): a few queries for the whole list."""
    kids = [c for c in children if c.birth_date <= on]
    if not kids:
        return {}
    ids = [c.id for c in kids]
    records = await sq.current_for(repos.db, ids)
    enrolments = await pq.enrolments_of(repos.db, ids)
    program_ids = {e.program_id for es in enrolments.values() for e in es if e.active_on(on)}
    programs = {pid: p for pid in program_ids if (p := await pq.get(repos.db, pid)) is not None}
    rounds = await load_rounds(repos, [c.posyandu_id for c in kids], [on.year])
    return {c.id: _dues(c, on, records.get(c.id, []), rounds, [e for e in enrolments.get(c.id, []) if e.active_on(on)],
                        programs) for c in kids}


async def due_today(repos: Repositories, child: Child, on: dt.date) -> list[Due]:
    return (await due_for_children(repos, [child], on)).get(child.id, [])


# ------------------------------------------------------------------ the Buku KIA page


@dataclass(frozen=True)
class KiaPage:
    """A child's immunisation table with each dose's state, and the capsules, tablets and PMT given."""

    child: Child
    on: dt.date
    rows: list[KiaRow]
    known: bool  # the child's immunisation record is kept here (else past doses are "not recorded")
    records: list[ServiceRecord]
    vitamin_a_due: Capsule | None  # a capsule due in this month's round, not yet given

    def of_kind(self, kind: ServiceKind) -> list[ServiceRecord]:
        return [r for r in self.records if r.kind == kind.value]

    def record_of(self, code: str) -> ServiceRecord | None:
        return next((r for r in self.records if r.kind == ServiceKind.IMMUNISATION.value and r.code == code), None)


async def kia_page(repos: Repositories, child: Child, on: dt.date) -> KiaPage:
    records = (await sq.current_for(repos.db, [child.id]))[child.id]
    given = given_of(records)
    rounds = await load_rounds(repos, [child.posyandu_id], [on.year])
    due = [o for o in offers_on(child.birth_date, on, given, vitamin_a_round=rounds.vitamin_a_month(on),
                                deworming_round=False) if o.kind is ServiceKind.VITAMIN_A]
    return KiaPage(child=child, on=on, rows=kia_rows(child.birth_date, on, given), known=knows_history(given),
                   records=records, vitamin_a_due=vitamin_a_capsule(child.birth_date, on) if due else None)


__all__ = [
    "MAX_DOSE_BUTTONS",
    "Due",
    "KiaPage",
    "Rounds",
    "area_deworming_months",
    "deworming_months",
    "due_for_children",
    "due_today",
    "kia_page",
    "load_rounds",
    "set_deworming_months",
]
