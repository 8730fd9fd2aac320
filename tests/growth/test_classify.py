"""Permenkes 2/2020 categories, MUAC cut-offs and recap conveniences."""

from __future__ import annotations

import pytest

from bot.growth.classify import (
    PERMENKES_BANDS,
    all_categories,
    classify,
    classify_muac,
    is_overweight,
    is_stunted,
    is_underweight,
    is_wasted,
)
from bot.growth.models import Indicator, MeasurementInput, Severity
from bot.growth.zscores import compute


@pytest.mark.parametrize(
    ("indicator", "z", "label"),
    [
        (Indicator.WFA, -3.01, "Berat badan sangat kurang"),
        (Indicator.WFA, -3.0, "Berat badan kurang"),
        (Indicator.WFA, -2.01, "Berat badan kurang"),
        (Indicator.WFA, -2.0, "Berat badan normal"),
        (Indicator.WFA, 1.0, "Berat badan normal"),
        (Indicator.WFA, 1.01, "Risiko berat badan lebih"),
        (Indicator.LHFA, -3.01, "Sangat pendek"),
        (Indicator.LHFA, -3.0, "Pendek"),
        (Indicator.LHFA, -2.0, "Normal"),
        (Indicator.LHFA, 3.0, "Normal"),
        (Indicator.LHFA, 3.01, "Tinggi"),
        (Indicator.WFLH, -3.01, "Gizi buruk"),
        (Indicator.WFLH, -3.0, "Gizi kurang"),
        (Indicator.WFLH, -2.0, "Gizi baik"),
        (Indicator.WFLH, 1.0, "Gizi baik"),
        (Indicator.WFLH, 1.01, "Berisiko gizi lebih"),
        (Indicator.WFLH, 2.0, "Berisiko gizi lebih"),
        (Indicator.WFLH, 2.01, "Gizi lebih"),
        (Indicator.WFLH, 3.0, "Gizi lebih"),
        (Indicator.WFLH, 3.01, "Obesitas"),
        (Indicator.BMIFA, -2.5, "Gizi kurang"),
        (Indicator.BMIFA, 2.5, "Gizi lebih"),
    ],
)
def test_permenkes_boundaries(indicator: Indicator, z: float, label: str) -> None:
    cat = classify(indicator, z)
    assert cat is not None and cat.label_id == label


def test_head_and_arm_for_age_have_no_permenkes_category() -> None:
    assert classify(Indicator.HCFA, -2.5) is None and classify(Indicator.ACFA, -2.5) is None


@pytest.mark.parametrize(
    ("muac", "code", "severity"),
    [
        (11.4, "muac_severe", Severity.DANGER),
        (11.5, "muac_moderate", Severity.WARNING),
        (12.4, "muac_moderate", Severity.WARNING),
        (12.5, "muac_normal", Severity.NORMAL),
    ],
)
def test_muac_cut_offs(muac: float, code: str, severity: Severity) -> None:
    cat = classify_muac(muac, 400)
    assert cat is not None and cat.code == code and cat.severity is severity


def test_muac_cut_offs_only_from_6_to_59_months() -> None:
    assert classify_muac(11.0, 182) is None  # 5.98 months
    assert classify_muac(11.0, 183) is not None
    assert classify_muac(11.0, 1826) is not None


def test_every_category_has_english_and_indonesian_labels() -> None:
    for cat in all_categories():
        assert cat.label_id and cat.label_en and cat.code


def test_severities() -> None:
    assert classify(Indicator.WFLH, -3.5).severity is Severity.DANGER  # type: ignore[union-attr]
    assert classify(Indicator.LHFA, -2.5).severity is Severity.WARNING  # type: ignore[union-attr]
    assert classify(Indicator.WFA, 0).severity is Severity.NORMAL  # type: ignore[union-attr]


def test_bands_are_sorted() -> None:
    for bands in PERMENKES_BANDS.values():
        uppers = [b.upper for b in bands]
        assert uppers == sorted(uppers)


def _r(**kw: object):  # type: ignore[no-untyped-def]
    base: dict[str, object] = {"sex": "F", "age_days": 500, "position": "lying"}
    base.update(kw)
    return compute(MeasurementInput(**base))  # type: ignore[arg-type]


def test_recap_conveniences() -> None:
    stunted_thin = _r(weight_kg=6.5, length_cm=70.0)
    assert is_stunted(stunted_thin) and is_underweight(stunted_thin)
    normal = _r(weight_kg=10.0, length_cm=79.0)
    assert not (is_stunted(normal) or is_wasted(normal) or is_underweight(normal) or is_overweight(normal))
    heavy = _r(weight_kg=14.0, length_cm=79.0)
    assert is_overweight(heavy) and not is_wasted(heavy)


def test_oedema_counts_as_wasted_and_underweight_not_overweight() -> None:
    r = _r(weight_kg=14.0, length_cm=79.0, oedema=True)
    assert is_wasted(r) and is_underweight(r) and not is_overweight(r)


def test_flagged_indicator_is_not_counted() -> None:
    r = _r(length_cm=45.0)  # far below -6
    assert r.flags[Indicator.LHFA] and not is_stunted(r)
