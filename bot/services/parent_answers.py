"""Answers about the parent's own child, from the child's data: age, the latest counted measurement and its
status (bot.services.status through bot.services.parent.child_report), the next posyandu, the vaccines due,
what a child of an age should weigh and measure, and numbers typed in a question scored with the growth
engine. No telegram imports: bot/render/parent_answers.py words the answers, handlers/parent_questions.py
sends them.

Which child: the one the parent chose (a button), else the one whose first name the question mentions, else
the only linked child; with several, the parent is asked (`ChooseChild`). A parent sees only children linked
to their own account (bot.services.parent.linked_children).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.growth import immunisation
from bot.growth.models import MAX_AGE_DAYS, GrowthResult, Indicator, MeasurementInput, Sex
from bot.growth.reference import NormalRange, normal_range
from bot.growth.status import URGENT, Reason, reasons_of
from bot.growth.zscores import GrowthInputError, compute
from bot.services import parent as parent_svc
from bot.services.parent_intents import ABOUT_CHILD, Intent, Measure, Numbers, Route, mentioned_name
from storage.models import Child

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ vaccines given (one place to swap)

GivenDoses = Callable[[Any, Child], Awaitable[frozenset[str] | None]]


async def no_records(repos: Any, child: Child) -> frozenset[str] | None:
    """Vaccines recorded as given: None while the bot keeps no immunisation records (issue 14 adds them)."""
    return None


# Replace with the immunisation records' reader once they exist (codes as in bot.growth.immunisation.SCHEDULE).
given_doses: GivenDoses = no_records


# ------------------------------------------------------------------ answers


@dataclass(frozen=True)
class ChooseChild:
    """Several linked children and the question names none: ask which."""

    intent: Intent
    children: tuple[Child, ...]


@dataclass(frozen=True)
class NotLinked:
    """The question is about the parent's child, but no child is linked to this account."""

    intent: Intent


@dataclass(frozen=True)
class AgeAnswer:
    child: Child
    age_days: int


@dataclass(frozen=True)
class PlaceSchedule:
    posyandu_name: str
    address: str | None
    session: parent_svc.NextSession | None
    children: tuple[Child, ...]  # the parent's children registered there (none for a posyandu-wide parent)


@dataclass(frozen=True)
class ScheduleAnswer:
    places: tuple[PlaceSchedule, ...]


@dataclass(frozen=True)
class StatusAnswer:
    report: parent_svc.ChildReport


@dataclass(frozen=True)
class ImmunisationAnswer:
    child: Child
    age_days: int
    records_known: bool  # False: the bot does not know what was given (check the Buku KIA)
    due: tuple[immunisation.DoseStatus, ...]  # due now (within a month of the schedule's age)
    overdue: tuple[immunisation.DoseStatus, ...]  # late but still allowed (only when records are known)
    upcoming: tuple[immunisation.DoseStatus, ...]  # the next ones by date (same due date)
    # Records unknown: the schedule's latest doses before now, still allowed (the parent checks the Buku KIA).
    last_due: tuple[immunisation.DoseStatus, ...] = ()


@dataclass(frozen=True)
class ExpectedAnswer:
    age_days: int
    measures: tuple[Measure, ...]
    ranges: dict[tuple[Sex, Measure], NormalRange]
    child: Child | None = None  # the child whose age and sex were used
    sexes: tuple[Sex, ...] = ()


@dataclass(frozen=True)
class ScoreAnswer:
    sex: Sex
    age_days: int
    weight_kg: Decimal | None
    length_cm: Decimal | None
    growth: GrowthResult
    reasons: tuple[Reason, ...]
    child: Child | None = None  # the child whose sex or age was used (None: typed in the question)
    age_from_child: bool = False

    @property
    def urgent(self) -> bool:
        return any(r in URGENT for r in self.reasons)

    @property
    def implausible(self) -> bool:
        return self.growth.any_flagged


@dataclass(frozen=True)
class NeedSex:
    """Numbers to score, but whether the child is a boy or a girl is not known: ask."""

    numbers: Numbers


@dataclass(frozen=True)
class NeedAge:
    """Numbers (or "what should it be") without an age and without a linked child to take it from."""

    numbers: Numbers


@dataclass(frozen=True)
class OverFive:
    age_days: int


Answer = (ChooseChild | NotLinked | AgeAnswer | ScheduleAnswer | StatusAnswer | ImmunisationAnswer | ExpectedAnswer
          | ScoreAnswer | NeedSex | NeedAge | OverFive)


@dataclass
class _Context:
    repos: Any
    user_id: int
    today: dt.date
    tr: Any | None
    children: list[Child] = field(default_factory=list)


def age_days_on(child: Child, today: dt.date) -> int:
    return max((today - child.birth_date).days, 0)


