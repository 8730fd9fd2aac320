"""Women before and around birth (pure): KEK and anaemia flags, gestational age and due date, ANC and postnatal
schedules, and which values are impossible. Used by the TPK journey (bot.services.families).

Every threshold and schedule cites its source here and in docs/cases.md §4 (tests check each at its boundary):
- **Juknis ILP 2023**: KMK HK.01.07/MENKES/2015/2023, Petunjuk Teknis Integrasi Pelayanan Kesehatan Primer:
  KEK = LiLA < 23,5 cm; ANC at least 6 times (1 in trimester 1 (0-12 weeks), 2 in trimester 2 (> 12-24 weeks), 3
  in trimester 3 (> 24 weeks)), with a doctor at least twice (K1 in trimester 1, K5 in trimester 3); postnatal
  visits KF1 6-48 hours, KF2 3-7 days, KF3 8-28 days, KF4 29-42 days; neonatal visits KN1 6-48 hours, KN2 3-7 days,
  KN3 8-28 days.
- **WHO 2011**: Haemoglobin concentrations for the diagnosis of anaemia and assessment of severity
  (WHO/NMH/NHD/MNM/11.1), table 1: anaemia in pregnancy Hb < 11,0 g/dL; non-pregnant women (15 years and over)
  < 12,0 g/dL; severe anaemia < 7,0 g/dL (pregnant) / < 8,0 g/dL (non-pregnant; we use 7 for both, the lower
  one, so "severe" means the same in every group).
- **Naegele's rule** (as taught in Indonesian midwifery and printed in the Buku KIA): due date (HPL) = HPHT + 7
  days, - 3 months, + 1 year, i.e. HPHT + 7 days + 9 months.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.growth.case_rules import WomanReason

KEK_MUAC_CM = Decimal("23.5")  # Juknis ILP 2023: "LiLA < 23,5 cm"
ANAEMIA_HB_PREGNANT = Decimal("11")  # WHO 2011: pregnant women < 11,0 g/dL
# Catin and mothers after birth are not pregnant: WHO 2011 puts anaemia at < 12,0 g/dL for non-pregnant women.
# BKKBN's head named < 11 g/dL for catin at risk of a stunted baby (statement of 17 October 2022); we follow WHO
# (docs/cases.md §4.2: the flag opens a case for counselling and iron, where a missed mild anaemia costs more).
ANAEMIA_HB_NOT_PREGNANT = Decimal("12")
SEVERE_ANAEMIA_HB = Decimal("7")  # WHO 2011: severe anaemia in pregnancy < 7,0 g/dL

# What a person can have at all: outside these a typed value is a mistake, refused (not flagged).
MUAC_RANGE = (Decimal("14"), Decimal("50"))  # cm; adult LiLA below ~16 cm is extreme wasting, 50 extreme obesity
HB_RANGE = (Decimal("3"), Decimal("20"))  # g/dL
BIRTH_WEIGHT_RANGE = (Decimal("0.5"), Decimal("6"))  # kg: live births under 500 g or over 6 kg are not seen
BIRTH_LENGTH_RANGE = (Decimal("30"), Decimal("60"))  # cm
TTD_RANGE = (0, 180)  # iron tablets handed over at one visit (a pregnancy needs about 90: no primary source found)
WOMAN_AGE_RANGE = (10, 60)  # years

TERM_DAYS = 280
MAX_REGISTER_GA_DAYS = 44 * 7  # HPHT more than 44 weeks ago cannot be an ongoing pregnancy (issue 16)
# A pregnancy event (ANC, a check) dated after 42 weeks: WHO calls >= 42 weeks post-term; a visit between the due
# date and 42 weeks is real (about one pregnancy in ten goes past the due date), later ones are a wrong date.
POST_TERM_DAYS = 42 * 7
MIN_BIRTH_GA_DAYS = 20 * 7  # before 20 weeks it is a pregnancy loss (abortus), not a birth (Kemenkes definition)
POSTPARTUM_DAYS = 42  # nifas: KF4 ends at day 42 (Juknis ILP 2023)

TRIMESTER_1_LAST_DAY = 12 * 7  # "trimester ke-1 (0-12 minggu)"
TRIMESTER_2_LAST_DAY = 24 * 7  # "trimester ke-2 (> 12 minggu - 24 minggu)"
ANC_TARGET: dict[int, int] = {1: 1, 2: 2, 3: 3}  # visits per trimester (Juknis ILP 2023)
ANC_MINIMUM = 6
DOCTOR_TRIMESTERS = (1, 3)  # K1 and K5 with a doctor

# (visit number, first day, last day) after the day of birth (day 0). Hours become days: 6-48 hours is the day of
# birth to day 2 (48 hours after a birth late on day 0 ends on day 2).
KF_WINDOWS: tuple[tuple[int, int, int], ...] = ((1, 0, 2), (2, 3, 7), (3, 8, 28), (4, 29, 42))
KN_WINDOWS: tuple[tuple[int, int, int], ...] = ((1, 0, 2), (2, 3, 7), (3, 8, 28))


class MaternalInputError(ValueError):
    """A value or date that cannot be right; `code` names the problem, `params` what the message shows."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# ------------------------------------------------------------------ values


