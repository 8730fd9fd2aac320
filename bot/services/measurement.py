"""Entering a measurement: reading typed values, checking them against the child, computing and saving the result.

Both the guided `/ukur` and the one-line `/catat` come here, so a value gets the same answer whichever way it
was typed. No telegram imports: handlers turn an `InputIssue` or a `Problem` into a message, and a `Saved`
into the result card (bot.render).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from bot.growth import zscores
from bot.growth.advice import AdviceKey, advice_keys, needs_referral
from bot.growth.faltering import FalteringInputError, FalteringResult, weigh_status
from bot.growth.models import HEIGHT_FROM_DAYS, MAX_AGE_DAYS, GrowthResult, Indicator, MeasurementInput
from bot.growth.models import Position as GrowthPosition
from bot.growth.models import Sex as GrowthSex
from bot.growth.zscores import GrowthInputError, Problem
from bot.i18n import ParseError, parse_decimal
from storage import Repositories
from storage.cadre_queries import same_day_measurement
from storage.errors import Conflict
from storage.models import Child, Faltering, Measurement, MeasurementCreate, Position
from storage.repositories.measurements import EntryContext
from storage.values import month_bounds

log = logging.getLogger(__name__)

NumberField = Literal["weight_kg", "length_cm", "muac_cm", "head_cm"]
NUMBER_FIELDS: tuple[NumberField, ...] = ("weight_kg", "length_cm", "muac_cm", "head_cm")

# Values no child under five can have, whatever the age: refused outright (no "save anyway").
# Inside these limits a value implausible for the age is only questioned (the WHO flags, via bot.growth).
HARD_LIMITS: dict[NumberField, tuple[Decimal, Decimal]] = {
    "weight_kg": (Decimal("0.5"), Decimal("60")),
    "length_cm": (Decimal("30"), Decimal("140")),
    "muac_cm": (Decimal("5"), Decimal("30")),
    "head_cm": (Decimal("20"), Decimal("65")),
}
# How far back a measurement date may go before we ask whether it is a typo (a posyandu records monthly).
OLD_DATE_DAYS = 92
MAX_INPUT_CHARS = 40  # a number longer than this is a paste by mistake

# An implausibly large weight gain since the last weighing: almost always a mis-read scale, a child weighed
# with clothes/sarong or a typo, so it is questioned (re-weigh) like the "dropped more than 1 kg" check.
# (from age in completed months, most grams per month). The limits sit well above the 99th centile of the WHO
# weight-velocity standards (WHO Child Growth Standards: Growth velocity based on weight, 2009: 1-month
# increments reach ~1.5-1.8 kg only in the first 2 months, ~1 kg at 3-5 months and stay under ~0.9 kg from
# 6 months) and several times the Buku KIA minimum gain (KBM, 200-900 g), so real catch-up growth is rarely
# questioned. Over a longer gap the limit grows with the months elapsed (at least one month is assumed).
MAX_MONTHLY_GAIN_G: tuple[tuple[int, int], ...] = ((0, 2500), (3, 2000), (6, 1500))
DAYS_PER_MONTH = 30.4375
WEIGHT_GAIN_CODE = "weight_gain_implausible"
GAIN_FLAG = "change_weight_gain"  # stored flag; "change_*" flags mean "re-measure" (see notify)

_GROWTH_FIELD: dict[Indicator, str] = {
    Indicator.WFA: "waz", Indicator.LHFA: "haz", Indicator.WFLH: "whz",
    Indicator.BMIFA: "bmiz", Indicator.HCFA: "hcz", Indicator.ACFA: "muacz",
}
_NUMBER_WORDS = re.compile(
    r"\b(nol|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|belas|puluh|ratus|seratus|"
    r"koma|setengah|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b",
    re.IGNORECASE,
)


class InputIssue(ValueError):
    """A typed value that cannot be used; `code` picks the message, `params` fill it (no personal data)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# ------------------------------------------------------------------ drafts (what the cadre typed so far)


