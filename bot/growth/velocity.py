"""Weight gain too large to be true: the WHO 2009 weight-velocity standards, by sex, age and interval.

Source: WHO Child Growth Standards. Growth velocity based on weight, length and head circumference: methods
and development. WHO, Geneva, 2009 (ISBN 978 92 4 154763 5), tables "Weight 1-month increments (g), birth to
12 months" and "Weight 2-month increments (g), birth to 24 months", boys and girls (percentile and z-score
tables). The numbers are in `data/who_weight_velocity.csv` (see docs/clinical-rules.md for where they were
taken from and how they were checked: every centile recomputes from the row's L, M, S, delta within 0.5 g).

Rule (ours, written down in docs/clinical-rules.md): a gain above the +3 SD increment of the child's sex and
age (0.13 % of healthy children) is questioned: the cadre is asked to weigh again and may confirm it, because
catch-up growth after illness can be that fast. WHO tabulates fixed intervals; for other intervals the +3 SD
gain is stretched: median x r + (3 SD - median) x sqrt(r), r = days / table interval (the spread of a sum of
independent increments grows with the square root of its length). Never less than a month's gain is allowed.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.growth.models import DAYS_PER_MONTH, Sex

# A 1-month table row is used for intervals up to 45 days (the same window that judges N/T, faltering.py);
# longer intervals use the 2-month table, which covers birth to 24 months.
ONE_MONTH_MAX_DAYS = 45
TWO_MONTH_DAYS = 2 * DAYS_PER_MONTH


@dataclass(frozen=True)
class Increment:
    sex: Sex
    interval: str  # WHO's label, e.g. "2-3mo"
    months: int  # 1 or 2 (which table)
    start_days: int
    end_days: int
    median_g: float
    sd3_g: float  # +3 SD increment, grams (WHO z-score table)

    @property
    def nominal_days(self) -> float:
        return float(self.end_days - self.start_days)


@cache
def table() -> tuple[Increment, ...]:
    """Every row of both WHO tables (70 rows), read once."""
    text = resources.files("bot.growth").joinpath("data/who_weight_velocity.csv").read_text(encoding="utf-8")
    rows = []
    for r in csv.DictReader(text.splitlines()):
        rows.append(Increment(sex=Sex(r["sex"]), interval=r["interval"], months=int(r["interval_months"]),
                              start_days=int(r["start_days"]), end_days=int(r["end_days"]),
                              median_g=float(r["P50"]), sd3_g=float(r["SD3"])))
    return tuple(rows)


def row_for(sex: Sex, start_age_days: int, interval_days: int) -> Increment:
    """The table row of the earlier weighing's age: 1-month rows (to 12 months) for short intervals, else the
    2-month rows (to 24 months). Past the last row the last one is used: WHO has no velocity standard after
    24 months, and gains only slow down with age, so the last row errs on the side of not asking."""
    months = 1 if interval_days <= ONE_MONTH_MAX_DAYS and start_age_days < 365 else 2
    rows = [r for r in table() if r.sex is sex and r.months == months]
    for r in reversed(rows):
        if start_age_days >= r.start_days:
            return r
    return rows[0]


def max_gain_g(sex: Sex, start_age_days: int, interval_days: int) -> int:
    """The largest weight gain (grams) accepted without asking to weigh again, after `interval_days`."""
    row = row_for(sex, start_age_days, interval_days)
    # Never less than a month's gain is allowed: the table's own interval for the 1-month rows, a month for the
    # 2-month rows.
    shortest = row.nominal_days if row.months == 1 else DAYS_PER_MONTH
    ratio = max(interval_days, shortest) / row.nominal_days
    spread = row.sd3_g - row.median_g
    return math.ceil(row.median_g * ratio + spread * math.sqrt(ratio))
