"""Keeping every child's monthly status current: the status function's answer, stored for the lists.

bot.growth.status decides (pure). This service feeds it a child's stored visits, writes its answer to
`child_month_status` (storage.status_queries) and keeps the derived columns of the measurements in step.
Writes of measurements and child facts put the child on a dirty list in the same transaction (storage);
the measurement service decides right after saving, and every reader of the stored rows calls `flush`
first, so a row is never read stale whatever wrote the data (an import, a script, a test seeding rows).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.growth import zscores
from bot.growth.models import MAX_AGE_DAYS, Indicator, MeasurementInput, Note
from bot.growth.models import Position as GrowthPosition
from bot.growth.models import Sex as GrowthSex
from bot.growth.status import Assessment, ChildFacts, MonthStatus, Visit, assess, months
from bot.growth.zscores import GrowthInputError
from storage import Repositories
from storage import status_queries as q
from storage.models import Child, Faltering, Measurement

log = logging.getLogger(__name__)

# Raised whenever bot.growth.status or its rules change what a stored row would say: on start, every child is
# decided again (docs/clinical-rules.md lists what each version changed).
RULES_VERSION = 2
FLUSH_BATCH = 200

# Journeys that act on a decided status (follow-up cases open when a month says "refer") register here; each
# is called with the decisions just stored, in the same task. A listener must not fail the decision: its
# errors are logged, the stored status stands.
DecidedListener = Callable[[Repositories, Sequence[q.ChildDecision]], Coroutine[Any, Any, None]]
DECIDED_LISTENERS: list[DecidedListener] = []

# Storage column of each indicator's z-score and category.
Z_COLUMN: dict[Indicator, str] = {
    Indicator.WFA: "waz", Indicator.LHFA: "haz", Indicator.WFLH: "whz",
    Indicator.BMIFA: "bmiz", Indicator.HCFA: "hcz", Indicator.ACFA: "muacz",
}
_NOTES = {n.value: n for n in Note}


def facts_of(child: Child) -> ChildFacts:
    return ChildFacts(sex=GrowthSex(child.sex.value), birth_date=child.birth_date,
                      birth_weight_kg=child.birth_weight_kg)


def growth_input(child: Child, m: Measurement) -> MeasurementInput:
    return MeasurementInput(
        sex=GrowthSex(child.sex.value), birth_date=child.birth_date, measured_on=m.measured_on,
        weight_kg=m.weight_kg, length_cm=m.length_cm,
        position=GrowthPosition(m.position.value) if m.position else GrowthPosition.UNKNOWN,
        oedema=m.oedema, head_cm=m.head_cm, muac_cm=m.muac_cm)


def visit_of(child: Child, m: Measurement) -> Visit:
    """The status function's view of a stored measurement (its z-scores as the growth engine computed them)."""
    age = (m.measured_on - child.birth_date).days
    adjusted: float | None = None
    if m.length_cm is not None and age >= 0:
        position, _ = zscores.clean_position(GrowthPosition(m.position.value) if m.position
                                             else GrowthPosition.UNKNOWN, age)
        adjusted = float(zscores.adjust_length(Decimal(repr(m.length_cm)), position, age)[0])
    return Visit(
        id=m.id, measured_on=m.measured_on, weight_kg=m.weight_kg, length_cm=m.length_cm,
        position=GrowthPosition(m.position.value) if m.position else None, oedema=m.oedema, head_cm=m.head_cm,
        muac_cm=m.muac_cm, z={ind: getattr(m, col) for ind, col in Z_COLUMN.items()}, adjusted_length_cm=adjusted,
        notes=tuple(_NOTES[f] for f in m.flags if f in _NOTES))


def assess_history(child: Child, history: Sequence[Measurement]) -> list[Assessment]:
    return assess(facts_of(child), [visit_of(child, m) for m in history])


