"""Recording the services a child gets at the posyandu (immunisation, vitamin A, deworming, PMT and other program
support), checked against bot.growth.child_services before anything is saved; corrections supersede (history kept).

Every path comes here: the buttons under the result card, the quick entry (`/catat A12 ... vita imun:campak`),
the correction buttons of `/layanan`, and the import of past doses. No telegram imports: handlers turn a
`Refused` into a message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.growth.child_services import (
    Enrolment,
    Given,
    Override,
    PmtKind,
    Problem,
    ServiceKind,
    check_delivery,
    check_deworming,
    check_dose,
    check_vitamin_a,
    deworming_dose,
    dose_of,
)
from bot.growth.immunisation import BY_CODE, vitamin_a_capsule
from bot.services.quick_entry import ServiceWord
from storage import Repositories
from storage import program_queries as pq
from storage import services_queries as sq
from storage.errors import Conflict
from storage.models import Child
from storage.services_queries import ServiceCreate, ServiceRecord

log = logging.getLogger(__name__)

# The code stored with a delivery of each program kind.
DELIVERY_CODE = {"pmt_lokal": (ServiceKind.PMT, PmtKind.LOKAL.value),
                 "pmt_pabrikan": (ServiceKind.PMT, PmtKind.PABRIKAN.value),
                 "other": (ServiceKind.AID, "aid")}


@dataclass(frozen=True)
class Wish:
    """A service a cadre asks to record. Immunisation: a dose `code`, or an `antigen` (and `number`) resolved
    against the child's records ("imun:campak" is MR 1, or MR 2 once MR 1 is recorded). Vitamin A and deworming:
    nothing else (the child's age on the day decides the capsule and the tablet). PMT/aid: the `program_id`
    and optionally the `quantity` (days or packages; default: the program's usual delivery)."""

    kind: ServiceKind
    code: str | None = None
    antigen: str | None = None
    number: int | None = None
    program_id: int | None = None
    quantity: int | None = None

    def to_key(self) -> str:
        """A short key for callback data and user_data (`MR1`, `vita`, `worm`, `p12`, `p12x14`, `MR`, `MR.2`)."""
        if self.kind is ServiceKind.IMMUNISATION:
            if self.code:
                return self.code
            return f"{self.antigen}.{self.number}" if self.number is not None else str(self.antigen)
        if self.kind is ServiceKind.VITAMIN_A:
            return "vita"
        if self.kind is ServiceKind.DEWORMING:
            return "worm"
        qty = f"x{self.quantity}" if self.quantity is not None else ""
        return f"p{self.program_id or 0}{qty}"

    @classmethod
    def from_key(cls, key: str) -> Wish | None:
        if key == "vita":
            return cls(ServiceKind.VITAMIN_A)
        if key == "worm":
            return cls(ServiceKind.DEWORMING)
        if key.startswith("p") and key[1:2].isdigit():
            program, _, qty = key[1:].partition("x")
            if program.isdigit() and (not qty or qty.isdigit()):
                return cls(ServiceKind.PMT, program_id=int(program) or None, quantity=int(qty) if qty else None)
            return None
        if key in BY_CODE:
            return cls(ServiceKind.IMMUNISATION, code=key)
        antigen, _, number = key.partition(".")
        if antigen in {d.antigen for d in BY_CODE.values()} and (not number or number.isdigit()):
            return cls(ServiceKind.IMMUNISATION, antigen=antigen, number=int(number) if number else None)
        return None


@dataclass(frozen=True)
class Recorded:
    record: ServiceRecord


@dataclass(frozen=True)
class Refused:
    wish: Wish
    problem: Problem
    code: str | None = None  # the dose (or capsule) it was about, when known


def given_of(records: Sequence[ServiceRecord]) -> list[Given]:
    return [Given(ServiceKind(r.kind), r.code, r.given_on, r.program_id) for r in records]


async def records_of(repos: Repositories, child_id: int) -> list[ServiceRecord]:
    """The child's current records, oldest first."""
    return (await sq.current_for(repos.db, [child_id]))[child_id]


async def _enrolment(repos: Repositories, child_id: int, program: pq.Program) -> Enrolment:
    found = next((e for e in (await pq.enrolments_of(repos.db, [child_id]))[child_id]
                  if e.program_id == program.id), None)
    return Enrolment(program.id, program.starts_on, program.ends_on, found.enrolled_on if found else None,
                     found.left_on if found else None)


async def check(repos: Repositories, child: Child, wish: Wish, on: dt.date, given: list[Given],
                 override: Override | None) -> tuple[ServiceCreate | None, Refused | None]:
    """What would be stored for the wish, or why it cannot be. An exception is stored only when it waived a rule
    (a dose recorded "4 days early" that was not early carries no mark)."""
    def refused(problem: Problem, code: str | None = None) -> tuple[None, Refused]:
        return None, Refused(wish, problem, code)

    def used(strict: Problem | None) -> dict[str, Any]:
        return {"child_id": child.id, "given_on": on,
                "override": override.value if override is not None and strict is not None else None}

    base = used(None)
    if wish.kind is ServiceKind.IMMUNISATION:
        if wish.code is not None:
            dose = BY_CODE.get(wish.code)
            if dose is None:
                return refused(Problem("no_such_dose"))
        else:
            found = dose_of(str(wish.antigen), wish.number, given)
            if isinstance(found, str):
                return refused(Problem(found), wish.antigen)
            dose = found
        problem = check_dose(dose, child.birth_date, on, given, override=override)
        if problem is not None:
            return refused(problem, dose.code)
        strict = check_dose(dose, child.birth_date, on, given)
        return ServiceCreate(kind=ServiceKind.IMMUNISATION.value, code=dose.code, **used(strict)), None
    if wish.kind is ServiceKind.VITAMIN_A:
        problem = check_vitamin_a(child.birth_date, on, given, override=override)
        capsule = vitamin_a_capsule(child.birth_date, on)
        if problem is not None or capsule is None:
            return refused(problem or Problem("vita_age"), capsule.value if capsule else None)
        strict = check_vitamin_a(child.birth_date, on, given)
        return ServiceCreate(kind=ServiceKind.VITAMIN_A.value, code=capsule.value, **used(strict)), None
    if wish.kind is ServiceKind.DEWORMING:
        problem = check_deworming(child.birth_date, on, given)
        tablet = deworming_dose(child.birth_date, on)
        if problem is not None or tablet is None:
            return refused(problem or Problem("worm_age"))
        return ServiceCreate(kind=ServiceKind.DEWORMING.value, code=tablet.value, **base), None
    program = await pq.get(repos.db, wish.program_id) if wish.program_id else None
    if program is None:
        return refused(Problem("not_enrolled"))
    problem = check_delivery(on, await _enrolment(repos, child.id, program), given)
    if problem is not None:
        return refused(problem, str(program.id))
    kind, code = DELIVERY_CODE[program.kind]
    quantity = wish.quantity if wish.quantity is not None else program.per_delivery
    return ServiceCreate(kind=kind.value, code=code, program_id=program.id, quantity=quantity, unit=program.unit,
                         **base), None


async def record(repos: Repositories, child: Child, wish: Wish, on: dt.date, *, by: int | None, today: dt.date,
                 source: str = "chat", override: Override | None = None,
                 records: Sequence[ServiceRecord] | None = None) -> Recorded | Refused:
    """Check and save one service given on `on`. `records`: the child's current records when just read."""
    if on > today:
        return Refused(wish, Problem("future"))
    current = list(records) if records is not None else await records_of(repos, child.id)
    item, refusal = await check(repos, child, wish, on, given_of(current), override)
    if refusal is not None:
        return refusal
    assert item is not None
    item = item.model_copy(update={"given_by": by, "source": source})
    try:
        saved = await sq.add(repos.db, item)
    except Conflict:  # a colleague (or a double tap) recorded it a moment ago
        again = given_of(await records_of(repos, child.id))
        earlier = next((g for g in again if g.code == item.code and g.kind.value == item.kind), None)
        return Refused(wish, Problem("already_given", on=earlier.given_on if earlier else on, other=item.code),
                       item.code)
    log.info("service %s (%s) recorded for child %s by %s", saved.id, saved.kind, child.id, by)
    return Recorded(saved)


async def record_many(repos: Repositories, child: Child, wishes: Sequence[Wish], on: dt.date, *, by: int | None,
                      today: dt.date, source: str = "chat") -> list[Recorded | Refused]:
    """Several services of one visit, each checked against the records including the ones just saved."""
    out: list[Recorded | Refused] = []
    current = await records_of(repos, child.id)
    for wish in wishes:
        result = await record(repos, child, wish, on, by=by, today=today, source=source, records=current)
        if isinstance(result, Recorded):
            current.append(result.record)
        out.append(result)
    return out


async def remove(repos: Repositories, record_id: int, *, by: int | None) -> ServiceRecord:
    """Take a wrong record back (a row marked removed supersedes it; the history keeps both)."""
    return await sq.supersede(repos.db, record_id, None, by)


async def change_date(repos: Repositories, child: Child, record_id: int, on: dt.date, *, by: int | None,
                      today: dt.date, override: Override | None = None) -> Recorded | Refused:
    """Correct the date of a record: checked as if the old record were not there, then superseding it."""
    old = await sq.find(repos.db, record_id)
    if old is None or not old.current or old.child_id != child.id:
        return Refused(Wish(ServiceKind.IMMUNISATION), Problem("record_changed"))
    if on > today:
        return Refused(Wish(ServiceKind(old.kind)), Problem("future"))
    others = [r for r in await records_of(repos, child.id) if r.id != record_id]
    wish = (Wish(ServiceKind.IMMUNISATION, code=old.code) if old.kind == ServiceKind.IMMUNISATION.value
            else Wish(ServiceKind(old.kind), program_id=old.program_id, quantity=old.quantity))
    item, refusal = await check(repos, child, wish, on, given_of(others), override)
    if refusal is not None:
        return refusal
    assert item is not None
    try:
        saved = await sq.supersede(repos.db, record_id, item.model_copy(update={"given_by": by}), by)
    except Conflict:
        return Refused(wish, Problem("record_changed"))
    return Recorded(saved)


async def wishes_from_words(repos: Repositories, child: Child, words: Sequence[ServiceWord], on: dt.date
                            ) -> list[Wish]:
    """The quick entry's service words as wishes. `pmt` is the delivery of the child's program running that day
    (a PMT program first); without one the wish names no program and is refused as "not enrolled"."""
    out = []
    for w in words:
        if w.kind == "vitamin_a":
            out.append(Wish(ServiceKind.VITAMIN_A))
        elif w.kind == "deworming":
            out.append(Wish(ServiceKind.DEWORMING))
        elif w.kind == "immunisation":
            out.append(Wish(ServiceKind.IMMUNISATION, antigen=w.antigen, number=w.number))
        else:
            programs = []
            for e in (await pq.enrolments_of(repos.db, [child.id]))[child.id]:
                program = await pq.get(repos.db, e.program_id) if e.active_on(on) else None
                if program is not None and program.running_on(on):
                    programs.append(program)
            programs.sort(key=lambda p: (not p.kind.startswith("pmt"), p.id))
            out.append(Wish(ServiceKind.PMT, program_id=programs[0].id if programs else None, quantity=w.quantity))
    return out


async def history_of(repos: Repositories, child_id: int) -> list[ServiceRecord]:
    """Every record of the child, corrected and removed ones included (for the audit-minded view)."""
    return await sq.history_for(repos.db, child_id)


__all__ = ["DELIVERY_CODE", "Recorded", "Refused", "Wish", "change_date", "check", "given_of", "history_of", "record",
           "record_many", "records_of", "remove", "wishes_from_words"]