def _pick(ctx: _Context, text: str, child_id: int | None) -> Child | None:
    """The child the question is about, when it can be told without asking."""
    by_id = {c.id: c for c in ctx.children}
    if child_id is not None:
        return by_id.get(child_id)
    named = mentioned_name(text, {c.id: (c.name.split() or [""])[0] for c in ctx.children})
    if named is not None:
        return by_id[named]
    return ctx.children[0] if len(ctx.children) == 1 else None


async def answer(repos: Any, user_id: int, route: Route, text: str, today: dt.date, *, tr: Any | None = None,
                 child_id: int | None = None, sex: Sex | None = None) -> Answer:
    """The answer to a routed question (`route.intent` one of ABOUT_CHILD, EXPECTED or SCORE)."""
    ctx = _Context(repos, user_id, today, tr, await parent_svc.linked_children(repos, user_id))
    intent = route.intent
    if intent is Intent.SCHEDULE:
        return await _schedule(ctx)
    if intent is Intent.SCORE:
        return _score(ctx, route, text, child_id, sex)
    if intent is Intent.EXPECTED:
        return _expected(ctx, route, text, child_id)
    assert intent in ABOUT_CHILD, intent
    if not ctx.children:
        return NotLinked(intent)
    child = _pick(ctx, text, child_id)
    if child is None:
        if child_id is not None:
            return NotLinked(intent)  # a stale or forged choice: the child is no longer linked
        return ChooseChild(intent, tuple(ctx.children))
    if intent is Intent.AGE:
        return AgeAnswer(child, age_days_on(child, today))
    if intent is Intent.IMMUNISATION_DUE:
        return await immunisation_answer(repos, child, today)
    return StatusAnswer(await parent_svc.child_report(repos, child, today, tr))


async def _schedule(ctx: _Context) -> Answer:
    """Every posyandu the parent's children go to (or the posyandu a posyandu-wide invite linked them to)."""
    by_place: dict[int, list[Child]] = {}
    for c in ctx.children:
        by_place.setdefault(c.posyandu_id, []).append(c)
    if not by_place:
        user = await ctx.repos.users.find(ctx.user_id)
        if user is None or user.posyandu_id is None or not user.active:
            return NotLinked(Intent.SCHEDULE)
        by_place[user.posyandu_id] = []
    places = []
    for posyandu_id, kids in by_place.items():
        posyandu = await ctx.repos.posyandu.find_by_id(posyandu_id)
        session = await parent_svc.next_posyandu(ctx.repos, posyandu_id, ctx.today, ctx.tr)
        places.append(PlaceSchedule(posyandu_name=posyandu.name if posyandu else "",
                                    address=posyandu.address if posyandu else None, session=session,
                                    children=tuple(kids)))
    return ScheduleAnswer(tuple(places))


async def immunisation_answer(repos: Any, child: Child, today: dt.date) -> ImmunisationAnswer:
    """The national schedule (bot.growth.immunisation, Juknis ILP 2023) for the child's age today."""
    given = await given_doses(repos, child)
    states = [s for s in immunisation.dose_states(child.birth_date, today, given or ())
              if not s.dose.at_facility]
    due = tuple(s for s in states if s.state is immunisation.DoseState.DUE)
    overdue = tuple(s for s in states if s.state is immunisation.DoseState.OVERDUE) if given is not None else ()
    later = sorted((s for s in states if s.state is immunisation.DoseState.NOT_YET), key=lambda s: s.due_on)
    upcoming = tuple(s for s in later if s.due_on == later[0].due_on) if later else ()
    last_due: tuple[immunisation.DoseStatus, ...] = ()
    past = [s for s in states if s.state is immunisation.DoseState.OVERDUE]
    if given is None and not due and past:
        newest = max(s.due_on for s in past)
        last_due = tuple(s for s in past if s.due_on == newest)
    return ImmunisationAnswer(child=child, age_days=age_days_on(child, today), records_known=given is not None,
                              due=due, overdue=overdue, upcoming=upcoming, last_due=last_due)


# The general catalog entry (content/faq.toml) offered under an answer about the child, by what it found.
_CATEGORY_ENTRY = {
    "severely_underweight": "cat_underweight", "underweight": "cat_underweight",
    "severely_stunted": "cat_stunted", "stunted": "cat_stunted",
    "severely_wasted": "cat_wasted", "wasted": "cat_wasted",
    "risk_overweight": "cat_overweight", "possible_risk_overweight": "cat_overweight",
    "overweight": "cat_overweight", "obese": "cat_overweight",
}
_INTENT_ENTRY = {Intent.SCHEDULE: "posyandu_services", Intent.IMMUNISATION_DUE: "immunisation_schedule",
                 Intent.EXPECTED: "kms_chart", Intent.STATUS: "kms_chart", Intent.SCORE: "zscore"}