@dataclass(frozen=True)
class ChildStatus:
    """A child's visits and months as the status function sees them (what the card, history and parent view
    show)."""

    child: Child
    assessments: list[Assessment]
    months: list[MonthStatus]
    rows: dict[int, Measurement]  # the stored measurements, by id

    def row(self, measurement_id: int) -> Measurement:
        return self.rows[measurement_id]

    def assessment(self, measurement_id: int) -> Assessment | None:
        return next((a for a in self.assessments if a.visit.id == measurement_id), None)

    def month_of(self, measurement_id: int) -> MonthStatus | None:
        return next((s for s in self.months if any(a.visit.id == measurement_id for a in s.visits)), None)

    def is_counted(self, measurement_id: int) -> bool:
        month = self.month_of(measurement_id)
        return month is not None and month.counted is not None and month.counted.visit.id == measurement_id

    @property
    def latest_counted(self) -> MonthStatus | None:
        """The newest month with a visit that counts (what a parent and the follow-up list are told)."""
        return next((s for s in reversed(self.months) if s.counted is not None), None)


def status_of(child: Child, history: Sequence[Measurement]) -> ChildStatus:
    assessments = assess_history(child, history)
    return ChildStatus(child=child, assessments=assessments, months=months(assessments),
                       rows={m.id: m for m in history})


def row_of(child_id: int, s: MonthStatus) -> q.StatusRow:
    """The stored form of one month (storage.status_queries.StatusRow)."""
    c = s.counted
    if c is None:
        return q.StatusRow.model_construct(child_id=child_id, month=s.month, visits=len(s.visits),
                                           remeasure=s.remeasure, rules=RULES_VERSION)
    w = c.weighing
    weighing = None if w is None else ("2T" if w.two_t else w.status.value)
    z = c.growth.z
    return q.StatusRow.model_construct(  # typed values from the status function: nothing to validate
        child_id=child_id, month=s.month, measurement_id=c.visit.id, measured_on=c.visit.measured_on,
        age_days=c.growth.age_days, visits=len(s.visits), remeasure=s.remeasure, weighed=c.weighed,
        weighing=weighing, gain_g=w.gain_g if w else None, bgm=bool(w and w.bgm),
        waz=z.get(Indicator.WFA), haz=z.get(Indicator.LHFA), whz=z.get(Indicator.WFLH), muac_cm=c.visit.muac_cm,
        oedema=c.visit.oedema, has_waz=c.has_waz, has_haz=c.has_haz, has_whz=c.has_whz,
        underweight=c.underweight, stunted=c.stunted, severely_stunted=c.severely_stunted, wasted=c.wasted,
        severely_wasted=c.severely_wasted, overweight=c.overweight, reasons=tuple(r.value for r in c.reasons),
        refer=c.refer, urgent=c.urgent, rules=RULES_VERSION)


def _derived(m: Measurement, a: Assessment) -> q.ScoresUpdate | None:
    """New derived columns of `m` when they differ from what the assessment says (None: nothing to write)."""
    z = {Z_COLUMN[ind]: a.growth.z.get(ind) for ind in Indicator}
    cats = {f"cat_{Z_COLUMN[ind]}": (cat.code if (cat := a.growth.categories.get(ind)) else None)
            for ind in Indicator}
    if a.growth.muac_category is not None:
        cats["cat_muacz"] = a.growth.muac_category.code
    flags = tuple(dict.fromkeys(
        [f"implausible_{Z_COLUMN[ind]}" for ind, bad in a.growth.flags.items() if bad]
        + [f for f in m.flags if not f.startswith("implausible_")]))
    w = a.weighing
    faltering = None
    if w is not None and w.status.value in {f.value for f in Faltering}:
        faltering = "2T" if w.two_t else w.status.value
    bgm = bool(w and w.bgm)
    stored_cats = {f"cat_{k}": v for k, v in m.categories.items()}
    same = (all(getattr(m, col) == value for col, value in z.items())
            and all(stored_cats.get(col) == value for col, value in cats.items())
            and m.flags == flags and m.implausible == (not a.valid) and m.age_days == a.growth.age_days
            and (m.faltering.value if m.faltering else None) == faltering and m.bgm == bgm)
    if same:
        return None
    return q.ScoresUpdate.model_construct(measurement_id=m.id, age_days=a.growth.age_days, z=z, categories=cats,
                                          flags=flags, implausible=not a.valid, faltering=faltering, bgm=bgm)


