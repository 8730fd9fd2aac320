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

from bot.growth import velocity, zscores
from bot.growth.advice import AdviceKey
from bot.growth.faltering import FalteringResult
from bot.growth.models import HEIGHT_FROM_DAYS, MAX_AGE_DAYS, GrowthResult, Indicator, MeasurementInput
from bot.growth.models import Position as GrowthPosition
from bot.growth.models import Sex as GrowthSex
from bot.growth.status import Assessment
from bot.growth.zscores import GrowthInputError, Problem
from bot.i18n import ParseError, parse_decimal
from bot.services import status as status_svc
from bot.services.status import ChildStatus
from storage import Repositories
from storage import status_queries as status_q
from storage.errors import Conflict
from storage.models import Child, Measurement, MeasurementCreate, Position
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

# An implausibly large weight gain since the last weighing (a mis-read scale, a child weighed in a sarong, a typo)
# is questioned like the "dropped more than 1 kg" check: above the WHO 2009 weight-velocity +3 SD for the
# child's sex, age and interval (bot.growth.velocity; docs/clinical-rules.md).
WEIGHT_GAIN_CODE = "weight_gain_implausible"
GAIN_FLAG = "change_weight_gain"  # stored flag: the cadre confirmed this gain after weighing again
# Problems a cadre may confirm after measuring again (the earlier value may be the wrong one). Values WHO calls
# biologically implausible (the other codes of bot.growth.zscores.check_plausible) can only be measured again,
# or kept as "perlu ukur ulang": never confirmed as correct.
CONFIRMABLE_CODES = frozenset({"weight_dropped", "length_decreased", WEIGHT_GAIN_CODE})
# Decimals a scale or a length board gives (a baby scale reads 5-10 g; a length board 1 mm).
MAX_DECIMALS: dict[str, int] = {"weight_kg": 3, "length_cm": 2, "muac_cm": 2, "head_cm": 2}

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


SameMonthAnswer = Literal["replace", "keep"]


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
    corrects_id: int | None = None  # set by /koreksi or "replace": saving supersedes this measurement
    confirmed: list[str] = field(default_factory=list)  # change warnings confirmed after measuring again
    remeasure: list[str] = field(default_factory=list)  # fields kept though WHO calls them implausible
    same_month: SameMonthAnswer | None = None  # the answer to "already measured this month"

    def to_dict(self) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "measured_on": self.measured_on.isoformat() if self.measured_on else None,
            **{f: (str(getattr(self, f)) if getattr(self, f) is not None else None) for f in NUMBER_FIELDS},
            "position": self.position.value if self.position else None,
            "oedema": self.oedema,
            "corrects_id": self.corrects_id,
            "confirmed": list(self.confirmed),
            "remeasure": list(self.remeasure),
            "same_month": self.same_month,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        def dec(key: str) -> Decimal | None:
            value = data.get(key)
            return Decimal(value) if value is not None else None

        same_month = data.get("same_month")
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
            remeasure=list(data.get("remeasure") or []),
            same_month=same_month if same_month in ("replace", "keep") else None,
        )

    @classmethod
    def from_measurement(cls, m: Measurement) -> Draft:
        def dec(v: float | None) -> Decimal | None:
            return Decimal(repr(v)) if v is not None else None

        return cls(child_id=m.child_id, measured_on=m.measured_on, weight_kg=dec(m.weight_kg),
                   length_cm=dec(m.length_cm), position=m.position, muac_cm=dec(m.muac_cm), head_cm=dec(m.head_cm),
                   oedema=m.oedema, corrects_id=m.id)

    def keep_as_remeasure(self, field_name: str) -> None:
        """The cadre keeps a value WHO calls implausible: it is saved as "perlu ukur ulang" (never counted)."""
        if field_name not in self.remeasure:
            self.remeasure.append(field_name)

    def clear_answers(self, field_name: str) -> None:
        """A value typed again: earlier answers about it no longer apply."""
        self.confirmed = [f for f in self.confirmed if f != field_name and f != f"change:{field_name}"]
        self.remeasure = [f for f in self.remeasure if f != field_name]


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
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS[field_name]:
        raise InputIssue("too_precise", text=raw, digits=MAX_DECIMALS[field_name])
    return value


def _plausible(value: Decimal, field_name: NumberField, child: Child | None, draft: Draft | None) -> bool:
    """Is `value` plausible for the field at the child's age? True when there is no child or date to check."""
    if child is None or draft is None or draft.measured_on is None:
        return True
    trial = Draft.from_dict(draft.to_dict())
    setattr(trial, field_name, value)
    trial.clear_answers(field_name)
    return check_value(child, trial, field_name) is None


