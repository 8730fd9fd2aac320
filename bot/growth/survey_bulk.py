"""Survey z-scores for a whole chunk of rows at once (numpy): the columns of `survey.score`, string for string.

`bot.growth.survey` (pygrowup's Decimal arithmetic, row by row) is the reference; this module computes the same
in float64 over column arrays and hands every row it cannot vouch for back to `survey.score`:
- the LMS rows are pygrowup's tables as floats; the first-pass z is expm1(L*ln(y/M)) / (S*L) (accurate to
  ~1e-13 in z even where L is 0.0001, where (y/M)**L - 1 would lose digits) and the restricted LMS beyond +-3
  for the weight-based indicators uses exp(log1p(c*L*S) / L);
- pygrowup quantizes to 0.01 (half-even) and decides "beyond +-3" on the quantized z, flags and categories
  use the rounded z too: all of that is done on integer cents here. A z within 1e-9 of a rounding tie, or of 0
  (Decimal keeps the sign of a rounded zero: "-0.00"), is recomputed by the reference, and so is anything
  non-finite or huge;
- weight-for-length/height interpolates between 0.1 cm rows as `_who.interpolated_lms`; a length adjusted by
  0.7 cm that lands within 1e-9 cm of a range bound, or whose clenhei text could differ, is recomputed;
- input text is parsed once per distinct value with the reference's own parsers; a row with any value the
  reference refuses (its `error` names it), or an extreme one (outside 1e-6..1e6), is scored by the reference.
No age (weight-for-length/height only) and over five are done here, as they are common in real files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, lru_cache
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from bot.growth import _who, survey
from bot.growth.classify import MUAC_BANDS, MUAC_MAX_MONTHS, MUAC_MIN_MONTHS, PERMENKES_BANDS, Band
from bot.growth.models import DAYS_PER_MONTH, HEIGHT_FROM_DAYS, MAX_AGE_DAYS, Indicator, Sex
from bot.growth.zscores import (
    FLAG_LIMITS,
    MUAC_FROM_DAYS,
    POSITION_ADJUSTMENT_CM,
    STANDING_PLAUSIBLE_FROM_MONTHS,
    WFH_RANGE,
    WFL_RANGE,
)

T = TypeVar("T")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

INPUT_COLUMNS = (
    "sex",
    "birth_date",
    "visit_date",
    "age_days",
    "weight_kg",
    "lenhei_cm",
    "measure",
    "oedema",
    "headc_cm",
    "muac_cm",
)
# Half a cent is the rounding tie. Float z (in cents) was measured against Decimal to within 1e-12 absolute and
# 2e-13 relative (benchmarks/zscore_bulk.py --check-error prints it); the margins below are 10^5 and 10^3 wider.
TIE_TOLERANCE_CENTS = 1e-7
TIE_TOLERANCE_RELATIVE = 1e-10
MAX_CENTS = 1e9  # |z| beyond 10^7 (absurd input): the reference, which also knows when Decimal overflows
VALUE_RANGE = (1e-6, 1e6)  # measurements outside: float over/underflow is possible, so the reference scores them
BOUND_TOLERANCE_CM = 1e-9  # an adjusted length this close to a WFL/WFH range bound: the reference decides
EXACT_TENTH_TOLERANCE = 1e-11  # |10*length - integer| below this: a whole 0.1 cm row (float error is ~3e-13)
MAX_AGE_FOR_FLOAT = 10**9  # age_days beyond (1e300): still over five, but written by the reference
BMI_FOR_FLOAT_BELOW = 1e5

EMPTY = math.nan  # parsed number: not given
BAD = math.inf  # parsed number: the reference reports an error for it
NO_DATE = -1
BAD_DATE = -2
_SEX_INDEX = {Sex.M: 0, Sex.F: 1}
_LYING, _STANDING = 1, 2
_POSITION_CODE = {"L": _LYING, "H": _STANDING, "": 0}

_WEIGHT_BASED = {Indicator.WFA, Indicator.WFLH, Indicator.BMIFA, Indicator.ACFA}  # pygrowup WEIGHT_BASED_INDICATORS
_AGE_TABLES = {
    Indicator.WFA: "wfa",
    Indicator.LHFA: "lfa",
    Indicator.BMIFA: "bmifa",
    Indicator.HCFA: "hcfa",
    Indicator.ACFA: "acfa",
}


# --- tables ------------------------------------------------------------------------------------------------------


def warm_up() -> None:
    """Load every table now (pygrowup's table modules take ~0.5 s to import)."""
    for name in _AGE_TABLES.values():
        age_table(name)
    lenhei_table("wfl")
    lenhei_table("wfh")


@cache
def age_table(name: str) -> FloatArray:
    """pygrowup's by-day table as an array [sex, age_days, (l, m, s)]; NaN where it has no row (acfa < 91)."""
    data = _who.table(name)
    out = np.full((2, MAX_AGE_DAYS + 31, 3), np.nan)
    for sex, index in _SEX_INDEX.items():
        for t, row in data[_who.PG_SEX[sex]].items():
            if t < out.shape[1]:
                out[index, t] = (float(row["l"]), float(row["m"]), float(row["s"]))
    return out


@cache
def lenhei_table(name: str) -> tuple[int, FloatArray]:
    """(first row in tenths of cm, array [sex, row, (l, m, s)]) of the wfl or wfh table; the last row is repeated
    once so that a length on the upper bound (interpolation weight 0) can read "the row above"."""
    data = _who.table(name)
    keys = sorted(data[_who.PG_SEX[Sex.M]])
    first = round(keys[0] * 10)
    if [round(k * 10) - first for k in keys] != list(range(len(keys))):  # pragma: no cover - pygrowup's tables
        raise ValueError(f"{name}: rows are not every 0.1 cm")
    out = np.full((2, len(keys) + 1, 3), np.nan)
    for sex, index in _SEX_INDEX.items():
        rows = data[_who.PG_SEX[sex]]
        for i, key in enumerate(keys):
            out[index, i] = (float(rows[key]["l"]), float(rows[key]["m"]), float(rows[key]["s"]))
        out[index, len(keys)] = out[index, len(keys) - 1]
    return first, out


# --- parsing: once per distinct text, with the reference's own parsers ------------------------------------------


def _by_distinct(values: Sequence[str], parse: Callable[[str], float]) -> FloatArray:
    """parse() of every value, calling it once per distinct text (survey columns repeat the same few values)."""
    joined = "".join(values)
    if not joined:  # an empty column (birth and visit dates in a file that gives age_days)
        return np.full(len(values), parse(""))
    if len(joined) == len(values) and joined.isascii() and set(map(len, values)) == {1}:  # one character each
        by_byte = np.array([parse(chr(c)) for c in range(128)])
        return by_byte[np.frombuffer(joined.encode("ascii"), dtype=np.uint8)]
    lookup: dict[str, float] = dict.fromkeys(values, 0.0)
    for text in lookup:
        lookup[text] = parse(text)
    return np.fromiter(map(lookup.__getitem__, values), dtype=np.float64, count=len(values))


def _measurement(key: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        raw = text.strip()
        if not raw:
            return EMPTY
        try:
            return survey.parse_measurement(raw, key)
        except survey.RowError:
            return BAD

    return parse


def _age_days(text: str) -> float:
    raw = text.strip()
    try:
        value = survey.parse_number(raw, "age_days")
    except survey.RowError:
        return BAD
    if value is None:
        return EMPTY
    return value if value >= 0 else BAD


def _date_ordinal(text: str) -> float:
    try:
        value = survey.parse_date(text.strip(), "date")
    except survey.RowError:
        return BAD_DATE
    return NO_DATE if value is None else value.toordinal()


def _code(table: Mapping[str, T], codes: Mapping[T, int]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = table.get(text.strip().upper())
        return -1 if value is None else codes[value]

    return parse


_parse_sex = _code(survey.SEX_CODES, _SEX_INDEX)
_parse_measure = _code({k: k for k in survey.MEASURE_CODES}, _POSITION_CODE)
_parse_oedema = _code(survey.OEDEMA_CODES, {False: 0, True: 1})


# --- arithmetic --------------------------------------------------------------------------------------------------


def _unsure(v: FloatArray) -> BoolArray:
    """Cents whose rounding (or sign, at 0) float cannot decide the way Decimal would."""
    size = np.abs(v)
    tolerance = TIE_TOLERANCE_CENTS + TIE_TOLERANCE_RELATIVE * size
    return ~(size < MAX_CENTS) | (np.abs(v - np.floor(v) - 0.5) < tolerance) | (size < TIE_TOLERANCE_CENTS)


def z_cents(y: FloatArray, lms: FloatArray, weight_based: bool, exact: BoolArray) -> tuple[FloatArray, BoolArray]:
    """pygrowup's z-score in cents (integral floats, -0.0 for "-0.00") and the rows float can't vouch for.

    `lms` is [rows, (l, m, s)]. First pass quantized to 0.01; weight-based indicators beyond +-3 (on the quantized
    value) take WHO's restricted formula, quantized again (pygrowup `_adjust_weight_based_z_score`).
    `exact` marks rows whose y and LMS row are the reference's own (y the parsed value, whose Decimal is repr(y),
    and a table row): there y == M means Decimal's (1 - 1) / (S*L), a zero with the sign of L.
    """
    lv, mv, sv = lms[:, 0], lms[:, 1], lms[:, 2]
    with np.errstate(all="ignore"):
        v = np.expm1(lv * np.log(y / mv)) / (sv * lv) * 100
        unsure = _unsure(v)
        cents = np.rint(v)
        median = exact & (y == mv)
        cents[median] = np.copysign(0.0, lv[median])
        unsure[median] = False
        if weight_based:
            beyond = np.flatnonzero((np.abs(cents) > 300) & ~unsure)
            if beyond.size:
                lb, mb, sb, yb = lv[beyond], mv[beyond], sv[beyond], y[beyond]
                sign = np.sign(cents[beyond])
                sd3 = mb * np.exp(np.log1p(3 * sign * lb * sb) / lb)
                sd2 = mb * np.exp(np.log1p(2 * sign * lb * sb) / lb)
                v2 = (3 * sign + (yb - sd3) / ((sd3 - sd2) * sign)) * 100
                v[beyond] = v2
                cents[beyond] = np.rint(v2)
                unsure[beyond] = _unsure(v2)
    return cents, unsure  # rint keeps the sign: -0.0 for a negative z rounded to zero


def _interpolated_lms(name: str, sex: IntArray, lenhei: FloatArray) -> tuple[FloatArray, BoolArray]:
    """`_who.interpolated_lms` for arrays: LMS between the 0.1 cm rows around `lenhei` (range already checked),
    and the rows where `lenhei` is exactly a row's length (its Decimal, repr(lenhei), then is too)."""
    first, table = lenhei_table(name)
    tenths = lenhei * 10
    nearest = np.rint(tenths)
    # Within float error of a row: take the row (interpolation is continuous there, the tie check covers the rest).
    whole = np.abs(tenths - nearest) < EXACT_TENTH_TOLERANCE
    low = np.where(whole, nearest, np.floor(tenths))
    diff = np.where(whole, 0.0, tenths - low)
    index = low.astype(np.int64) - first
    lower, upper = table[sex, index], table[sex, index + 1]
    return lower + diff[:, None] * (upper - lower), lenhei == nearest / 10


# --- one chunk ---------------------------------------------------------------------------------------------------


# The reference's parsing of each input column, as a number: see _by_distinct.
PARSERS: dict[str, Callable[[str], float]] = {
    "sex": _parse_sex,
    "birth_date": _date_ordinal,
    "visit_date": _date_ordinal,
    "age_days": _age_days,
    "measure": _parse_measure,
    "oedema": _parse_oedema,
    "weight_kg": _measurement("weight_kg"),
    "lenhei_cm": _measurement("lenhei_cm"),
    "headc_cm": _measurement("headc_cm"),
    "muac_cm": _measurement("muac_cm"),
}


def parse_texts(columns: Mapping[str, Sequence[str]], n: int) -> dict[str, FloatArray]:
    """Every input column as numbers (PARSERS); a column the file lacks reads as empty, as in `survey.parse_row`."""
    out = {}
    for name, parse in PARSERS.items():
        values = columns.get(name)
        out[name] = np.full(n, parse("")) if values is None else _by_distinct(values, parse)
    return out


def _flagged(indicator: Indicator, cents: FloatArray) -> BoolArray:
    low, high = FLAG_LIMITS[indicator]
    return (cents < round(low * 100)) | (cents > round(high * 100))


def score_chunk(columns: Mapping[str, Sequence[str]], n: int) -> dict[str, Column]:
    """The ADDED_COLUMNS of `survey` (name -> Column of n texts) for n rows given as input columns (name -> n
    strings; columns the file lacks are left out and read as empty, as `survey.parse_row` does)."""
    present = [(name, values) for name in INPUT_COLUMNS if (values := columns.get(name)) is not None]

    def texts(rows: Sequence[int]) -> list[dict[str, str]]:
        return [{name: values[row] for name, values in present} for row in rows]

    return score_values(parse_texts(columns, n), n, texts)


RowTexts = Callable[[Sequence[int]], list[dict[str, str]]]


def score_values(parsed: Mapping[str, FloatArray], n: int, row_texts: RowTexts) -> dict[str, Column]:
    """score_chunk on input columns already parsed (PARSERS); `row_texts` gives the input texts of rows that the
    reference scores (a value it refuses, a rounding tie)."""
    sex, position, oedema = (parsed[name].astype(np.int64) for name in ("sex", "measure", "oedema"))
    birth, visit, age_raw = parsed["birth_date"], parsed["visit_date"], parsed["age_days"]
    weight, lenhei, head, muac = (parsed[name] for name in ("weight_kg", "lenhei_cm", "headc_cm", "muac_cm"))

    with np.errstate(invalid="ignore"):
        both_dates = (birth >= 0) & (visit >= 0)
        from_dates = visit - birth
        age_float = np.where(both_dates, from_dates, np.floor(age_raw + 0.5))
        redo = (sex < 0) | (position < 0) | (oedema < 0) | np.isinf(age_raw)
        redo |= (birth == BAD_DATE) | (visit == BAD_DATE) | (both_dates & (from_dates < 0))
        redo |= age_float > MAX_AGE_FOR_FLOAT
        for values in (weight, lenhei, head, muac):
            redo |= np.isinf(values) | (values < VALUE_RANGE[0]) | (values > VALUE_RANGE[1])
    has_age = ~np.isnan(age_float) & ~redo
    age = np.where(has_age, age_float, -1).astype(np.int64)
    over_five = has_age & (age > MAX_AGE_DAYS)
    has_age &= ~over_five
    live = ~redo & ~over_five  # rows scored here, with their indicators
    sex_i = np.where(sex < 0, 0, sex)

    # Position cleaned (standing before 9 months = unknown, flagged) and the 0.7 cm rule, only with an age.
    with np.errstate(invalid="ignore"):
        c9mo = has_age & (position == _STANDING) & (age / DAYS_PER_MONTH < STANDING_PLAUSIBLE_FROM_MONTHS)
    cleaned = np.where(c9mo, 0, position)
    plus = has_age & (age < HEIGHT_FROM_DAYS) & (cleaned == _STANDING)
    minus = has_age & (age >= HEIGHT_FROM_DAYS) & (cleaned == _LYING)
    adjusted = plus | minus
    clen = lenhei + np.where(plus, 0.7, 0.0) - np.where(minus, 0.7, 0.0)
    given_len = live & ~np.isnan(clen)
    with np.errstate(all="ignore"):
        clen_cents = np.rint(clen * 100)
        # clenhei is f"{float(Decimal(text) +- 0.7):g}": the same text as this float's only when the exact value is
        # a whole number of cents (then 6 significant digits cannot round differently); else the reference.
        redo |= given_len & adjusted & ((np.abs(clen * 100 - clen_cents) > 1e-6) | (clen >= 1e4) | (clen < 1))
        given_w = live & ~np.isnan(weight)
        bmi = weight / (clen / 100) ** 2
        given_bmi = given_w & given_len
        bmi_cents = np.rint(bmi * 100)
        redo |= given_bmi & ~(bmi < BMI_FOR_FLOAT_BELOW)
        # A BMI on a rounding tie (14.8 kg at 80 cm: 23.125) is common: its cbmi is made the reference's way.
        bmi_tie = given_bmi & ~redo & _unsure(bmi * 100)
    weight_z = given_w & (oedema == 0)

    cents: dict[Indicator, FloatArray] = {}
    rows: dict[Indicator, IntArray] = {}
    everywhere = np.ones(n, dtype=bool)
    # (rows, measurement, rows where the float measurement is the reference's exactly: not adjusted, not a BMI)
    needs = {
        Indicator.WFA: (weight_z & has_age, weight, everywhere),
        Indicator.LHFA: (given_len & has_age, clen, ~adjusted),
        Indicator.BMIFA: (weight_z & given_len & has_age, bmi, ~everywhere),
        Indicator.HCFA: (live & has_age & ~np.isnan(head), head, everywhere),
        Indicator.ACFA: (live & has_age & (age >= MUAC_FROM_DAYS) & ~np.isnan(muac), muac, everywhere),
    }
    for ind, (mask, values, exact) in needs.items():
        idx = np.flatnonzero(mask & ~redo)
        lms = age_table(_AGE_TABLES[ind])[sex_i[idx], age[idx]]
        cents[ind], unsure = z_cents(values[idx], lms, ind in _WEIGHT_BASED, exact[idx])
        rows[ind] = idx
        redo[idx[unsure]] = True

    # Weight-for-length/height: table by age, without one by measure, without that by the value (< 87 cm).
    with np.errstate(invalid="ignore"):
        as_length = np.where(
            has_age,
            age < HEIGHT_FROM_DAYS,
            np.where(position == _LYING, True, np.where(position == _STANDING, False, clen < 87)),
        )
        low = np.where(as_length, float(WFL_RANGE[0]), float(WFH_RANGE[0]))
        high = np.where(as_length, float(WFL_RANGE[1]), float(WFH_RANGE[1]))
        wflh = weight_z & given_len & ~redo
        near_bound = adjusted & ((np.abs(clen - low) < BOUND_TOLERANCE_CM) | (np.abs(clen - high) < BOUND_TOLERANCE_CM))
        redo |= wflh & near_bound
        wflh &= ~near_bound & (clen >= low) & (clen <= high)
    idx_parts, cent_parts = [], []
    for name, length in (("wfl", True), ("wfh", False)):
        idx = np.flatnonzero(wflh & (as_length == length))
        lms, on_row = _interpolated_lms(name, sex_i[idx], clen[idx])
        part, unsure = z_cents(weight[idx], lms, True, on_row & ~adjusted[idx])
        redo[idx[unsure]] = True
        idx_parts.append(idx)
        cent_parts.append(part)
    rows[Indicator.WFLH] = np.concatenate(idx_parts)
    cents[Indicator.WFLH] = np.concatenate(cent_parts)

    # --- texts -------------------------------------------------------------------------------------------------
    out = {name: Column([""], n) for name in survey.ADDED_COLUMNS}
    for ind, col in survey.Z_COLUMNS.items():
        keep = ~redo[rows[ind]]
        idx, c = rows[ind][keep], cents[ind][keep]
        _put_z(out[col], idx, c)
        flagged = _flagged(ind, c)
        flags = out[survey.F_COLUMNS[ind]]
        flags.palette = ["", "0", "1"]
        flags.codes[idx] = 1 + flagged
        if ind in survey.CATEGORY_COLUMNS:
            _put_band(out[survey.CATEGORY_COLUMNS[ind]], PERMENKES_BANDS[ind], idx[~flagged], c[~flagged], 100)
        if ind is Indicator.ACFA:
            months = age[idx] / DAYS_PER_MONTH
            muac_rows = idx[~flagged & (months >= MUAC_MIN_MONTHS) & (months < MUAC_MAX_MONTHS)]
            _put_band(out[survey.MUAC_CATEGORY_COLUMN], MUAC_BANDS, muac_rows, muac[muac_rows], 1)
    shown = given_len & ~redo
    # clenhei as given: f"{x:g}" of the parsed float, which is cents / 100 when x has at most 2 decimals.
    as_given = np.flatnonzero(shown & ~adjusted)
    whole_cents = clen_cents[as_given] / 100 == lenhei[as_given]
    moved = np.flatnonzero(shown & adjusted)
    _put_cents(out["clenhei"], np.concatenate([as_given[whole_cents], moved]), clen_cents, "g")
    odd = as_given[~whole_cents].tolist()
    out["clenhei"].put_texts(odd, [format(x, "g") for x in lenhei[odd].tolist()])
    _put_cents(out["cbmi"], np.flatnonzero(given_bmi & ~redo & ~bmi_tie), bmi_cents, ".2f")
    ties = np.flatnonzero(bmi_tie & ~redo)
    texts = map(_exact_cbmi, weight[ties].tolist(), lenhei[ties].tolist(), plus[ties].tolist(), minus[ties].tolist())
    out["cbmi"].put_texts(ties.tolist(), texts)
    c9 = out["c9mo_flag"]
    c9.palette = ["", "0", "1"]
    c9.codes[live | over_five] = 1
    c9.codes[c9mo & live] = 2
    error = out[survey.ERROR_COLUMN]
    error.palette = ["", survey.NO_AGE]
    error.codes[live & ~has_age] = 1
    old = np.flatnonzero(over_five & ~redo)
    error.put_texts(old.tolist(), map(survey.over_five_error, age[old].tolist()))

    # --- rows the reference scores ---------------------------------------------------------------------------------
    redone = np.flatnonzero(redo).tolist()
    scored = [survey.score(survey.parse_row(row)) for row in row_texts(redone)]
    for name, column in out.items():
        column.put_texts(redone, [texts[name] for texts in scored])
    return out


def _exact_cbmi(weight: float, lenhei: float, plus: bool, minus: bool) -> str:
    """cbmi of one row in the reference's Decimal arithmetic."""
    clen = _who.to_decimal(lenhei)
    if plus:
        clen += POSITION_ADJUSTMENT_CM
    elif minus:
        clen -= POSITION_ADJUSTMENT_CM
    return survey.cbmi_text(survey.bmi_of(_who.to_decimal(weight), clen))


class Column:
    """n texts as codes into a palette. Survey columns repeat a few texts, so the texts are made (and quoted, and
    joined with their neighbours) once per distinct text rather than once per row."""

    def __init__(self, palette: list[str], n: int) -> None:
        self.palette = palette  # palette[0] is always ""
        self.codes: IntArray = np.zeros(n, dtype=np.int64)

    def put_texts(self, rows: Iterable[int], texts: Iterable[str]) -> None:
        """Texts into rows, each added to the palette once (call with all rows at once: the palette is indexed)."""
        rows, texts = list(rows), list(texts)
        if not rows:
            return
        index = {text: i for i, text in enumerate(self.palette)}
        for row, text in zip(rows, texts, strict=True):
            code = index.get(text)
            if code is None:
                code = index[text] = len(self.palette)
                self.palette.append(text)
            self.codes[row] = code

    def texts(self) -> list[str]:
        palette: npt.NDArray[np.object_] = np.empty(len(self.palette), dtype=object)
        palette[:] = self.palette
        return palette[self.codes].tolist()


def distinct(keys: IntArray) -> tuple[IntArray, IntArray]:
    """(sorted distinct keys, index of each key among them): np.unique, without a sort for a compact range."""
    if keys.size == 0:
        return keys, keys
    low = int(keys.min())
    span = int(keys.max()) - low + 1
    if span > 1 << 20:
        values, inverse = np.unique(keys, return_inverse=True)
        return values, inverse.reshape(-1)
    offsets = keys - low
    present = np.flatnonzero(np.bincount(offsets, minlength=span))
    lut = np.zeros(span, dtype=np.int64)
    lut[present] = np.arange(present.size)
    return present + low, lut[offsets]


def _put_z(column: Column, rows: IntArray, cents: FloatArray) -> None:
    """f"{z:.2f}" of pygrowup's rounded z, "-0.00" included (a negative z rounded to zero keeps its sign)."""
    # Key 2*cents, and 1 for -0.00 (no other key is odd): one palette entry per distinct z of the chunk.
    keys = cents.astype(np.int64) * 2 + ((cents == 0) & np.signbit(cents))
    values, inverse = distinct(keys)
    column.palette = ["", *map(_z_text, values.tolist())]
    column.codes[rows] = inverse + 1


@lru_cache(maxsize=1 << 16)  # the same few thousand z values come back in every chunk
def _z_text(key: int) -> str:
    return "-0.00" if key == 1 else f"{key // 2 / 100:.2f}"


def _put_cents(column: Column, rows: IntArray, cents: FloatArray, spec: str) -> None:
    """format(cents / 100, spec) into the rows (cents: integral floats)."""
    values, inverse = distinct(cents[rows].astype(np.int64))
    column.palette = ["", *(format(v / 100, spec) for v in values.tolist())]
    column.codes[rows] = inverse + 1


def _put_band(column: Column, bands: Sequence[Band], rows: IntArray, value: FloatArray, scale: int) -> None:
    """classify._pick for arrays: the first band whose upper bound the value is under (or on, if inclusive)."""
    column.palette = ["", *(band.category.label_id for band in bands)]
    todo = np.ones(rows.shape, dtype=bool)
    for code, band in enumerate(bands, start=1):
        upper = band.upper * scale
        hit = todo & ((value < upper) | ((value == upper) if band.upper_inclusive else False))
        column.codes[rows[hit]] = code
        todo &= ~hit