@dataclass
class Draft:
    """A measurement being entered. Kept in `user_data` as plain JSON (see `to_dict`) so it survives restarts."""

    child_id: int | None = None
    measured_on: dt.date | None = None
    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    position: Position | None = None
    muac_cm: Decimal | None = None
    head_cm: Decimal | None = None
    oedema: bool = False
    corrects_id: int | None = None  # set by /koreksi: saving supersedes this measurement
    confirmed: list[str] = field(default_factory=list)  # fields the cadre confirmed despite a warning

    def to_dict(self) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "measured_on": self.measured_on.isoformat() if self.measured_on else None,
            **{f: (str(getattr(self, f)) if getattr(self, f) is not None else None) for f in NUMBER_FIELDS},
            "position": self.position.value if self.position else None,
            "oedema": self.oedema,
            "corrects_id": self.corrects_id,
            "confirmed": list(self.confirmed),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        def dec(key: str) -> Decimal | None:
            value = data.get(key)
            return Decimal(value) if value is not None else None

        return cls(
            child_id=data.get("child_id"),
            measured_on=dt.date.fromisoformat(data["measured_on"]) if data.get("measured_on") else None,
            weight_kg=dec("weight_kg"),
            length_cm=dec("length_cm"),
            position=Position(data["position"]) if data.get("position") else None,
            muac_cm=dec("muac_cm"),
            head_cm=dec("head_cm"),
            oedema=bool(data.get("oedema")),
            corrects_id=data.get("corrects_id"),
            confirmed=list(data.get("confirmed") or []),
        )

    @classmethod
    def from_measurement(cls, m: Measurement) -> Draft:
        def dec(v: float | None) -> Decimal | None:
            return Decimal(str(v)) if v is not None else None

        return cls(child_id=m.child_id, measured_on=m.measured_on, weight_kg=dec(m.weight_kg),
                   length_cm=dec(m.length_cm), position=m.position, muac_cm=dec(m.muac_cm), head_cm=dec(m.head_cm),
                   oedema=m.oedema, corrects_id=m.id)


# ------------------------------------------------------------------ reading typed values


def read_number(text: str, field_name: NumberField, *, child: Child | None = None,
                draft: Draft | None = None) -> Decimal:
    """`10,5`, `10.5`, `10,5 kg`, `10.5kg` -> Decimal; InputIssue with a precise code otherwise.

    With the `child` and a `draft` that has the date, the ×0.1/×0.01 suggestion of an out-of-range value is
    only offered when it is plausible for the field and the child's age (never a value we would question too).
    """
    raw = text.strip()
    if not raw:
        raise InputIssue("empty")
    if len(raw) > MAX_INPUT_CHARS:
        raise InputIssue("too_long")
    if not any(ch.isalnum() for ch in raw):
        raise InputIssue("no_digits")  # emoji, punctuation only
    if _NUMBER_WORDS.search(raw) and not any(ch.isdigit() for ch in raw):
        raise InputIssue("number_word", text=raw)
    try:
        value = parse_decimal(raw)
    except ParseError:
        raise InputIssue("not_a_number", text=raw) from None
    if not value.is_finite():
        raise InputIssue("not_a_number", text=raw)
    if field_name == "weight_kg" and value >= 1000:
        value = value / 1000  # typed in grams ("10500"): a common habit with digital baby scales
    low, high = HARD_LIMITS[field_name]
    if value <= 0:
        raise InputIssue("not_positive", text=raw)
    if not (low <= value <= high):
        # A missing decimal point (105 for 10,5) is the usual cause: offer the value that fits.
        suggestion = next((value * f for f in (Decimal("0.1"), Decimal("0.01"))
                           if low <= value * f <= high and _plausible(value * f, field_name, child, draft)), None)
        raise InputIssue("out_of_range", value=value, low=low, high=high, suggestion=suggestion)
    return value


def _plausible(value: Decimal, field_name: NumberField, child: Child | None, draft: Draft | None) -> bool:
    """Is `value` plausible for the field at the child's age? True when there is no child or date to check."""
    if child is None or draft is None or draft.measured_on is None:
        return True
    trial = Draft.from_dict(draft.to_dict())
    setattr(trial, field_name, value)
    trial.confirmed = [f for f in trial.confirmed if f != field_name]
    return check_value(child, trial, field_name) is None


def suggested_position(age_days: int) -> Position:
    """Lying (length) under 2 years, standing (height) from 2 years, as the WHO standards measure them."""
    return Position.LYING if age_days < HEIGHT_FROM_DAYS else Position.STANDING


def check_date(measured_on: dt.date, child: Child, today: dt.date) -> None:
    """The date itself: not in the future, not before birth, not after the fifth birthday."""
    if measured_on > today:
        raise InputIssue("date_future")
    age = (measured_on - child.birth_date).days
    if age < 0:
        raise InputIssue("before_birth")
    if age > MAX_AGE_DAYS:
        raise InputIssue("over_five", age_days=age)


