"""Z-scores of one measurement following WHO's `anthro` R package rules, computed with pygrowup's tables.

Rules (WHO anthro `anthro_zscores`, R/z-score*.R):
- age in whole days; z-scores only while age in months (days / 30.4375) < 60, i.e. 0-1826 days;
- +0.7 cm when a child under 731 days was measured standing, -0.7 cm when 731 days or more was measured lying;
  position unknown = assumed right for the age (no adjustment);
- "standing" before 9 months (days / 30.4375 < 9) is implausible: treated as unknown (not adjusted), flagged;
- weight-for-length under 731 days (45-110 cm), weight-for-height from 731 days (65-120 cm), chosen by age,
  range checked on the adjusted value, LMS interpolated between 0.1 cm rows;
- BMI from the adjusted length/height; bilateral oedema: no WAZ, WHZ, BMIZ;
- MUAC-for-age from 91 days; z-scores rounded to 2 decimals, implausible ones flagged on the rounded value.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from bot.growth import _who
from bot.growth.classify import classify, classify_muac
from bot.growth.models import (
    DAYS_PER_MONTH,
    HEIGHT_FROM_DAYS,
    MAX_AGE_DAYS,
    Category,
    GrowthResult,
    Indicator,
    MeasurementInput,
    Missing,
    Note,
    Position,
    Severity,
)

# Biologically implausible z-scores (WHO anthro flag thresholds): (low, high), flagged when z < low or z > high.
FLAG_LIMITS: dict[Indicator, tuple[float, float]] = {
    Indicator.WFA: (-6.0, 5.0),
    Indicator.LHFA: (-6.0, 6.0),
    Indicator.WFLH: (-5.0, 5.0),
    Indicator.BMIFA: (-5.0, 5.0),
    Indicator.HCFA: (-5.0, 5.0),
    Indicator.ACFA: (-5.0, 5.0),
}
POSITION_ADJUSTMENT_CM = Decimal("0.7")
STANDING_PLAUSIBLE_FROM_MONTHS = 9
MUAC_FROM_DAYS = 91
WFL_RANGE = (Decimal(45), Decimal(110))  # cm, recumbent length, under 731 days
WFH_RANGE = (Decimal(65), Decimal(120))  # cm, standing height, from 731 days
ALL_INDICATORS = tuple(Indicator)


class GrowthInputError(ValueError):
    """Invalid measurement input. `code` is machine-readable; `field` names the offending input, if one."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class Problem(BaseModel):
    """A raw value that is not plausible for the child's age (ask the cadre to re-check it)."""

    model_config = ConfigDict(frozen=True)

    field: str  # "weight_kg", "length_cm", "head_cm", "muac_cm", "age"
    code: str  # "implausible_for_age", "implausible_weight_for_length", "length_decreased", ...
    value: float | None = None
    z: float | None = None
    suggestion: float | None = None  # e.g. 10.5 for 105 kg (a decimal point looks missing)


def resolve_age_days(inp: MeasurementInput) -> int:
    """Age in days from the dates (or `age_days`); raises GrowthInputError when missing or inconsistent."""
    from_dates: int | None = None
    if inp.birth_date is not None and inp.measured_on is not None:
        from_dates = (inp.measured_on - inp.birth_date).days
        if from_dates < 0:
            raise GrowthInputError(
                "birth_after_measurement", "date of birth is after the measurement date", "birth_date"
            )
    elif (inp.birth_date is None) != (inp.measured_on is None) and inp.age_days is None:
        missing = "measured_on" if inp.measured_on is None else "birth_date"
        raise GrowthInputError("missing_date", f"{missing} is needed to compute the age", missing)
    if inp.age_days is not None:
        if inp.age_days < 0:
            raise GrowthInputError("negative_age", "age in days must not be negative", "age_days")
        if from_dates is not None and from_dates != inp.age_days:
            raise GrowthInputError(
                "age_mismatch", f"age_days={inp.age_days} but the dates give {from_dates} days", "age_days"
            )
        return inp.age_days
    if from_dates is None:
        raise GrowthInputError(
            "missing_age", "give the date of birth and measurement date, or the age in days", "age_days"
        )
    return from_dates


def _check_positive(inp: MeasurementInput) -> None:
    for field in ("weight_kg", "length_cm", "head_cm", "muac_cm"):
        value = getattr(inp, field)
        if value is not None and value <= 0:
            raise GrowthInputError("non_positive", f"{field} must be greater than 0 (got {value})", field)


