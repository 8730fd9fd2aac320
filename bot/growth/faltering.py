"""Weight faltering between monthly weighings (Buku KIA 2023 / KMS): N, T, O, B, 2T and BGM, with actions.

Plain values in, plain result out, so the storage layer can feed it from whatever it keeps.
"""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.growth.models import DAYS_PER_MONTH


class WeighStatus(StrEnum):
    N = "N"  # naik: gain at least the KBM for the age
    T = "T"  # tidak naik: flat, falling, or gain below the KBM
    O = "O"  # weighed this month, not last (calendar) month  # noqa: E741
    B = "B"  # first weighing (baru)


class Action(StrEnum):
    CONTINUE = "continue"  # N: praise, keep feeding as now, come back next month
    COUNSEL = "counsel"  # T: feeding/illness counselling, weigh again next month
    REFER_PUSKESMAS = "refer_puskesmas"  # 2T, BGM (and, in advice, severe wasting, oedema, MUAC < 11.5 cm)
    WEIGH_NEXT_MONTH = "weigh_next_month"  # O or B: no trend yet, make sure the child comes every month


# KBM (kenaikan berat badan minimum, grams) by age in completed months at the current weighing.
# Source: Buku KIA 2023 / KMS tables as summarised in domain.md. Public sources disagree at 3 months (600 or
# 800 g), 7 months (300 or 400 g) and 11 months (200 or 300 g); the values below follow domain.md.
# Month 0 (second weighing inside the first month): no KBM is printed; we use the 1-month value.
KBM_GRAMS: dict[int, int] = {0: 800, 1: 800, 2: 900, 3: 800, 4: 600, 5: 500, 6: 400, 7: 400, 8: 300, 9: 300, 10: 300}
KBM_GRAMS_FROM_11_MONTHS = 200
# Below the red line of the KMS: weight-for-age z < -3.
BGM_BELOW_Z = -3.0
# Buku KIA sends a child with a single T to the puskesmas too; the brief (and Kemenkes surveillance slides,
# "Apabila 2T -> rujuk ke puskesmas") refer on 2T. Switch here if the programme decides otherwise.
REFER_ON_SINGLE_T = False


class FalteringInputError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class FalteringResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: WeighStatus
    two_t: bool = False  # second T in a row (2T)
    bgm: bool = False  # bawah garis merah: WAZ < -3
    gain_g: int | None = None  # grams since the previous weighing (N/T only)
    kbm_g: int | None = None  # minimum gain for the age (N/T only)
    actions: list[Action]
    refer: bool = False

    @property
    def counts_as_weighed(self) -> bool:
        """D of SKDN: every weighing (N + T + O + B)."""
        return True


def kbm_grams(age_months: int) -> int:
    """Minimum monthly weight gain for a child of `age_months` completed months at the current weighing."""
    if age_months < 0:
        raise ValueError("age_months must not be negative")
    return KBM_GRAMS.get(age_months, KBM_GRAMS_FROM_11_MONTHS)


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def weigh_status(
    *,
    current_date: date,
    current_weight_kg: float,
    age_days: int,
    previous_date: date | None = None,
    previous_weight_kg: float | None = None,
    previous_was_t: bool = False,
    waz: float | None = None,
) -> FalteringResult:
    """N/T/O/B (+2T, BGM) for today's weighing against the previous one.

    "Last month" is the previous *calendar* month: weighed on 31 January and 1 March is O, not N/T, even
    though only 29 days passed; 1 January and 28 February is O too. `previous_*` must be the latest weighing
    of an earlier calendar month (a second weighing in the same month is a correction, not a new status).
    `previous_was_t`: the previous weighing's status was T (needed for 2T). `waz`: today's weight-for-age
    z-score, for BGM (none with oedema; the oedema referral comes from the growth result).
    """
    if current_weight_kg <= 0 or (previous_weight_kg is not None and previous_weight_kg <= 0):
        raise FalteringInputError("non_positive", "weights must be greater than 0")
    if age_days < 0:
        raise FalteringInputError("negative_age", "age in days must not be negative")
    if (previous_date is None) != (previous_weight_kg is None):
        raise FalteringInputError("incomplete_previous", "give both the previous date and weight, or neither")

    bgm = waz is not None and not math.isnan(waz) and waz < BGM_BELOW_Z
    gain_g: int | None = None
    kbm: int | None = None
    two_t = False
    if previous_date is None or previous_weight_kg is None:
        status = WeighStatus.B
    else:
        gap = month_index(current_date) - month_index(previous_date)
        if gap <= 0:
            raise FalteringInputError(
                "same_month" if gap == 0 else "previous_after_current",
                "the previous weighing must be in an earlier calendar month",
            )
        if gap > 1:
            status = WeighStatus.O
        else:
            gain_g = round((current_weight_kg - previous_weight_kg) * 1000)
            kbm = kbm_grams(math.floor(age_days / DAYS_PER_MONTH))
            status = WeighStatus.N if gain_g >= kbm else WeighStatus.T
            two_t = status is WeighStatus.T and previous_was_t

    actions: list[Action] = []
    if status is WeighStatus.N:
        actions.append(Action.CONTINUE)
    elif status is WeighStatus.T:
        actions.append(Action.COUNSEL)
    else:
        actions.append(Action.WEIGH_NEXT_MONTH)
    refer = two_t or bgm or (REFER_ON_SINGLE_T and status is WeighStatus.T)
    if refer:
        actions.append(Action.REFER_PUSKESMAS)
    return FalteringResult(status=status, two_t=two_t, bgm=bgm, gain_g=gain_g, kbm_g=kbm, actions=actions, refer=refer)
