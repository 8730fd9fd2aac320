"""Weight gain too large to be true: the WHO 2009 weight-velocity +3 SD increment, by sex, age and interval.

Source: WHO Child Growth Standards: Growth velocity based on weight, length and head circumference (WHO, 2009),
tables "Weight 1-month increments (g)" and "Weight 2-month increments (g)", z-score tables (+3 SD column).
"""

from __future__ import annotations

import pytest

from bot.growth.models import Sex
from bot.growth.velocity import max_gain_g, row_for, table


def test_both_tables_are_complete() -> None:
    """12 one-month rows (birth to 12 months) and 23 two-month rows (birth to 24 months) per sex."""
    rows = table()
    for sex in Sex:
        assert sum(1 for r in rows if r.sex is sex and r.months == 1) == 12
        assert sum(1 for r in rows if r.sex is sex and r.months == 2) == 23


@pytest.mark.parametrize(("sex", "age", "days", "limit"), [
    (Sex.M, 0, 28, 1876),  # boys 0-4 weeks, +3 SD
    (Sex.M, 61, 30, 1597),  # boys 2-3 months
    (Sex.M, 91, 31, 1313),  # boys 3-4 months
    (Sex.F, 0, 28, 1757),  # girls 0-4 weeks
    (Sex.F, 335, 30, 953),  # girls 11-12 months
])
def test_a_one_month_gain_is_questioned_above_the_published_plus_3_sd(sex: Sex, age: int, days: int,
                                                                      limit: int) -> None:
    """At the table's own interval the limit is the published +3 SD value (within the interval stretch)."""
    row = row_for(sex, age, days)
    assert row.months == 1 and row.sd3_g == limit
    assert max_gain_g(sex, age, round(row.nominal_days)) in range(limit - 1, limit + 2)


def test_girls_limits_are_lower_than_boys_in_the_first_month() -> None:
    assert max_gain_g(Sex.F, 0, 28) < max_gain_g(Sex.M, 0, 28)


def test_a_two_month_interval_uses_the_two_month_table() -> None:
    """Boys 12-14 months, 2-month increment +3 SD: 1448 g."""
    row = row_for(Sex.M, 365, 61)
    assert row.months == 2 and row.interval == "12-14mo" and row.sd3_g == 1448
    assert max_gain_g(Sex.M, 365, 61) in range(1447, 1450)


def test_after_24_months_the_last_row_is_used_and_the_limit_grows_with_the_interval() -> None:
    """No WHO velocity standard after 24 months: the 22-24 month row, stretched over the interval."""
    assert row_for(Sex.M, 1200, 30).interval == "22-24mo"
    assert max_gain_g(Sex.M, 1200, 90) > max_gain_g(Sex.M, 1200, 30)


def test_a_short_interval_still_allows_a_month_of_gain() -> None:
    """A re-weighing days later is never held to a fraction of a month's gain (at least a month is assumed)."""
    assert max_gain_g(Sex.M, 100, 5) == max_gain_g(Sex.M, 100, 30)
