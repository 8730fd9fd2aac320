"""Follow-up cases as rules and data (pure): states, what each action does to a case, the deadline of each reason,
and when a child's measurements say the child has recovered.

A case is the loop from "the status function says this child needs follow-up" (or a woman's risk flag,
bot.growth.maternal) to an outcome. The rules here are the programme's, with their sources or our reasons in
docs/cases.md; bot.services.cases applies them to stored cases.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.growth._i18n import N_
from bot.growth.status import REASON_LABELS, REASON_ORDER, Reason


class CaseState(StrEnum):
    """Open → visited → referred → seen at the puskesmas → recovering → closed; or moved / died / lost."""

    OPEN = "open"
    VISITED = "visited"
    REFERRED = "referred"
    SEEN = "seen"  # seen at the puskesmas (a health worker recorded an outcome that keeps the case)
    RECOVERING = "recovering"  # the problem was confirmed and treatment / PMT started
    CLOSED = "closed"
    MOVED = "moved"
    DIED = "died"
    LOST = "lost"  # lost to follow-up


FINAL_STATES = frozenset({CaseState.CLOSED, CaseState.MOVED, CaseState.DIED, CaseState.LOST})
# The order in which a case progresses: an action never moves a case backwards (a home visit after the referral
# leaves it "referred").
_PROGRESS = {CaseState.OPEN: 0, CaseState.VISITED: 1, CaseState.REFERRED: 2, CaseState.SEEN: 3,
             CaseState.RECOVERING: 4}

STATE_LABELS: dict[CaseState, str] = {
    CaseState.OPEN: N_("open, no action yet"),
    CaseState.VISITED: N_("visited"),
    CaseState.REFERRED: N_("referred"),
    CaseState.SEEN: N_("seen at the puskesmas"),
    CaseState.RECOVERING: N_("under treatment"),
    CaseState.CLOSED: N_("closed"),
    CaseState.MOVED: N_("closed: moved away"),
    CaseState.DIED: N_("closed: died"),
    CaseState.LOST: N_("closed: lost to follow-up"),
}


class Action(StrEnum):
    """What a person records on a case (each becomes a timeline entry)."""

    VISIT = "visit"
    REFERRAL = "referral"
    OUTCOME = "outcome"  # health workers only (bot.services.access.can_record_outcome)
    NOTE = "note"
    CLOSE = "close"  # moved, died or lost


class Outcome(StrEnum):
    """What the puskesmas found (entered by a health worker): it keeps the case or closes it."""

    CONFIRMED = "confirmed"  # e.g. stunting confirmed by a doctor; treatment of severe wasting or PMT started
    CHECK_AGAIN = "check_again"  # seen; to be checked again
    HOSPITAL = "hospital"  # referred on to a hospital
    NOT_CONFIRMED = "not_confirmed"  # examined: the problem was not confirmed
    DISCHARGED = "discharged"  # treatment finished: recovered


OUTCOME_STATE: dict[Outcome, CaseState] = {
    Outcome.CONFIRMED: CaseState.RECOVERING,
    Outcome.CHECK_AGAIN: CaseState.SEEN,
    Outcome.HOSPITAL: CaseState.SEEN,
    Outcome.NOT_CONFIRMED: CaseState.CLOSED,
    Outcome.DISCHARGED: CaseState.CLOSED,
}
OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.CONFIRMED: N_("Confirmed: treatment/PMT started"),
    Outcome.CHECK_AGAIN: N_("Seen: check again later"),
    Outcome.HOSPITAL: N_("Referred on to the hospital"),
    Outcome.NOT_CONFIRMED: N_("Not confirmed: no problem found"),
    Outcome.DISCHARGED: N_("Treatment finished: recovered"),
}


class CloseReason(StrEnum):
    RECOVERED = "recovered"  # automatic: back in range for two months (`recovered`)
    DISCHARGED = "discharged"  # a health worker: treatment finished
    NOT_CONFIRMED = "not_confirmed"  # a health worker: the problem was not confirmed
    MOVED = "moved"
    DIED = "died"
    LOST = "lost"


CLOSE_STATE: dict[CloseReason, CaseState] = {
    CloseReason.RECOVERED: CaseState.CLOSED, CloseReason.DISCHARGED: CaseState.CLOSED,
    CloseReason.NOT_CONFIRMED: CaseState.CLOSED, CloseReason.MOVED: CaseState.MOVED,
    CloseReason.DIED: CaseState.DIED, CloseReason.LOST: CaseState.LOST,
}
# Closed "recovered" in the reports: the measurements came back in range, or the puskesmas discharged the child.
RECOVERED_REASONS = frozenset({CloseReason.RECOVERED, CloseReason.DISCHARGED})


def next_state(state: CaseState, action: Action, *, outcome: Outcome | None = None,
               close: CloseReason | None = None) -> CaseState:
    """The state after `action` (a closed case takes no action: ValueError)."""
    if state in FINAL_STATES:
        raise ValueError("case closed")
    if action is Action.OUTCOME:
        if outcome is None:
            raise ValueError("outcome missing")
        return OUTCOME_STATE[outcome]
    if action is Action.CLOSE:
        if close is None:
            raise ValueError("close reason missing")
        return CLOSE_STATE[close]
    reached = {Action.VISIT: CaseState.VISITED, Action.REFERRAL: CaseState.REFERRED}.get(action)
    if reached is None or _PROGRESS[reached] <= _PROGRESS[state]:
        return state
    return reached


def close_reason_of(outcome: Outcome) -> CloseReason | None:
    """The close reason an outcome gives (None: the outcome keeps the case open)."""
    return {Outcome.NOT_CONFIRMED: CloseReason.NOT_CONFIRMED, Outcome.DISCHARGED: CloseReason.DISCHARGED}.get(outcome)


# ------------------------------------------------------------------ reasons of women (bot.growth.maternal)


class WomanReason(StrEnum):
    SEVERE_ANAEMIA = "severe_anaemia"  # Hb < 7 g/dL (WHO 2011)
    KEK = "kek"  # LiLA < 23,5 cm, kurang energi kronis (Juknis ILP 2023)
    ANAEMIA = "anaemia"  # Hb < 11 g/dL pregnant, < 12 g/dL not pregnant (WHO 2011)


WOMAN_REASON_LABELS: dict[WomanReason, str] = {
    WomanReason.SEVERE_ANAEMIA: N_("severe anaemia"),
    WomanReason.KEK: N_("KEK (MUAC < 23.5 cm)"),
    WomanReason.ANAEMIA: N_("anaemia"),
}
URGENT_REASONS = frozenset({Reason.OEDEMA.value, Reason.SEVERE_WASTING.value, Reason.MUAC_SEVERE.value,
                            WomanReason.SEVERE_ANAEMIA.value})

# One order for every reason a case can have (most urgent first): a child's (bot.growth.status.Reason) with the
# women's placed beside the child reasons of the same urgency.
_ORDER: dict[str, float] = {r.value: float(REASON_ORDER[r]) for r in Reason}
_ORDER.update({WomanReason.SEVERE_ANAEMIA.value: REASON_ORDER[Reason.MUAC_SEVERE] + 0.5,
               WomanReason.KEK.value: REASON_ORDER[Reason.WASTED] + 0.5,
               WomanReason.ANAEMIA.value: REASON_ORDER[Reason.WASTED] + 0.6})
LABELS: dict[str, str] = {**{r.value: label for r, label in REASON_LABELS.items()},
                          **{r.value: label for r, label in WOMAN_REASON_LABELS.items()}}


def order_of(reason: str) -> float:
    return _ORDER.get(reason, float(len(_ORDER)))


def sort_reasons(reasons: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(reasons), key=order_of))


# ------------------------------------------------------------------ deadlines


@dataclass(frozen=True)
class Deadline:
    """How long after a reason appears someone must act (`respond`: the cadre or TPK is reminded then), and how
    much longer until the coordinator is told (`escalate_after`, counted from the first deadline)."""

    respond: dt.timedelta
    escalate_after: dt.timedelta


_DAY = dt.timedelta(days=1)
# Sources and reasons: docs/cases.md §2. "Today" reasons of the status function (refer today: oedema, WHZ < -3,
# LiLA < 11,5 cm; Buku KIA 2023 and WHO 2013 SAM) and severe anaemia: 24 hours, the coordinator a day later.
TODAY = Deadline(respond=_DAY, escalate_after=_DAY)
# "This week" reasons of the status function (Buku KIA 2023, p. 54: refer when T, below the red line ...), KEK and
# anaemia (PMT and iron from the puskesmas, Juknis ILP 2023): one week, the coordinator a week later.
THIS_WEEK = Deadline(respond=7 * _DAY, escalate_after=7 * _DAY)
# Stunting is confirmed by a doctor (KMK 1928/2022) and treated over months: not an emergency; two weeks gives the
# family two of the puskesmas' weekly child-clinic days. Our choice (no programme text sets a number).
TWO_WEEKS = Deadline(respond=14 * _DAY, escalate_after=14 * _DAY)

DEADLINES: dict[str, Deadline] = {
    Reason.OEDEMA.value: TODAY, Reason.SEVERE_WASTING.value: TODAY, Reason.MUAC_SEVERE.value: TODAY,
    Reason.BGM.value: THIS_WEEK, Reason.TWO_T.value: THIS_WEEK, Reason.WEIGHT_LOST.value: THIS_WEEK,
    Reason.T.value: THIS_WEEK, Reason.WASTED.value: THIS_WEEK, Reason.MUAC_MODERATE.value: THIS_WEEK,
    Reason.SEVERELY_STUNTED.value: TWO_WEEKS, Reason.STUNTED.value: TWO_WEEKS,
    Reason.OBESE.value: THIS_WEEK, Reason.OVERWEIGHT.value: THIS_WEEK, Reason.ABOVE_ORANGE.value: THIS_WEEK,
    Reason.HEAD.value: THIS_WEEK,
    WomanReason.SEVERE_ANAEMIA.value: TODAY, WomanReason.KEK.value: THIS_WEEK, WomanReason.ANAEMIA.value: THIS_WEEK,
}


def deadline_of(reasons: Iterable[str]) -> Deadline:
    """The tightest deadline of these reasons (an unknown reason gets a week)."""
    found = [DEADLINES.get(r, THIS_WEEK) for r in reasons]
    if not found:
        return THIS_WEEK
    return min(found, key=lambda d: (d.respond, d.escalate_after))


@dataclass(frozen=True)
class Due:
    remind_at: dt.datetime  # the cadre (or TPK) is reminded
    escalate_at: dt.datetime  # then the coordinator


def due_after(since: dt.datetime, reasons: Iterable[str]) -> Due:
    deadline = deadline_of(reasons)
    remind = since + deadline.respond
    return Due(remind, remind + deadline.escalate_after)


def tighter(current: Due | None, new: Due) -> Due:
    """A reason added to a case never makes its deadline later; with nothing due (someone acted), the new one."""
    if current is None:
        return new
    return Due(min(current.remind_at, new.remind_at), min(current.escalate_at, new.escalate_at))


# ------------------------------------------------------------------ recovery


RECOVERY_MONTHS = 2


@dataclass(frozen=True)
class CountedMonth:
    """A month with a counted visit (the status function's stored row) and whether it said "refer"."""

    month: dt.date  # first day
    refer: bool


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def recovered(months: Sequence[CountedMonth], opened_month: dt.date) -> bool:
    """Back in range for two months: the child's last two counted months are consecutive calendar months from the
    case's opening month on, and neither has a refer reason (docs/cases.md §3)."""
    since = [m for m in sorted(months, key=lambda m: m.month) if m.month >= opened_month.replace(day=1)]
    if len(since) < RECOVERY_MONTHS:
        return False
    last = since[-RECOVERY_MONTHS:]
    if any(m.refer for m in last):
        return False
    return all(_next_month(a.month) == b.month for a, b in itertools.pairwise(last))


__all__ = [
    "CLOSE_STATE", "DEADLINES", "FINAL_STATES", "LABELS", "OUTCOME_LABELS", "OUTCOME_STATE", "RECOVERED_REASONS",
    "RECOVERY_MONTHS", "STATE_LABELS", "THIS_WEEK", "TODAY", "TWO_WEEKS", "URGENT_REASONS",
    "WOMAN_REASON_LABELS", "Action", "CaseState", "CloseReason", "CountedMonth", "Deadline", "Due", "Outcome",
    "WomanReason", "close_reason_of", "deadline_of", "due_after", "next_state", "order_of", "recovered",
    "sort_reasons", "tighter",
]
