"""check_plausible only suggests corrections that are themselves plausible for the field and age."""

from __future__ import annotations

import pytest

from bot.growth.models import MeasurementInput
from bot.growth.zscores import check_plausible


def _inp(**kw: object) -> MeasurementInput:
    base: dict[str, object] = {"sex": "M", "age_days": 610}
    base.update(kw)
    return MeasurementInput.model_validate(base)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"muac_cm": 80.2}, "muac_cm"),  # /10 = 8.0 cm: impossible at 1 y 8 m too
        ({"length_cm": 1050, "position": "lying", "age_days": 335}, "length_cm"),  # /10 = 105 cm at 11 months
        ({"head_cm": 99}, "head_cm"),  # 9.9 cm, 0.99 cm: nothing plausible
    ],
)
def test_no_suggestion_when_no_divided_value_is_plausible(kw: dict[str, object], field: str) -> None:
    problems = [p for p in check_plausible(_inp(**kw)) if p.field == field]
    assert problems and problems[0].suggestion is None


def test_first_plausible_divisor_wins() -> None:
    problem = check_plausible(_inp(length_cm=8150, position="lying"))[0]  # /100 = 81.5 cm
    assert problem.field == "length_cm" and problem.suggestion == 81.5


def test_suggestion_has_one_decimal_as_shown_and_passes_the_check() -> None:
    problem = check_plausible(_inp(weight_kg=109))[0]
    assert problem.suggestion == 10.9
    assert check_plausible(_inp(weight_kg=problem.suggestion)) == []


def test_a_point_too_far_left_is_tried_after_the_divisions() -> None:
    problem = check_plausible(_inp(weight_kg=1.09))[0]  # 10.9 kg
    assert problem.suggestion == 10.9
    assert check_plausible(_inp(weight_kg=0.09))[0].suggestion is None  # 0.9 kg: implausible as well