# A value outside every possible range is often a decimal point away from the right one (105 for 10,5).
SUGGESTION_DIVISORS = (10, 100, 1000)


def plausible_correction(child: Child, draft: Draft, field_name: NumberField, value: Decimal) -> Decimal | None:
    """For a value outside every possible range: the first of value/10, /100, /1000 that is inside the range and
    plausible for the child's age (so the suggestion is never questioned in turn); None when there is none."""
    low, high = HARD_LIMITS[field_name]
    for divisor in SUGGESTION_DIVISORS:
        candidate = (Decimal(value) / divisor).quantize(Decimal("0.1"))
        if low <= candidate <= high and _plausible(candidate, field_name, child, draft):
            return candidate
    return None


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


def confirmable(problem: Problem) -> bool:
    """May the cadre confirm this value as right (after measuring again)? Never for what WHO calls implausible."""
    return problem.code in CONFIRMABLE_CODES


def check_value(child: Child, draft: Draft, field_name: NumberField) -> Problem | None:
    """Is the value of `field_name` in `draft` plausible for the child's age? (None: yes, or kept as
    "perlu ukur ulang" already.)"""
    if getattr(draft, field_name) is None or draft.measured_on is None or field_name in draft.remeasure:
        return None
    problems = zscores.check_plausible(_growth_input(child, draft, only=field_name))
    return next((p for p in problems if p.field == field_name), None)


def weight_gain_problem(child: Child, previous: Measurement | None, measured_on: dt.date,
                        weight_kg: float | Decimal | None) -> Problem | None:
    """A Problem when the weight went up more than WHO's +3 SD increment since `previous` (bot.growth.velocity)."""
    if previous is None or previous.weight_kg is None or weight_kg is None or previous.measured_on >= measured_on:
        return None
    gain_g = round((float(weight_kg) - previous.weight_kg) * 1000)
    limit = velocity.max_gain_g(GrowthSex(child.sex.value), (previous.measured_on - child.birth_date).days,
                                (measured_on - previous.measured_on).days)
    if gain_g <= limit:
        return None
    return Problem(field="weight_kg", code=WEIGHT_GAIN_CODE, value=float(weight_kg))


# ------------------------------------------------------------------ the visits around an entry


@dataclass(frozen=True)
class Around:
    """The child's current visits (and dirty-list version) read before an entry: one database hop."""

    history: tuple[Measurement, ...]
    dirty_version: int | None
    dirty_facts: bool = False  # the child's sex or birth date changed: every z-score is computed again

    def previous_valid(self, on: dt.date, *, exclude: int | None = None) -> Measurement | None:
        """The latest plausible visit with a weight before `on` (what changes are checked against)."""
        return next((m for m in reversed(self.history) if m.measured_on < on and m.id != exclude
                     and m.weight_kg is not None and not m.implausible), None)

    def same_month(self, on: dt.date, *, exclude: int | None = None) -> list[Measurement]:
        """Current visits of the same calendar month as `on` (a second one asks: replace or re-measurement)."""
        first, end = month_bounds(on)
        return [m for m in self.history if first <= m.measured_on < end and m.id != exclude]

    def later_than(self, on: dt.date, *, exclude: int | None = None) -> bool:
        return any(m.measured_on > on and m.id != exclude for m in self.history)


async def around(repos: Repositories, child_id: int) -> Around:
    found = await status_q.refresh_input(repos.db, child_id)
    dirty = found.dirty
    return Around(history=tuple(found.history), dirty_version=dirty.version if dirty else None,
                  dirty_facts=bool(dirty and dirty.facts))


def check_all(child: Child, draft: Draft, near: Around | None = None) -> list[Problem]:
    """Everything worth a second look before saving: each value and weight for length (WHO flags, unless kept
    as "perlu ukur ulang"), and the change since the last plausible weighing (unless confirmed)."""
    if draft.measured_on is None:
        return []
    kept = set(draft.remeasure)
    problems = [p for p in zscores.check_plausible(_growth_input(child, draft))
                if p.field not in kept and not (p.code == "implausible_weight_for_length" and kept)]
    if not problems:
        # BMI-for-age can be implausible where no single value or weight-for-length is (length outside the
        # weight-for-length table): the same question, on the weight.
        try:
            flagged = unanswered(zscores.compute(_growth_input(child, draft)), draft)
        except GrowthInputError:
            flagged = []
        problems = [Problem(field=f, code="implausible_weight_for_length", value=float(getattr(draft, f)))
                    for f in flagged[:1]]
    previous = near.previous_valid(draft.measured_on, exclude=draft.corrects_id) if near else None
    if previous is not None and not problems and not kept:
        problems += [p for p in _changes(child, draft, previous) if f"change:{p.field}" not in draft.confirmed]
    return problems


