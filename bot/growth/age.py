"""Short ages for cards and charts: "1 th 8 bln" (Indonesian), "1 y 8 m" (English), days under a month."""

from __future__ import annotations

import math

from bot.growth._i18n import Translator
from bot.growth.models import DAYS_PER_MONTH


def completed_months(age_days: int) -> int:
    """Completed months as WHO anthro and e-PPGBM count them (days / 30.4375, rounded down)."""
    return math.floor(age_days / DAYS_PER_MONTH)


def age_text(age_days: int, tr: Translator) -> str:
    """ "1 th 8 bln" / "1 y 8 m"; "8 bln" / "8 m" under a year; "12 hr" / "12 d" under a month."""
    if age_days < 0:
        raise ValueError("age_days must not be negative")
    months = completed_months(age_days)
    if months == 0:
        return tr.gettext("{d} d").format(d=age_days)
    years, rest = divmod(months, 12)
    if years == 0:
        return tr.gettext("{m} m").format(m=rest)
    if rest == 0:
        return tr.gettext("{y} y").format(y=years)
    return tr.gettext("{y} y {m} m").format(y=years, m=rest)
