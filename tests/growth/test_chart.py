"""Growth-chart pictures."""

from __future__ import annotations

import io

import pytest
from matplotlib.image import imread

from bot.growth.chart import _curve_table, render_growth_chart
from bot.growth.models import Indicator, MeasurementInput, Sex
from bot.growth.zscores import compute

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _history(sex: str = "F", old: bool = False):  # type: ignore[no-untyped-def]
    visits = [(30, 4.0, 53.0), (120, 6.0, 61.0), (300, 7.8, 69.0), (500, 9.0, 76.0)]
    if old:
        visits += [(800, 11.0, 85.0), (1200, 13.0, 95.0)]
    return [
        compute(MeasurementInput(sex=sex, age_days=d, weight_kg=w, length_cm=length))
        for d, w, length in visits
    ]


@pytest.mark.parametrize("indicator", [Indicator.WFA, Indicator.LHFA, Indicator.WFLH])
@pytest.mark.parametrize("old", [False, True])
def test_chart_is_a_png(indicator: Indicator, old: bool, tr_id) -> None:  # type: ignore[no-untyped-def]
    png = render_growth_chart(indicator, Sex.F, _history(old=old), tr_id, title="Anak 1")
    assert png.startswith(PNG_MAGIC)
    img = imread(io.BytesIO(png))
    assert img.shape[0] >= 800 and img.shape[1] >= 800  # readable on a phone


def test_chart_without_measurements(tr_en) -> None:  # type: ignore[no-untyped-def]
    assert render_growth_chart(Indicator.WFA, Sex.M, [], tr_en).startswith(PNG_MAGIC)


def test_no_chart_for_other_indicators(tr_en) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        render_growth_chart(Indicator.HCFA, Sex.M, [], tr_en)


def test_curves_match_the_z_scores() -> None:
    # The median curve at 365 days is the weight that gives z = 0.
    x, values = _curve_table("wfa", Sex.M, 0.0, 1826.0)
    i = list(x).index(365.0)
    r = compute(MeasurementInput(sex="M", age_days=365, weight_kg=round(float(values[2][i]), 4)))
    assert r.z[Indicator.WFA] == 0.0
    r3 = compute(MeasurementInput(sex="M", age_days=365, weight_kg=round(float(values[4][i]), 4)))
    assert r3.z[Indicator.WFA] == 3.0