def _changes(child: Child, draft: Draft, previous: Measurement) -> list[Problem]:
    """Weight dropped > 1 kg, went up beyond WHO's +3 SD increment, or length shrank since `previous`."""
    assert draft.measured_on is not None
    try:
        current = zscores.compute(_growth_input(child, draft))
        prev = result_of(child, previous)
    except GrowthInputError:
        return []
    changes = zscores.check_change(prev, current)
    gain = weight_gain_problem(child, previous, draft.measured_on, draft.weight_kg)
    if gain is not None:
        changes = [p for p in changes if p.field != "weight_kg"] + [gain]
    return changes


def _change_flag(problem: Problem) -> str:
    return GAIN_FLAG if problem.code == WEIGHT_GAIN_CODE else f"change_{problem.field}"


# ------------------------------------------------------------------ computing and saving


# Which entered value an implausible z-score points at (weight-for-length/BMI: the weight or the length).
_FLAG_FIELDS: dict[Indicator, tuple[str, ...]] = {
    Indicator.WFA: ("weight_kg",), Indicator.LHFA: ("length_cm",), Indicator.HCFA: ("head_cm",),
    Indicator.ACFA: ("muac_cm",), Indicator.WFLH: ("weight_kg", "length_cm"),
    Indicator.BMIFA: ("weight_kg", "length_cm"),
}


