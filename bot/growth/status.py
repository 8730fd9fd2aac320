"""The one status function: what a child's visits mean, visit by visit and month by month.

Every surface asks here: the result card, `/riwayat`, `/anakku` and the parent's notice (a visit's
`Assessment`), `/daftar`, `/rekap`, `/tindak_lanjut`, the export and the dashboard (a month's `MonthStatus`,
stored by bot.services.status in `child_month_status` whenever a child's data changes). Pure: visits in
(values and the WHO z-scores bot.growth.zscores computed for them), decisions out.

The rules, each with its source, are in docs/clinical-rules.md:
- a visit with a value WHO calls biologically implausible is "perlu ukur ulang": shown, never counted;
- the month's status is its last valid visit (one with a weight, when there is one);
- N/T/O/B/too soon from bot.growth.faltering; categories from Permenkes 2/2020 (bot.growth.classify);
- the child needs follow-up exactly when a refer reason holds (`Reason`), and every advice text that says
  "refer" comes from one of those reasons, so the red header, the list and the words agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.growth._i18n import N_
from bot.growth.advice import AdviceKey, advice_keys
from bot.growth.classify import classify, classify_muac
from bot.growth.faltering import FalteringResult, Weighing, WeighStatus, judge_weighing
from bot.growth.models import (
    MAX_AGE_DAYS,
    Category,
    GrowthResult,
    Indicator,
    Missing,
    Note,
    Position,
    Sex,
)
from bot.growth.zscores import MUAC_FROM_DAYS, is_implausible

# WHO: head circumference beyond +-2 SD is screened (microcephaly / macrocephaly) by a health worker.
HEAD_Z_LIMIT = 2.0


class Reason(StrEnum):
    """Why a child needs follow-up: each is a refer reason. Listed from most to least urgent."""

    OEDEMA = "oedema"  # bilateral pitting oedema: severe acute malnutrition (WHO 2013; Permenkes 2/2020)
    SEVERE_WASTING = "severe_wasting"  # WHZ < -3, gizi buruk (Permenkes 2/2020; WHO/UNICEF 2009)
    MUAC_SEVERE = "muac_severe"  # LiLA < 11,5 cm at 6-59 months (WHO/UNICEF 2009; Kemenkes 2019)
    BGM = "bgm"  # WAZ < -3, below the red line (Buku KIA 2023, p. 54)
    TWO_T = "2t"  # second T in a row
    WEIGHT_LOST = "weight_lost"  # weight went down (Buku KIA 2023, p. 54: T includes "turun")
    T = "t"  # weight did not go up by the KBM (Buku KIA 2023, p. 54: a single T is referred)
    WASTED = "wasted"  # WHZ -3 to < -2, gizi kurang (Permenkes 2/2020; Kemenkes PMT 2023)
    MUAC_MODERATE = "muac_moderate"  # LiLA 11,5 to < 12,5 cm (Kemenkes 2019)
    SEVERELY_STUNTED = "severely_stunted"  # HAZ < -3, sangat pendek (Permenkes 2/2020)
    STUNTED = "stunted"  # HAZ -3 to < -2, pendek: confirmed by a doctor at the puskesmas (KMK 1928/2022)
    OBESE = "obese"  # WHZ > +3 (Permenkes 2/2020)
    OVERWEIGHT = "overweight"  # WHZ > +2 to +3 (Permenkes 2/2020)
    ABOVE_ORANGE = "above_orange"  # WAZ > +1, above the orange line (Buku KIA 2023, p. 54)
    HEAD = "head"  # head circumference beyond +-2 SD (WHO Child Growth Standards)


REASON_ORDER = {r: i for i, r in enumerate(Reason)}
URGENT = frozenset({Reason.OEDEMA, Reason.SEVERE_WASTING, Reason.MUAC_SEVERE})  # refer today
# The advice each reason gives: every advice key that tells the cadre or parent to refer is in this map.
REASON_ADVICE: dict[Reason, AdviceKey] = {
    Reason.OEDEMA: AdviceKey.OEDEMA,
    Reason.SEVERE_WASTING: AdviceKey.SEVERELY_WASTED,
    Reason.MUAC_SEVERE: AdviceKey.MUAC_SEVERE,
    Reason.BGM: AdviceKey.BELOW_RED_LINE,
    Reason.TWO_T: AdviceKey.WEIGHT_NOT_UP_TWICE,
    Reason.WEIGHT_LOST: AdviceKey.WEIGHT_LOST,
    Reason.T: AdviceKey.WEIGHT_NOT_UP,
    Reason.WASTED: AdviceKey.WASTED,
    Reason.MUAC_MODERATE: AdviceKey.MUAC_MODERATE,
    Reason.SEVERELY_STUNTED: AdviceKey.STUNTED,
    Reason.STUNTED: AdviceKey.STUNTED,
    Reason.OBESE: AdviceKey.OBESE,
    Reason.OVERWEIGHT: AdviceKey.OVERWEIGHT,
    Reason.ABOVE_ORANGE: AdviceKey.ABOVE_ORANGE_LINE,
    Reason.HEAD: AdviceKey.HEAD_CHECK,
}


# Short words per reason (card, history, lists, follow-up), the same everywhere.
REASON_LABELS: dict[Reason, str] = {
    Reason.OEDEMA: N_("oedema"),
    Reason.SEVERE_WASTING: N_("severely wasted"),
    Reason.MUAC_SEVERE: N_("MUAC < 11.5 cm"),
    Reason.BGM: N_("BGM"),
    Reason.TWO_T: N_("2T"),
    Reason.WEIGHT_LOST: N_("weight down"),
    Reason.T: N_("T (weight not up)"),
    Reason.WASTED: N_("wasted"),
    Reason.MUAC_MODERATE: N_("MUAC 11.5–12.4 cm"),
    Reason.SEVERELY_STUNTED: N_("severely stunted"),
    Reason.STUNTED: N_("stunted"),
    Reason.OBESE: N_("obese"),
    Reason.OVERWEIGHT: N_("overweight"),
    Reason.ABOVE_ORANGE: N_("above the orange line"),
    Reason.HEAD: N_("head size"),
}
# Reasons a list already shows as the weighing status (N/T/2T column).
WEIGHING_REASONS = frozenset({Reason.T, Reason.TWO_T})


@dataclass(frozen=True)
class ChildFacts:
    sex: Sex
    birth_date: dt.date
    birth_weight_kg: float | None = None


@dataclass(frozen=True)
class Visit:
    """One current measurement: the values as entered and the z-scores the growth engine computed for them."""

    id: int
    measured_on: dt.date
    weight_kg: float | None = None
    length_cm: float | None = None
    position: Position | None = None
    oedema: bool = False
    head_cm: float | None = None
    muac_cm: float | None = None
    z: Mapping[Indicator, float | None] = field(default_factory=dict)
    adjusted_length_cm: float | None = None
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Assessment:
    """What one visit means. `valid` False: a value WHO calls implausible, "perlu ukur ulang"."""

    visit: Visit
    growth: GrowthResult
    valid: bool
    weighing: FalteringResult | None
    reasons: tuple[Reason, ...]
    advice: tuple[AdviceKey, ...]

    @property
    def refer(self) -> bool:
        return bool(self.reasons)

    @property
    def urgent(self) -> bool:
        return any(r in URGENT for r in self.reasons)

    @property
    def weighed(self) -> bool:
        return self.valid and self.visit.weight_kg is not None

    def _z(self, indicator: Indicator) -> float | None:
        return self.growth.z.get(indicator) if self.valid else None

    # Prevalence conventions (WHO/UNICEF 2019 recommendations for data use; anthro_prevalence): z < -2 / > +2,
    # oedema counted as wasted and underweight (no weight-based z-score).
    @property
    def stunted(self) -> bool:
        z = self._z(Indicator.LHFA)
        return z is not None and z < -2

    @property
    def severely_stunted(self) -> bool:
        z = self._z(Indicator.LHFA)
        return z is not None and z < -3

    @property
    def wasted(self) -> bool:
        z = self._z(Indicator.WFLH)
        return self.valid and (self.visit.oedema or (z is not None and z < -2))

    @property
    def severely_wasted(self) -> bool:
        z = self._z(Indicator.WFLH)
        return self.valid and (self.visit.oedema or (z is not None and z < -3))

    @property
    def underweight(self) -> bool:
        z = self._z(Indicator.WFA)
        return self.valid and (self.visit.oedema or (z is not None and z < -2))

    @property
    def overweight(self) -> bool:
        z = self._z(Indicator.WFLH)
        return not self.visit.oedema and z is not None and z > 2

    @property
    def has_waz(self) -> bool:
        return self._z(Indicator.WFA) is not None or (self.valid and self.visit.oedema)

    @property
    def has_haz(self) -> bool:
        return self._z(Indicator.LHFA) is not None

    @property
    def has_whz(self) -> bool:
        return self._z(Indicator.WFLH) is not None or (self.valid and self.visit.oedema)


@dataclass(frozen=True)
class MonthStatus:
    """A child's month: the visit that counts (the last valid one, preferring one with a weight) and the rest."""

    month: dt.date  # first day
    counted: Assessment | None
    visits: tuple[Assessment, ...]

    @property
    def remeasure(self) -> bool:
        """The month's latest visit is "perlu ukur ulang" (the cadre should measure the child again)."""
        return bool(self.visits) and not self.visits[-1].valid

    @property
    def weighed(self) -> bool:
        return self.counted is not None and self.counted.weighed


