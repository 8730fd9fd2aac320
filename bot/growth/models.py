"""Input and output models of the growth engine (pydantic v2): one measurement in, one result out."""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

# WHO anthro: months = days / 30.4375 (365.25 / 12).
DAYS_PER_MONTH = 30.4375
# The WHO Child Growth Standards are applied while age in months < 60, i.e. up to 1826 days.
MAX_AGE_DAYS = 1826
# From 731 days (24 months) the standards use standing height, before that recumbent length.
HEIGHT_FROM_DAYS = 731


class Sex(StrEnum):
    M = "M"
    F = "F"


class Position(StrEnum):
    """How length/height was measured."""

    LYING = "lying"
    STANDING = "standing"
    UNKNOWN = "unknown"


class Indicator(StrEnum):
    WFA = "wfa"  # weight-for-age, BB/U
    LHFA = "lhfa"  # length/height-for-age, PB/U or TB/U
    WFLH = "wflh"  # weight-for-length (< 731 days) / weight-for-height, BB/PB or BB/TB
    BMIFA = "bmifa"  # BMI-for-age, IMT/U
    HCFA = "hcfa"  # head circumference-for-age, LK/U
    ACFA = "acfa"  # arm circumference (MUAC, LiLA)-for-age, 91-1826 days


class Severity(StrEnum):
    NORMAL = "normal"
    WARNING = "warning"
    DANGER = "danger"


class Missing(StrEnum):
    """Why an indicator has no z-score."""

    NOT_MEASURED = "not_measured"  # an input it needs was not given
    OEDEMA = "oedema"  # bilateral pitting oedema: no weight-based z-score
    AGE_OUT_OF_RANGE = "age_out_of_range"  # e.g. MUAC-for-age before 91 days
    LENGTH_OUT_OF_RANGE = "length_out_of_range"  # WFL 45-110 cm, WFH 65-120 cm (adjusted value)


class Note(StrEnum):
    """Things the cadre (or the survey analyst) should know about how the result was obtained."""

    LENGTH_PLUS_0_7 = "length_plus_0_7"  # under 731 days measured standing: +0.7 cm
    HEIGHT_MINUS_0_7 = "height_minus_0_7"  # 731 days or more measured lying: -0.7 cm
    STANDING_UNDER_9_MONTHS = "standing_under_9_months"  # treated as position unknown, not adjusted: confirm
    OEDEMA = "oedema"  # no WAZ/WHZ/BMIZ, child counts as severely acutely malnourished
    IMPLAUSIBLE = "implausible"  # at least one z-score is biologically implausible: re-check
    OVER_FIVE = "over_five"  # over 1826 days: the under-five standard no longer applies


class Category(BaseModel):
    """One Permenkes 2/2020 (or MUAC) category: exact Indonesian label, English label, severity."""

    model_config = ConfigDict(frozen=True)

    code: str
    label_id: str
    label_en: str
    severity: Severity


class MeasurementInput(BaseModel):
    """One visit's measurements. Give `birth_date` and `measured_on`, or `age_days` (or all three, consistent).

    Types are checked here; domain rules (positive values, age range, date order) are checked by
    `bot.growth.zscores.compute`, which raises `GrowthInputError` with a machine-readable code.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    sex: Sex
    birth_date: date | None = None
    measured_on: date | None = None
    age_days: int | None = None
    weight_kg: float | None = None
    length_cm: float | None = Field(default=None, description="length or height as measured, unadjusted")
    position: Position = Position.UNKNOWN
    oedema: bool = False
    head_cm: float | None = None
    muac_cm: float | None = None

    @field_validator("sex", mode="before")
    @classmethod
    def _sex_aliases(cls, v: object) -> object:
        # Accept what cadres and survey files write: L/P (laki-laki/perempuan), 1/2 (WHO), m/f.
        if isinstance(v, str | int) and not isinstance(v, Sex):
            key = str(v).strip().upper()
            return {"M": "M", "L": "M", "1": "M", "F": "F", "P": "F", "2": "F"}.get(key, v)
        return v


class GrowthResult(BaseModel):
    """Z-scores (2 decimals), implausibility flags and Permenkes categories for one measurement."""

    model_config = ConfigDict(frozen=True)

    sex: Sex
    age_days: int
    z: dict[Indicator, float | None]
    flags: dict[Indicator, bool]  # True = biologically implausible (WHO anthro rules): re-check, no category
    categories: dict[Indicator, Category | None]  # Permenkes 2/2020 (wfa, lhfa, wflh, bmifa); None otherwise
    missing: dict[Indicator, Missing] = Field(default_factory=dict)  # why a z-score is absent
    muac_category: Category | None = None  # MUAC cut-offs, 6-59 months
    adjusted_length_cm: float | None = None  # length (< 731 days) or height (>= 731 days) after the 0.7 cm rule
    measured_as: Position | None = None  # position used after cleaning (unknown = assumed right for the age)
    bmi: float | None = None  # from the adjusted length/height
    weight_kg: float | None = None
    muac_cm: float | None = None
    oedema: bool = False
    notes: list[Note] = Field(default_factory=list)

    @property
    def age_months(self) -> float:
        return self.age_days / DAYS_PER_MONTH

    @property
    def completed_months(self) -> int:
        return math.floor(self.age_days / DAYS_PER_MONTH)

    @property
    def uses_height(self) -> bool:
        """True when the weight-for-height table (standing) applies rather than weight-for-length."""
        return self.age_days >= HEIGHT_FROM_DAYS

    @property
    def any_flagged(self) -> bool:
        return any(self.flags.values())

    def zscore(self, indicator: Indicator) -> float | None:
        return self.z.get(indicator)
