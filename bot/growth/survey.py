"""Bulk z-scores for survey files: rows in, rows out (streaming), WHO anthro column names.

Input columns: sex (M/F, L/P, 1/2), birth_date + visit_date (ISO) or age_days, weight_kg, lenhei_cm,
measure (l/h/empty), oedema (y/n/empty), headc_cm, muac_cm; other columns are carried through.
Output adds zwei, zlen, zwfl, zbmi, zhc, zac (2 decimals), fwei ... fac (1 = implausible), the Permenkes
category of each indicator (cat_*), clenhei, cbmi, c9mo_flag, and `error` (why a row has no results).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from pydantic import ValidationError

from bot.growth.models import GrowthResult, Indicator, MeasurementInput, Note, Position
from bot.growth.zscores import GrowthInputError, compute

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

_SEX = {"M": "M", "L": "M", "1": "M", "F": "F", "P": "F", "2": "F"}
_MEASURE = {"L": Position.LYING, "H": Position.STANDING, "": Position.UNKNOWN}
# WHO anthro accepts y/n and 1/2 for oedema; empty means no oedema.
_OEDEMA = {"Y": True, "1": True, "N": False, "2": False, "": False}


class RowError(ValueError):
    """A bad value in one row; the message goes into the `error` column."""


def output_fieldnames(input_fieldnames: Iterable[str]) -> list[str]:
    """Input columns in their order, then the added ones (an input column of the same name is overwritten)."""
    names = list(input_fieldnames)
    return names + [c for c in ADDED_COLUMNS if c not in names]


def missing_columns(input_fieldnames: Iterable[str]) -> list[str]:
    """Required columns absent from the header (sex, and an age: birth_date + visit_date or age_days)."""
    names = set(input_fieldnames)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if "age_days" not in names and not {"birth_date", "visit_date"} <= names:
        missing.append("birth_date+visit_date or age_days")
    return missing


def _text(row: Mapping[str, str | None], key: str) -> str:
    return (row.get(key) or "").strip()


def _number(row: Mapping[str, str | None], key: str) -> float | None:
    raw = _text(row, key)
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


def _date(row: Mapping[str, str | None], key: str) -> date | None:
    raw = _text(row, key)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RowError(f"{key} is not an ISO date (YYYY-MM-DD): {raw!r}") from None


def _round_half_up(x: float) -> int:
    # WHO anthro's round_up for ages given with decimals.
    return math.floor(x + 0.5)


def parse_row(row: Mapping[str, str | None]) -> MeasurementInput:
    """MeasurementInput of a survey row; RowError with a clear reason when a value is not usable."""
    sex_raw = _text(row, "sex").upper()
    sex = _SEX.get(sex_raw)
    if sex is None:
        raise RowError(f"sex must be M/F, L/P or 1/2: {sex_raw!r}")
    birth, visit = _date(row, "birth_date"), _date(row, "visit_date")
    age_raw = _number(row, "age_days")
    age_days: int | None = None
    if birth is None or visit is None:
        if age_raw is None:
            raise RowError("no age: give birth_date and visit_date, or age_days")
        if age_raw < 0:
            raise RowError(f"age_days must not be negative: {age_raw:g}")
        age_days = _round_half_up(age_raw)
    measure_raw = _text(row, "measure").upper()
    if measure_raw not in _MEASURE:
        raise RowError(f"measure must be l, h or empty: {measure_raw.lower()!r}")
    oedema_raw = _text(row, "oedema").upper()
    if oedema_raw not in _OEDEMA:
        raise RowError(f"oedema must be y, n or empty: {oedema_raw.lower()!r}")
    try:
        return MeasurementInput(
            sex=sex,
            birth_date=birth if age_days is None else None,
            measured_on=visit if age_days is None else None,
            age_days=age_days,
            weight_kg=_number(row, "weight_kg"),
            length_cm=_number(row, "lenhei_cm"),
            position=_MEASURE[measure_raw],
            oedema=_OEDEMA[oedema_raw],
            head_cm=_number(row, "headc_cm"),
            muac_cm=_number(row, "muac_cm"),
        )
    except ValidationError as exc:  # pragma: no cover - parsing above already guarantees the types
        raise RowError(str(exc.errors()[0]["msg"])) from None


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def result_columns(result: GrowthResult) -> dict[str, str]:
    out: dict[str, str] = {}
    for ind, col in Z_COLUMNS.items():
        z = result.z[ind]
        out[col] = _fmt(z)
        out[F_COLUMNS[ind]] = "" if z is None else str(int(result.flags[ind]))
    for ind, col in CATEGORY_COLUMNS.items():
        cat = result.categories[ind]
        out[col] = cat.label_id if cat is not None else ""
    out[MUAC_CATEGORY_COLUMN] = result.muac_category.label_id if result.muac_category is not None else ""
    out["clenhei"] = "" if result.adjusted_length_cm is None else f"{result.adjusted_length_cm:g}"
    out["cbmi"] = _fmt(result.bmi)
    out["c9mo_flag"] = "1" if Note.STANDING_UNDER_9_MONTHS in result.notes else "0"
    out[ERROR_COLUMN] = ""
    if Note.OVER_FIVE in result.notes:
        out[ERROR_COLUMN] = f"age {result.age_days} days is over 1826: the WHO under-five standard does not apply"
    return out


def process_row(row: Mapping[str, str | None]) -> dict[str, str]:
    """One output row: the input values plus the added columns (empty, with `error`, for a bad row)."""
    out = {k: (v if v is not None else "") for k, v in row.items() if k is not None}
    try:
        result = compute(parse_row(row), allow_over_five=True)
    except (RowError, GrowthInputError) as exc:
        out.update(dict.fromkeys(ADDED_COLUMNS, ""))
        out[ERROR_COLUMN] = str(exc)
        return out
    out.update(result_columns(result))
    return out


def process_rows(rows: Iterable[Mapping[str, str | None]]) -> Iterator[dict[str, str]]:
    """Stream `process_row` over rows (e.g. a csv.DictReader); never stops on a bad row."""
    for row in rows:
        yield process_row(row)