def _unscored(child: Child, m: Measurement) -> bool:
    """A row stored with values but without any of the z-scores they give (written by a script or an import that
    did not go through the growth engine). Rows with z-scores keep them: they are the engine's answer."""
    age = (m.measured_on - child.birth_date).days
    if age < 0 or age > MAX_AGE_DAYS or any(getattr(m, col) is not None for col in Z_COLUMN.values()):
        return False
    return ((m.weight_kg is not None and not m.oedema) or m.length_cm is not None or m.head_cm is not None
            or (m.muac_cm is not None and age >= zscores.MUAC_FROM_DAYS))


def _recomputed(child: Child, history: Sequence[Measurement], *, everything: bool = True) -> list[Measurement]:
    """The history with z-scores computed again from the raw values: every row (the child's sex or birth date
    changed), or only rows stored without them."""
    out = []
    for m in history:
        if not everything and not _unscored(child, m):
            out.append(m)
            continue
        try:
            result = zscores.compute(growth_input(child, m), allow_over_five=True)
        except GrowthInputError:  # e.g. now measured before the (corrected) birth date: no z-scores at all
            out.append(m.model_copy(update={col: None for col in Z_COLUMN.values()}))
            continue
        out.append(m.model_copy(update={Z_COLUMN[ind]: v for ind, v in result.z.items()}))
    return out


async def _decision(child: Child, history: Sequence[Measurement], *, version: int | None,
                    recompute: bool) -> tuple[ChildStatus, q.ChildDecision]:
    """The status function's answer for one child and what storing it writes (nothing written yet)."""
    by_id = {m.id: m for m in history}
    if recompute:
        history = await asyncio.to_thread(_recomputed, child, history)
    elif any(_unscored(child, m) for m in history):
        history = await asyncio.to_thread(_recomputed, child, history, everything=False)
    status = status_of(child, history)
    updates = tuple(u for a in status.assessments if (u := _derived(by_id[a.visit.id], a)) is not None)
    rows = tuple(row_of(child.id, s) for s in status.months)
    return status, q.ChildDecision.model_construct(child_id=child.id, rows=rows, version=version, updates=updates)


async def decide(repos: Repositories, child: Child, history: Sequence[Measurement], *,
                 version: int | None, recompute: bool = False) -> ChildStatus:
    """Decide the child's status from `history` and store it (month rows and derived measurement columns);
    `version`: the child's dirty-list version this history was read at (None: not on the list); `recompute`:
    compute the z-scores again first (the child's sex or birth date changed)."""
    status, decision = await _decision(child, history, version=version, recompute=recompute)
    await q.write_decisions(repos.db, [decision])
    await _tell_listeners(repos, [decision])
    return status


async def _tell_listeners(repos: Repositories, decisions: Sequence[q.ChildDecision]) -> None:
    for listener in DECIDED_LISTENERS:
        try:
            await listener(repos, decisions)
        except Exception:  # a journey's failure must not undo or block the status itself
            log.exception("status listener %s failed", getattr(listener, "__qualname__", listener))


async def flush(repos: Repositories, *, posyandu_ids: Collection[int] | None = None,
                limit: int | None = None) -> int:
    """Decide every child on the dirty list (of these posyandu, when given): readers call this before reading the
    stored rows. Returns how many children were decided; usually 0 (the measurement service decides right after
    each save). A batch of children is written in one transaction."""
    done = 0
    if posyandu_ids is not None and not await q.any_dirty(repos.db):
        return 0  # the usual case: nothing waits, and a province's children are not looked through for nothing
    while limit is None or done < limit:
        batch = await q.dirty_children(repos.db, limit=FLUSH_BATCH, posyandu_ids=posyandu_ids)
        if not batch:
            break
        children = {c.id: c for c in await repos.children.get_many([d.child_id for d in batch])}
        histories = await q.histories(repos.db, [d.child_id for d in batch])
        decisions = []
        for d in batch:
            child = children.get(d.child_id)
            if child is None:
                continue
            _status, decision = await _decision(child, histories.get(d.child_id, []), version=d.version,
                                                recompute=d.facts)
            decisions.append(decision)
        await q.write_decisions(repos.db, decisions)
        await _tell_listeners(repos, decisions)
        done += len(decisions)
        if len(decisions) < len(batch):  # children deleted meanwhile: their rows went with them (cascade)
            await repos.db.execute("DELETE FROM status_dirty WHERE child_id NOT IN (SELECT id FROM children)")
        await asyncio.sleep(0)  # other chats' updates go on between batches
    if done:
        log.info("status decided for %s children", done)
    return done


