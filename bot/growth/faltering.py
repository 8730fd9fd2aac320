"""Weight faltering on the KMS (Buku KIA 2023): N, T, 2T, O, B and "too soon", the red and orange lines.

Plain values in, plain result out, so the status function (bot.growth.status) can feed it from any history.
Every rule and number is in docs/clinical-rules.md with its source; the short form is beside each rule below.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.growth.models import DAYS_PER_MONTH


class WeighStatus(StrEnum):
    N = "N"  # naik: gain at least the KBM for the age over about a month
    T = "T"  # tidak naik: flat, falling, or gain below the KBM
    O = "O"  # no weighing about a month before (missed last month's posyandu)  # noqa: E741
    B = "B"  # first weighing (baru)
    TOO_SOON = "-"  # weighed fewer than 21 days after the last weighing: nothing to judge yet


class Action(StrEnum):
    CONTINUE = "continue"  # N: praise, keep feeding as now, come back next month
    COUNSEL = "counsel"  # T: ask about illness and feeding, counsel
    REFER_PUSKESMAS = "refer_puskesmas"  # T, weight loss, BGM, above the orange line (Buku KIA 2023)
    WEIGH_NEXT_MONTH = "weigh_next_month"  # O, B or too soon: no trend yet, come every month


# KBM (kenaikan berat badan minimal, grams) by age in completed months at the current weighing.
# Source: Kemenkes RI, Buku KIA (Kesehatan Ibu dan Anak) 2023, "Tabel Kenaikan Berat Badan Minimal (KBM)" in the
# child's growth-monitoring pages; the same table as Permenkes 155/2010 on the KMS (Lampiran, "Tabel KBM").
# Page numbers and the values at 3, 7 and 11 months, where secondary sources disagree, are settled in
# docs/clinical-rules.md. Month 0 (the first month, e.g. birth weight to a weighing at 3-4 weeks): the table
# starts at 1 month; its first value is used.
KBM_GRAMS: dict[int, int] = {0: 800, 1: 800, 2: 900, 3: 800, 4: 600, 5: 500, 6: 400, 7: 300, 8: 300, 9: 300,
                             10: 300}
KBM_GRAMS_FROM_11_MONTHS = 200
# N/T is judged between weighings about a month apart. The KBM is a one-month gain, and posyandu meet monthly
# on a fixed weekday (28 or 35 days apart), sometimes moved by a holiday. 21-45 days keeps every such pair and
# leaves out a re-weighing a few days later (a day's gain against a month's KBM says nothing) and a gap of
# six weeks or more (the child missed a month: O). Buku KIA 2023 judges "bulan ini" against "bulan lalu".
JUDGE_FROM_DAYS = 21
JUDGE_TO_DAYS = 45
# Below the red line of the KMS: weight-for-age z < -3 (Buku KIA 2023 growth chart; Permenkes 2/2020,
# "berat badan sangat kurang").
BGM_BELOW_Z = -3.0
# Above the orange line of the KMS weight-for-age chart: z > +1 (Buku KIA 2023 growth chart; Permenkes 2/2020,
# "risiko berat badan lebih" starts above +1 SD).
ORANGE_ABOVE_Z = 1.0


class FalteringInputError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Weighing:
    """An earlier valid weighing (or the birth weight, `at_birth`), with its own judged status."""

    on: date
    weight_kg: float
    status: WeighStatus | None = None
    two_t: bool = False
    at_birth: bool = False

    @property
    def was_t(self) -> bool:
        return self.status is WeighStatus.T


class FalteringResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: WeighStatus
    two_t: bool = False  # second T in a row (2T)
    bgm: bool = False  # bawah garis merah: WAZ < -3
    above_orange: bool = False  # di atas garis oranye: WAZ > +1
    gain_g: int | None = None  # grams since the reference weighing (N/T), or since the last one (O, too soon)
    kbm_g: int | None = None  # minimum gain for the age (N/T only)
    interval_days: int | None = None  # days since that weighing
    reference_on: date | None = None  # the weighing compared with
    from_birth: bool = False  # the reference is the birth weight
    lost: bool = False  # weight went down since a weighing at least 21 days before
    actions: list[Action]
    refer: bool = False

    @property
    def judged(self) -> bool:
        """N or T: a month's gain was compared with the KBM."""
        return self.status in (WeighStatus.N, WeighStatus.T)


