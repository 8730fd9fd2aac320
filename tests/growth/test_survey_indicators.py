"""Survey rows are scored indicator by indicator, as WHO anthro's `anthro_zscores` does: bad values blank only
the indicators that need them, and rows without an age still get weight-for-length/height.

Sources (WHO anthro R package, github.com/WorldHealthOrganization/anthro): R/z-score.R (`anthro_zscores`, one
function per indicator), R/z-score-helper.R (`anthro_zscore_adjusted`: "a measure <= 0 should result in zscores
being NA" for that indicator), R/z-score-weight-for-lenhei.R (`join_on_l` / `join_on_h`, ranges), R/utils.R
(`adjust_lenhei`: 0.7 cm only with a known age).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.growth import _who
from bot.growth.models import Sex
from bot.growth.survey import NO_AGE, process_row


def _row(**kw: str) -> dict[str, str]:
    base = {"sex": "M", "age_days": "400", "weight_kg": "", "lenhei_cm": "", "measure": "", "oedema": ""}
    base.update(kw)
    return process_row(base)


def _wflh(table: str, lenhei: str, weight: str, sex: Sex = Sex.M) -> str:
    return f"{float(_who.lenhei_z(table, sex, Decimal(lenhei), Decimal(weight))):.2f}"


# --- each indicator on its own ---------------------------------------------------------------------------------


def test_zero_weight_still_gets_length_for_age() -> None:
    """anthro R/z-score-helper.R `anthro_zscore_adjusted`: a measure <= 0 makes that indicator's z NA, not the
    row's; R/z-score.R computes zlen from lenhei alone."""
    row = _row(weight_kg="0", lenhei_cm="75", measure="l")
    assert row["zlen"] == "-0.86" and row["flen"] == "0"
    assert row["zwei"] == row["zwfl"] == row["zbmi"] == row["cbmi"] == ""
    assert row["error"] == "weight_kg must be greater than 0 (got 0.0)"


def test_weight_so_large_that_decimal_overflows_blanks_only_weight_based_indicators() -> None:
    """anthro R/z-score.R: zlen and zhc do not depend on weight; pygrowup's Decimal overflows for 1e300 kg."""
    row = _row(weight_kg="1e300", lenhei_cm="75", measure="l", headc_cm="46")
    assert row["zwei"] == row["zwfl"] == row["zbmi"] == ""
    assert row["zlen"] == "-0.86" and row["zhc"] != ""
    assert "weight_kg 1e+300 is far outside any possible measurement" in row["error"]


def test_bad_length_blanks_length_based_indicators_only() -> None:
    """anthro R/z-score.R: zwei needs no length; zlen, zwfl and zbmi do (through clenhei)."""
    row = _row(weight_kg="9", lenhei_cm="-75", measure="l")
    assert row["zwei"] != "" and row["zlen"] == row["zwfl"] == row["zbmi"] == row["clenhei"] == ""
    assert "lenhei_cm must be greater than 0" in row["error"]


def test_bad_oedema_value_blanks_weight_based_indicators_only() -> None:
    """anthro R/z-score.R: oedema only suppresses zwei, zwfl and zbmi; an unreadable value may be an oedema."""
    row = _row(weight_kg="9", lenhei_cm="75", measure="l", oedema="maybe")
    assert row["zwei"] == row["zwfl"] == row["zbmi"] == "" and row["zlen"] != "" and row["cbmi"] != ""
    assert "oedema must be y, n or empty" in row["error"]


def test_reasons_of_several_bad_values_are_joined() -> None:
    row = _row(weight_kg="abc", lenhei_cm="0", headc_cm="46")
    assert row["error"] == "weight_kg is not a number: 'abc'; lenhei_cm must be greater than 0 (got 0.0)"
    assert row["zhc"] != ""


def test_invalid_sex_blanks_every_indicator() -> None:
    """anthro R/utils.R `standardize_sex_var`: an unknown sex is NA, and no standard can be chosen."""
    row = _row(sex="X", weight_kg="9", lenhei_cm="75", measure="l")
    assert all(row[c] == "" for c in ("zwei", "zlen", "zwfl", "zbmi", "clenhei", "cbmi", "c9mo_flag"))
    assert row["error"].startswith("sex must be")


def test_invalid_age_blanks_age_based_indicators_but_not_weight_for_length() -> None:
    """anthro R/z-score-weight-for-lenhei.R: without a (usable) age the table is chosen by measure."""
    dates = {"birth_date": "2024-03-02", "visit_date": "2024-03-01"}
    row = _row(age_days="", **dates, weight_kg="9", lenhei_cm="75", measure="l")
    assert row["zwei"] == row["zlen"] == row["zbmi"] == ""
    assert row["zwfl"] == _wflh("wfl", "75", "9")
    assert row["error"] == "date of birth is after the measurement date"