class Unanswered(Exception):
    """A value WHO calls implausible that the cadre has not chosen to keep as "perlu ukur ulang": ask first."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__("unanswered")
        self.fields = fields


def unanswered(growth: GrowthResult, draft: Draft) -> list[str]:
    """Fields behind implausible z-scores that the draft does not keep as "perlu ukur ulang"."""
    out: list[str] = []
    for ind, bad in growth.flags.items():
        fields = _FLAG_FIELDS[ind]
        if bad and not any(f in draft.remeasure for f in fields):
            out += [f for f in fields if f not in out]
    return out


class SameMonth(Exception):
    """The child already has a visit this month: the cadre must say replace or keep as re-measurement first."""

    def __init__(self, existing: Measurement) -> None:
        super().__init__("same_month")
        self.existing = existing


@dataclass(frozen=True)
class Saved:
    """What was saved and what it means: everything the result card and the parent message need.

    Its meaning comes from the status function (`status`), the same answer the lists and recaps store.
    """

    measurement: Measurement
    growth: GrowthResult  # of this entry, fresh from the growth engine (why an indicator is missing, notes)
    status: ChildStatus
    corrected: Measurement | None = None  # the row this one supersedes
    newest: bool = True  # no later visit of the child

    @property
    def assessment(self) -> Assessment:
        found = self.status.assessment(self.measurement.id)
        assert found is not None
        return found

    @property
    def faltering(self) -> FalteringResult | None:
        return self.assessment.weighing

    @property
    def advice(self) -> list[AdviceKey]:
        return list(self.assessment.advice)

    @property
    def needs_remeasure(self) -> bool:
        """A value WHO calls implausible was kept: "perlu ukur ulang", not counted anywhere until corrected."""
        return not self.assessment.valid

    @property
    def counted(self) -> bool:
        """This visit is the one that counts for its month."""
        return self.status.is_counted(self.measurement.id)

    @property
    def refer(self) -> bool:
        return self.assessment.refer

    @property
    def urgent(self) -> bool:
        return self.assessment.urgent


def to_create(child: Child, draft: Draft, growth: GrowthResult, entered_by: int | None,
              extra_flags: list[str] | None = None) -> MeasurementCreate:
    """The row to store: values as typed and the growth engine's z-scores. The judged columns (categories,
    N/T, BGM) are written by the status service right after, from the status function."""
    assert draft.measured_on is not None
    z = {_GROWTH_FIELD[ind]: v for ind, v in growth.z.items()}
    flags = [f"implausible_{_GROWTH_FIELD[ind]}" for ind, bad in growth.flags.items() if bad]
    flags += [n.value for n in growth.notes if n.value != "implausible"]
    flags += extra_flags or []
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
        **{k: (None if v is None or math.isnan(v) else v) for k, v in z.items()},
    )


def compute_draft(child: Child, draft: Draft) -> GrowthResult:
    if draft.measured_on is None:
        raise InputIssue("no_date")
    try:
        return zscores.compute(_growth_input(child, draft))
    except GrowthInputError as exc:
        raise InputIssue(exc.code) from exc


async def save(repos: Repositories, child: Child, draft: Draft, *, entered_by: int | None,
               near: Around | None = None) -> Saved:
    """Compute and store the draft, then decide the child's status (bot.services.status) and return both.

    A draft with `corrects_id` supersedes that row (history kept). A second visit in the same calendar month
    needs the cadre's answer first (`draft.same_month`): without it SameMonth is raised and nothing is saved,
    so no path doubles a month silently. `near`: the `around` of this child when the caller has just read it.
    """
    if draft.measured_on is None:
        raise InputIssue("no_date")
    if near is None:
        near = await around(repos, child.id)
    others = near.same_month(draft.measured_on, exclude=draft.corrects_id)
    if draft.corrects_id is None and others and draft.same_month is None:
        raise SameMonth(others[-1])
    if draft.same_month == "replace" and draft.corrects_id is None and others:
        draft.corrects_id = others[-1].id
    growth = compute_draft(child, draft)
    if missing := unanswered(growth, draft):
        raise Unanswered(missing)  # never stored as if it were right: the cadre says "keep as perlu ukur ulang"
    previous = near.previous_valid(draft.measured_on, exclude=draft.corrects_id)
    changes = _changes(child, draft, previous) if previous is not None and not growth.any_flagged else []
    create = to_create(child, draft, growth, entered_by, [_change_flag(p) for p in changes])
    old: Measurement | None = None
    if draft.corrects_id is not None:
        old = next((m for m in near.history if m.id == draft.corrects_id), None)
        if old is None:
            old = await repos.measurements.find_by_id(draft.corrects_id)
    if old is not None and old.superseded_by is None and old.child_id == child.id:
        try:
            saved = await repos.measurements.correct(old.id, create)
        except Conflict:
            # Someone corrected it first (a double tap or a colleague): read again and correct the newest
            # visit of that date instead.
            near = await around(repos, child.id)
            latest = next((m for m in reversed(near.history) if m.measured_on == old.measured_on), None)
            if latest is None:
                saved, old = await repos.measurements.add(create), None
            else:
                saved, old = await repos.measurements.correct(latest.id, create), latest
    else:
        saved, old = await repos.measurements.add(create), None
    log.info("measurement %s saved for child %s by %s (corrects %s)", saved.id, child.id, entered_by,
             old.id if old else None)
    history = [m for m in near.history if old is None or m.id != old.id] + [saved]
    # Our write raised the child's dirty-list version by one: deciding now takes it off the list, unless
    # someone else changed the child meanwhile (then the next reader decides again).
    expected = (near.dirty_version or 0) + 1
    status = await status_svc.decide(repos, child, history, version=expected, recompute=near.dirty_facts)
    return Saved(measurement=saved, growth=growth, status=status, corrected=old,
                 newest=not near.later_than(saved.measured_on, exclude=old.id if old else None))


def result_of(child: Child, m: Measurement) -> GrowthResult:
    """Recompute the growth result of a stored measurement (for charts and change checks)."""
    return zscores.compute(status_svc.growth_input(child, m), allow_over_five=True)


async def saved_view(repos: Repositories, child: Child, m: Measurement) -> Saved:
    """The `Saved` of a stored measurement (e.g. to show its card again), from the child's current status."""
    status = await status_svc.child_status(repos, child)
    return Saved(measurement=m, growth=result_of(child, m), status=status,
                 newest=not any(a.visit.measured_on > m.measured_on for a in status.assessments))


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


# Fuzzy name search ("budy" finds Budi): the best score of the query against a name word or the whole name.
FUZZY_MIN_SCORE = 75
FUZZY_MAX_CHILDREN = 2000  # children of one posyandu read for fuzzy matching (a posyandu has ~50-150)


async def fuzzy_children(repos: Repositories, staff: Staff, text: str, *, limit: int = 8) -> list[Child]:
    """Children of the staff member's own posyandu whose name is close to `text` ("budy" -> Budi), best first.
    For when the plain search found nothing; never across posyandu (admins type the name exactly)."""
    from rapidfuzz import fuzz
    from rapidfuzz.utils import default_process

    query = default_process(text)
    if staff.posyandu_ids is None or len(query) < 3:
        return []
    scored: list[tuple[float, Child]] = []
    for posyandu_id in staff.posyandu_ids:
        for child in await repos.children.list_by_posyandu(posyandu_id, limit=FUZZY_MAX_CHILDREN):
            name = default_process(child.name)
            score = max([fuzz.ratio(query, word) for word in name.split()] + [fuzz.ratio(query, name)])
            if score >= FUZZY_MIN_SCORE:
                scored.append((score, child))
    scored.sort(key=lambda sc: (-sc[0], sc[1].name.lower(), sc[1].id))
    return [child for _, child in scored[:limit]]


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