def growth_of(child: ChildFacts, visit: Visit) -> GrowthResult:
    """The GrowthResult of a stored visit, from its z-scores (no table lookups): flags, categories, missing."""
    age = (visit.measured_on - child.birth_date).days
    z = {ind: visit.z.get(ind) for ind in Indicator}
    flags = {ind: (v is not None and is_implausible(ind, v)) for ind, v in z.items()}
    categories: dict[Indicator, Category | None] = {
        ind: (classify(ind, v) if v is not None and not flags[ind] else None) for ind, v in z.items()}
    missing: dict[Indicator, Missing] = {}
    weight_missing = Missing.OEDEMA if visit.oedema else Missing.NOT_MEASURED
    if z[Indicator.WFA] is None:
        missing[Indicator.WFA] = weight_missing
    if z[Indicator.LHFA] is None:
        missing[Indicator.LHFA] = Missing.NOT_MEASURED
    if z[Indicator.WFLH] is None:
        if visit.length_cm is None:
            missing[Indicator.WFLH] = Missing.NOT_MEASURED
        elif visit.oedema or visit.weight_kg is None:
            missing[Indicator.WFLH] = weight_missing
        else:
            missing[Indicator.WFLH] = Missing.LENGTH_OUT_OF_RANGE
    if z[Indicator.BMIFA] is None:
        missing[Indicator.BMIFA] = weight_missing if visit.length_cm is not None else Missing.NOT_MEASURED
    if z[Indicator.HCFA] is None:
        missing[Indicator.HCFA] = Missing.NOT_MEASURED
    if z[Indicator.ACFA] is None:
        missing[Indicator.ACFA] = (Missing.AGE_OUT_OF_RANGE if visit.muac_cm is not None and age < MUAC_FROM_DAYS
                                   else Missing.NOT_MEASURED)
    muac_category = None
    if visit.muac_cm is not None and not flags[Indicator.ACFA]:
        muac_category = classify_muac(visit.muac_cm, age)
    notes = list(visit.notes)
    if any(flags.values()) and Note.IMPLAUSIBLE not in notes:
        notes.append(Note.IMPLAUSIBLE)
    if visit.oedema and Note.OEDEMA not in notes:
        notes.append(Note.OEDEMA)
    if age > MAX_AGE_DAYS and Note.OVER_FIVE not in notes:
        notes.append(Note.OVER_FIVE)
    # Built from values this function just derived (no input to validate): model_construct skips pydantic's
    # validation, which was a third of the time of deciding a whole database again.
    return GrowthResult.model_construct(
        sex=child.sex, age_days=age, z=z, flags=flags, categories=categories, missing=missing,
        muac_category=muac_category, adjusted_length_cm=visit.adjusted_length_cm, measured_as=visit.position,
        bmi=None, weight_kg=visit.weight_kg, muac_cm=visit.muac_cm, oedema=visit.oedema, notes=notes)


