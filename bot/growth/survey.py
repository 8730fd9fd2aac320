"""Z-scores for survey files, row by row (the reference path): rows in, rows out, WHO anthro column names.

Input columns: sex (M/F, L/P, 1/2), birth_date + visit_date (ISO) or age_days, weight_kg, lenhei_cm,
measure (l/h/empty), oedema (y/n/empty), headc_cm, muac_cm; other columns are carried through.
Output adds zwei, zlen, zwfl, zbmi, zhc, zac (2 decimals), fwei ... fac (1 = implausible), the Permenkes
category of each indicator (cat_*), clenhei, cbmi, c9mo_flag, and `error` (why values gave no result).

Each indicator is computed on its own, as WHO anthro's `anthro_zscores` does (R/z-score.R calls one function
per indicator): a bad weight blanks the weight-based indicators only, a bad length the length-based ones, and
every reason goes into `error` ("; "-joined). A missing or invalid sex blanks everything; a missing or invalid
age blanks the age-based indicators, but weight-for-length/height is still computed (see `wflh_table`).
The chat path (`bot.growth.zscores.compute`, one child) keeps its own all-or-nothing rules.

`bot.growth.survey_bulk` computes the same columns for whole chunks at once; this module is its reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from bot.growth import _who
from bot.growth.classify import classify, classify_muac
from bot.growth.models import MAX_AGE_DAYS, Indicator, Position, Sex
from bot.growth.zscores import (
    MUAC_FROM_DAYS,
    WFH_RANGE,
    WFL_RANGE,
    adjust_length,
    clean_position,
    is_implausible,
)

Z_COLUMNS: dict[Indicator, str] = {
    Indicator.WFA: "zwei",
    Indicator.LHFA: "zlen",
    Indicator.WFLH: "zwfl",
    Indicator.BMIFA: "zbmi",
    Indicator.HCFA: "zhc",
    Indicator.ACFA: "zac",
}
F_COLUMNS: dict[Indicator, str] = {ind: "f" + col[1:] for ind, col in Z_COLUMNS.items()}
CATEGORY_COLUMNS: dict[Indicator, str] = {
    Indicator.WFA: "cat_wei",
    Indicator.LHFA: "cat_len",
    Indicator.WFLH: "cat_wfl",
    Indicator.BMIFA: "cat_bmi",
}
MUAC_CATEGORY_COLUMN = "cat_muac"
DERIVED_COLUMNS = ["clenhei", "cbmi", "c9mo_flag"]
ERROR_COLUMN = "error"
ADDED_COLUMNS = [
    *Z_COLUMNS.values(),
    *F_COLUMNS.values(),
    *CATEGORY_COLUMNS.values(),
    MUAC_CATEGORY_COLUMN,
    *DERIVED_COLUMNS,
    ERROR_COLUMN,
]
REQUIRED_COLUMNS = ("sex",)
AGE_COLUMNS = ("birth_date", "visit_date", "age_days")
ERROR_SEPARATOR = "; "

SEX_CODES = {"M": Sex.M, "L": Sex.M, "1": Sex.M, "F": Sex.F, "P": Sex.F, "2": Sex.F}
MEASURE_CODES = {"L": Position.LYING, "H": Position.STANDING, "": Position.UNKNOWN}
# WHO anthro accepts y/n and 1/2 for oedema; empty means no oedema.
OEDEMA_CODES = {"Y": True, "1": True, "N": False, "2": False, "": False}

# WHO anthro, R/z-score-weight-for-lenhei.R (`join_on_l` / `join_on_h`): without an age and without a measure,
# a value under 87 cm is taken as a length (weight-for-length table), 87 cm and over as a height.
LENGTH_BELOW_CM_WITHOUT_AGE = 87

NO_AGE = "no age: give birth_date and visit_date, or age_days"
# cbmi of absurd inputs (1e300 kg) is left empty rather than written with 300 digits; a child's BMI is 10-40.
CBMI_SHOWN_BELOW = 1e6

T = TypeVar("T")


class RowError(ValueError):
    """A bad value in one row; the message goes into the `error` column."""


def output_fieldnames(input_fieldnames: Iterable[str]) -> list[str]:
    """Input columns in their order, then the added ones (an input column of the same name is overwritten)."""
    names = list(input_fieldnames)
    return names + [c for c in ADDED_COLUMNS if c not in names]


def missing_columns(input_fieldnames: Iterable[str]) -> list[str]:
    """Required columns absent from the header (sex, and an age: birth_date + visit_date or age_days).

    A row may leave its age empty (weight-for-length/height is still computed), but a file with no age column
    at all is almost always a header spelt differently ("umur"), which is better said once than on every row.
    """
    names = set(input_fieldnames)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if "age_days" not in names and not {"birth_date", "visit_date"} <= names:
        missing.append("birth_date+visit_date or age_days")
    return missing


def _text(row: Mapping[str, str | None], key: str) -> str:
    return (row.get(key) or "").strip()


def parse_number(raw: str, key: str) -> float | None:
    """A number as survey files write it (10.5 or 10,5); None when empty; RowError when not a finite number."""
    if not raw:
        return None
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")  # 10,5 from Indonesian spreadsheets
    try:
        value = float(raw)
    except ValueError:
        raise RowError(f"{key} is not a number: {raw!r}") from None
    if not math.isfinite(value):
        raise RowError(f"{key} is not a finite number: {raw!r}")
    return value


def parse_measurement(raw: str, key: str) -> float:
    """A measurement (weight, length, circumference): a finite number greater than 0, else RowError."""
    value = parse_number(raw, key)
    if value is None:  # pragma: no cover - callers pass non-empty text
        raise RowError(f"{key} is empty")
    if value <= 0:
        raise RowError(f"{key} must be greater than 0 (got {value})")
    return value


def parse_date(raw: str, key: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RowError(f"{key} is not an ISO date (YYYY-MM-DD): {raw!r}") from None


def round_half_up(x: float) -> int:
    # WHO anthro's round_up (R/utils.R) for ages given with decimals.
    return math.floor(x + 0.5)


@dataclass(frozen=True, slots=True)
class SurveyRow:
    """The usable values of one survey row (None = not given or not usable) and why values were not usable."""

    sex: Sex | None
    age_days: int | None
    weight_kg: float | None
    lenhei_cm: float | None
    position: Position | None  # None: `measure` not usable, so no length-based indicator
    oedema: bool | None  # None: `oedema` not usable, so no weight-based indicator
    head_cm: float | None
    muac_cm: float | None
    errors: tuple[str, ...] = ()


def parse_row(row: Mapping[str, str | None]) -> SurveyRow:
    """SurveyRow of a survey row; each value that is not usable is None and its reason is in `errors`."""
    errors: list[str] = []

    def attempt(parse: Callable[[str, str], T], key: str) -> T | None:
        raw = _text(row, key)
        if not raw:
            return None
        try:
            return parse(raw, key)
        except RowError as exc:
            errors.append(str(exc))
            return None

    sex_raw = _text(row, "sex").upper()
    sex = SEX_CODES.get(sex_raw)
    if sex is None:
        errors.append(f"sex must be M/F, L/P or 1/2: {sex_raw!r}")
    errors_before_age = len(errors)
    birth, visit = attempt(parse_date, "birth_date"), attempt(parse_date, "visit_date")
    age_raw = attempt(parse_number, "age_days")
    age_days: int | None = None
    if birth is not None and visit is not None:
        if birth > visit:
            errors.append("date of birth is after the measurement date")
        else:
            age_days = (visit - birth).days
    elif age_raw is not None:
        if age_raw < 0:
            errors.append(f"age_days must not be negative: {age_raw:g}")
        else:
            age_days = round_half_up(age_raw)
    elif len(errors) == errors_before_age:  # a bad date or age_days above already says why there is no age
        errors.append(NO_AGE)
    measure_raw = _text(row, "measure").upper()
    position = MEASURE_CODES.get(measure_raw)
    if position is None:
        errors.append(f"measure must be l, h or empty: {measure_raw.lower()!r}")
    oedema_raw = _text(row, "oedema").upper()
    oedema = OEDEMA_CODES.get(oedema_raw)
    if oedema is None:
        errors.append(f"oedema must be y, n or empty: {oedema_raw.lower()!r}")
    return SurveyRow(
        sex=sex,
        age_days=age_days,
        weight_kg=attempt(parse_measurement, "weight_kg"),
        lenhei_cm=attempt(parse_measurement, "lenhei_cm"),
        position=position,
        oedema=oedema,
        head_cm=attempt(parse_measurement, "headc_cm"),
        muac_cm=attempt(parse_measurement, "muac_cm"),
        errors=tuple(errors),
    )


def wflh_table(age_days: int | None, position: Position, lenhei: Decimal) -> tuple[str, tuple[Decimal, Decimal]]:
    """Weight-for-length ("wfl", 45-110 cm) or weight-for-height ("wfh", 65-120 cm) table and its range.

    By age when there is one (length under 731 days); without an age by the measuring position, and without
    that by the value: WHO anthro, R/z-score-weight-for-lenhei.R, `join_on_l` / `join_on_h`.
    """
    if age_days is not None:
        as_length = age_days < 731
    elif position is Position.UNKNOWN:
        as_length = lenhei < LENGTH_BELOW_CM_WITHOUT_AGE
    else:
        as_length = position is Position.LYING
    return ("wfl", WFL_RANGE) if as_length else ("wfh", WFH_RANGE)


def bmi_of(weight: Decimal, lenhei: Decimal) -> Decimal:
    """BMI from the weight and the adjusted length/height, in pygrowup's Decimal arithmetic (as the chat path)."""
    return weight / (lenhei / 100) ** 2