def kbm_grams(age_months: int) -> int:
    """Minimum monthly weight gain for a child of `age_months` completed months at the current weighing."""
    if age_months < 0:
        raise ValueError("age_months must not be negative")
    return KBM_GRAMS.get(age_months, KBM_GRAMS_FROM_11_MONTHS)


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def judge_weighing(*, on: date, weight_kg: float, age_days: int, earlier: Sequence[Weighing],
                   birth: Weighing | None = None, waz: float | None = None) -> FalteringResult:
    """N/T/O/B/too soon (+2T, BGM, orange line, loss) of a weighing on `on`, against `earlier` weighings.

    `earlier`: the child's valid weighings before `on` (any order), each with its own status (for 2T).
    `birth`: the recorded birth weight, used as the reference of a first weighing 21-45 days after birth
    (Buku KIA: the birth weight is the first point on the KMS) instead of calling it B.
    Rules (docs/clinical-rules.md):
    - reference = the latest weighing 21-45 days before; N when the gain >= KBM for the age, else T;
      2T when the reference itself was T;
    - no such weighing but one fewer than 21 days before: too soon (a loss is not judged either);
    - only older weighings: O (a loss since the last one still counts); none at all: B.
    """
    if weight_kg <= 0 or any(w.weight_kg <= 0 for w in earlier):
        raise FalteringInputError("non_positive", "weights must be greater than 0")
    if age_days < 0:
        raise FalteringInputError("negative_age", "age in days must not be negative")
    before = sorted((w for w in earlier if w.on < on), key=lambda w: w.on)
    bgm = waz is not None and not math.isnan(waz) and waz < BGM_BELOW_Z
    above_orange = waz is not None and not math.isnan(waz) and waz > ORANGE_ABOVE_Z
    candidates = list(before)
    if birth is not None and not before:
        candidates = [birth]
    in_window = [w for w in candidates if JUDGE_FROM_DAYS <= (on - w.on).days <= JUDGE_TO_DAYS]
    last = before[-1] if before else None

    def gain_since(w: Weighing) -> int:
        return round((weight_kg - w.weight_kg) * 1000)

    gain_g: int | None = None
    kbm: int | None = None
    interval: int | None = None
    reference: Weighing | None = None
    two_t = lost = False
    if in_window:
        reference = in_window[-1]
        gain_g, interval = gain_since(reference), (on - reference.on).days
        kbm = kbm_grams(math.floor(age_days / DAYS_PER_MONTH))
        status = WeighStatus.N if gain_g >= kbm else WeighStatus.T
        two_t = status is WeighStatus.T and reference.was_t
        lost = gain_g < 0
    elif last is not None and (on - last.on).days < JUDGE_FROM_DAYS:
        status = WeighStatus.TOO_SOON
        reference, gain_g, interval = last, gain_since(last), (on - last.on).days
    elif last is not None:
        status = WeighStatus.O
        reference, gain_g, interval = last, gain_since(last), (on - last.on).days
        lost = gain_g < 0
    else:
        status = WeighStatus.B

    actions: list[Action] = []
    if status is WeighStatus.N:
        actions.append(Action.CONTINUE)
    elif status is WeighStatus.T:
        actions.append(Action.COUNSEL)
    else:
        actions.append(Action.WEIGH_NEXT_MONTH)
    # Buku KIA 2023, p. 54: "Rujuk bila berat badan anak tidak naik (T) atau di bawah garis merah atau di atas
    # garis oranye" — a single T is enough (older KMS practice waited for 2T).
    refer = status is WeighStatus.T or lost or bgm or above_orange
    if refer:
        actions.append(Action.REFER_PUSKESMAS)
    return FalteringResult(
        status=status, two_t=two_t, bgm=bgm, above_orange=above_orange, gain_g=gain_g, kbm_g=kbm,
        interval_days=interval, reference_on=reference.on if reference else None,
        from_birth=bool(reference and reference.at_birth), lost=lost, actions=actions, refer=refer)
