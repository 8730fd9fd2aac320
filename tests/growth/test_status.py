"""The status function: refer reasons at their boundaries, severe wasting only from its definition, the visit that
counts in a month, and advice that says "refer" exactly when the child is referred (docs/clinical-rules.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.growth.advice import ADVICE, REFER_KEYS, URGENT_KEYS, AdviceKey
from bot.growth.models import Indicator, MeasurementInput, Sex
from bot.growth.status import (
    REASON_ADVICE,
    URGENT,
    ChildFacts,
    Reason,
    Visit,
    assess,
    months,
)
from bot.growth.zscores import compute

BORN = dt.date(2024, 1, 1)


def _visit(vid: int, on: dt.date, sex: Sex = Sex.F, **values: object) -> Visit:
    result = compute(MeasurementInput(sex=sex, birth_date=BORN, measured_on=on, **values))  # type: ignore[arg-type]
    return Visit(id=vid, measured_on=on, weight_kg=values.get("weight_kg"),  # type: ignore[arg-type]
                 length_cm=values.get("length_cm"), oedema=bool(values.get("oedema")),  # type: ignore[arg-type]
                 muac_cm=values.get("muac_cm"), head_cm=values.get("head_cm"),  # type: ignore[arg-type]
                 z=result.z)


def _assess(*visits: Visit, sex: Sex = Sex.F, birth_weight: float | None = None):  # type: ignore[no-untyped-def]
    return assess(ChildFacts(sex=sex, birth_date=BORN, birth_weight_kg=birth_weight), list(visits))


def test_bmi_alone_never_makes_severe_wasting() -> None:
    """WHO/UNICEF 2009; PMK 2/2020: severe wasting is WHZ < -3, LiLA < 11,5 cm or oedema. A girl of 200 days,
    60 cm, 4,6 kg: WHZ -2,81, BMIZ -3,18 -> wasted (refer this week), not severely wasted (issue 12)."""
    on = BORN + dt.timedelta(days=200)
    a = _assess(_visit(1, on, weight_kg=4.6, length_cm=60.0, position="lying"))[0]
    assert a.growth.z[Indicator.WFLH] == pytest.approx(-2.81, abs=0.01)
    assert a.growth.z[Indicator.BMIFA] == pytest.approx(-3.18, abs=0.01)
    assert Reason.WASTED in a.reasons and Reason.SEVERE_WASTING not in a.reasons
    assert not a.urgent and a.refer and a.wasted and not a.severely_wasted
    assert AdviceKey.SEVERELY_WASTED not in a.advice and AdviceKey.WASTED in a.advice


@pytest.mark.parametrize(("muac", "reason"), [(11.4, Reason.MUAC_SEVERE), (11.5, Reason.MUAC_MODERATE),
                                              (12.4, Reason.MUAC_MODERATE), (12.5, None)])
def test_muac_boundaries(muac: float, reason: Reason | None) -> None:
    """WHO/UNICEF 2009; Kemenkes 2019: LiLA < 11,5 cm severe (today), 11,5 to < 12,5 cm moderate (this week)."""
    on = BORN + dt.timedelta(days=400)
    a = _assess(_visit(1, on, muac_cm=muac))[0]
    found = [r for r in a.reasons if r in (Reason.MUAC_SEVERE, Reason.MUAC_MODERATE)]
    assert found == ([reason] if reason else [])
    assert a.urgent == (reason is Reason.MUAC_SEVERE)


def test_oedema_is_severe_and_urgent_whatever_the_weight() -> None:
    """WHO 2013 SAM; PMK 2/2020: bilateral oedema is severe acute malnutrition."""
    on = BORN + dt.timedelta(days=400)
    a = _assess(_visit(1, on, weight_kg=9.0, length_cm=75.0, oedema=True, position="lying"))[0]
    assert a.reasons[0] is Reason.OEDEMA and a.urgent and a.severely_wasted and a.underweight


def test_stunted_child_is_referred() -> None:
    """PMK 2/2020 (pendek: HAZ -3 to < -2); KMK 1928/2022 (a doctor confirms stunting): the card's "refer" and
    the follow-up list agree (issue 13: Rina was told to refer but not listed)."""
    on = BORN + dt.timedelta(days=900)
    a = _assess(_visit(1, on, weight_kg=10.5, length_cm=80.9, position="standing"))[0]
    assert a.growth.z[Indicator.LHFA] is not None and -3 < a.growth.z[Indicator.LHFA] < -2
    assert Reason.STUNTED in a.reasons and a.refer and AdviceKey.STUNTED in a.advice


def test_a_single_t_and_a_big_loss_refer() -> None:
    """Buku KIA 2023, p. 54: T refers; a 1,2 kg loss is T and refers (it only said "counsel" before)."""
    on = BORN + dt.timedelta(days=400)
    first = _visit(1, on, weight_kg=9.5)
    t = _visit(2, on + dt.timedelta(days=30), weight_kg=9.6)
    loss = _visit(3, on + dt.timedelta(days=60), weight_kg=8.4)
    a = _assess(first, t, loss)
    assert Reason.T in a[1].reasons and AdviceKey.WEIGHT_NOT_UP in a[1].advice
    assert Reason.TWO_T in a[2].reasons and a[2].weighing is not None and a[2].weighing.lost


def test_a_visit_with_an_implausible_value_is_never_counted() -> None:
    """WHO anthro flags: HAZ < -6 (30 cm at 3 years 4 months) is "perlu ukur ulang", not a stunted child."""
    on = BORN + dt.timedelta(days=1220)
    good = _visit(1, on - dt.timedelta(days=3), weight_kg=14.4, length_cm=97.0, position="standing")
    bad = _visit(2, on, weight_kg=14.4, length_cm=30.0, position="standing")
    statuses = months(_assess(good, bad))
    month = statuses[-1]
    assert month.counted is not None and month.counted.visit.id == 1 and month.remeasure
    only_bad = months(_assess(bad))[0]
    assert only_bad.counted is None and only_bad.remeasure and not only_bad.weighed
    assert not _assess(bad)[0].reasons and _assess(bad)[0].advice == (AdviceKey.RECHECK,)


def test_the_last_valid_visit_of_the_month_counts() -> None:
    on = dt.date(2025, 3, 3)
    a, b = _visit(1, on, weight_kg=12.0), _visit(2, on + dt.timedelta(days=20), weight_kg=12.1)
    statuses = months(_assess(a, b))
    assert len(statuses) == 1 and statuses[0].counted is not None and statuses[0].counted.visit.id == 2


def test_every_refer_advice_comes_from_a_reason_and_every_reason_advises_refer() -> None:
    """Words and lists agree: the advice keys of the reasons are exactly the refer keys (issue 12, item 3)."""
    assert set(REASON_ADVICE.values()) == set(REFER_KEYS)
    assert {REASON_ADVICE[r] for r in URGENT} == set(URGENT_KEYS)


def test_every_advice_text_that_says_refer_is_a_refer_key() -> None:
    """No advice outside the refer set tells the cadre to refer (the red header would disagree with it)."""
    for key, text in ADVICE.items():
        says_refer = "refer" in text.cadre.casefold()
        assert says_refer == (key in REFER_KEYS), key


def test_birth_weight_is_the_first_kms_point() -> None:
    """Buku KIA 2023: the birth weight is the first point; 30 days later +850 g is N, not B."""
    first = _visit(1, BORN + dt.timedelta(days=30), weight_kg=3.85)
    a = _assess(first, birth_weight=3.0)[0]
    assert a.weighing is not None and a.weighing.status.value == "N" and a.weighing.from_birth


def test_a_visit_before_the_birth_date_is_never_counted() -> None:
    """After the birth date is corrected, an old row may fall before it: shown, not judged, not counted."""
    visit = Visit(id=1, measured_on=BORN - dt.timedelta(days=3), weight_kg=3.0)
    a = _assess(visit)[0]
    assert not a.valid and a.weighing is None and months([a])[0].counted is None