def cbmi_text(bmi: Decimal) -> str:
    """The cbmi column: 2 decimals of the float, as the chat path rounds `GrowthResult.bmi`; empty if absurd."""
    value = float(bmi)
    return f"{round(value, 2):.2f}" if value < CBMI_SHOWN_BELOW else ""


def over_five_error(age_days: int) -> str:
    return f"age {age_days} days is over 1826: the WHO under-five standard does not apply"


def far_outside(key: str, value: float | None) -> str:
    return f"{key} {value} is far outside any possible measurement"


BMI_FAR_OUTSIDE = "BMI from weight_kg and lenhei_cm is far outside any possible value"


def _age_z(table: str, sex: Sex, age_days: int, y: Decimal) -> float | None:
    """pygrowup's z-score by age; None when the value is so extreme that Decimal overflows (|z| >= 1e26)."""
    try:
        return float(_who.age_z(table, sex, age_days, y))
    except ArithmeticError:
        return None


def _lenhei_z(table: str, sex: Sex, lenhei: Decimal, weight: Decimal) -> float | None:
    """pygrowup's weight-for-length/height z-score; None when Decimal overflows, as for `_age_z`."""
    try:
        return float(_who.lenhei_z(table, sex, lenhei, weight))
    except ArithmeticError:
        return None