def is_old_date(measured_on: dt.date, today: dt.date) -> bool:
    return (today - measured_on).days > OLD_DATE_DAYS


def _growth_input(child: Child, draft: Draft, *, only: NumberField | None = None) -> MeasurementInput:
    values: dict[str, float | None] = {
        f: float(v) if (v := getattr(draft, f)) is not None and (only is None or only == f) else None
        for f in NUMBER_FIELDS
    }
    return MeasurementInput(
        sex=GrowthSex(child.sex.value),
        birth_date=child.birth_date,
        measured_on=draft.measured_on,
        position=GrowthPosition(draft.position.value) if draft.position else GrowthPosition.UNKNOWN,
        oedema=draft.oedema if only is None else False,
        **values,
    )


def check_value(child: Child, draft: Draft, field_name: NumberField) -> Problem | None:
    """Is the value of `field_name` in `draft` plausible for the child's age? (None: yes.)"""
    if getattr(draft, field_name) is None or draft.measured_on is None or field_name in draft.confirmed:
        return None
    problems = zscores.check_plausible(_growth_input(child, draft, only=field_name))
    return next((p for p in problems if p.field == field_name), None)


def max_gain_g(age_days: int, days_since: int) -> int:
    """The largest weight gain (grams) we accept without asking, for a child of `age_days` after `days_since`."""
    months = age_days / DAYS_PER_MONTH
    per_month = next(g for start, g in reversed(MAX_MONTHLY_GAIN_G) if months >= start)
    return round(per_month * max(1.0, days_since / DAYS_PER_MONTH))


def weight_gain_problem(child: Child, previous: Measurement | None, measured_on: dt.date,
                        weight_kg: float | Decimal | None) -> Problem | None:
    """A Problem when the weight went up more than `max_gain_g` since `previous` (an earlier weighing)."""
    if previous is None or previous.weight_kg is None or weight_kg is None or previous.measured_on >= measured_on:
        return None
    gain_g = round((float(weight_kg) - previous.weight_kg) * 1000)
    limit = max_gain_g((measured_on - child.birth_date).days, (measured_on - previous.measured_on).days)
    if gain_g <= limit:
        return None
    return Problem(field="weight_kg", code=WEIGHT_GAIN_CODE, value=float(weight_kg))


def check_all(child: Child, draft: Draft, previous: Measurement | None = None) -> list[Problem]:
    """Everything worth a second look before saving: each value, weight for length, change since last visit."""
    if draft.measured_on is None:
        return []
    problems = [p for p in zscores.check_plausible(_growth_input(child, draft))
                if p.field not in draft.confirmed or p.code == "implausible_weight_for_length"]
    if previous is not None:
        try:
            current = zscores.compute(_growth_input(child, draft))
            prev = zscores.compute(MeasurementInput(
                sex=GrowthSex(child.sex.value), birth_date=child.birth_date, measured_on=previous.measured_on,
                weight_kg=previous.weight_kg, length_cm=previous.length_cm,
                position=GrowthPosition(previous.position.value) if previous.position else GrowthPosition.UNKNOWN))
        except GrowthInputError:
            return problems
        changes = zscores.check_change(prev, current)
        gain = weight_gain_problem(child, previous, draft.measured_on, draft.weight_kg)
        if gain is not None:
            changes.append(gain)
        problems += [p for p in changes if f"change:{p.field}" not in draft.confirmed]
    return problems


# ------------------------------------------------------------------ computing and saving


@dataclass(frozen=True)
class Saved:
    """What was saved and what it means: everything the result card and the parent message need."""

    measurement: Measurement
    growth: GrowthResult
    faltering: FalteringResult | None
    previous: Measurement | None  # the weighing faltering was computed against
    advice: list[AdviceKey]
    corrected: Measurement | None = None  # the row this one supersedes
    newest: bool | None = None  # no later measurement of the child (None: not looked up)

    @property
    def needs_remeasure(self) -> bool:
        """An implausible value, or a change since the last weighing that asks for weighing/measuring again."""
        m = self.measurement
        return m.implausible or self.growth.any_flagged or any(
            f.startswith(("implausible_", "change_")) for f in m.flags)

    @property
    def refer(self) -> bool:
        return needs_referral(self.advice) or bool(self.faltering and self.faltering.refer)

    @property
    def red_flag(self) -> bool:
        """Needs follow-up: referral, or any category of warning/danger, or implausible values."""
        from bot.growth.zscores import severity_of

        return self.refer or self.growth.any_flagged or severity_of(self.growth).value != "normal"


