"""The one place that touches pygrowup: cached LMS lookups in its WHO tables and its z-score formulas.

Why not just call `Observation.wfa()` & co.: pygrowup deviates from WHO's reference implementation (the
`anthro` R package) in ways that matter here, so we keep its tables and formulas but not its glue:
- `Observation(age_in_days=0)` fails (`if age_in_days:` treats 0 as missing): newborns are built from two dates.
- `lhfa()` adds/subtracts 0.7 cm itself and switches at 730 days; anthro switches at 731 days and treats a
  "standing" child under 9 months as unknown. We adjust ourselves and pass the adjusted length unchanged.
- `wfl()`/`wfh()` round the length to 0.1 cm and range-check the rounded value; anthro range-checks the
  adjusted value and interpolates the LMS parameters linearly between the 0.1 cm rows.
- Measurement range checks (e.g. weight 1-125 kg, BMI 5-60) raise; anthro computes any positive value and
  flags implausible z-scores instead.
- pygrowup looks up its table module on every call; the lookups are cached here (same Decimal values).
The arithmetic itself is pygrowup's (Decimal, first-pass z quantised to 0.01, WHO restricted LMS beyond +-3
for weight-based indicators), so results equal pygrowup's wherever pygrowup follows WHO.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import cache
from importlib import import_module
from typing import Any

from pygrowup import Observation
from pygrowup.pygrowup import WEIGHT_BASED_INDICATORS

from bot.growth.models import Sex

PG_SEX = {Sex.M: Observation.MALE, Sex.F: Observation.FEMALE}

TENTH = Decimal("0.1")
_EPOCH = date(2000, 1, 1)

# Only its formula methods are used; they read no instance state.
_FORMULAS = Observation(Observation.MALE, dob=_EPOCH, date_of_observation=_EPOCH)

LMS = dict[str, Decimal]


def observation(sex: Sex, age_days: int) -> Any:
    """A pygrowup Observation that also works for newborns (age 0 via two dates, see module docstring)."""
    return Observation(PG_SEX[sex], dob=_EPOCH, date_of_observation=_EPOCH + timedelta(days=age_days))


@cache
def table(name: str) -> dict[str, dict[Any, LMS]]:
    """pygrowup's by-day table `name` (wfa, lfa, wfl, wfh, bmifa, hcfa, acfa): sex -> t -> {l, m, s}."""
    data: dict[str, dict[Any, LMS]] = import_module(f"pygrowup.tables.by_day.{name}").DATA
    return data


def lms(name: str, sex: Sex, t: int | Decimal) -> LMS:
    """LMS row of table `name` at age in days (int) or length/height in cm (Decimal with one decimal)."""
    return table(name)[PG_SEX[sex]][t]


def z_from_lms(name: str, y: Decimal, row: LMS) -> Decimal:
    """pygrowup's `Observation.get_z_score` arithmetic on an LMS row we looked up (or interpolated)."""
    z: Decimal = _FORMULAS._get_first_pass_z_score(y, row["l"], row["m"], row["s"])
    if name in WEIGHT_BASED_INDICATORS and abs(z) > 3:
        z = _FORMULAS._adjust_weight_based_z_score(z, y, row["l"], row["m"], row["s"])
    return z


def age_z(name: str, sex: Sex, age_days: int, y: Decimal) -> Decimal:
    """Z-score of an age-based indicator (wfa, lfa, bmifa, hcfa, acfa); the caller checks the age range."""
    return z_from_lms(name, y, lms(name, sex, age_days))


def interpolated_lms(name: str, sex: Sex, lenhei: Decimal) -> LMS:
    """WHO anthro: LMS linearly interpolated between the 0.1 cm rows around `lenhei` (wfl or wfh table)."""
    low = lenhei.quantize(TENTH, rounding=ROUND_DOWN)
    lower = lms(name, sex, low)
    diff = (lenhei - low) / TENTH
    if diff == 0:
        return lower
    upper = lms(name, sex, low + TENTH)
    return {k: lower[k] + diff * (upper[k] - lower[k]) for k in ("l", "m", "s")}


def lenhei_z(name: str, sex: Sex, lenhei: Decimal, weight: Decimal) -> Decimal:
    """Weight-for-length (name="wfl") or weight-for-height ("wfh"); the caller checks the length range."""
    return z_from_lms(name, weight, interpolated_lms(name, sex, lenhei))


def value_at_z(row: LMS, z: float) -> float:
    """Measurement at z-score `z` for an LMS row: M * (1 + L*S*z) ** (1/L) (curves of the growth chart)."""
    lv, mv, sv = float(row["l"]), float(row["m"]), float(row["s"])
    if lv == 0:  # Box-Cox limit; no WHO row has L == 0 but keep the formula total
        return mv * math.exp(sv * z)
    return float(mv * (1 + lv * sv * z) ** (1 / lv))


def to_decimal(x: float) -> Decimal:
    """Decimal of a float as written (repr), so 84.8 stays 84.8 rather than 84.79999999999999715..."""
    return Decimal(repr(x))