# --- weight-for-length/height without an age ----------------------------------------------------------------------


def test_row_without_age_but_weight_length_and_measure_gets_zwfl() -> None:
    """anthro R/z-score-weight-for-lenhei.R `join_on_l`: age NA and measure "l" -> weight-for-length table."""
    row = _row(age_days="", weight_kg="9", lenhei_cm="75", measure="l")
    assert row["zwfl"] == _wflh("wfl", "75", "9") == "-0.66"
    assert row["fwfl"] == "0" and row["cat_wfl"] == "Gizi baik"
    assert row["zwei"] == row["zlen"] == row["zbmi"] == ""
    assert row["clenhei"] == "75" and row["cbmi"] == "16.00" and row["c9mo_flag"] == "0"
    assert row["error"] == NO_AGE


def test_row_without_age_measured_standing_uses_the_weight_for_height_table() -> None:
    """anthro R/z-score-weight-for-lenhei.R `join_on_h`: age NA and measure "h" -> weight-for-height table."""
    row = _row(age_days="", weight_kg="9", lenhei_cm="75", measure="h")
    assert row["zwfl"] == _wflh("wfh", "75", "9") == "-0.84"


@pytest.mark.parametrize(("lenhei", "table"), [("86.9", "wfl"), ("86.99", "wfl"), ("87", "wfh"), ("87.0", "wfh")])
def test_row_without_age_or_measure_is_a_length_under_87_cm_and_a_height_from_87(lenhei: str, table: str) -> None:
    """anthro R/z-score-weight-for-lenhei.R: age NA and measure NA -> `lenhei < 87` joins on "l", `>= 87` on "h"
    (also documented for `measure` in R/z-score.R)."""
    row = _row(age_days="", weight_kg="12", lenhei_cm=lenhei)
    assert row["zwfl"] == _wflh(table, lenhei, "12")
    other = "wfh" if table == "wfl" else "wfl"
    assert row["zwfl"] != _wflh(other, lenhei, "12")


def test_no_age_means_no_0_7_cm_adjustment() -> None:
    """anthro R/utils.R `adjust_lenhei`: +-0.7 cm only where `!is.na(age_in_days)`."""
    row = _row(age_days="", weight_kg="13", lenhei_cm="90", measure="l")
    assert row["clenhei"] == "90" and row["zwfl"] == _wflh("wfl", "90", "13")
    with_age = _row(age_days="800", weight_kg="13", lenhei_cm="90", measure="l")
    assert with_age["clenhei"] == "89.3" and with_age["zwfl"] == _wflh("wfh", "89.3", "13")


@pytest.mark.parametrize(
    ("measure", "lenhei", "given"),
    [
        ("l", "44.9", False),
        ("l", "45", True),
        ("l", "110", True),
        ("l", "110.1", False),
        ("h", "64.9", False),
        ("h", "65", True),
        ("h", "120", True),
        ("h", "120.1", False),
        ("", "44.9", False),
        ("", "120.1", False),
    ],
)
def test_row_without_age_is_range_checked_on_the_chosen_table(measure: str, lenhei: str, given: bool) -> None:
    """anthro R/z-score-weight-for-lenhei.R `valid_zscore`: 45-110 cm on the "l" table, 65-120 cm on "h"; a
    length outside its table's range is not moved to the other table."""
    row = _row(age_days="", weight_kg="10", lenhei_cm=lenhei, measure=measure)
    assert (row["zwfl"] != "") is given


def test_standing_without_age_is_not_the_under_9_months_flag() -> None:
    """anthro R/z-score.R: `measure_implausible` needs `!is.na(age_in_months)`; "h" stays a height."""
    row = _row(age_days="", weight_kg="7", lenhei_cm="66", measure="h")
    assert row["c9mo_flag"] == "0" and row["zwfl"] == _wflh("wfh", "66", "7")


def test_row_without_age_with_oedema_has_no_zwfl() -> None:
    """anthro R/z-score-weight-for-lenhei.R: `valid_zscore & !(oedema %in% "y")`."""
    row = _row(age_days="", weight_kg="9", lenhei_cm="75", measure="l", oedema="y")
    assert row["zwfl"] == "" and row["cbmi"] == "16.00"


def test_over_five_row_has_no_zwfl_either() -> None:
    """anthro R/z-score-weight-for-lenhei.R: `valid_zscore & age_in_months < 60`."""
    row = _row(age_days="1827", weight_kg="18", lenhei_cm="108", measure="h")
    assert row["zwfl"] == "" and "1826" in row["error"]