def reasons_of(growth: GrowthResult, weighing: FalteringResult | None) -> tuple[Reason, ...]:
    """The refer reasons of a valid visit, most urgent first."""
    found: set[Reason] = set()
    z = growth.z
    whz, haz, hcz = z.get(Indicator.WFLH), z.get(Indicator.LHFA), z.get(Indicator.HCFA)
    if growth.oedema:
        found.add(Reason.OEDEMA)
    if whz is not None:
        if whz < -3:
            found.add(Reason.SEVERE_WASTING)
        elif whz < -2:
            found.add(Reason.WASTED)
        elif whz > 3:
            found.add(Reason.OBESE)
        elif whz > 2:
            found.add(Reason.OVERWEIGHT)
    elif not growth.oedema:
        # No weight-for-length/height (length outside the WHO table): BMI-for-age stands in, but never for
        # severe wasting, which is defined on weight-for-length/height (WHO/UNICEF 2009).
        bmiz = z.get(Indicator.BMIFA)
        if bmiz is not None and bmiz < -2:
            found.add(Reason.WASTED)
        elif bmiz is not None and bmiz > 3:
            found.add(Reason.OBESE)
        elif bmiz is not None and bmiz > 2:
            found.add(Reason.OVERWEIGHT)
    muac = growth.muac_category
    if muac is not None and muac.code == "muac_severe":
        found.add(Reason.MUAC_SEVERE)
    elif muac is not None and muac.code == "muac_moderate":
        found.add(Reason.MUAC_MODERATE)
    if haz is not None and haz < -3:
        found.add(Reason.SEVERELY_STUNTED)
    elif haz is not None and haz < -2:
        found.add(Reason.STUNTED)
    if hcz is not None and abs(hcz) > HEAD_Z_LIMIT:
        found.add(Reason.HEAD)
    if weighing is not None:
        if weighing.bgm:
            found.add(Reason.BGM)
        if weighing.above_orange:
            found.add(Reason.ABOVE_ORANGE)
        if weighing.two_t:
            found.add(Reason.TWO_T)
        elif weighing.status is WeighStatus.T:
            found.add(Reason.T)
        if weighing.lost and weighing.status is not WeighStatus.T:
            found.add(Reason.WEIGHT_LOST)
    return tuple(sorted(found, key=REASON_ORDER.__getitem__))