def check_muac(value: Decimal) -> Decimal:
    if not MUAC_RANGE[0] <= value <= MUAC_RANGE[1]:
        raise MaternalInputError("muac_impossible", value=value, low=MUAC_RANGE[0], high=MUAC_RANGE[1])
    return value


def check_hb(value: Decimal) -> Decimal:
    if not HB_RANGE[0] <= value <= HB_RANGE[1]:
        raise MaternalInputError("hb_impossible", value=value, low=HB_RANGE[0], high=HB_RANGE[1])
    return value


def check_birth_weight(value: Decimal) -> Decimal:
    if not BIRTH_WEIGHT_RANGE[0] <= value <= BIRTH_WEIGHT_RANGE[1]:
        raise MaternalInputError("birth_weight_impossible", value=value, low=BIRTH_WEIGHT_RANGE[0],
                                 high=BIRTH_WEIGHT_RANGE[1])
    return value


def check_birth_length(value: Decimal) -> Decimal:
    if not BIRTH_LENGTH_RANGE[0] <= value <= BIRTH_LENGTH_RANGE[1]:
        raise MaternalInputError("birth_length_impossible", value=value, low=BIRTH_LENGTH_RANGE[0],
                                 high=BIRTH_LENGTH_RANGE[1])
    return value


def check_woman_birth_date(birth: dt.date, today: dt.date) -> dt.date:
    age = age_years(birth, today)
    if birth > today or not WOMAN_AGE_RANGE[0] <= age <= WOMAN_AGE_RANGE[1]:
        raise MaternalInputError("woman_age_impossible", age=age, low=WOMAN_AGE_RANGE[0], high=WOMAN_AGE_RANGE[1])
    return birth


def risk_flags(muac_cm: Decimal | float | None, hb: Decimal | float | None, *, pregnant: bool
               ) -> tuple[WomanReason, ...]:
    """The risk flags of one check, most urgent first."""
    found: list[WomanReason] = []
    hb_d = None if hb is None else Decimal(str(hb))
    if hb_d is not None and hb_d < SEVERE_ANAEMIA_HB:
        found.append(WomanReason.SEVERE_ANAEMIA)
    if muac_cm is not None and Decimal(str(muac_cm)) < KEK_MUAC_CM:
        found.append(WomanReason.KEK)
    threshold = ANAEMIA_HB_PREGNANT if pregnant else ANAEMIA_HB_NOT_PREGNANT
    if hb_d is not None and SEVERE_ANAEMIA_HB <= hb_d < threshold:
        found.append(WomanReason.ANAEMIA)
    return tuple(found)


# ------------------------------------------------------------------ dates of a pregnancy


def add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def due_date(lmp: dt.date) -> dt.date:
    """Naegele's rule: HPHT + 7 days - 3 months + 1 year."""
    return add_months(lmp + dt.timedelta(days=7), 9)


def gestational_days(lmp: dt.date, on: dt.date) -> int:
    return (on - lmp).days


def weeks_days(days: int) -> tuple[int, int]:
    return divmod(days, 7)


def trimester(days: int) -> int:
    if days <= TRIMESTER_1_LAST_DAY:
        return 1
    if days <= TRIMESTER_2_LAST_DAY:
        return 2
    return 3