def clean_position(position: Position, age_days: int) -> tuple[Position, list[Note]]:
    """WHO anthro: a standing measurement before 9 months is implausible; treat as unknown and flag it."""
    if position is Position.STANDING and age_days / DAYS_PER_MONTH < STANDING_PLAUSIBLE_FROM_MONTHS:
        return Position.UNKNOWN, [Note.STANDING_UNDER_9_MONTHS]
    return position, []


def adjust_length(length: Decimal, position: Position, age_days: int) -> tuple[Decimal, list[Note]]:
    """Length under 731 days, height from 731 days: +-0.7 cm when measured the other way (cleaned position)."""
    if age_days < HEIGHT_FROM_DAYS and position is Position.STANDING:
        return length + POSITION_ADJUSTMENT_CM, [Note.LENGTH_PLUS_0_7]
    if age_days >= HEIGHT_FROM_DAYS and position is Position.LYING:
        return length - POSITION_ADJUSTMENT_CM, [Note.HEIGHT_MINUS_0_7]
    return length, []


def _z(field: str, value: object, thunk: Callable[[], Decimal]) -> float:
    """Run one pygrowup computation; values so extreme that Decimal overflows are a clear input error."""
    try:
        return float(thunk())
    except ArithmeticError:  # decimal.InvalidOperation / Overflow for e.g. 1e-148 cm
        raise GrowthInputError(
            "out_of_range", f"{field} {value} is far outside any possible measurement", field
        ) from None


def is_implausible(indicator: Indicator, z: float) -> bool:
    low, high = FLAG_LIMITS[indicator]
    return z < low or z > high


def _over_five(inp: MeasurementInput, age_days: int) -> GrowthResult:
    return GrowthResult(
        sex=inp.sex,
        age_days=age_days,
        z=dict.fromkeys(ALL_INDICATORS),
        flags=dict.fromkeys(ALL_INDICATORS, False),
        categories=dict.fromkeys(ALL_INDICATORS),
        missing=dict.fromkeys(ALL_INDICATORS, Missing.AGE_OUT_OF_RANGE),
        weight_kg=inp.weight_kg,
        muac_cm=inp.muac_cm,
        oedema=inp.oedema,
        notes=[Note.OVER_FIVE],
    )


def compute(inp: MeasurementInput, *, allow_over_five: bool = False) -> GrowthResult:
    """All z-scores, flags and Permenkes categories for one measurement.

    Raises GrowthInputError (code "age_over_five") for ages over 1826 days unless `allow_over_five`, in which
    case the result has no z-scores and the note OVER_FIVE (the under-five standard no longer applies).

    Pure, and asked for the same input several times while one entry is checked, saved and shown: the last
    results are kept (inputs and results are frozen; nobody changes a result).
    """
    return _compute_cached(inp, allow_over_five)


@lru_cache(maxsize=1024)
def _compute_cached(inp: MeasurementInput, allow_over_five: bool) -> GrowthResult:
    return _compute(inp, allow_over_five=allow_over_five)


