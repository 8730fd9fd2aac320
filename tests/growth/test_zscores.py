"""WHO anthro rules of bot.growth.zscores, and the pygrowup pitfalls the wrapper works around."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pygrowup import Observation
from pygrowup import exceptions as pg_exc

from bot.growth import _who
from bot.growth.models import Indicator, MeasurementInput, Missing, Note, Position, Sex
from bot.growth.zscores import GrowthInputError, check_change, check_plausible, compute


def _inp(**kw: object) -> MeasurementInput:
    base: dict[str, object] = {"sex": "M", "age_days": 400}
    base.update(kw)
    return MeasurementInput(**base)  # type: ignore[arg-type]


# --- pygrowup pitfalls ---------------------------------------------------------------------------------------


def test_pygrowup_itself_fails_for_a_newborn_given_age_zero() -> None:
    with pytest.raises(TypeError):
        Observation(Observation.MALE, age_in_days=0)


def test_newborn_gets_z_scores() -> None:
    r = compute(_inp(age_days=0, weight_kg=3.3464, length_cm=49.8842, head_cm=34.4618))
    assert r.z[Indicator.WFA] == 0.0
    assert r.z[Indicator.LHFA] == 0.0
    assert r.z[Indicator.HCFA] == 0.0


def test_newborn_from_equal_dates() -> None:
    d = date(2024, 5, 1)
    r = compute(_inp(age_days=None, birth_date=d, measured_on=d, weight_kg=3.2))
    assert r.age_days == 0 and r.z[Indicator.WFA] is not None


def test_pygrowup_lhfa_would_add_0_7_to_a_lying_child_by_default() -> None:
    obs = Observation(Observation.MALE, age_in_days=400)
    assert obs.lhfa(75) != obs.lhfa(75, recumbent=True)
    assert compute(_inp(length_cm=75, position="lying")).z[Indicator.LHFA] == float(obs.lhfa(75, recumbent=True))


def test_pygrowup_switches_at_730_days_but_who_at_731() -> None:
    # At 730 days a child measured lying is still a length: no -0.7 (pygrowup would subtract it).
    obs = Observation(Observation.FEMALE, age_in_days=730)
    r = compute(_inp(sex="F", age_days=730, length_cm=85, position="lying"))
    assert r.adjusted_length_cm == 85.0
    assert r.z[Indicator.LHFA] == float(obs.lhfa(85, recumbent=True, auto_adjust=False))
    assert r.z[Indicator.LHFA] != float(obs.lhfa(85, recumbent=True))


def test_pygrowup_wfl_rounds_length_but_who_interpolates() -> None:
    obs = Observation(Observation.MALE, age_in_days=300)
    r = compute(_inp(age_days=300, weight_kg=9.0, length_cm=72.45, position="lying"))
    lo = compute(_inp(age_days=300, weight_kg=9.0, length_cm=72.4, position="lying")).z[Indicator.WFLH]
    hi = compute(_inp(age_days=300, weight_kg=9.0, length_cm=72.5, position="lying")).z[Indicator.WFLH]
    assert lo is not None and hi is not None and r.z[Indicator.WFLH] is not None
    assert min(lo, hi) <= r.z[Indicator.WFLH] <= max(lo, hi)
    assert lo == float(obs.wfl(9.0, 72.4))  # on a 0.1 cm row we equal pygrowup


def test_interpolated_lms_is_halfway_between_rows() -> None:
    mid = _who.interpolated_lms("wfl", Sex.M, Decimal("72.45"))
    a, b = _who.lms("wfl", Sex.M, Decimal("72.4")), _who.lms("wfl", Sex.M, Decimal("72.5"))
    assert mid["m"] == (a["m"] + b["m"]) / 2


def test_pygrowup_raises_on_out_of_range_values_but_we_flag_them() -> None:
    with pytest.raises(pg_exc.MeasurementOutOfRangeError):
        Observation(Observation.MALE, age_in_days=1).wfa(0.8)
    r = compute(_inp(age_days=1, weight_kg=0.8))
    assert r.z[Indicator.WFA] is not None and r.flags[Indicator.WFA]
    assert r.categories[Indicator.WFA] is None
    assert Note.IMPLAUSIBLE in r.notes


def test_results_have_two_decimals() -> None:
    r = compute(_inp(weight_kg=9.87, length_cm=76.3, head_cm=45.1, muac_cm=14.2, position="lying"))
    for z in r.z.values():
        assert z is not None and round(z, 2) == z


# --- length/height position rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "position", "expected", "note"),
    [
        (400, "standing", 80.7, Note.LENGTH_PLUS_0_7),
        (730, "standing", 80.7, Note.LENGTH_PLUS_0_7),
        (731, "standing", 80.0, None),
        (731, "lying", 79.3, Note.HEIGHT_MINUS_0_7),
        (1826, "lying", 79.3, Note.HEIGHT_MINUS_0_7),
        (730, "lying", 80.0, None),
        (400, "unknown", 80.0, None),
        (900, "unknown", 80.0, None),
    ],
)
def test_length_height_adjustment(age: int, position: str, expected: float, note: Note | None) -> None:
    r = compute(_inp(age_days=age, length_cm=80.0, position=position))
    assert r.adjusted_length_cm == pytest.approx(expected)
    if note is not None:
        assert note in r.notes


def test_standing_before_9_months_is_not_adjusted_and_flagged() -> None:
    r = compute(_inp(age_days=273, length_cm=68.0, position="standing"))  # 273 / 30.4375 = 8.97 months
    assert r.adjusted_length_cm == 68.0
    assert r.measured_as is Position.UNKNOWN
    assert Note.STANDING_UNDER_9_MONTHS in r.notes


def test_standing_from_9_months_is_adjusted() -> None:
    r = compute(_inp(age_days=274, length_cm=68.0, position="standing"))  # 9.002 months
    assert r.adjusted_length_cm == pytest.approx(68.7)
    assert Note.STANDING_UNDER_9_MONTHS not in r.notes


def test_bmi_uses_adjusted_length() -> None:
    r = compute(_inp(age_days=400, weight_kg=10.0, length_cm=74.3, position="standing"))
    assert r.bmi == round(10.0 / 0.75**2, 2)


# --- weight-for-length / height ---------------------------------------------------------------------------------


def test_table_chosen_by_age_not_by_length() -> None:
    young = compute(_inp(age_days=730, weight_kg=11.0, length_cm=85.0, position="lying"))
    old = compute(_inp(age_days=731, weight_kg=11.0, length_cm=85.7, position="lying"))  # 85.0 after -0.7
    wfl = float(_who.lenhei_z("wfl", Sex.M, Decimal("85.0"), Decimal("11.0")))
    wfh = float(_who.lenhei_z("wfh", Sex.M, Decimal("85.0"), Decimal("11.0")))
    assert young.z[Indicator.WFLH] == wfl and old.z[Indicator.WFLH] == wfh and wfl != wfh


@pytest.mark.parametrize(
    ("age", "length", "position", "has_z"),
    [
        (100, 45.0, "lying", True),
        (100, 44.99, "lying", False),
        (600, 110.0, "lying", True),
        (600, 109.4, "standing", False),  # 110.1 after +0.7
        (800, 65.0, "standing", True),
        (800, 65.6, "lying", False),  # 64.9 after -0.7: range checked on the adjusted value
        (800, 120.0, "standing", True),
        (800, 120.01, "standing", False),
    ],
)
def test_wflh_range_checked_on_adjusted_value(age: int, length: float, position: str, has_z: bool) -> None:
    r = compute(_inp(age_days=age, weight_kg=8.0, length_cm=length, position=position))
    assert (r.z[Indicator.WFLH] is not None) is has_z
    if not has_z:
        assert r.missing[Indicator.WFLH] is Missing.LENGTH_OUT_OF_RANGE


# --- oedema, MUAC age, over five, validation --------------------------------------------------------------------


def test_oedema_removes_weight_based_z_scores() -> None:
    r = compute(_inp(weight_kg=9.0, length_cm=76.0, position="lying", oedema=True, muac_cm=12.0, head_cm=46))
    for ind in (Indicator.WFA, Indicator.WFLH, Indicator.BMIFA):
        assert r.z[ind] is None and r.missing[ind] is Missing.OEDEMA
    assert r.z[Indicator.LHFA] is not None and r.z[Indicator.ACFA] is not None and r.z[Indicator.HCFA] is not None
    assert Note.OEDEMA in r.notes


def test_muac_for_age_from_91_days() -> None:
    assert compute(_inp(age_days=90, muac_cm=11.0)).missing[Indicator.ACFA] is Missing.AGE_OUT_OF_RANGE
    assert compute(_inp(age_days=91, muac_cm=11.0)).z[Indicator.ACFA] is not None


def test_over_1826_days_is_refused_with_a_code() -> None:
    with pytest.raises(GrowthInputError) as exc:
        compute(_inp(age_days=1827, weight_kg=18))
    assert exc.value.code == "age_over_five"
    assert compute(_inp(age_days=1826, weight_kg=18)).z[Indicator.WFA] is not None


def test_a_length_that_the_lying_adjustment_takes_to_zero_is_an_input_error() -> None:
    # Found by the property test: 0,7 cm lying at 731 days is 0 cm standing (BMI would divide by zero).
    with pytest.raises(GrowthInputError) as exc:
        compute(_inp(age_days=731, weight_kg=1.0, length_cm=0.7, position=Position.LYING))
    assert exc.value.code == "out_of_range"
    assert compute(_inp(age_days=731, weight_kg=1.0, length_cm=0.8, position=Position.LYING)).z[
        Indicator.LHFA] is not None


def test_over_five_result_says_the_standard_no_longer_applies() -> None:
    r = compute(_inp(age_days=2000, weight_kg=18), allow_over_five=True)
    assert Note.OVER_FIVE in r.notes and all(z is None for z in r.z.values())


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        (
            {"age_days": None, "birth_date": date(2024, 2, 1), "measured_on": date(2024, 1, 1)},
            "birth_after_measurement",
        ),
        ({"age_days": -1}, "negative_age"),
        ({"age_days": None}, "missing_age"),
        ({"age_days": None, "birth_date": date(2024, 1, 1)}, "missing_date"),
        ({"age_days": 5, "birth_date": date(2024, 1, 1), "measured_on": date(2024, 1, 2)}, "age_mismatch"),
        ({"weight_kg": 0}, "non_positive"),
        ({"length_cm": -70}, "non_positive"),
        ({"muac_cm": 0}, "non_positive"),
    ],
)
def test_invalid_input_raises_growth_input_error_with_code(kw: dict[str, object], code: str) -> None:
    with pytest.raises(GrowthInputError) as exc:
        compute(_inp(**kw))
    assert exc.value.code == code
    assert isinstance(exc.value, ValueError)


def test_sex_aliases() -> None:
    assert _inp(sex="L").sex is Sex.M and _inp(sex="P").sex is Sex.F
    assert _inp(sex=1).sex is Sex.M and _inp(sex="2").sex is Sex.F


@pytest.mark.parametrize(
    ("indicator", "kw", "flagged"),
    [
        (Indicator.WFA, {"weight_kg": 30.0}, True),  # > +5
        (Indicator.LHFA, {"length_cm": 50.0, "position": "lying"}, True),  # < -6
        (Indicator.HCFA, {"head_cm": 30.0}, True),
        (Indicator.ACFA, {"muac_cm": 30.0}, True),
        (Indicator.WFA, {"weight_kg": 10.0}, False),
    ],
)
def test_implausible_values_are_flagged_and_not_classified(
    indicator: Indicator, kw: dict[str, object], flagged: bool
) -> None:
    r = compute(_inp(**kw))
    assert r.flags[indicator] is flagged
    assert (r.categories[indicator] is None) is flagged or indicator in (Indicator.HCFA, Indicator.ACFA)


def test_flag_thresholds_are_asymmetric_for_weight_for_age() -> None:
    from bot.growth.zscores import is_implausible

    assert is_implausible(Indicator.WFA, 5.01) and not is_implausible(Indicator.WFA, -5.99)
    assert is_implausible(Indicator.LHFA, 6.01) and not is_implausible(Indicator.LHFA, 5.99)
    assert is_implausible(Indicator.WFLH, -5.01) and not is_implausible(Indicator.WFLH, 5.0)


# --- plausibility of raw values ---------------------------------------------------------------------------------


def test_missing_decimal_point_in_weight_is_suggested() -> None:
    problems = check_plausible(_inp(age_days=610, weight_kg=105))  # 1 y 8 m
    assert len(problems) == 1
    p = problems[0]
    assert p.field == "weight_kg" and p.code == "implausible_for_age" and p.suggestion == 10.5


def test_length_in_mm_is_suggested_in_cm() -> None:
    problems = check_plausible(_inp(age_days=400, length_cm=765, position="lying"))
    assert problems[0].field == "length_cm" and problems[0].suggestion == 76.5


def test_plausible_values_have_no_problem() -> None:
    assert check_plausible(_inp(age_days=400, weight_kg=9.5, length_cm=76, position="lying", muac_cm=14)) == []


def test_check_plausible_reports_invalid_input_instead_of_raising() -> None:
    assert check_plausible(_inp(weight_kg=-3))[0].code == "non_positive"


def test_weight_drop_and_shrinking_length_between_visits() -> None:
    before = compute(_inp(age_days=400, weight_kg=10.0, length_cm=76.0, position="lying"))
    after = compute(_inp(age_days=430, weight_kg=8.8, length_cm=75.0, position="lying"))
    codes = {p.code for p in check_change(before, after)}
    assert codes == {"weight_dropped", "length_decreased"}


def test_length_to_height_switch_is_not_a_shrink() -> None:
    before = compute(_inp(age_days=720, weight_kg=11.0, length_cm=85.0, position="lying"))
    after = compute(_inp(age_days=740, weight_kg=11.1, length_cm=84.6, position="standing"))
    assert check_change(before, after) == []