def evaluate(child: Child, draft: Draft, previous: Measurement | None) -> tuple[GrowthResult, FalteringResult | None]:
    """Z-scores and categories of the draft, and the weighing status against `previous` (same rules as saving)."""
    if draft.measured_on is None:
        raise InputIssue("no_date")
    try:
        growth = zscores.compute(_growth_input(child, draft))
    except GrowthInputError as exc:
        raise InputIssue(exc.code) from exc
    faltering: FalteringResult | None = None
    if draft.weight_kg is not None:
        prev_was_t = previous is not None and previous.faltering in (Faltering.T, Faltering.T2)
        try:
            faltering = weigh_status(
                current_date=draft.measured_on,
                current_weight_kg=float(draft.weight_kg),
                age_days=growth.age_days,
                previous_date=previous.measured_on if previous else None,
                previous_weight_kg=previous.weight_kg if previous else None,
                previous_was_t=prev_was_t,
                waz=growth.z.get(Indicator.WFA),
            )
        except FalteringInputError:
            log.warning("faltering not computed for child %s (%s)", child.id, draft.measured_on)
    return growth, faltering


def to_create(child: Child, draft: Draft, growth: GrowthResult, faltering: FalteringResult | None,
              entered_by: int | None, extra_flags: list[str] | None = None) -> MeasurementCreate:
    assert draft.measured_on is not None
    z = {_GROWTH_FIELD[ind]: v for ind, v in growth.z.items()}
    categories: dict[str, str] = {
        _GROWTH_FIELD[ind]: cat.code for ind, cat in growth.categories.items() if cat is not None
    }
    if growth.muac_category is not None:
        categories["muacz"] = growth.muac_category.code
    flags = [f"implausible_{_GROWTH_FIELD[ind]}" for ind, bad in growth.flags.items() if bad]
    flags += [n.value for n in growth.notes if n.value != "implausible"]
    flags += extra_flags or []
    status: Faltering | None = None
    if faltering is not None:
        status = Faltering.T2 if faltering.two_t else Faltering(faltering.status.value)
    return MeasurementCreate(
        child_id=child.id,
        measured_on=draft.measured_on,
        age_days=growth.age_days,
        weight_kg=float(draft.weight_kg) if draft.weight_kg is not None else None,
        length_cm=float(draft.length_cm) if draft.length_cm is not None else None,
        position=draft.position if draft.length_cm is not None else None,
        oedema=draft.oedema,
        head_cm=float(draft.head_cm) if draft.head_cm is not None else None,
        muac_cm=float(draft.muac_cm) if draft.muac_cm is not None else None,
        entered_by=entered_by,
        flags=tuple(dict.fromkeys(flags)),
        categories=categories,  # keys are the storage indicator names (waz, haz, ...)
        faltering=status,
        bgm=bool(faltering and faltering.bgm),
        **{k: (None if v is None or math.isnan(v) else v) for k, v in z.items()},
    )


def _changes(child: Child, current: GrowthResult, previous: Measurement | None,
             measured_on: dt.date) -> list[Problem]:
    """Weight dropped > 1 kg, went up implausibly, or length shrank since `previous` (one extra z-score
    computation, not five)."""
    if previous is None:
        return []
    gain = weight_gain_problem(child, previous, measured_on, current.weight_kg)
    try:
        prev = result_of(child, previous)
    except GrowthInputError:
        return [gain] if gain else []
    return zscores.check_change(prev, current) + ([gain] if gain else [])


def _change_flag(problem: Problem) -> str:
    return GAIN_FLAG if problem.code == WEIGHT_GAIN_CODE else f"change_{problem.field}"


# A weight-for-length/height category and a BMI-for-age category can differ (gizi kurang vs gizi buruk); the
# card shows both, so the follow-up follows the more severe one (a tie keeps weight-for-length/height).
_SEVERITY_RANK = {"normal": 0, "warning": 1, "danger": 2}
# Weight-for-length/height and BMI-for-age category codes -> their advice (same rule as bot.growth.advice).
_NUTRITION_ADVICE: dict[str, AdviceKey] = {
    code: AdviceKey(code) for code in ("severely_wasted", "wasted", "possible_risk_overweight", "overweight", "obese")
}