def _compute(inp: MeasurementInput, *, allow_over_five: bool = False) -> GrowthResult:
    _check_positive(inp)
    age = resolve_age_days(inp)
    if age > MAX_AGE_DAYS:
        if allow_over_five:
            return _over_five(inp, age)
        raise GrowthInputError(
            "age_over_five",
            f"age {age} days is over 1826 days (60 months): the WHO under-five standard no longer applies",
            "age_days",
        )
    sex = inp.sex
    notes: list[Note] = []
    z: dict[Indicator, float | None] = dict.fromkeys(ALL_INDICATORS)
    missing: dict[Indicator, Missing] = {}

    position, pos_notes = clean_position(inp.position, age)
    notes += pos_notes
    weight = _who.to_decimal(inp.weight_kg) if inp.weight_kg is not None else None
    lenhei: Decimal | None = None
    if inp.length_cm is not None:
        lenhei, adj_notes = adjust_length(_who.to_decimal(inp.length_cm), position, age)
        notes += adj_notes
        if lenhei <= 0:  # 0,7 cm lying at two years: nothing is left after the WHO adjustment
            raise GrowthInputError("out_of_range", f"length_cm {inp.length_cm} is far outside any possible "
                                   "measurement", "length_cm")
    if inp.oedema:
        notes.append(Note.OEDEMA)
        weight_missing = Missing.OEDEMA
    else:
        weight_missing = Missing.NOT_MEASURED

    weight_usable = weight if not inp.oedema else None
    bmi: Decimal | None = None

    # Weight-for-age.
    if weight_usable is not None:
        z[Indicator.WFA] = _z("weight_kg", inp.weight_kg, lambda: _who.age_z("wfa", sex, age, weight_usable))
    else:
        missing[Indicator.WFA] = weight_missing
    # Length/height-for-age (pygrowup's "lfa" table is length to 730 days, height from 731).
    if lenhei is not None:
        lh = lenhei
        z[Indicator.LHFA] = _z("length_cm", inp.length_cm, lambda: _who.age_z("lfa", sex, age, lh))
    else:
        missing[Indicator.LHFA] = Missing.NOT_MEASURED
    # Weight-for-length/height, table chosen by age, range checked on the adjusted value.
    if weight_usable is not None and lenhei is not None:
        name, (low, high) = ("wfl", WFL_RANGE) if age < HEIGHT_FROM_DAYS else ("wfh", WFH_RANGE)
        if low <= lenhei <= high:
            z[Indicator.WFLH] = _z("weight_kg", inp.weight_kg, lambda: _who.lenhei_z(name, sex, lh, weight_usable))
        else:
            missing[Indicator.WFLH] = Missing.LENGTH_OUT_OF_RANGE
    else:
        missing[Indicator.WFLH] = weight_missing if lenhei is not None else Missing.NOT_MEASURED
    # BMI-for-age, from the adjusted length/height.
    if weight is not None and lenhei is not None:
        bmi = weight / (lenhei / 100) ** 2
    if weight_usable is not None and bmi is not None:
        b = bmi
        z[Indicator.BMIFA] = _z("weight_kg", inp.weight_kg, lambda: _who.age_z("bmifa", sex, age, b))
    else:
        missing[Indicator.BMIFA] = weight_missing if lenhei is not None else Missing.NOT_MEASURED
    # Head circumference-for-age.
    if inp.head_cm is not None:
        hc = _who.to_decimal(inp.head_cm)
        z[Indicator.HCFA] = _z("head_cm", inp.head_cm, lambda: _who.age_z("hcfa", sex, age, hc))
    else:
        missing[Indicator.HCFA] = Missing.NOT_MEASURED
    # Arm circumference-for-age, from 91 days.
    if inp.muac_cm is None:
        missing[Indicator.ACFA] = Missing.NOT_MEASURED
    elif age < MUAC_FROM_DAYS:
        missing[Indicator.ACFA] = Missing.AGE_OUT_OF_RANGE
    else:
        ac = _who.to_decimal(inp.muac_cm)
        z[Indicator.ACFA] = _z("muac_cm", inp.muac_cm, lambda: _who.age_z("acfa", sex, age, ac))

    flags = {ind: (v is not None and is_implausible(ind, v)) for ind, v in z.items()}
    categories: dict[Indicator, Category | None] = {
        ind: (classify(ind, v) if v is not None and not flags[ind] else None) for ind, v in z.items()
    }
    muac_category = None
    if inp.muac_cm is not None and not flags[Indicator.ACFA]:
        muac_category = classify_muac(inp.muac_cm, age)
    if any(flags.values()):
        notes.append(Note.IMPLAUSIBLE)
    return GrowthResult(
        sex=sex,
        age_days=age,
        z=z,
        flags=flags,
        categories=categories,
        missing=missing,
        muac_category=muac_category,
        adjusted_length_cm=float(lenhei) if lenhei is not None else None,
        measured_as=position,
        bmi=round(float(bmi), 2) if bmi is not None else None,
        weight_kg=inp.weight_kg,
        muac_cm=inp.muac_cm,
        oedema=inp.oedema,
        notes=notes,
    )


# --- plausibility of raw values (before saving) -------------------------------------------------------------

# Corrections tried, in order, when a value is implausible: a missing decimal point or a smaller unit first
# (105 -> 10.5, 765 -> 76.5, 10500 -> 10.5), then a decimal point one place too far left (1.05 -> 10.5).
# The first one giving a plausible value is suggested.
CORRECTION_DIVISORS = (10, 100, 1000)
MISPLACED_POINT_FACTOR = 10
_FIELD_TABLE = {"weight_kg": "wfa", "length_cm": "lfa", "head_cm": "hcfa", "muac_cm": "acfa"}
_FIELD_INDICATOR = {
    "weight_kg": Indicator.WFA,
    "length_cm": Indicator.LHFA,
    "head_cm": Indicator.HCFA,
    "muac_cm": Indicator.ACFA,
}
# Changes between two visits that are almost certainly measurement or typing errors (cadre feedback backlog).
MAX_WEIGHT_DROP_KG = 1.0
LENGTH_SHRINK_TOLERANCE_CM = 0.5


