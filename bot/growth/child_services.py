"""The rules of the services given at the posyandu: when a dose, a vitamin A capsule, a deworming tablet or a PMT
delivery may be recorded, what is due for a child on a day, and the exceptions a guideline allows. Pure data and
functions; every rule names its source here and in docs/clinical-rules.md §8.

Sources (besides those of bot.growth.immunisation, §7):
- Grace period of 4 days: CDC ACIP, General Best Practice Guidelines for Immunization, "Timing and Spacing of
  Immunobiologics" (2023 update): "vaccine doses administered ≤4 days before the minimum interval or age are
  considered valid". No Kemenkes text sets a grace period; without one a dose a day early would have to be
  repeated. A dose given earlier than that does not count and is given again (same guideline).
- Vitamin A (Juknis ILP 2023, KMK HK.01.07/MENKES/2015/2023, "Vitamin A"): 6-11 months blue 100.000 IU, 12-59
  months red 200.000 IU, in February and August; "Suplementasi vitamin A juga diberikan pada KLB campak dan
  situasi bencana" (the two exceptions a cadre may record). Infants 6-11 months get the blue capsule once (WHO,
  Guideline: Vitamin A supplementation in infants and children 6-59 months of age, 2011, table 1: "single
  dose"; Ditgizi Depkes 2005 "Apa dan Mengapa Vitamin A": "hanya satu kali").
- Deworming (Juknis ILP 2023, "Vitamin A": "Balita diberikan obat cacing minimal 1 kali tiap tahun yaitu di saat
  yang sama pada bulan Agustus setelah pemberian vitamin A"; the posyandu target is 12-59 months; dose of
  albendazole "usia 1 sampai dengan 2 tahun diberikan ½ tablet (200 mg), usia 2 sampai dengan 12 tahun 1 tablet
  (400 mg)", as the Permenkes 15/2017 programme is taught to posyandu). POPM gives it twice a year where the
  district's prevalence is high (Permenkes 15/2017): the months are data per year and area.
- PMT lokal (Kemenkes, Petunjuk Teknis PMT Berbahan Pangan Lokal untuk Balita dan Ibu Hamil, 2023): targets
  6-59 months with wasting, underweight or a weight that did not go up (T); duration by the child's problem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.growth.immunisation import (
    BY_CODE,
    SCHEDULE,
    UNDER_FIVE_MONTHS,
    Capsule,
    Dose,
    DoseState,
    completed_months,
    dose_states,
    last_date,
    vitamin_a_capsule,
)


class ServiceKind(StrEnum):
    IMMUNISATION = "immunisation"
    VITAMIN_A = "vitamin_a"
    DEWORMING = "deworming"
    PMT = "pmt"
    AID = "aid"  # other support of a program (food parcels, milk): recorded as its deliveries


class Tablet(StrEnum):
    HALF = "half"  # ½ tablet albendazole (200 mg), 12-23 months
    WHOLE = "whole"  # 1 tablet (400 mg), 24-59 months


class PmtKind(StrEnum):
    LOKAL = "lokal"  # PMT berbahan pangan lokal (meals, snacks)
    PABRIKAN = "pabrikan"  # factory biscuits (for emergencies, per the 2023 Juknis)


class Override(StrEnum):
    """An exception a guideline allows, recorded with the service (never silent)."""

    GRACE = "grace"  # a dose ≤ 4 days before the minimum age or interval (CDC ACIP grace period)
    MEASLES_OUTBREAK = "klb"  # vitamin A in a measles outbreak (Juknis ILP 2023)
    DISASTER = "bencana"  # vitamin A in a disaster (Juknis ILP 2023)


GRACE_DAYS = 4
DEWORMING_FROM_MONTHS = 12
DEWORMING_WHOLE_FROM_MONTHS = 24
DEWORMING_MONTHS: tuple[int, ...] = (8,)  # Juknis ILP 2023: at least once a year, in August
VITAMIN_A_OVERRIDES = (Override.MEASLES_OUTBREAK, Override.DISASTER)

# PMT lokal durations (days) by the child's problem: Kemenkes Juknis PMT lokal 2023 as summarised in its
# training slides ("Prinsip PMT Lokal Ibu Hamil dan Balita"): wasted 4-8 weeks, underweight 28 days, weight
# not going up (T) 14 days. Sources disagree: the 2022 Juknis (DAK 2023 briefing) gives 90 / 14 / 14 days and a
# 2025 field page 14 days for underweight. We follow the 2023 edition, at the upper end (8 weeks) for wasting,
# so that no child is stopped early; the health worker ends it sooner after weighing the child.
PMT_DAYS: dict[str, int] = {"wasted": 56, "underweight": 28, "faltering": 14}


def planned_pmt_days(*, wasted: bool, underweight: bool, faltering: bool) -> int | None:
    """The PMT lokal duration for a child's problem at enrolment (the longest that applies); None when none of
    the Juknis targets applies (e.g. stunted only: the program's own period decides)."""
    days = [PMT_DAYS[k] for k, on in (("wasted", wasted), ("underweight", underweight), ("faltering", faltering))
            if on]
    return max(days) if days else None


@dataclass(frozen=True)
class Given:
    """A current record as the rules see it."""

    kind: ServiceKind
    code: str
    given_on: dt.date
    program_id: int | None = None


@dataclass(frozen=True)
class Problem:
    """Why a service cannot be recorded on that day. `overrides`: the exceptions that would allow it."""

    code: str
    overrides: tuple[Override, ...] = ()
    on: dt.date | None = None  # the date that explains it (earliest day, last day, the earlier record)
    other: str | None = None  # the other record's code


def half_year(day: dt.date) -> tuple[int, int]:
    """The round a capsule or tablet belongs to: January-June or July-December. Rounds are held in February
    and August (a moved round stays in its half: 2023's August round was held in October)."""
    return day.year, 1 if day.month <= 6 else 2


# ------------------------------------------------------------------ words cadres type (quick entry, import)

ANTIGEN_WORDS: dict[str, str] = {
    "campak": "MR", "mr": "MR", "measles": "MR", "rubela": "MR", "mmr": "MR",
    "bcg": "BCG",
    "polio": "OPV", "opv": "OPV", "bopv": "OPV", "tetes": "OPV",
    "ipv": "IPV",
    "dpt": "DPT-HB-Hib", "pentavalen": "DPT-HB-Hib", "penta": "DPT-HB-Hib", "dpthbhib": "DPT-HB-Hib",
    "dpt-hb-hib": "DPT-HB-Hib",
    "pcv": "PCV", "pneumokokus": "PCV",
    "rota": "RV", "rv": "RV", "rotavirus": "RV",
    "hb0": "HB0", "hb": "HB0", "hepb": "HB0", "hepatitisb": "HB0",
    "je": "JE",
}


def read_vaccine(word: str) -> tuple[str, int | None] | None:
    """`campak` -> ("MR", None); `mr2` -> ("MR", 2); `dpt-hb-hib3` -> ("DPT-HB-Hib", 3); `MR1` -> ("MR", 1);
    None for a word no vaccine has. HB0 and BCG have one dose."""
    text = word.casefold().replace(" ", "").replace("_", "")
    if text in ANTIGEN_WORDS:
        return ANTIGEN_WORDS[text], None
    digits = ""
    while text and text[-1].isdigit():
        digits = text[-1] + digits
        text = text[:-1]
    text = text.rstrip("-")
    if text in ANTIGEN_WORDS and digits and len(digits) <= 2:
        return ANTIGEN_WORDS[text], int(digits)
    return None


def dose_of(antigen: str, number: int | None, given: Sequence[Given]) -> Dose | str:
    """The dose meant by an antigen (and number): the number given, else the first dose of it not yet recorded (a
    one-dose vaccine: that dose). A str is the reason there is none: "no_such_dose" or "all_given"."""
    doses = [d for d in SCHEDULE if d.antigen == antigen]
    if number is not None:
        found = next((d for d in doses if d.number == number or (len(doses) == 1 and number == 1)), None)
        return found if found is not None else "no_such_dose"
    done = {g.code for g in given if g.kind is ServiceKind.IMMUNISATION}
    if len(doses) == 1:  # BCG, HB0, JE: the one dose ("already recorded on ..." when it is)
        return doses[0]
    return next((d for d in doses if d.code not in done), "all_given")


# ------------------------------------------------------------------ checks (None: it may be recorded)


def _first(problems: Sequence[Problem], override: Override | None) -> Problem | None:
    """The first problem the override does not waive."""
    return next((p for p in problems if override is None or override not in p.overrides), None)


def _early(code: str, on: dt.date, earliest: dt.date) -> Problem:
    days = (earliest - on).days
    return Problem(code, (Override.GRACE,) if days <= GRACE_DAYS else (), on=earliest)


def earliest_on(dose: Dose, birth: dt.date, given: Sequence[Given]) -> dt.date:
    """The first day the dose may be given: its minimum age, and its minimum interval after the previous dose of the
    antigen when that dose is recorded."""
    earliest = birth + dt.timedelta(days=dose.min_days)
    prev = _previous(dose, given)
    if prev is not None and dose.min_interval_days:
        earliest = max(earliest, prev.given_on + dt.timedelta(days=dose.min_interval_days))
    return earliest


def _previous(dose: Dose, given: Sequence[Given]) -> Given | None:
    prev_code = next((d.code for d in SCHEDULE if d.antigen == dose.antigen and d.number == dose.number - 1), None)
    return next((g for g in given if g.kind is ServiceKind.IMMUNISATION and g.code == prev_code), None)


def check_dose(dose: Dose, birth: dt.date, on: dt.date, given: Sequence[Given], *,
               override: Override | None = None) -> Problem | None:
    """May `dose` be recorded as given on `on`? Refused: before birth, already recorded, a dose of the same antigen
    the same day, after its catch-up limit (never waived: BCG from 12 months "tidak diperbolehkan", rotavirus after
    6 months 29 days), before the minimum age or interval (waived only within the 4-day grace period)."""
    if on < birth:
        return Problem("before_birth")
    shots = [g for g in given if g.kind is ServiceKind.IMMUNISATION]
    prior = next((g for g in shots if g.code == dose.code), None)
    if prior is not None:
        return Problem("already_given", on=prior.given_on, other=dose.code)
    twin = next((g for g in shots if g.given_on == on and (d := BY_CODE.get(g.code)) is not None
                 and d.antigen == dose.antigen), None)
    if twin is not None:
        return Problem("same_day", on=on, other=twin.code)
    limit = last_date(dose, birth)
    if on > limit:
        return Problem("past_limit", on=limit)
    problems = []
    min_age = birth + dt.timedelta(days=dose.min_days)
    if on < min_age:
        problems.append(_early("too_young", on, min_age))
    prev = _previous(dose, given)
    if prev is not None and on < prev.given_on:
        return Problem("before_previous", on=prev.given_on, other=prev.code)
    if prev is not None and dose.min_interval_days:
        after = prev.given_on + dt.timedelta(days=dose.min_interval_days)
        if on < after:
            problems.append(_early("too_soon", on, after))
    return _first(problems, override)


def check_vitamin_a(birth: dt.date, on: dt.date, given: Sequence[Given], *,
                    override: Override | None = None) -> Problem | None:
    """A capsule on `on`: 6-59 months only (never waived); one per round (half-year) and the blue capsule once,
    unless a measles outbreak or a disaster (Juknis ILP 2023)."""
    if on < birth:
        return Problem("before_birth")
    capsule = vitamin_a_capsule(birth, on)
    if capsule is None:
        return Problem("vita_age")
    capsules = [g for g in given if g.kind is ServiceKind.VITAMIN_A]
    same_day = next((g for g in capsules if g.given_on == on), None)
    if same_day is not None:
        return Problem("same_day", on=on, other=same_day.code)
    problems = []
    this_round = next((g for g in capsules if half_year(g.given_on) == half_year(on)), None)
    if this_round is not None:
        problems.append(Problem("vita_round", VITAMIN_A_OVERRIDES, on=this_round.given_on, other=this_round.code))
    blue = next((g for g in capsules if g.code == Capsule.BLUE.value), None)
    if capsule is Capsule.BLUE and blue is not None:
        problems.append(Problem("vita_blue_once", VITAMIN_A_OVERRIDES, on=blue.given_on))
    return _first(problems, override)


def deworming_dose(birth: dt.date, on: dt.date) -> Tablet | None:
    """½ tablet at 12-23 months, 1 tablet at 24-59 months; None outside 12-59 months."""
    months = completed_months(birth, on)
    if months < DEWORMING_FROM_MONTHS or months >= UNDER_FIVE_MONTHS:
        return None
    return Tablet.HALF if months < DEWORMING_WHOLE_FROM_MONTHS else Tablet.WHOLE


def check_deworming(birth: dt.date, on: dt.date, given: Sequence[Given]) -> Problem | None:
    """A tablet on `on`: 12-59 months, once per round (half-year). No exception is recorded by a cadre: a child
    treated for worms by a health worker is the puskesmas' record."""
    if on < birth:
        return Problem("before_birth")
    if deworming_dose(birth, on) is None:
        return Problem("worm_age")
    earlier = next((g for g in given if g.kind is ServiceKind.DEWORMING and half_year(g.given_on) == half_year(on)),
                   None)
    if earlier is not None:
        return Problem("same_day" if earlier.given_on == on else "worm_round", on=earlier.given_on)
    return None


@dataclass(frozen=True)
class Enrolment:
    """A child's place in a program, as the PMT check needs it."""

    program_id: int
    starts_on: dt.date
    ends_on: dt.date
    enrolled_on: dt.date | None  # None: not enrolled
    left_on: dt.date | None = None


def check_delivery(on: dt.date, enrolment: Enrolment, given: Sequence[Given]) -> Problem | None:
    """A PMT (or other support) delivery of a program: only to an enrolled child, within the program's period and
    the child's enrolment, once a day per program. Never waived: enrol the child first."""
    if enrolment.enrolled_on is None or (enrolment.left_on is not None and on > enrolment.left_on):
        return Problem("not_enrolled")
    if not enrolment.starts_on <= on <= enrolment.ends_on:
        return Problem("outside_program", on=enrolment.starts_on if on < enrolment.starts_on else enrolment.ends_on)
    if on < enrolment.enrolled_on:
        return Problem("before_enrolment", on=enrolment.enrolled_on)
    if any(g.program_id == enrolment.program_id and g.given_on == on for g in given
           if g.kind in (ServiceKind.PMT, ServiceKind.AID)):
        return Problem("same_day", on=on)
    return None


# ------------------------------------------------------------------ what is due on a day


@dataclass(frozen=True)
class Offer:
    """A service due for the child on the day, as a button offers it."""

    kind: ServiceKind
    code: str  # dose code, capsule colour or tablet
    overdue: bool = False


def knows_history(given: Sequence[Given]) -> bool:
    """Whether the posyandu keeps this child's immunisation record here: only then is a dose missing from it called
    overdue (a child never recorded may have had every dose at the puskesmas; its book says, not the bot)."""
    return any(g.kind is ServiceKind.IMMUNISATION for g in given)


def immunisation_offers(birth: dt.date, on: dt.date, given: Sequence[Given], *,
                        regional: bool = False) -> list[Offer]:
    """Doses due on `on` (from their due date) that may be given that day; overdue ones (catch-up within the limits)
    only where the child's record is kept here. HB0 (given at birth where the baby is born) is not offered."""
    known = knows_history(given)
    codes = {g.code for g in given if g.kind is ServiceKind.IMMUNISATION}
    out = []
    for s in dose_states(birth, on, codes, regional=regional):
        if s.dose.at_facility or s.state not in (DoseState.DUE, DoseState.OVERDUE):
            continue
        if s.state is DoseState.OVERDUE and not known:
            continue
        if known and any(d.antigen == s.dose.antigen and d.number < s.dose.number and d.code not in codes
                         and not d.at_facility for d in SCHEDULE):
            continue  # catch-up goes on from the first missing dose of the vaccine, never skips one
        if check_dose(s.dose, birth, on, given) is None:
            out.append(Offer(ServiceKind.IMMUNISATION, s.dose.code, overdue=s.state is DoseState.OVERDUE))
    return out


def offers_on(birth: dt.date, on: dt.date, given: Sequence[Given], *, vitamin_a_round: bool,
              deworming_round: bool, regional: bool = False) -> list[Offer]:
    """Everything due for the child on `on`: doses, the vitamin A capsule in a round month, the deworming tablet in
    a deworming month (each only when its check passes)."""
    out = immunisation_offers(birth, on, given, regional=regional)
    capsule = vitamin_a_capsule(birth, on)
    if vitamin_a_round and capsule is not None and check_vitamin_a(birth, on, given) is None:
        out.append(Offer(ServiceKind.VITAMIN_A, capsule.value))
    tablet = deworming_dose(birth, on)
    if deworming_round and tablet is not None and check_deworming(birth, on, given) is None:
        out.append(Offer(ServiceKind.DEWORMING, tablet.value))
    return out


# ------------------------------------------------------------------ the Buku KIA page


class KiaState(StrEnum):
    GIVEN = "given"
    DUE = "due"
    OVERDUE = "overdue"  # late, still allowed (catch-up)
    MISSED = "missed"  # past its limit
    NOT_YET = "not_yet"
    UNRECORDED = "unrecorded"  # past its due date, and the child's record is not kept here: the book says


@dataclass(frozen=True)
class KiaRow:
    dose: Dose
    state: KiaState
    due_on: dt.date
    last_on: dt.date
    given_on: dt.date | None = None


def kia_rows(birth: dt.date, on: dt.date, given: Sequence[Given], *, regional: bool = False) -> list[KiaRow]:
    """Every dose of the schedule with its state on `on` (the immunisation table of the Buku KIA)."""
    known = knows_history(given)
    dates = {g.code: g.given_on for g in given if g.kind is ServiceKind.IMMUNISATION}
    rows = []
    for s in dose_states(birth, on, set(dates), regional=regional):
        state = KiaState(s.state.value)
        if not known and state in (KiaState.OVERDUE, KiaState.MISSED):
            state = KiaState.UNRECORDED
        rows.append(KiaRow(s.dose, state, s.due_on, s.last_on, dates.get(s.dose.code)))
    return rows


__all__ = [
    "ANTIGEN_WORDS", "DEWORMING_MONTHS", "GRACE_DAYS", "PMT_DAYS", "Enrolment", "Given", "KiaRow",
    "KiaState", "Offer", "Override", "PmtKind", "Problem", "ServiceKind", "Tablet", "check_delivery", "check_deworming",
    "check_dose", "check_vitamin_a", "deworming_dose", "dose_of", "earliest_on", "half_year", "immunisation_offers",
    "kia_rows", "knows_history", "offers_on", "planned_pmt_days", "read_vaccine",
]
