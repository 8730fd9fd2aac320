"""Growth engine (pure domain): WHO z-scores via pygrowup, Permenkes 2/2020 categories, weight faltering,
advice and growth charts. No telegram, no storage imports.

Modules: models, zscores (compute, check_plausible), classify, faltering, advice, chart, survey, age.
"""

from bot.growth.age import age_text
from bot.growth.models import (
    Category,
    GrowthResult,
    Indicator,
    MeasurementInput,
    Missing,
    Note,
    Position,
    Severity,
    Sex,
)
from bot.growth.zscores import GrowthInputError, Problem, check_change, check_plausible, compute

__all__ = [
    "Category",
    "GrowthInputError",
    "GrowthResult",
    "Indicator",
    "MeasurementInput",
    "Missing",
    "Note",
    "Position",
    "Problem",
    "Severity",
    "Sex",
    "age_text",
    "check_change",
    "check_plausible",
    "compute",
]