def assess(child: ChildFacts, visits: Sequence[Visit]) -> list[Assessment]:
    """Every visit of a child, oldest first, judged against the valid weighings before it."""
    ordered = sorted(visits, key=lambda v: (v.measured_on, v.id))
    birth = (Weighing(on=child.birth_date, weight_kg=child.birth_weight_kg, at_birth=True)
             if child.birth_weight_kg else None)
    earlier: list[Weighing] = []
    out: list[Assessment] = []
    for visit in ordered:
        growth = growth_of(child, visit)
        # A stored row dated before the (corrected) birth date or after the fifth birthday cannot be judged.
        valid = not growth.any_flagged and Note.OVER_FIVE not in growth.notes and growth.age_days >= 0
        weighing: FalteringResult | None = None
        if valid and visit.weight_kg is not None:
            weighing = judge_weighing(on=visit.measured_on, weight_kg=visit.weight_kg, age_days=growth.age_days,
                                      earlier=earlier, birth=birth, waz=growth.z.get(Indicator.WFA))
            earlier.append(Weighing(on=visit.measured_on, weight_kg=visit.weight_kg, status=weighing.status,
                                    two_t=weighing.two_t))
        reasons = reasons_of(growth, weighing) if valid else ()
        keys = advice_keys(growth, weighing, refer={REASON_ADVICE[r] for r in reasons})
        out.append(Assessment(visit=visit, growth=growth, valid=valid, weighing=weighing, reasons=reasons,
                              advice=tuple(keys)))
    return out


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months(assessments: Sequence[Assessment]) -> list[MonthStatus]:
    """The assessments grouped by calendar month (oldest first), each with the visit that counts."""
    grouped: dict[dt.date, list[Assessment]] = {}
    for a in assessments:
        grouped.setdefault(month_of(a.visit.measured_on), []).append(a)
    out = []
    for month, items in sorted(grouped.items()):
        valid = [a for a in items if a.valid]
        weighed = [a for a in valid if a.visit.weight_kg is not None]
        pool = weighed or valid
        counted = pool[-1] if pool else None
        out.append(MonthStatus(month=month, counted=counted, visits=tuple(items)))
    return out


__all__ = [
    "REASON_LABELS", "REASON_ORDER", "URGENT", "WEIGHING_REASONS", "Assessment", "ChildFacts", "MonthStatus",
    "Reason", "Visit", "assess", "growth_of", "month_of", "months", "reasons_of",
]