def check_lmp(lmp: dt.date, today: dt.date) -> dt.date:
    """HPHT of an ongoing pregnancy: not in the future, not more than 44 weeks ago."""
    if lmp > today:
        raise MaternalInputError("lmp_future")
    days = gestational_days(lmp, today)
    if days > MAX_REGISTER_GA_DAYS:
        weeks, _ = weeks_days(days)
        raise MaternalInputError("lmp_too_old", weeks=weeks, limit=MAX_REGISTER_GA_DAYS // 7)
    return lmp


def check_pregnancy_date(on: dt.date, lmp: dt.date, today: dt.date) -> dt.date:
    """A date of something during the pregnancy (ANC, a check, a home visit)."""
    if on > today:
        raise MaternalInputError("date_future")
    if on < lmp:
        raise MaternalInputError("before_lmp", lmp=lmp)
    if gestational_days(lmp, on) > POST_TERM_DAYS:
        raise MaternalInputError("after_due", due=due_date(lmp), weeks=POST_TERM_DAYS // 7)
    return on


def past_due(on: dt.date, lmp: dt.date) -> bool:
    """Between the due date and 42 weeks: accepted, with a word to the TPK (she should give birth at a facility)."""
    return on > due_date(lmp)


def check_birth(on: dt.date, lmp: dt.date | None, today: dt.date) -> dt.date:
    if on > today:
        raise MaternalInputError("date_future")
    if lmp is not None:
        days = gestational_days(lmp, on)
        if days < MIN_BIRTH_GA_DAYS:
            raise MaternalInputError("birth_too_early", weeks=max(days, 0) // 7, limit=MIN_BIRTH_GA_DAYS // 7)
        if days > MAX_REGISTER_GA_DAYS:
            raise MaternalInputError("after_due", due=due_date(lmp), weeks=MAX_REGISTER_GA_DAYS // 7)
    return on


def check_postnatal(on: dt.date, birth: dt.date, today: dt.date) -> int:
    """The KF number of a postnatal visit on `on` (its date checked); MaternalInputError outside 0-42 days."""
    if on > today:
        raise MaternalInputError("date_future")
    if on < birth:
        raise MaternalInputError("before_birth", birth=birth)
    kf = kf_of(birth, on)
    if kf is None:
        raise MaternalInputError("after_postnatal", days=POSTPARTUM_DAYS)
    return kf


def check_recent_birth(delivered: dt.date, today: dt.date) -> dt.date:
    """Registering a mother after birth: still in the 42 days of the postnatal period."""
    if delivered > today:
        raise MaternalInputError("date_future")
    if (today - delivered).days > POSTPARTUM_DAYS:
        raise MaternalInputError("after_postnatal", days=POSTPARTUM_DAYS)
    return delivered


def _window(windows: Iterable[tuple[int, int, int]], days: int) -> int | None:
    return next((n for n, first, last in windows if first <= days <= last), None)


def kf_of(birth: dt.date, on: dt.date) -> int | None:
    return _window(KF_WINDOWS, (on - birth).days)


def kn_of(birth: dt.date, on: dt.date) -> int | None:
    return _window(KN_WINDOWS, (on - birth).days)


def kf_window(number: int, birth: dt.date) -> tuple[dt.date, dt.date]:
    _, first, last = next(w for w in KF_WINDOWS if w[0] == number)
    return birth + dt.timedelta(days=first), birth + dt.timedelta(days=last)


def age_years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# ------------------------------------------------------------------ ANC


@dataclass(frozen=True)
class AncSummary:
    """ANC visits of a pregnancy against the Juknis ILP 2023 schedule."""

    per_trimester: dict[int, int] = field(default_factory=dict)
    doctor: dict[int, bool] = field(default_factory=dict)  # a doctor visit in trimester 1 (K1) / 3 (K5)
    total: int = 0

    def missing(self, current_trimester: int) -> dict[int, int]:
        """Visits still short of the target in trimesters already begun (current one included)."""
        return {t: need - self.per_trimester.get(t, 0) for t, need in ANC_TARGET.items()
                if t <= current_trimester and self.per_trimester.get(t, 0) < need}


def anc_summary(lmp: dt.date, visits: Iterable[tuple[dt.date, bool]]) -> AncSummary:
    per: dict[int, int] = {1: 0, 2: 0, 3: 0}
    doctor = dict.fromkeys(DOCTOR_TRIMESTERS, False)
    total = 0
    for on, by_doctor in visits:
        t = trimester(gestational_days(lmp, on))
        per[t] += 1
        total += 1
        if by_doctor and t in doctor:
            doctor[t] = True
    return AncSummary(per_trimester=per, doctor=doctor, total=total)


__all__ = [
    "ANAEMIA_HB_NOT_PREGNANT", "ANAEMIA_HB_PREGNANT", "ANC_MINIMUM", "ANC_TARGET", "BIRTH_LENGTH_RANGE",
    "BIRTH_WEIGHT_RANGE", "HB_RANGE", "KEK_MUAC_CM", "KF_WINDOWS", "KN_WINDOWS", "MAX_REGISTER_GA_DAYS",
    "MUAC_RANGE", "POSTPARTUM_DAYS", "POST_TERM_DAYS", "SEVERE_ANAEMIA_HB", "AncSummary", "MaternalInputError",
    "age_years", "anc_summary", "check_birth", "check_birth_length", "check_birth_weight", "check_hb", "check_lmp",
    "check_muac", "check_postnatal", "check_pregnancy_date", "check_recent_birth", "check_woman_birth_date",
    "due_date", "gestational_days", "kf_of", "kf_window", "kn_of", "past_due", "risk_flags", "trimester",
    "weeks_days",
]
