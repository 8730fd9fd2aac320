"""The maternal thresholds and schedules of the TPK journey at their boundaries (bot.growth.maternal;
docs/cases.md §4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.growth import maternal as mat
from bot.growth.case_rules import WomanReason

D = Decimal


@pytest.mark.parametrize(("muac", "kek"), [("23.4", True), ("23.5", False), ("22", True), ("30", False)])
def test_kek_is_muac_under_23_5_cm(muac: str, kek: bool) -> None:
    """Juknis ILP 2023 (KMK HK.01.07/MENKES/2015/2023): "Ibu hamil KEK adalah ibu hamil dengan hasil pemeriksaan
    LiLA < 23,5 cm"."""
    assert (WomanReason.KEK in mat.risk_flags(D(muac), None, pregnant=True)) is kek


@pytest.mark.parametrize(("hb", "pregnant", "flags"), [
    ("10.9", True, (WomanReason.ANAEMIA,)), ("11.0", True, ()),
    ("11.9", False, (WomanReason.ANAEMIA,)), ("12.0", False, ()),
    ("6.9", True, (WomanReason.SEVERE_ANAEMIA,)), ("7.0", True, (WomanReason.ANAEMIA,)),
    ("6.9", False, (WomanReason.SEVERE_ANAEMIA,)),
])
def test_anaemia_thresholds(hb: str, pregnant: bool, flags: tuple[WomanReason, ...]) -> None:
    """WHO 2011, Haemoglobin concentrations for the diagnosis of anaemia (WHO/NMH/NHD/MNM/11.1), table 1: pregnant
    < 11,0 g/dL, non-pregnant women < 12,0 g/dL (chosen over BKKBN's < 11 for catin: docs/cases.md §4.2), severe
    < 7,0 g/dL."""
    assert mat.risk_flags(None, D(hb), pregnant=pregnant) == flags


def test_flags_are_ordered_most_urgent_first() -> None:
    assert mat.risk_flags(D("21"), D("6.5"), pregnant=True) == (WomanReason.SEVERE_ANAEMIA, WomanReason.KEK)


@pytest.mark.parametrize(("lmp", "due"), [
    (dt.date(2024, 10, 15), dt.date(2025, 7, 22)), (dt.date(2024, 1, 1), dt.date(2024, 10, 8)),
    (dt.date(2024, 5, 31), dt.date(2025, 3, 7)), (dt.date(2023, 5, 25), dt.date(2024, 3, 1)),
])
def test_due_date_by_naegeles_rule(lmp: dt.date, due: dt.date) -> None:
    """Naegele's rule as taught in Indonesian midwifery: HPL = HPHT + 7 days, - 3 months, + 1 year."""
    assert mat.due_date(lmp) == due


@pytest.mark.parametrize(("days", "trimester"), [(0, 1), (84, 1), (85, 2), (168, 2), (169, 3), (280, 3)])
def test_trimesters(days: int, trimester: int) -> None:
    """Juknis ILP 2023: trimester 1 "0-12 minggu", trimester 2 "> 12 minggu - 24 minggu", trimester 3 "> 24 minggu"."""
    assert mat.trimester(days) == trimester


def test_anc_summary_counts_visits_per_trimester_and_the_doctor_visits() -> None:
    """Juknis ILP 2023: at least 6 ANC (1 in trimester 1, 2 in trimester 2, 3 in trimester 3), a doctor at least
    twice: K1 in trimester 1 and K5 in trimester 3."""
    lmp = dt.date(2024, 1, 1)
    visits = [(lmp + dt.timedelta(days=d), doctor) for d, doctor in ((70, True), (100, False), (160, False),
                                                                      (200, False), (220, True))]
    s = mat.anc_summary(lmp, visits)
    assert s.per_trimester == {1: 1, 2: 2, 3: 2} and s.total == 5 and s.doctor == {1: True, 3: True}
    assert s.missing(3) == {3: 1}


