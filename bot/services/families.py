"""Families the TPK accompany: calon pengantin, pregnant women and mothers after birth, and the newborn linked to
the mother. Records (checks, ANC, postnatal and home visits, the birth) go through here; each value with a risk
flag (bot.growth.maternal: KEK, anaemia) opens or extends the woman's follow-up case, like a child's status does.

A woman's data is health data: every reader first gets a `FamilyScope` (her TPK, the health workers of her area,
the coordinators above; never cadres, parents or sponsors: bot.services.access), and every write is audited.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.growth import case_rules as rules
from bot.growth import maternal as mat
from bot.growth.case_rules import CaseState, CloseReason, CountedMonth
from bot.services import access
from bot.services import cases as case_svc
from bot.services.record_choices import CATIN, POSTPARTUM, PREGNANT
from storage import ChildCreate, Repositories, Role, Sex
from storage import case_queries as cq
from storage import family_queries as q
from storage.family_queries import Pregnancy, Woman, WomanVisit

log = logging.getLogger(__name__)

FAMILY_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.HEALTH_WORKER, Role.TPK})


class FamilyRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class FamilyScope:
    principal: access.Principal
    posyandu_ids: tuple[int, ...]

    @property
    def user_id(self) -> int:
        return self.principal.user_id

    @property
    def may_record(self) -> bool:
        return self.principal.role in (Role.ADMIN, Role.HEALTH_WORKER, Role.TPK)


async def family_scope(repos: Repositories, user_id: int, admin_ids: Collection[int]) -> FamilyScope | None:
    p = await case_svc.principal_of(repos, user_id, admin_ids)
    if p is None or not p.active or p.role not in FAMILY_ROLES:
        return None
    ids = await access.case_posyandu_ids(repos, p)
    if ids is None:
        ids = [x.id for x in await repos.posyandu.list_all()]
    return FamilyScope(p, tuple(ids))


async def may_view(repos: Repositories, p: access.Principal, woman: Woman) -> bool:
    return access.can_view_woman(p, await access.place_of_posyandu(repos, woman.posyandu_id))


async def may_change(repos: Repositories, p: access.Principal, posyandu_id: int) -> bool:
    return access.can_change_woman(p, await access.place_of_posyandu(repos, posyandu_id))


# ------------------------------------------------------------------ where a woman is


def current_pregnancy(pregnancies: Sequence[Pregnancy]) -> Pregnancy | None:
    return next((p for p in reversed(pregnancies) if p.ongoing), None)


def last_birth(pregnancies: Sequence[Pregnancy]) -> Pregnancy | None:
    return next((p for p in reversed(pregnancies) if p.outcome == "birth" and p.ended_on is not None), None)


def group_of(woman: Woman, pregnancies: Sequence[Pregnancy], on: dt.date) -> str | None:
    """Her group on `on`: pregnant, after birth (42 days, nifas), catin (not pregnant yet), or none."""
    if any(p.ongoing and (p.lmp is None or p.lmp <= on) and p.created_at.date() <= on for p in pregnancies):
        return PREGNANT
    for p in pregnancies:
        if p.outcome == "birth" and p.ended_on is not None and 0 <= (on - p.ended_on).days <= mat.POSTPARTUM_DAYS:
            return POSTPARTUM
    if woman.catin and not any(p.created_at.date() <= on for p in pregnancies):
        return CATIN
    return None


def pregnant_on(pregnancies: Sequence[Pregnancy], on: dt.date) -> Pregnancy | None:
    for p in pregnancies:
        if p.lmp is not None and p.lmp <= on and (p.ended_on is None or on < p.ended_on):
            return p
    return None


def latest_values(visits: Sequence[WomanVisit]) -> tuple[WomanVisit | None, WomanVisit | None]:
    """The newest visit with a LiLA and the newest with an Hb."""
    muac = next((v for v in reversed(visits) if v.muac_cm is not None), None)
    hb = next((v for v in reversed(visits) if v.hb_g_dl is not None), None)
    return muac, hb


def flags_of(visit: WomanVisit, pregnancies: Sequence[Pregnancy]) -> tuple[str, ...]:
    pregnant = pregnant_on(pregnancies, visit.visited_on) is not None
    return tuple(r.value for r in mat.risk_flags(visit.muac_cm, visit.hb_g_dl, pregnant=pregnant))


# ------------------------------------------------------------------ the woman's card


@dataclass(frozen=True)
class WomanView:
    woman: Woman
    posyandu_name: str
    pregnancies: list[Pregnancy]
    visits: list[WomanVisit]
    group: str | None
    case: cq.CaseRow | None
    may_record: bool
    today: dt.date

    @property
    def pregnancy(self) -> Pregnancy | None:
        return current_pregnancy(self.pregnancies)

    @property
    def birth(self) -> Pregnancy | None:
        return last_birth(self.pregnancies)

    @property
    def flags(self) -> tuple[str, ...]:
        muac, hb = latest_values(self.visits)
        pregnant = self.group == PREGNANT
        return tuple(r.value for r in mat.risk_flags(muac.muac_cm if muac else None, hb.hb_g_dl if hb else None,
                                                     pregnant=pregnant))

    def anc(self) -> mat.AncSummary | None:
        p = self.pregnancy
        if p is None or p.lmp is None:
            return None
        return mat.anc_summary(p.lmp, [(v.visited_on, v.by_doctor) for v in self.visits
                                       if v.kind == "anc" and v.pregnancy_id == p.id])

    def ttd_total(self) -> int:
        p = self.pregnancy
        return sum(v.ttd_tablets or 0 for v in self.visits if p is not None and v.pregnancy_id == p.id)

    def kf_done(self) -> set[int]:
        b = self.birth
        return {v.kf for v in self.visits if b is not None and v.pregnancy_id == b.id and v.kf is not None}

    def forms(self) -> list[str]:
        """The records that fit her group now (the card's buttons)."""
        if not self.may_record:
            return []
        if self.group == PREGNANT:
            return ["anc", "home", "birth"]
        if self.group == POSTPARTUM:
            return ["postnatal", "home"]
        return ["check", "home", "pregnancy"]


async def woman_view(repos: Repositories, p: access.Principal, woman_id: int, today: dt.date) -> WomanView | None:
    """Her card's data, or None when she does not exist or the caller may not see her."""
    woman = await q.get_woman(repos.db, woman_id)
    if woman is None or not await may_view(repos, p, woman):
        return None
    pregnancies = (await q.pregnancies_of(repos.db, [woman.id]))[woman.id]
    visits = await q.visits_of(repos.db, woman.id)
    posyandu = await repos.posyandu.get(woman.posyandu_id)
    return WomanView(woman=woman, posyandu_name=posyandu.name, pregnancies=pregnancies, visits=visits,
                     group=group_of(woman, pregnancies, today), case=await cq.open_case_of_woman(repos.db, woman.id),
                     may_record=await may_change(repos, p, woman.posyandu_id), today=today)


@dataclass(frozen=True)
class WomanItem:
    woman: Woman
    group: str | None
    case: cq.CaseRow | None


async def list_women(repos: Repositories, scope: FamilyScope, today: dt.date) -> list[WomanItem]:
    """The women of the scope with their group now and open case: at risk first, then by name."""
    women = await q.women_in(repos.db, scope.posyandu_ids)
    pregnancies = await q.pregnancies_of(repos.db, [w.id for w in women])
    open_cases = {c.woman_id: c for c in await cq.cases_in(repos.db, scope.posyandu_ids, women=True)
                  if c.woman_id is not None}
    items = [WomanItem(w, group_of(w, pregnancies.get(w.id, []), today), open_cases.get(w.id)) for w in women]
    items.sort(key=lambda i: (i.case is None, i.woman.name.casefold(), i.woman.id))
    return items


# ------------------------------------------------------------------ writes


@dataclass(frozen=True)
class Registration:
    name: str
    birth_date: dt.date | None
    posyandu_id: int
    group: str
    lmp: dt.date | None = None
    delivered_on: dt.date | None = None


async def register(repos: Repositories, p: access.Principal, reg: Registration, today: dt.date) -> Woman:
    if not await may_change(repos, p, reg.posyandu_id):
        raise FamilyRefused("not_allowed")
    lmp = mat.check_lmp(reg.lmp, today) if reg.group == PREGNANT and reg.lmp else None
    delivered = mat.check_recent_birth(reg.delivered_on, today) if reg.group == POSTPARTUM and reg.delivered_on \
        else None
    woman = await q.create_woman(repos.db, q.WomanCreate(
        name=reg.name, birth_date=reg.birth_date, posyandu_id=reg.posyandu_id, catin=reg.group == CATIN, lmp=lmp,
        due_date=mat.due_date(lmp) if lmp else None, delivered_on=delivered, created_by=p.user_id))
    log.info("woman %s registered by user %s (%s)", woman.id, p.user_id, reg.group)
    return woman


async def _writable(repos: Repositories, p: access.Principal, woman_id: int) -> tuple[Woman, list[Pregnancy]]:
    woman = await q.get_woman(repos.db, woman_id)
    if woman is None:
        raise FamilyRefused("not_found")
    if not await may_change(repos, p, woman.posyandu_id):
        raise FamilyRefused("not_allowed")
    return woman, (await q.pregnancies_of(repos.db, [woman.id]))[woman.id]


@dataclass(frozen=True)
class VisitInput:
    kind: str  # check, anc, postnatal, home
    on: dt.date
    muac_cm: Decimal | None = None
    hb: Decimal | None = None
    by_doctor: bool = False
    ttd_tablets: int | None = None
    family_planning: str | None = None
    counselling: bool = False
    checklist: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Recorded:
    visit: WomanVisit
    flags: tuple[str, ...]
    case: cq.CaseRow | None  # her open case after this record
    past_due: bool = False


async def record_visit(repos: Repositories, p: access.Principal, woman_id: int, v: VisitInput,
                       today: dt.date) -> Recorded:
    """Save a check or visit (dates and values checked against her pregnancy: MaternalInputError) and act on its
    risk flags."""
    woman, pregnancies = await _writable(repos, p, woman_id)
    pregnancy = current_pregnancy(pregnancies)
    pregnancy_id, kf, past_due = None, None, False
    if v.on > today:
        raise mat.MaternalInputError("date_future")
    if v.kind == "anc" and (pregnancy is None or pregnancy.lmp is None):
        raise FamilyRefused("not_pregnant")
    if v.kind == "postnatal":
        birth = last_birth(pregnancies)
        if birth is None or birth.ended_on is None:
            raise FamilyRefused("no_birth")
        kf = mat.check_postnatal(v.on, birth.ended_on, today)
        pregnancy_id = birth.id
    elif pregnancy is not None and pregnancy.lmp is not None and v.on >= pregnancy.lmp:
        mat.check_pregnancy_date(v.on, pregnancy.lmp, today)
        pregnancy_id, past_due = pregnancy.id, mat.past_due(v.on, pregnancy.lmp)
    muac = mat.check_muac(v.muac_cm) if v.muac_cm is not None else None
    hb = mat.check_hb(v.hb) if v.hb is not None else None
    if v.ttd_tablets is not None and not mat.TTD_RANGE[0] <= v.ttd_tablets <= mat.TTD_RANGE[1]:
        raise mat.MaternalInputError("ttd_impossible", low=mat.TTD_RANGE[0], high=mat.TTD_RANGE[1])
    visit = await q.add_visit(repos.db, q.VisitCreate(
        woman_id=woman.id, pregnancy_id=pregnancy_id, kind=v.kind, visited_on=v.on,
        muac_cm=float(muac) if muac is not None else None, hb_g_dl=float(hb) if hb is not None else None,
        by_doctor=v.by_doctor, ttd_tablets=v.ttd_tablets, kf=kf, family_planning=v.family_planning,
        counselling=v.counselling, checklist=v.checklist, note=v.note, entered_by=p.user_id))
    flags = flags_of(visit, pregnancies)
    case = await _follow_flags(repos, p, woman, pregnancies, visit, flags, today)
    if v.kind == "home" and case is not None and case.is_open:
        # The home visit is also an action on her open case (it meets the case's deadline); one dated before the
        # case opened is only a visit.
        with contextlib.suppress(case_svc.CaseRefused):
            case = await case_svc.record(repos, p, case.id, case_svc.ActionInput(
                rules.Action.VISIT, v.on, checklist=v.checklist, note=v.note), today=today)
    return Recorded(visit=visit, flags=flags, case=case if case is None or case.is_open else None,
                    past_due=past_due)


async def _follow_flags(repos: Repositories, p: access.Principal, woman: Woman, pregnancies: Sequence[Pregnancy],
                        visit: WomanVisit, flags: Sequence[str], today: dt.date) -> cq.CaseRow | None:
    """Open or extend her case on risk flags; close it when two consecutive months of checks are back in range."""
    case = await cq.open_case_of_woman(repos.db, woman.id)
    now = repos.db.now()
    measured = visit.muac_cm is not None or visit.hb_g_dl is not None
    if flags and (today - visit.visited_on).days <= case_svc.LOOK_BACK_DAYS:
        if case is None:
            return await case_svc.open_for(repos, woman_id=woman.id, posyandu_id=woman.posyandu_id, reasons=flags,
                                           now=now, today=today, actor=p)
        await case_svc.add_reasons(repos, case, flags, now=now, today=today, actor=p)
    elif case is not None and measured and not flags:
        by_month: dict[dt.date, WomanVisit] = {}
        for v in await q.visits_of(repos.db, woman.id):
            if v.muac_cm is not None or v.hb_g_dl is not None:
                by_month[v.visited_on.replace(day=1)] = v
        months = [CountedMonth(m, bool(flags_of(v, pregnancies))) for m, v in by_month.items()]
        if rules.recovered(months, case.opened_month):
            await cq.record_action(repos.db, cq.ActionWrite(
                case_id=case.id, kind="recovered", on_date=today, at=now, actor_id=None, actor_role=None,
                new_state=CaseState.CLOSED.value, closed_reason=CloseReason.RECOVERED.value,
                counts_as_action=False))
    return await cq.open_case_of_woman(repos.db, woman.id)


async def start_pregnancy(repos: Repositories, p: access.Principal, woman_id: int, lmp: dt.date,
                          today: dt.date) -> Pregnancy:
    woman, pregnancies = await _writable(repos, p, woman_id)
    if current_pregnancy(pregnancies) is not None:
        raise FamilyRefused("already_pregnant")
    mat.check_lmp(lmp, today)
    await q.add_pregnancy(repos.db, woman.id, lmp, mat.due_date(lmp), p.user_id)
    found = current_pregnancy((await q.pregnancies_of(repos.db, [woman.id]))[woman.id])
    assert found is not None
    return found


@dataclass(frozen=True)
class BirthInput:
    on: dt.date
    sex: Sex
    weight_kg: Decimal
    length_cm: Decimal
    baby_name: str | None = None  # None: "Bayi Ny. <mother>"
    child_code: str | None = None  # the baby is already registered with this code


async def record_birth(repos: Repositories, p: access.Principal, woman_id: int, b: BirthInput,
                       today: dt.date) -> int:
    """End her pregnancy with the birth and link the baby: a new child of her posyandu, or the child registered
    under `child_code` (same posyandu). Returns the child's id."""
    woman, pregnancies = await _writable(repos, p, woman_id)
    pregnancy = current_pregnancy(pregnancies)
    if pregnancy is None:
        raise FamilyRefused("not_pregnant")
    mat.check_birth(b.on, pregnancy.lmp, today)
    weight, length = mat.check_birth_weight(b.weight_kg), mat.check_birth_length(b.length_cm)
    existing = None
    if b.child_code:
        found = await repos.children.get_by_code(b.child_code)
        if found is None or found.posyandu_id != woman.posyandu_id:
            raise FamilyRefused("child_not_found")
        if found.birth_date != b.on:
            raise FamilyRefused("child_other_birth_date")
        existing = found.id
    child = None if existing is not None else ChildCreate(
        name=b.baby_name or f"Bayi Ny. {woman.name}"[:120], sex=b.sex, birth_date=b.on, posyandu_id=woman.posyandu_id,
        guardian_name=woman.name, birth_weight_kg=float(weight), birth_length_cm=float(length), created_by=p.user_id)
    child_id = await q.record_birth(repos, q.Birth(
        pregnancy_id=pregnancy.id, woman_id=woman.id, delivered_on=b.on, child=child, existing_child_id=existing,
        birth_weight_kg=float(weight), birth_length_cm=float(length), actor_id=p.user_id))
    log.info("birth recorded for woman %s by user %s: child %s", woman.id, p.user_id, child_id)
    return child_id


__all__ = [
    "CATIN", "POSTPARTUM", "PREGNANT", "BirthInput", "FamilyRefused", "FamilyScope", "Recorded", "Registration",
    "VisitInput", "WomanItem", "WomanView", "current_pregnancy", "family_scope", "flags_of", "group_of",
    "last_birth", "list_women", "may_change", "may_view", "pregnant_on", "record_birth", "record_visit", "register",
    "start_pregnancy", "woman_view",
]