def score(inp: SurveyRow) -> dict[str, str]:
    """The added columns of one parsed row (every indicator on its own)."""
    out = dict.fromkeys(ADDED_COLUMNS, "")
    errors = list(inp.errors)
    sex, age = inp.sex, inp.age_days
    if sex is None:
        out[ERROR_COLUMN] = ERROR_SEPARATOR.join(errors)
        return out
    out["c9mo_flag"] = "0"
    if age is not None and age > MAX_AGE_DAYS:
        errors.append(over_five_error(age))
        out[ERROR_COLUMN] = ERROR_SEPARATOR.join(errors)
        return out

    position = inp.position
    if position is not None and age is not None:
        position, notes = clean_position(position, age)
        out["c9mo_flag"] = "1" if notes else "0"
    lenhei: Decimal | None = None
    if inp.lenhei_cm is not None and position is not None:
        lenhei = _who.to_decimal(inp.lenhei_cm)
        if age is not None:  # anthro adjusts by 0.7 cm only knowing the age (R/utils.R, adjust_lenhei)
            lenhei, _ = adjust_length(lenhei, position, age)
        out["clenhei"] = f"{float(lenhei):g}"
    weight = _who.to_decimal(inp.weight_kg) if inp.weight_kg is not None else None
    # Oedema: no weight-based z-score; oedema not readable: not known whether there is one, so none either.
    weight_z = weight if inp.oedema is False else None
    bmi: Decimal | None = None
    if weight is not None and lenhei is not None:
        bmi = bmi_of(weight, lenhei)
        out["cbmi"] = cbmi_text(bmi)

    z: dict[Indicator, float | None] = dict.fromkeys(Indicator)
    if age is not None:
        # (indicator, pygrowup table, measurement, reason when it overflows), LMS row by age.
        by_age: list[tuple[Indicator, str, Decimal, str]] = []
        if weight_z is not None:
            by_age.append((Indicator.WFA, "wfa", weight_z, far_outside("weight_kg", inp.weight_kg)))
        if lenhei is not None:
            by_age.append((Indicator.LHFA, "lfa", lenhei, far_outside("lenhei_cm", inp.lenhei_cm)))
        if weight_z is not None and bmi is not None:
            by_age.append((Indicator.BMIFA, "bmifa", bmi, BMI_FAR_OUTSIDE))
        if inp.head_cm is not None:
            by_age.append((Indicator.HCFA, "hcfa", _who.to_decimal(inp.head_cm), far_outside("headc_cm", inp.head_cm)))
        if inp.muac_cm is not None and age >= MUAC_FROM_DAYS:
            by_age.append((Indicator.ACFA, "acfa", _who.to_decimal(inp.muac_cm), far_outside("muac_cm", inp.muac_cm)))
        for ind, table, y, reason in by_age:
            z[ind] = _age_z(table, sex, age, y)
            if z[ind] is None:
                errors.append(reason)
    if weight_z is not None and lenhei is not None and position is not None:
        table, (low, high) = wflh_table(age, position, lenhei)
        if low <= lenhei <= high:
            z[Indicator.WFLH] = _lenhei_z(table, sex, lenhei, weight_z)
            if z[Indicator.WFLH] is None:
                errors.append(far_outside("weight_kg", inp.weight_kg))

    for ind, col in Z_COLUMNS.items():
        value = z[ind]
        if value is None:
            continue
        flagged = is_implausible(ind, value)  # on the rounded z, as anthro flags
        out[col] = f"{value:.2f}"
        out[F_COLUMNS[ind]] = "1" if flagged else "0"
        if ind in CATEGORY_COLUMNS and not flagged:
            category = classify(ind, value)
            out[CATEGORY_COLUMNS[ind]] = category.label_id if category is not None else ""
    zac = z[Indicator.ACFA]
    if inp.muac_cm is not None and age is not None and zac is not None and not is_implausible(Indicator.ACFA, zac):
        muac_category = classify_muac(inp.muac_cm, age)
        out[MUAC_CATEGORY_COLUMN] = muac_category.label_id if muac_category is not None else ""
    out[ERROR_COLUMN] = ERROR_SEPARATOR.join(dict.fromkeys(errors))  # each reason once, in order
    return out


def process_row(row: Mapping[str, str | None]) -> dict[str, str]:
    """One output row: the input values plus the added columns (blank where not computable, with `error`)."""
    out = {k: (v if v is not None else "") for k, v in row.items() if k is not None}
    out.update(score(parse_row(row)))
    return out


def process_rows(rows: Iterable[Mapping[str, str | None]]) -> Iterator[dict[str, str]]:
    """Stream `process_row` over rows (e.g. a csv.DictReader); never stops on a bad row."""
    for row in rows:
        yield process_row(row)
