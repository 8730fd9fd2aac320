"""Normal ranges for an age (bot.growth.reference): the edges of the Permenkes 2/2020 "normal" bands, from the
same WHO tables the z-scores use."""

from __future__ import annotations

import pytest

from bot.growth.models import Indicator, MeasurementInput, Sex
from bot.growth.reference import normal_band, normal_range
from bot.growth.zscores import compute


def test_the_normal_bands_are_the_permenkes_ones() -> None:
    """PMK 2/2020: BB/U normal -2 SD to +1 SD; PB/U-TB/U normal -2 SD to +3 SD."""
    assert normal_band(Indicator.WFA) == (-2, 1)
    assert normal_band(Indicator.LHFA) == (-2, 3)


@pytest.mark.parametrize(("indicator", "sex", "days"), [
    (Indicator.LHFA, Sex.M, 731), (Indicator.LHFA, Sex.F, 426), (Indicator.WFA, Sex.F, 183),
    (Indicator.WFA, Sex.M, 1826), (Indicator.LHFA, Sex.M, 0),
])
def test_a_child_on_an_edge_scores_that_z_score(indicator: Indicator, sex: Sex, days: int) -> None:
    """The lower edge is -2 SD and the upper +1 / +3 SD, by the growth engine itself (WHO anthro rules)."""
    r = normal_range(indicator, sex, days)
    field = "weight_kg" if indicator is Indicator.WFA else "length_cm"
    for value, z in ((r.low, r.low_z), (r.high, r.high_z), (r.median, 0.0)):
        result = compute(MeasurementInput(sex=sex, age_days=days, **{field: round(value, 3)}))
        assert result.z[indicator] == pytest.approx(z, abs=0.01)


def test_who_medians_at_two_years() -> None:
    """WHO Child Growth Standards, height-for-age at 24 months: boys 87.1 cm, girls 85.7 cm."""
    assert round(normal_range(Indicator.LHFA, Sex.M, 731).median, 1) == 87.1
    assert round(normal_range(Indicator.LHFA, Sex.F, 731).median, 1) == 85.7


def test_ages_outside_the_under_five_standard_are_refused() -> None:
    with pytest.raises(ValueError):
        normal_range(Indicator.WFA, Sex.M, 1827)
