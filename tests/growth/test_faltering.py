"""Weight faltering N/T/O/B, 2T and BGM."""

from __future__ import annotations

from datetime import date

import pytest

from bot.growth.faltering import (
    KBM_GRAMS,
    Action,
    FalteringInputError,
    WeighStatus,
    kbm_grams,
    weigh_status,
)


def _ws(**kw: object):  # type: ignore[no-untyped-def]
    base: dict[str, object] = {
        "current_date": date(2024, 3, 12),
        "current_weight_kg": 8.0,
        "age_days": 300,  # 9 completed months: KBM 300 g
        "previous_date": date(2024, 2, 10),
        "previous_weight_kg": 7.7,
    }
    base.update(kw)
    return weigh_status(**base)  # type: ignore[arg-type]


def test_gain_at_least_kbm_is_n() -> None:
    r = _ws()
    assert r.status is WeighStatus.N and r.gain_g == 300 and r.kbm_g == 300 and r.actions == [Action.CONTINUE]


def test_gain_below_kbm_is_t() -> None:
    r = _ws(current_weight_kg=7.99)
    assert r.status is WeighStatus.T and r.actions == [Action.COUNSEL] and not r.refer


def test_weight_loss_is_t() -> None:
    assert _ws(current_weight_kg=7.5).status is WeighStatus.T


def test_second_t_is_2t_and_refers() -> None:
    r = _ws(current_weight_kg=7.7, previous_was_t=True)
    assert r.status is WeighStatus.T and r.two_t and r.refer and Action.REFER_PUSKESMAS in r.actions


def test_first_weighing_is_b() -> None:
    r = _ws(previous_date=None, previous_weight_kg=None)
    assert r.status is WeighStatus.B and r.actions == [Action.WEIGH_NEXT_MONTH]


def test_not_weighed_previous_calendar_month_is_o() -> None:
    assert _ws(previous_date=date(2024, 1, 31)).status is WeighStatus.O


def test_previous_calendar_month_counts_even_if_only_a_day_ago() -> None:
    r = _ws(current_date=date(2024, 3, 1), previous_date=date(2024, 2, 29))
    assert r.status is WeighStatus.N


def test_29_days_across_two_month_boundaries_is_o() -> None:
    # 31 January -> 1 March: February was skipped.
    r = _ws(current_date=date(2024, 3, 1), previous_date=date(2024, 1, 31))
    assert r.status is WeighStatus.O


def test_december_to_january_is_last_month() -> None:
    r = _ws(current_date=date(2025, 1, 5), previous_date=date(2024, 12, 20))
    assert r.status is WeighStatus.N


def test_same_month_is_rejected() -> None:
    with pytest.raises(FalteringInputError) as exc:
        _ws(previous_date=date(2024, 3, 1))
    assert exc.value.code == "same_month"


def test_bgm_from_waz_refers() -> None:
    r = _ws(waz=-3.01)
    assert r.bgm and r.refer and Action.REFER_PUSKESMAS in r.actions
    assert not _ws(waz=-3.0).bgm


@pytest.mark.parametrize(
    ("months", "grams"),
    [(1, 800), (2, 900), (3, 800), (4, 600), (5, 500), (6, 400), (7, 400), (8, 300), (10, 300), (11, 200), (59, 200)],
)
def test_kbm_table(months: int, grams: int) -> None:
    assert kbm_grams(months) == grams


def test_kbm_uses_completed_months_at_current_weighing() -> None:
    # 61 days = 2.004 months -> 900 g
    r = _ws(age_days=61, previous_weight_kg=4.0, current_weight_kg=4.85)
    assert r.kbm_g == 900 and r.status is WeighStatus.T
    assert KBM_GRAMS[2] == 900