@pytest.mark.parametrize(("day", "kf"), [(0, 1), (2, 1), (3, 2), (7, 2), (8, 3), (28, 3), (29, 4), (42, 4),
                                         (43, None)])
def test_postnatal_visit_windows(day: int, kf: int | None) -> None:
    """Juknis ILP 2023: KF1 6-48 hours, KF2 3-7 days, KF3 8-28 days, KF4 29-42 days after the birth."""
    birth = dt.date(2025, 3, 1)
    assert mat.kf_of(birth, birth + dt.timedelta(days=day)) == kf


@pytest.mark.parametrize(("day", "kn"), [(2, 1), (3, 2), (7, 2), (8, 3), (28, 3), (29, None)])
def test_neonatal_visit_windows(day: int, kn: int | None) -> None:
    """Juknis ILP 2023: KN1 6-48 hours, KN2 3-7 days, KN3 8-28 days."""
    birth = dt.date(2025, 3, 1)
    assert mat.kn_of(birth, birth + dt.timedelta(days=day)) == kn


def test_hpht_in_the_future_or_more_than_44_weeks_ago_is_refused() -> None:
    today = dt.date(2025, 3, 4)
    with pytest.raises(mat.MaternalInputError, match="lmp_future"):
        mat.check_lmp(today + dt.timedelta(days=1), today)
    assert mat.check_lmp(today - dt.timedelta(weeks=44), today)
    with pytest.raises(mat.MaternalInputError, match="lmp_too_old"):
        mat.check_lmp(today - dt.timedelta(weeks=44, days=1), today)


def test_pregnancy_dates_stop_at_42_weeks() -> None:
    """WHO: 42 completed weeks and more is post-term; a date after that cannot belong to the pregnancy."""
    lmp = dt.date(2024, 10, 15)
    today = dt.date(2025, 12, 31)
    assert mat.check_pregnancy_date(lmp + dt.timedelta(weeks=42), lmp, today)
    assert mat.past_due(lmp + dt.timedelta(weeks=41), lmp)
    with pytest.raises(mat.MaternalInputError, match="after_due"):
        mat.check_pregnancy_date(lmp + dt.timedelta(weeks=42, days=1), lmp, today)
    with pytest.raises(mat.MaternalInputError, match="before_lmp"):
        mat.check_pregnancy_date(lmp - dt.timedelta(days=1), lmp, today)


def test_a_birth_before_20_weeks_is_refused() -> None:
    lmp, today = dt.date(2024, 10, 15), dt.date(2025, 12, 31)
    with pytest.raises(mat.MaternalInputError, match="birth_too_early"):
        mat.check_birth(lmp + dt.timedelta(weeks=20) - dt.timedelta(days=1), lmp, today)
    assert mat.check_birth(lmp + dt.timedelta(weeks=20), lmp, today)


@pytest.mark.parametrize(("check", "low", "high", "name"), [
    (mat.check_muac, "14", "50", "muac"), (mat.check_hb, "3", "20", "hb"),
    (mat.check_birth_weight, "0.5", "6", "birth_weight"), (mat.check_birth_length, "30", "60", "birth_length"),
])
def test_impossible_values_are_refused_at_their_bounds(check: object, low: str, high: str, name: str) -> None:
    assert callable(check)
    assert check(D(low)) == D(low) and check(D(high)) == D(high)
    for bad in (D(low) - D("0.1"), D(high) + D("0.1")):
        with pytest.raises(mat.MaternalInputError, match=f"{name}_impossible"):
            check(bad)


def test_a_womans_age_outside_10_to_60_years_is_refused() -> None:
    today = dt.date(2025, 3, 4)
    assert mat.check_woman_birth_date(dt.date(2005, 3, 4), today)
    with pytest.raises(mat.MaternalInputError, match="woman_age_impossible"):
        mat.check_woman_birth_date(dt.date(2020, 1, 1), today)