def _field_z(field: str, value: float, inp: MeasurementInput, age: int, position: Position) -> float:
    y = _who.to_decimal(value)
    if field == "length_cm":
        y, _ = adjust_length(y, position, age)
    return _z(field, value, lambda: _who.age_z(_FIELD_TABLE[field], inp.sex, age, y))


def suggest_correction(field: str, value: float, inp: MeasurementInput, age: int, position: Position) -> float | None:
    """The first of value/10, /100, /1000, value*10 (one decimal, as shown to the cadre) that is itself plausible
    for the field and age; None when none is. A suggestion the bot would question again helps nobody."""
    indicator = _FIELD_INDICATOR[field]
    candidates = [round(value / divisor, 1) for divisor in CORRECTION_DIVISORS]
    candidates.append(round(value * MISPLACED_POINT_FACTOR, 1))
    for candidate in candidates:
        if candidate <= 0:
            continue
        try:
            cz = round(_field_z(field, candidate, inp, age, position), 2)
        except GrowthInputError:
            continue
        if not is_implausible(indicator, cz):
            return candidate
    return None


def check_plausible(inp: MeasurementInput) -> list[Problem]:
    """Raw values that cannot be right for the child's age, each with a suggested correction when a decimal
    point looks missing ("105 kg is not possible at 1 y 8 m; did you mean 10,5?"). Empty list = plausible."""
    try:
        _check_positive(inp)
        age = resolve_age_days(inp)
    except GrowthInputError as exc:
        return [Problem(field=exc.field or "age", code=exc.code)]
    if age > MAX_AGE_DAYS:
        return []  # nothing to compare against; compute() reports the age itself
    position, _ = clean_position(inp.position, age)
    problems: list[Problem] = []
    for field, indicator in _FIELD_INDICATOR.items():
        value: float | None = getattr(inp, field)
        if value is None or (field == "muac_cm" and age < MUAC_FROM_DAYS):
            continue
        try:
            z = round(_field_z(field, value, inp, age, position), 2)
        except GrowthInputError as exc:
            problems.append(Problem(field=field, code=exc.code, value=value))
            continue
        if not is_implausible(indicator, z):
            continue
        suggestion = suggest_correction(field, value, inp, age, position)
        problems.append(Problem(field=field, code="implausible_for_age", value=value, z=z, suggestion=suggestion))
    if not problems and inp.weight_kg is not None and inp.length_cm is not None and not inp.oedema:
        try:
            result = compute(inp)
        except GrowthInputError as exc:
            return [Problem(field=exc.field or "weight_kg", code=exc.code)]
        wflh = result.z[Indicator.WFLH]
        if wflh is not None and result.flags[Indicator.WFLH]:
            problems.append(
                Problem(field="weight_kg", code="implausible_weight_for_length", value=inp.weight_kg, z=wflh)
            )
    return problems


def check_change(previous: GrowthResult, current: GrowthResult) -> list[Problem]:
    """Implausible change since the previous visit: weight dropped by more than 1 kg, length/height shrank."""
    problems: list[Problem] = []
    if previous.weight_kg is not None and current.weight_kg is not None:
        drop = previous.weight_kg - current.weight_kg
        if drop > MAX_WEIGHT_DROP_KG:
            problems.append(Problem(field="weight_kg", code="weight_dropped", value=current.weight_kg))
    if previous.adjusted_length_cm is not None and current.adjusted_length_cm is not None:
        # Length (< 731 days) is about 0.7 cm more than height: compare on the length basis.
        prev_len = previous.adjusted_length_cm + (float(POSITION_ADJUSTMENT_CM) if previous.uses_height else 0.0)
        cur_len = current.adjusted_length_cm + (float(POSITION_ADJUSTMENT_CM) if current.uses_height else 0.0)
        if prev_len - cur_len > LENGTH_SHRINK_TOLERANCE_CM:
            problems.append(Problem(field="length_cm", code="length_decreased", value=current.adjusted_length_cm))
    return problems


def severity_of(result: GrowthResult) -> Severity:
    """Worst severity among the categories (and MUAC); DANGER with oedema."""
    if result.oedema:
        return Severity.DANGER
    order = [Severity.NORMAL, Severity.WARNING, Severity.DANGER]
    cats = [c for c in result.categories.values() if c is not None]
    if result.muac_category is not None:
        cats.append(result.muac_category)
    return max((c.severity for c in cats), key=order.index, default=Severity.NORMAL)