def advice_for(growth: GrowthResult, faltering: FalteringResult | None) -> list[AdviceKey]:
    """`advice_keys`, with the nutrition-status advice matching the most severe category shown on the card."""
    keys = advice_keys(growth, faltering)
    wflh = growth.categories.get(Indicator.WFLH)
    bmi = growth.categories.get(Indicator.BMIFA)
    if wflh is None or bmi is None or growth.flags.get(Indicator.BMIFA):
        return keys
    wflh_key, bmi_key = _NUTRITION_ADVICE.get(wflh.code), _NUTRITION_ADVICE.get(bmi.code)
    if bmi_key is None or bmi_key in keys:
        return keys
    if _SEVERITY_RANK[bmi.severity.value] <= _SEVERITY_RANK[wflh.severity.value]:
        return keys
    keys = [k for k in keys if k != wflh_key and k != AdviceKey.GROWING_WELL] + [bmi_key]
    order = list(AdviceKey)
    return sorted(dict.fromkeys(keys), key=order.index)


async def previous_for(repos: Repositories, child_id: int, measured_on: dt.date) -> Measurement | None:
    """The weighing N/T/O/B is computed against: the latest plausible one of an earlier calendar month."""
    first_of_month, _ = month_bounds(measured_on)
    return await repos.measurements.previous_weighing(child_id, first_of_month)


async def entry_context(repos: Repositories, child_id: int, measured_on: dt.date) -> EntryContext:
    """`previous_for`, `same_day` and the child's newest row in one query (one database hop)."""
    first_of_month, _ = month_bounds(measured_on)
    return await repos.measurements.entry_context(child_id, measured_on, first_of_month)


async def same_day(repos: Repositories, child_id: int, measured_on: dt.date) -> Measurement | None:
    """A current measurement of the child on that date (saving again corrects it instead of doubling it)."""
    return await same_day_measurement(repos.db, child_id, measured_on)


async def save(repos: Repositories, child: Child, draft: Draft, *, entered_by: int | None,
               context: EntryContext | None = None) -> Saved:
    """Compute and store the draft. A draft with `corrects_id`, or a second entry for the same child and date,
    supersedes the earlier row (history kept, z-scores and faltering recomputed).

    `context`: the `entry_context` of the draft's date when the caller has just read it in this update (read
    here otherwise): one query on the busiest path of a posyandu morning instead of three.
    """
    if draft.measured_on is None:
        raise InputIssue("no_date")
    if context is None:
        context = await entry_context(repos, child.id, draft.measured_on)
    previous = context.previous
    growth, faltering = evaluate(child, draft, previous)
    extra = [_change_flag(p) for p in _changes(child, growth, previous, draft.measured_on)]
    create = to_create(child, draft, growth, faltering, entered_by, extra)
    old: Measurement | None = None
    if draft.corrects_id is not None:
        old = await repos.measurements.find_by_id(draft.corrects_id)
    if old is None:
        old = context.same_day
    if old is not None and old.superseded_by is None and old.child_id == child.id:
        try:
            saved = await repos.measurements.correct(old.id, create)
        except Conflict:
            # Someone corrected it first (a double tap or a colleague): correct the newest row instead.
            latest = await same_day(repos, child.id, draft.measured_on)
            if latest is None:
                saved, old = await repos.measurements.add(create), None
            else:
                saved, old = await repos.measurements.correct(latest.id, create), latest
    else:
        saved, old = await repos.measurements.add(create), None
    log.info("measurement %s saved for child %s by %s (corrects %s)", saved.id, child.id, entered_by,
             old.id if old else None)
    # Later weighings exist only for a back-dated entry: the newest row read before saving tells (and tells
    # the parent notice whether this entry is the child's current status). A row of the same date is the one
    # this entry superseded.
    latest = context.latest
    if latest is not None and old is not None and latest.id == old.id:
        # The newest row was the one just corrected (its date may have moved): ask again.
        latest = await repos.measurements.latest_for_child(child.id)
    later = latest is not None and latest.id != saved.id and latest.measured_on > saved.measured_on
    if later:
        await recompute_later_faltering(repos, child, saved.measured_on)
    return Saved(measurement=saved, growth=growth, faltering=faltering, previous=previous,
                 advice=advice_for(growth, faltering), corrected=old, newest=not later)


