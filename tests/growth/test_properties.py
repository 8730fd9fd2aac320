"""Property tests: any valid input gives a result or a clear GrowthInputError; classification is monotone."""

from __future__ import annotations

import math
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from pygrowup import Observation

from bot.growth.classify import PERMENKES_BANDS, classify
from bot.growth.models import Indicator, MeasurementInput, Position, Sex
from bot.growth.zscores import GrowthInputError, check_plausible, compute

finite = st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False)
optional_measure = st.none() | finite


@st.composite
def inputs(draw: st.DrawFn) -> MeasurementInput:
    use_dates = draw(st.booleans())
    kw: dict[str, object] = {}
    if use_dates:
        birth = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 1, 1)))
        kw["birth_date"] = birth
        kw["measured_on"] = birth + timedelta(days=draw(st.integers(-30, 2500)))
    else:
        kw["age_days"] = draw(st.integers(-30, 2500))
    return MeasurementInput(
        sex=draw(st.sampled_from(list(Sex))),
        weight_kg=draw(optional_measure),
        length_cm=draw(optional_measure),
        position=draw(st.sampled_from(list(Position))),
        oedema=draw(st.booleans()),
        head_cm=draw(optional_measure),
        muac_cm=draw(optional_measure),
        **kw,  # type: ignore[arg-type]
    )


@settings(max_examples=400, deadline=None)
@given(inputs())
def test_any_input_gives_a_result_or_a_growth_input_error(inp: MeasurementInput) -> None:
    try:
        r = compute(inp)
    except GrowthInputError as exc:
        assert exc.code
        return
    for ind, z in r.z.items():
        if z is None:
            continue
        assert math.isfinite(z) and round(z, 2) == z
        if not r.flags[ind] and ind in PERMENKES_BANDS:
            assert r.categories[ind] is not None
    check_plausible(inp)  # never raises either


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(list(PERMENKES_BANDS)),
    st.floats(-10, 10, allow_nan=False),
    st.floats(-10, 10, allow_nan=False),
)
def test_classification_is_monotone_in_z(indicator: Indicator, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    bands = [band.category.code for band in PERMENKES_BANDS[indicator]]
    cat_lo, cat_hi = classify(indicator, lo), classify(indicator, hi)
    assert cat_lo is not None and cat_hi is not None
    assert bands.index(cat_lo.code) <= bands.index(cat_hi.code)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(list(Sex)),
    st.integers(1, 1826),
    st.floats(2.0, 30.0, allow_nan=False).map(lambda x: round(x, 2)),
)
def test_weight_for_age_equals_pygrowup_public_api(sex: Sex, age: int, weight: float) -> None:
    # Where pygrowup follows WHO (age-based, in its range), we return exactly its value.
    pg = Observation(Observation.MALE if sex is Sex.M else Observation.FEMALE, age_in_days=age)
    ours = compute(MeasurementInput(sex=sex, age_days=age, weight_kg=weight)).z[Indicator.WFA]
    assert ours == float(pg.wfa(weight))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(Sex)),
    st.integers(1, 1826),
    st.floats(45.0, 120.0, allow_nan=False).map(lambda x: round(x, 1)),
)
def test_length_for_age_equals_pygrowup_when_position_matches_age(sex: Sex, age: int, length: float) -> None:
    pg = Observation(Observation.MALE if sex is Sex.M else Observation.FEMALE, age_in_days=age)
    ours = compute(MeasurementInput(sex=sex, age_days=age, length_cm=length)).z[Indicator.LHFA]
    assert ours == float(pg.lhfa(length, auto_adjust=False))
