"""What a child of a given age and sex should weigh and measure: the normal ranges of the Permenkes categories.

For a parent's "tinggi anak 2 tahun harusnya berapa": the WHO Child Growth Standards median, and the values at
the edges of the "normal" band of Permenkes No. 2 Tahun 2020 (BB/U normal: -2 SD to +1 SD; PB/U or TB/U
normal: -2 SD to +3 SD; bot.growth.classify holds the bands). Below the lower value a child is "berat badan
kurang" / "pendek", above the upper "risiko berat badan lebih" / "tinggi". Values from the same LMS tables the
z-scores use (pygrowup's WHO tables, by day of age), so a child exactly on an edge scores that z-score.
Length-for-age is length to 730 days and height from 731 days, as WHO defines the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.growth import _who
from bot.growth.classify import PERMENKES_BANDS
from bot.growth.models import MAX_AGE_DAYS, Indicator, Severity, Sex

_TABLES = {Indicator.WFA: "wfa", Indicator.LHFA: "lfa"}


@dataclass(frozen=True)
class NormalRange:
    indicator: Indicator
    sex: Sex
    age_days: int
    low: float  # below this: underweight / stunted (Permenkes 2/2020)
    median: float  # WHO median for the age and sex
    high: float  # above this: risk of overweight / tall
    low_z: float
    high_z: float


def normal_band(indicator: Indicator) -> tuple[float, float]:
    """The z-scores bounding the "normal" category of an indicator (Permenkes 2/2020, bot.growth.classify)."""
    bands = PERMENKES_BANDS[indicator]
    for i, band in enumerate(bands):
        if band.category.severity is Severity.NORMAL:
            return (bands[i - 1].upper if i else float("-inf")), band.upper
    raise ValueError(f"no normal band for {indicator}")


def normal_range(indicator: Indicator, sex: Sex, age_days: int) -> NormalRange:
    """Weight (kg, WFA) or length/height (cm, LHFA) at the edges of the normal band and at the median."""
    if indicator not in _TABLES:
        raise ValueError(f"no age table for {indicator}")
    if not 0 <= age_days <= MAX_AGE_DAYS:
        raise ValueError("age outside 0-1826 days: the under-five standard does not apply")
    low_z, high_z = normal_band(indicator)
    row = _who.lms(_TABLES[indicator], sex, age_days)
    return NormalRange(indicator=indicator, sex=sex, age_days=age_days, low=_who.value_at_z(row, low_z),
                       median=_who.value_at_z(row, 0.0), high=_who.value_at_z(row, high_z), low_z=low_z,
                       high_z=high_z)


__all__ = ["NormalRange", "normal_band", "normal_range"]
