"""Weight faltering on the KMS: N/T over a fair interval, too soon, O, B, birth weight, 2T, BGM, orange line.

Sources (docs/clinical-rules.md): Kemenkes RI, Buku KIA 2023 ("KIA_SIAP_CETAK, 6 Mei 2023"), the KMS page of the
growth chart (flipbook page 54): N/T definitions, the KBM row and "Rujuk bila berat badan anak tidak naik (T)
atau di bawah garis merah atau di atas garis oranye"; Format F2 2023 (O = "ditimbang bulan ini tidak hadir
bulan lalu", B = "baru hadir bulan ini").
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.growth.faltering import (
    JUDGE_FROM_DAYS,
    JUDGE_TO_DAYS,
    KBM_GRAMS,
    Action,
    FalteringInputError,
    Weighing,
    WeighStatus,
    judge_weighing,
    kbm_grams,
)

TODAY = date(2024, 3, 12)
AGE = 300  # 9 completed months: KBM 300 g


def _judge(*, days_before: int = 30, previous_kg: float = 7.7, weight: float = 8.0, age_days: int = AGE,
           previous_status: WeighStatus | None = None, waz: float | None = None,
           birth: Weighing | None = None, earlier: list[Weighing] | None = None):  # type: ignore[no-untyped-def]
    if earlier is None:
        earlier = [Weighing(on=TODAY - timedelta(days=days_before), weight_kg=previous_kg, status=previous_status)]
    return judge_weighing(on=TODAY, weight_kg=weight, age_days=age_days, earlier=earlier, birth=birth, waz=waz)


def test_gain_of_at_least_the_kbm_is_n() -> None:
    """Buku KIA 2023: "Naik (N): kenaikan BB sama dengan KBM atau lebih"."""
    r = _judge(weight=8.0)
    assert r.status is WeighStatus.N and r.gain_g == 300 and r.kbm_g == 300 and not r.refer
    assert r.actions == [Action.CONTINUE]


def test_gain_below_the_kbm_is_t_and_a_single_t_refers() -> None:
    """Buku KIA 2023, p. 54: "Rujuk bila berat badan anak tidak naik (T)" — one T is enough."""
    r = _judge(weight=7.99)
    assert r.status is WeighStatus.T and r.refer and Action.REFER_PUSKESMAS in r.actions and not r.two_t


def test_weight_loss_is_t_and_refers() -> None:
    """Buku KIA 2023: "Tidak naik (T): grafik BB mendatar atau menurun"; refer."""
    r = _judge(weight=6.5)
    assert r.status is WeighStatus.T and r.lost and r.refer and r.gain_g == -1200


def test_second_t_in_a_row_is_2t() -> None:
    """Format F2 2023: "tidak naik 2 kali berturut-turut (2T)"."""
    r = _judge(weight=7.7, previous_status=WeighStatus.T)
    assert r.status is WeighStatus.T and r.two_t and r.refer


@pytest.mark.parametrize(("days", "status"), [
    (JUDGE_FROM_DAYS - 1, WeighStatus.TOO_SOON),
    (JUDGE_FROM_DAYS, WeighStatus.N),
    (JUDGE_TO_DAYS, WeighStatus.N),
    (JUDGE_TO_DAYS + 1, WeighStatus.O),
])
def test_n_or_t_is_judged_only_over_21_to_45_days(days: int, status: WeighStatus) -> None:
    """docs/clinical-rules.md: N/T compares weighings about a month apart (21-45 days), the KBM being a monthly
    gain; closer is "too soon", farther is O (Permenkes 155/2010: "Jika anak bulan lalu tidak ditimbang, maka
    garis pertumbuhan tidak dapat dihubungkan")."""
    assert _judge(days_before=days, weight=8.0).status is status


def test_31_january_then_1_february_is_too_soon_not_t() -> None:
    """Regression (issue 12): a weighing the day after the last one gave T against a month's KBM."""
    r = judge_weighing(on=date(2025, 2, 1), weight_kg=8.0, age_days=AGE,
                       earlier=[Weighing(on=date(2025, 1, 31), weight_kg=8.0)])
    assert r.status is WeighStatus.TOO_SOON and not r.refer and r.interval_days == 1


def test_a_loss_too_soon_after_the_last_weighing_is_not_judged() -> None:
    """A re-weighing within days says nothing yet (docs/clinical-rules.md), a loss included."""
    r = _judge(days_before=3, weight=7.6)
    assert r.status is WeighStatus.TOO_SOON and not r.lost and not r.refer and r.gain_g == -100


def test_the_reference_is_the_latest_weighing_21_to_45_days_before() -> None:
    """Two weighings: 31 and 1 days before. The one a month before is judged against, not yesterday's."""
    earlier = [Weighing(on=TODAY - timedelta(days=31), weight_kg=7.7),
               Weighing(on=TODAY - timedelta(days=1), weight_kg=7.95)]
    r = judge_weighing(on=TODAY, weight_kg=8.0, age_days=AGE, earlier=earlier)
    assert r.status is WeighStatus.N and r.interval_days == 31 and r.gain_g == 300


def test_no_weighing_a_month_before_is_o_and_a_loss_since_still_refers() -> None:
    """O: "ditimbang bulan ini tidak hadir bulan lalu" (F2 2023). A loss is still a loss (Buku KIA 2023)."""
    assert _judge(days_before=70, weight=8.5).status is WeighStatus.O
    r = _judge(days_before=70, weight=7.5)
    assert r.status is WeighStatus.O and r.lost and r.refer


def test_first_weighing_is_b() -> None:
    """B: "baru hadir bulan ini" (F2 2023)."""
    r = judge_weighing(on=TODAY, weight_kg=8.0, age_days=AGE, earlier=[])
    assert r.status is WeighStatus.B and r.actions == [Action.WEIGH_NEXT_MONTH] and not r.refer


def test_birth_weight_judges_a_first_weighing_about_a_month_after_birth() -> None:
    """Buku KIA 2023: the birth weight is the first point on the KMS; a newborn gaining 400 g in 16 days was T
    against the full-month KBM (issue 12): 16 days is now B, 30 days is judged against the birth weight."""
    born = date(2024, 3, 1)
    birth = Weighing(on=born, weight_kg=3.0, at_birth=True)
    early = judge_weighing(on=born + timedelta(days=16), weight_kg=3.4, age_days=16, earlier=[], birth=birth)
    assert early.status is WeighStatus.B and not early.refer
    month = judge_weighing(on=born + timedelta(days=30), weight_kg=3.85, age_days=30, earlier=[], birth=birth)
    assert month.status is WeighStatus.N and month.from_birth and month.kbm_g == 800 and month.gain_g == 850
    low = judge_weighing(on=born + timedelta(days=30), weight_kg=3.5, age_days=30, earlier=[], birth=birth)
    assert low.status is WeighStatus.T and low.refer


def test_below_the_red_line_refers() -> None:
    """Buku KIA 2023, p. 54: "di bawah garis merah" (WAZ < -3, Permenkes 2/2020 "berat badan sangat kurang")."""
    r = _judge(waz=-3.01)
    assert r.bgm and r.refer and Action.REFER_PUSKESMAS in r.actions
    assert not _judge(waz=-3.0).bgm


def test_above_the_orange_line_refers() -> None:
    """Buku KIA 2023, p. 54: "di atas garis oranye" (WAZ > +1, Permenkes 2/2020 "risiko berat badan lebih")."""
    r = _judge(waz=1.01)
    assert r.above_orange and r.refer
    assert not _judge(waz=1.0).above_orange and not _judge(waz=1.0).refer


@pytest.mark.parametrize(
    ("months", "grams"),
    [(0, 800), (1, 800), (2, 900), (3, 800), (4, 600), (5, 500), (6, 400), (7, 300), (8, 300), (10, 300),
     (11, 200), (24, 200), (59, 200)],
)
def test_kbm_table_follows_buku_kia_2023(months: int, grams: int) -> None:
    """Buku KIA 2023 KBM row (flipbook p. 54): 800 900 800 600 500 400, 300 for 7-10 months, 200 from 11
    months (docs/clinical-rules.md: why 3 months is 800, 7 months 300 and 11 months 200)."""
    assert kbm_grams(months) == grams


def test_kbm_uses_completed_months_at_the_current_weighing() -> None:
    """61 days = 2.004 months -> 900 g (age in completed months, WHO anthro: days / 30.4375)."""
    r = judge_weighing(on=TODAY, weight_kg=4.85, age_days=61,
                       earlier=[Weighing(on=TODAY - timedelta(days=30), weight_kg=4.0)])
    assert r.kbm_g == 900 and r.status is WeighStatus.T
    assert KBM_GRAMS[2] == 900


def test_non_positive_weight_is_refused() -> None:
    with pytest.raises(FalteringInputError):
        judge_weighing(on=TODAY, weight_kg=0, age_days=AGE, earlier=[])
