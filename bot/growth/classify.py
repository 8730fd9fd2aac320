"""Permenkes No. 2 Tahun 2020 categories per indicator, MUAC cut-offs, and recap conveniences.

All cut-offs live in the tables below (one place, easy to correct). Boundaries follow the Permenkes wording:
"< -3", "-3 to < -2", "-2 to +1" (inclusive), "> +1" ... so a band is (upper bound, upper bound inclusive?).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.growth._i18n import N_
from bot.growth.models import DAYS_PER_MONTH, Category, GrowthResult, Indicator, Severity


@dataclass(frozen=True)
class Band:
    upper: float  # z-score (or cm for MUAC) upper bound of the band
    upper_inclusive: bool
    category: Category


def _cat(code: str, label_id: str, label_en: str, severity: Severity) -> Category:
    return Category(code=code, label_id=label_id, label_en=label_en, severity=severity)


INF = math.inf
S = Severity

# Source: Permenkes No. 2 Tahun 2020 tentang Standar Antropometri Anak, Pasal 4/Lampiran (table in domain.md).
# English labels are msgids (N_) so `label(category, tr)` can show them in the user's language; the Indonesian
# catalog translates each to the exact Permenkes label (kept in `label_id` too, for exports).
_WFA = (
    Band(-3, False, _cat("severely_underweight", "Berat badan sangat kurang", N_("Severely underweight"), S.DANGER)),
    Band(-2, False, _cat("underweight", "Berat badan kurang", N_("Underweight"), S.WARNING)),
    Band(1, True, _cat("normal_weight", "Berat badan normal", N_("Normal weight"), S.NORMAL)),
    Band(INF, True, _cat("risk_overweight", "Risiko berat badan lebih", N_("Risk of overweight"), S.WARNING)),
)
_LHFA = (
    Band(-3, False, _cat("severely_stunted", "Sangat pendek", N_("Severely stunted"), S.DANGER)),
    Band(-2, False, _cat("stunted", "Pendek", N_("Stunted"), S.WARNING)),
    Band(3, True, _cat("normal_height", "Normal", N_("Normal height"), S.NORMAL)),
    # Permenkes: "Tinggi" is usually not a problem, except a possible endocrine disorder -> doctor.
    Band(INF, True, _cat("tall", "Tinggi", N_("Tall"), S.WARNING)),
)
# BB/PB-BB/TB and IMT/U share the bands for 0-60 months.
_WFLH = (
    Band(-3, False, _cat("severely_wasted", "Gizi buruk", N_("Severely wasted"), S.DANGER)),
    Band(-2, False, _cat("wasted", "Gizi kurang", N_("Wasted"), S.WARNING)),
    Band(1, True, _cat("normal_nutrition", "Gizi baik", N_("Well nourished"), S.NORMAL)),
    Band(
        2, True, _cat("possible_risk_overweight", "Berisiko gizi lebih", N_("Possible risk of overweight"), S.WARNING)
    ),
    Band(3, True, _cat("overweight", "Gizi lebih", N_("Overweight"), S.WARNING)),
    Band(INF, True, _cat("obese", "Obesitas", N_("Obese"), S.DANGER)),
)

PERMENKES_BANDS: dict[Indicator, tuple[Band, ...]] = {
    Indicator.WFA: _WFA,
    Indicator.LHFA: _LHFA,
    Indicator.WFLH: _WFLH,
    Indicator.BMIFA: _WFLH,
}

# MUAC (LiLA) for children 6-59 months, in cm. Source: Permenkes 2/2020 and Kemenkes "Pedoman Pencegahan dan
# Tata Laksana Gizi Buruk pada Balita" (2019); WHO 2013 SAM guideline (< 11.5 cm).
MUAC_MIN_MONTHS = 6
MUAC_MAX_MONTHS = 60  # exclusive: 59 completed months
MUAC_BANDS = (
    Band(
        11.5,
        False,
        _cat("muac_severe", "Gizi buruk (LiLA < 11,5 cm)", N_("Severe acute malnutrition (MUAC < 11.5 cm)"), S.DANGER),
    ),
    Band(
        12.5,
        False,
        _cat(
            "muac_moderate",
            "Gizi kurang (LiLA 11,5 - < 12,5 cm)",
            N_("Moderate acute malnutrition (MUAC 11.5 to < 12.5 cm)"),
            S.WARNING,
        ),
    ),
    Band(INF, True, _cat("muac_normal", "LiLA normal", N_("Normal MUAC"), S.NORMAL)),
)

# Recap definitions (WHO/UNICEF prevalence conventions, used by anthro_prevalence): stunting, wasting and
# underweight are z < -2; overweight is WHZ > +2. Oedema counts as < -3 for the weight-based indicators.
STUNTED_BELOW = -2.0
WASTED_BELOW = -2.0
UNDERWEIGHT_BELOW = -2.0
OVERWEIGHT_ABOVE = 2.0


def _pick(bands: tuple[Band, ...], value: float) -> Category:
    for band in bands:
        if value < band.upper or (band.upper_inclusive and value == band.upper):
            return band.category
    return bands[-1].category  # unreachable: the last band is open-ended


def classify(indicator: Indicator, z: float) -> Category | None:
    """Permenkes category for a z-score; None for indicators Permenkes does not classify (HC, MUAC-for-age)."""
    bands = PERMENKES_BANDS.get(indicator)
    if bands is None or math.isnan(z):
        return None
    return _pick(bands, z)


def classify_muac(muac_cm: float, age_days: int) -> Category | None:
    """MUAC category for 6-59 months; None outside that age (the cut-offs do not apply)."""
    months = age_days / DAYS_PER_MONTH
    if not (MUAC_MIN_MONTHS <= months < MUAC_MAX_MONTHS) or math.isnan(muac_cm):
        return None
    return _pick(MUAC_BANDS, muac_cm)


def all_categories() -> list[Category]:
    """Every category (for catalog checks, legends and exports)."""
    seen: dict[str, Category] = {}
    for bands in (*PERMENKES_BANDS.values(), MUAC_BANDS):
        for band in bands:
            seen.setdefault(band.category.code, band.category)
    return list(seen.values())


def _usable(result: GrowthResult, indicator: Indicator) -> float | None:
    z = result.z.get(indicator)
    if z is None or result.flags.get(indicator, False):
        return None
    return z


def is_stunted(result: GrowthResult) -> bool:
    """Length/height-for-age z < -2 (pendek + sangat pendek); False when unknown or implausible."""
    z = _usable(result, Indicator.LHFA)
    return z is not None and z < STUNTED_BELOW


def is_wasted(result: GrowthResult) -> bool:
    """Weight-for-length/height z < -2, or bilateral oedema (counted as severely wasted)."""
    if result.oedema:
        return True
    z = _usable(result, Indicator.WFLH)
    return z is not None and z < WASTED_BELOW


def is_underweight(result: GrowthResult) -> bool:
    """Weight-for-age z < -2, or bilateral oedema (WHO counts it below -3)."""
    if result.oedema:
        return True
    z = _usable(result, Indicator.WFA)
    return z is not None and z < UNDERWEIGHT_BELOW


def is_overweight(result: GrowthResult) -> bool:
    """Weight-for-length/height z > +2 (gizi lebih + obesitas); never with oedema."""
    if result.oedema:
        return False
    z = _usable(result, Indicator.WFLH)
    return z is not None and z > OVERWEIGHT_ABOVE
