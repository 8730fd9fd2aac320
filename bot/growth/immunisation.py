"""The national immunisation schedule as data (Kemenkes, as of 2024), and what is due for a child on a day.

Sources (docs/clinical-rules.md §7):
- KMK HK.01.07/MENKES/2015/2023, Petunjuk Teknis Integrasi Pelayanan Kesehatan Primer (Juknis ILP), klaster 2,
  "Imunisasi rutin": the ages of every dose, and "OPV, DPT-HB-Hib, RV dan PCV: 1 bulan setelah imunisasi
  sebelumnya"; PCV3 > 8 weeks after PCV2; DPT-HB-Hib 4 > 12 months after dose 3; MR2 > 6 months after MR1.
- Surat Dirjen P2P IM.02.02/C/3052/2023 (rotavirus nationally from 15 August 2023): 3 oral doses at 2, 3 and 4
  months, at least 4 weeks apart, the last dose by 6 months 29 days.
- KMK HK.01.07/MENKES/1453/2022 and the Dirjen P2P letter of 31 May 2023 (IPV2 nationally from June 2023): at
  9 months with MR, at least 4 months after IPV1; catch-up for children who missed it until 59 months.
- PCV catch-up (Kemenkes PCV introduction material, 2022): missed PCV1/PCV2 may be given until 24 months,
  PCV3 until 24 months.
- Catch-up (imunisasi kejar) of the other doses: until 59 months (Kemenkes BIAN 2022, "anak usia 12-59 bulan
  untuk melengkapi status imunisasi"); BCG only before 12 months (Buku KIA schedule table: "tidak
  diperbolehkan" from 12 months). A missed dose is caught up, never restarted.
Minimum ages for the first doses at 2 months: 6 weeks (WHO position papers; the Buku KIA table marks 0-1 month
as not allowed, which 6 weeks falls inside of as a completed month).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.growth._i18n import N_

UNDER_FIVE_MONTHS = 60  # catch-up "until 59 months": before the fifth birthday


@dataclass(frozen=True)
class Dose:
    code: str  # stable key, stored with a record: "RV1", "IPV2", ...
    antigen: str  # "RV", "IPV", ...: doses of one antigen follow each other
    number: int
    label: str  # msgid of the name parents and cadres read
    due_months: int  # the age the schedule gives
    min_days: int  # not before this age
    until_months: int | None  # not from this age on (None: the under-five limit); the catch-up window ends here
    until_extra_days: int = 0  # RV: "6 bulan 29 hari" = 6 months plus 29 days
    min_interval_days: int = 0  # after the previous dose of the same antigen
    regional: bool = False  # JE: only in endemic districts
    at_facility: bool = False  # HB0: given at birth where the baby is born, not reminded


SCHEDULE: tuple[Dose, ...] = (
    Dose("HB0", "HB0", 0, N_("Hepatitis B birth dose (HB0)"), 0, 0, None, until_extra_days=7, at_facility=True),
    Dose("BCG", "BCG", 1, "BCG", 1, 0, 12),
    Dose("OPV1", "OPV", 1, N_("OPV 1 (polio drops)"), 1, 0, None),
    Dose("DPT1", "DPT-HB-Hib", 1, "DPT-HB-Hib 1", 2, 42, None),
    Dose("OPV2", "OPV", 2, N_("OPV 2 (polio drops)"), 2, 42, None, min_interval_days=28),
    Dose("PCV1", "PCV", 1, "PCV 1", 2, 42, 24),
    Dose("RV1", "RV", 1, N_("Rotavirus 1 (drops)"), 2, 42, 6, until_extra_days=29),
    Dose("DPT2", "DPT-HB-Hib", 2, "DPT-HB-Hib 2", 3, 70, None, min_interval_days=28),
    Dose("OPV3", "OPV", 3, N_("OPV 3 (polio drops)"), 3, 70, None, min_interval_days=28),
    Dose("PCV2", "PCV", 2, "PCV 2", 3, 70, 24, min_interval_days=28),
    Dose("RV2", "RV", 2, N_("Rotavirus 2 (drops)"), 3, 70, 6, until_extra_days=29, min_interval_days=28),
    Dose("DPT3", "DPT-HB-Hib", 3, "DPT-HB-Hib 3", 4, 98, None, min_interval_days=28),
    Dose("OPV4", "OPV", 4, N_("OPV 4 (polio drops)"), 4, 98, None, min_interval_days=28),
    Dose("IPV1", "IPV", 1, N_("IPV 1 (polio injection)"), 4, 98, None),
    Dose("RV3", "RV", 3, N_("Rotavirus 3 (drops)"), 4, 98, 6, until_extra_days=29, min_interval_days=28),
    Dose("MR1", "MR", 1, N_("MR 1 (measles-rubella)"), 9, 270, None),
    Dose("IPV2", "IPV", 2, N_("IPV 2 (polio injection)"), 9, 270, None, min_interval_days=120),
    Dose("JE", "JE", 1, N_("JE (Japanese encephalitis)"), 10, 300, None, regional=True),
    Dose("PCV3", "PCV", 3, N_("PCV 3 (booster)"), 12, 365, 24, min_interval_days=56),
    Dose("DPT4", "DPT-HB-Hib", 4, N_("DPT-HB-Hib 4 (booster)"), 18, 540, None, min_interval_days=365),
    Dose("MR2", "MR", 2, N_("MR 2 (booster)"), 18, 540, None, min_interval_days=180),
)
BY_CODE = {d.code: d for d in SCHEDULE}


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of the month `months` later (the month's last day when it is shorter)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(dose: Dose, birth: dt.date) -> dt.date:
    return max(add_months(birth, dose.due_months), birth + dt.timedelta(days=dose.min_days))


def last_date(dose: Dose, birth: dt.date) -> dt.date:
    """The last day the dose may still be given (the catch-up limit)."""
    if dose.until_months is None:
        if dose.until_extra_days and dose.due_months == 0:  # HB0: within its days after birth
            return birth + dt.timedelta(days=dose.until_extra_days)
        return add_months(birth, UNDER_FIVE_MONTHS) - dt.timedelta(days=1)
    if dose.until_extra_days:  # "6 bulan 29 hari"
        return add_months(birth, dose.until_months) + dt.timedelta(days=dose.until_extra_days)
    return add_months(birth, dose.until_months) - dt.timedelta(days=1)


class DoseState(StrEnum):
    GIVEN = "given"
    NOT_YET = "not_yet"  # before its due date
    DUE = "due"  # due now (from the due date, within a month)
    OVERDUE = "overdue"  # more than a month late, still allowed: catch up
    MISSED = "missed"  # past its last date: no longer given


OVERDUE_AFTER_DAYS = 30


@dataclass(frozen=True)
class DoseStatus:
    dose: Dose
    state: DoseState
    due_on: dt.date
    last_on: dt.date


def dose_states(birth: dt.date, on: dt.date, given: Collection[str] = (), *,
                regional: bool = False) -> list[DoseStatus]:
    """Every dose of the schedule for a child born on `birth`, as of `on` (`given`: codes recorded)."""
    out = []
    for dose in SCHEDULE:
        if dose.regional and not regional:
            continue
        due, last = due_date(dose, birth), last_date(dose, birth)
        if dose.code in given:
            state = DoseState.GIVEN
        elif on > last:
            state = DoseState.MISSED
        elif on < due:
            state = DoseState.NOT_YET
        elif (on - due).days > OVERDUE_AFTER_DAYS:
            state = DoseState.OVERDUE
        else:
            state = DoseState.DUE
        out.append(DoseStatus(dose, state, due, last))
    return out


def doses_due_at(months: int) -> list[Dose]:
    """The doses the schedule gives at `months` (for a reminder at that age), regional ones left out."""
    return [d for d in SCHEDULE if d.due_months == months and not d.regional and not d.at_facility]


def reminder_months() -> list[int]:
    """The ages (months) at which the schedule has a dose to remind parents of."""
    return sorted({d.due_months for d in SCHEDULE if not d.regional and not d.at_facility})


# Doses whose catch-up window closes before the fifth birthday: parents are reminded before it closes.
DEADLINE_DOSES: tuple[Dose, ...] = tuple(d for d in SCHEDULE if d.until_months is not None and not d.at_facility)
DEADLINE_NOTICE_DAYS = 30


# ------------------------------------------------------------------ vitamin A (Juknis ILP 2023; Permenkes 21/2015)

VITAMIN_A_MONTHS = (2, 8)  # February and August ("bulan vitamin A"); a year's round can be moved (2023: October)
VITAMIN_A_FROM_MONTHS = 6
VITAMIN_A_RED_FROM_MONTHS = 12


class Capsule(StrEnum):
    BLUE = "blue"  # 100.000 IU, 6-11 months
    RED = "red"  # 200.000 IU, 12-59 months


def completed_months(birth: dt.date, on: dt.date) -> int:
    """Completed calendar months (as the Buku KIA counts them)."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    return months - 1 if on.day < birth.day else months


def vitamin_a_capsule(birth: dt.date, session_day: dt.date) -> Capsule | None:
    """The capsule for a child on the day of the session (its age that day decides): blue at 6-11 months, red at
    12-59 months; None outside 6-59 months."""
    months = completed_months(birth, session_day)
    if months < VITAMIN_A_FROM_MONTHS or months >= UNDER_FIVE_MONTHS:
        return None
    return Capsule.BLUE if months < VITAMIN_A_RED_FROM_MONTHS else Capsule.RED


__all__ = [
    "BY_CODE", "DEADLINE_DOSES", "SCHEDULE", "VITAMIN_A_MONTHS", "Capsule", "Dose", "DoseState", "DoseStatus",
    "add_months", "completed_months", "dose_states", "doses_due_at", "due_date", "last_date", "reminder_months",
    "vitamin_a_capsule",
]