async def recompute_later_faltering(repos: Repositories, child: Child, after: dt.date) -> list[int]:
    """Re-derive N/T/O/B/2T and BGM of the child's current measurements dated after `after` (oldest first,
    so a recomputed T feeds the next 2T). Returns the ids whose status changed.

    Needed when an entry is back-dated or an older one corrected: the later weighings were compared with
    whatever was there before. Only the derived faltering/bgm columns are updated in place; the measurement
    values themselves are never rewritten (a correction of values still supersedes the row).
    """
    from storage.cadre_queries import set_faltering

    later = [m for m in await repos.measurements.history_for_child(child.id) if m.measured_on > after]
    changed: list[int] = []
    for m in later:
        if m.weight_kg is None:
            continue
        previous = await previous_for(repos, child.id, m.measured_on)
        try:
            _, faltering = evaluate(child, Draft.from_measurement(m), previous)
        except InputIssue:  # e.g. an old row past the fifth birthday: leave it as it is
            continue
        status: Faltering | None = None
        if faltering is not None:
            status = Faltering.T2 if faltering.two_t else Faltering(faltering.status.value)
        bgm = bool(faltering and faltering.bgm)
        if await set_faltering(repos.db, m.id, status.value if status else None, bgm):
            changed.append(m.id)
    if changed:
        log.info("faltering recomputed for child %s: measurements %s", child.id, changed)
    return changed


def result_of(child: Child, m: Measurement) -> GrowthResult:
    """Recompute the growth result of a stored measurement (for charts and history)."""
    return zscores.compute(MeasurementInput(
        sex=GrowthSex(child.sex.value), birth_date=child.birth_date, measured_on=m.measured_on,
        weight_kg=m.weight_kg, length_cm=m.length_cm,
        position=GrowthPosition(m.position.value) if m.position else GrowthPosition.UNKNOWN,
        oedema=m.oedema, head_cm=m.head_cm, muac_cm=m.muac_cm), allow_over_five=True)


async def saved_view(repos: Repositories, child: Child, m: Measurement) -> Saved:
    """Rebuild the `Saved` of a stored measurement (e.g. to show its card again)."""
    previous = await previous_for(repos, child.id, m.measured_on)
    draft = Draft.from_measurement(m)
    growth, faltering = evaluate(child, draft, previous)
    return Saved(measurement=m, growth=growth, faltering=faltering, previous=previous,
                 advice=advice_for(growth, faltering))


# ------------------------------------------------------------------ who may enter measurements, and where


@dataclass(frozen=True)
class Staff:
    """A cadre, coordinator or admin, with the posyandu they may work in (`None`: every posyandu)."""

    user_id: int
    role: str
    posyandu_ids: tuple[int, ...] | None

    def may_access(self, posyandu_id: int) -> bool:
        return self.posyandu_ids is None or posyandu_id in self.posyandu_ids


async def staff_of(repos: Repositories, user_id: int, admin_ids: list[int] | tuple[int, ...] = ()) -> Staff | None:
    """The staff scope of a user (bot/services/access.py rules), or None for parents, strangers and the inactive.

    A cadre works in their posyandu, a coordinator in every posyandu inside their area (city, kecamatan or
    kelurahan), an admin everywhere. Ids in the settings' admin list count as admins even before the
    coordinator module has written their role.
    """
    from bot.services import access

    if user_id in admin_ids:
        return Staff(user_id, "admin", None)
    principal = await access.load_principal(repos, user_id)
    if principal is None or principal.role is None or principal.role.value == "parent" or not principal.active:
        return None
    ids = await access.posyandu_ids_in_scope(repos, principal)
    if ids is not None and not ids:
        return None
    return Staff(user_id, principal.role.value, tuple(ids) if ids is not None else None)


async def find_child(repos: Repositories, staff: Staff, query: str, limit: int = 8) -> tuple[list[Child], Child | None]:
    """Children matching a code or a name inside the staff's posyandu; and a child the code names elsewhere.

    The second value lets the handler say "that child belongs to another posyandu" instead of "not found".
    """
    from storage.values import normalise_child_code

    text = query.strip()
    if normalise_child_code(text) is not None:
        child = await repos.children.get_by_code(text)
        if child is not None:
            if staff.may_access(child.posyandu_id):
                return [child], None
            return [], child
    if len(text) < 2:
        return [], None
    ids = list(staff.posyandu_ids) if staff.posyandu_ids is not None else None
    return await repos.children.search_by_name(ids, text, limit=limit), None