def related_entry(intent: Intent | None, growth: GrowthResult | None = None) -> str | None:
    """The catalog id to offer as general information: the first category outside normal, else by intent."""
    if growth is not None:
        for ind in (Indicator.LHFA, Indicator.WFLH, Indicator.WFA):
            cat = growth.categories.get(ind)
            if cat is not None and cat.code in _CATEGORY_ENTRY:
                return _CATEGORY_ENTRY[cat.code]
    return _INTENT_ENTRY.get(intent) if intent is not None else None


def _own_child(ctx: _Context, route: Route, text: str, child_id: int | None) -> Child | ChooseChild | None:
    """The linked child a number question is about: chosen, named, or the only one when it says "my child"."""
    if child_id is not None or mentioned_name(text, {c.id: (c.name.split() or [""])[0] for c in ctx.children}):
        return _pick(ctx, text, child_id)
    if not route.own_child or not ctx.children:
        return None
    child = _pick(ctx, text, None)
    return child if child is not None else ChooseChild(route.intent or Intent.SCORE, tuple(ctx.children))


def _expected(ctx: _Context, route: Route, text: str, child_id: int | None) -> Answer:
    numbers = route.numbers
    child: Child | None = None
    if numbers.age_days is None or (numbers.sex is None and route.own_child):
        found = _own_child(ctx, route, text, child_id)
        if isinstance(found, ChooseChild):
            return ChooseChild(Intent.EXPECTED, found.children)
        child = found
    age = numbers.age_days if numbers.age_days is not None else (
        age_days_on(child, ctx.today) if child is not None else None)
    if age is None:
        return NeedAge(numbers)
    if age > MAX_AGE_DAYS:
        return OverFive(age)
    if numbers.sex is not None:
        sexes: tuple[Sex, ...] = (Sex(numbers.sex),)
    elif child is not None:
        sexes = (Sex(child.sex.value),)
    else:
        sexes = (Sex.M, Sex.F)
    measures = tuple(m for m in (Measure.WEIGHT, Measure.HEIGHT) if m in numbers.measures) or (
        Measure.WEIGHT, Measure.HEIGHT)
    indicator = {Measure.WEIGHT: Indicator.WFA, Measure.HEIGHT: Indicator.LHFA}
    ranges = {(s, m): normal_range(indicator[m], s, age) for s in sexes for m in measures}
    return ExpectedAnswer(age_days=age, measures=measures, ranges=ranges, child=child, sexes=sexes)


def _score(ctx: _Context, route: Route, text: str, child_id: int | None, sex: Sex | None) -> Answer:
    numbers = route.numbers
    child: Child | None = None
    if numbers.age_days is None or (numbers.sex is None and sex is None):
        found = _own_child(ctx, route, text, child_id)
        if isinstance(found, ChooseChild):
            return ChooseChild(Intent.SCORE, found.children)
        child = found
    age_from_child = numbers.age_days is None and child is not None
    age = numbers.age_days if numbers.age_days is not None else (
        age_days_on(child, ctx.today) if child is not None else None)
    if age is None:
        return NeedAge(numbers)
    if age > MAX_AGE_DAYS:
        return OverFive(age)
    chosen = sex or (Sex(numbers.sex) if numbers.sex else None) or (Sex(child.sex.value) if child else None)
    if chosen is None:
        return NeedSex(numbers)
    return score(chosen, age, numbers.weight_kg, numbers.length_cm, child=child, age_from_child=age_from_child)


def score(sex: Sex, age_days: int, weight_kg: Decimal | None, length_cm: Decimal | None, *,
          child: Child | None = None, age_from_child: bool = False) -> ScoreAnswer:
    """Typed numbers through the growth engine (WHO z-scores, Permenkes 2/2020 categories) and the refer rules
    of bot.growth.status (no weighing history: N/T cannot be judged from one number). The position is taken
    as right for the age (lying under 2 years, standing from 2), as WHO anthro does when it is not known."""
    inp = MeasurementInput(sex=sex, age_days=age_days, weight_kg=float(weight_kg) if weight_kg else None,
                           length_cm=float(length_cm) if length_cm else None)
    try:
        growth = compute(inp)
    except GrowthInputError:
        log.info("typed numbers could not be scored")
        raise
    reasons = () if growth.any_flagged else reasons_of(growth, None)
    return ScoreAnswer(sex=sex, age_days=age_days, weight_kg=weight_kg, length_cm=length_cm, growth=growth,
                       reasons=reasons, child=child, age_from_child=age_from_child)


__all__ = [
    "AgeAnswer", "Answer", "ChooseChild", "ExpectedAnswer", "GivenDoses", "ImmunisationAnswer", "NeedAge", "NeedSex",
    "NotLinked", "OverFive", "PlaceSchedule", "ScheduleAnswer", "ScoreAnswer", "StatusAnswer", "answer",
    "given_doses", "immunisation_answer", "no_records", "related_entry", "score",
]