async def ensure_current_rules(repos: Repositories, *,
                               background: Callable[[Coroutine[Any, Any, int]], object] | None = None) -> None:
    """On start: when the stored rows were decided by other rules (or never), put every child on the dirty list.
    The list is worked off by `background` (the application's task runner) while the bot already answers; a
    reader never waits for more than its own area (`flush(posyandu_ids=...)`). Without `background` it is worked
    off now."""
    stored = await q.rules_version(repos.db)
    if stored != RULES_VERSION:
        marked = await q.mark_all_dirty(repos.db)
        log.info("status rules %s -> %s: %s children to decide again", stored, RULES_VERSION, marked)
        await q.set_rules_version(repos.db, RULES_VERSION)
    if background is None:
        await flush(repos)
    else:
        background(flush(repos))


async def child_status(repos: Repositories, child: Child) -> ChildStatus:
    """The child's status for showing it (card, history, parent view): decided again if the child is dirty."""
    found = await q.refresh_input(repos.db, child.id)
    if found.dirty is None:
        return status_of(child, found.history)
    return await decide(repos, child, found.history, version=found.dirty.version, recompute=found.dirty.facts)


# ------------------------------------------------------------------ reading the stored rows (flushed first)


async def month_page(repos: Repositories, posyandu_ids: Sequence[int], month: dt.date, *, offset: int = 0,
                     limit: int = 10, unmeasured_first: bool = False) -> list[q.ChildMonth]:
    await flush(repos, posyandu_ids=posyandu_ids)
    return await q.month_page(repos.db, posyandu_ids, month, offset=offset, limit=limit,
                              unmeasured_first=unmeasured_first)


async def page_counts(repos: Repositories, posyandu_ids: Sequence[int], month: dt.date) -> q.PageCounts:
    await flush(repos, posyandu_ids=posyandu_ids)
    return await q.page_counts(repos.db, posyandu_ids, month)


async def month_counts(repos: Repositories, posyandu_ids: Collection[int], month: dt.date
                       ) -> dict[int, q.PosyanduCounts]:
    await flush(repos, posyandu_ids=posyandu_ids)
    return await q.month_counts(repos.db, posyandu_ids, month)


async def month_total(repos: Repositories, posyandu_ids: Collection[int], month: dt.date) -> q.PosyanduCounts:
    await flush(repos, posyandu_ids=posyandu_ids)
    return await q.month_total(repos.db, posyandu_ids, month)


async def follow_up_rows(repos: Repositories, posyandu_ids: Collection[int], today: dt.date, *,
                         stale_after_days: int | None = None) -> list[q.FollowUpRow]:
    await flush(repos, posyandu_ids=posyandu_ids)
    return await q.follow_up_rows(repos.db, posyandu_ids, today, stale_after_days=stale_after_days)


async def counted_in_month(repos: Repositories, posyandu_ids: Collection[int], month: dt.date
                           ) -> list[tuple[Measurement, q.StatusRow]]:
    await flush(repos, posyandu_ids=posyandu_ids)
    return await q.counted_in_month(repos.db, posyandu_ids, month)


__all__ = ["RULES_VERSION", "ChildStatus", "assess_history", "child_status", "counted_in_month", "decide",
           "ensure_current_rules", "facts_of", "flush", "follow_up_rows", "month_counts", "month_page", "month_total",
           "page_counts",
           "row_of", "status_of", "visit_of"]
