"""The rules of a follow-up case (bot.growth.case_rules; docs/cases.md §1–3): states, deadlines per reason, and
the recovery that closes a case."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.growth import case_rules as rules
from bot.growth.case_rules import Action, CaseState, CloseReason, CountedMonth, Outcome
from bot.growth.status import URGENT, Reason

T0 = dt.datetime(2025, 3, 3, 3, 0, tzinfo=dt.UTC)
M = dt.date


def test_every_refer_reason_of_the_status_function_has_a_deadline() -> None:
    """A case opens on any refer reason of bot.growth.status: each needs its deadline."""
    assert {r.value for r in Reason} <= set(rules.DEADLINES)
    assert {r.value for r in rules.WomanReason} <= set(rules.DEADLINES)


@pytest.mark.parametrize(("reason", "days"), [
    ("oedema", 1), ("severe_wasting", 1), ("muac_severe", 1), ("severe_anaemia", 1),
    ("bgm", 7), ("t", 7), ("2t", 7), ("wasted", 7), ("kek", 7), ("anaemia", 7),
    ("stunted", 14), ("severely_stunted", 14),
])
def test_deadline_per_reason(reason: str, days: int) -> None:
    """Refer today (Buku KIA 2023; WHO 2013 SAM: severe wasting, oedema, LiLA < 11,5 cm): 24 hours; refer this week
    (Buku KIA 2023 p. 54: T, BGM): one week; stunting (confirmed by a doctor, KMK 1928/2022): two weeks. The
    coordinator is told after the same period again."""
    due = rules.due_after(T0, [reason])
    assert due.remind_at - T0 == dt.timedelta(days=days)
    assert due.escalate_at - due.remind_at == dt.timedelta(days=days)


def test_the_urgent_reasons_are_the_status_functions_refer_today() -> None:
    assert {r.value for r in URGENT} <= rules.URGENT_REASONS
    assert all(rules.DEADLINES[r] == rules.TODAY for r in rules.URGENT_REASONS)


def test_the_tightest_reason_sets_the_deadline_and_a_new_reason_never_delays_it() -> None:
    assert rules.due_after(T0, ["stunted", "t"]).remind_at == T0 + dt.timedelta(days=7)
    current = rules.due_after(T0, ["t"])
    later = rules.due_after(T0 + dt.timedelta(days=3), ["stunted"])
    assert rules.tighter(current, later) == current
    urgent = rules.due_after(T0 + dt.timedelta(days=3), ["severe_wasting"])
    assert rules.tighter(current, urgent).remind_at == T0 + dt.timedelta(days=4)
    assert rules.tighter(None, later) == later


@pytest.mark.parametrize(("state", "action", "after"), [
    (CaseState.OPEN, Action.VISIT, CaseState.VISITED),
    (CaseState.OPEN, Action.REFERRAL, CaseState.REFERRED),
    (CaseState.REFERRED, Action.VISIT, CaseState.REFERRED),  # a visit after the referral keeps "referred"
    (CaseState.RECOVERING, Action.REFERRAL, CaseState.RECOVERING),
    (CaseState.VISITED, Action.NOTE, CaseState.VISITED),
])
def test_actions_never_move_a_case_backwards(state: CaseState, action: Action, after: CaseState) -> None:
    assert rules.next_state(state, action) == after


@pytest.mark.parametrize(("outcome", "after", "closes"), [
    (Outcome.CONFIRMED, CaseState.RECOVERING, None), (Outcome.CHECK_AGAIN, CaseState.SEEN, None),
    (Outcome.HOSPITAL, CaseState.SEEN, None), (Outcome.NOT_CONFIRMED, CaseState.CLOSED, CloseReason.NOT_CONFIRMED),
    (Outcome.DISCHARGED, CaseState.CLOSED, CloseReason.DISCHARGED),
])
def test_the_puskesmas_outcome_keeps_or_closes_the_case(outcome: Outcome, after: CaseState,
                                                        closes: CloseReason | None) -> None:
    assert rules.next_state(CaseState.REFERRED, Action.OUTCOME, outcome=outcome) == after
    assert rules.close_reason_of(outcome) == closes


def test_a_closed_case_takes_no_action() -> None:
    for state in rules.FINAL_STATES:
        with pytest.raises(ValueError):
            rules.next_state(state, Action.NOTE)


@pytest.mark.parametrize(("months", "recovered"), [
    ([(M(2025, 1, 1), True), (M(2025, 2, 1), False), (M(2025, 3, 1), False)], True),
    ([(M(2025, 1, 1), True), (M(2025, 2, 1), False)], False),  # one month only
    ([(M(2025, 1, 1), True), (M(2025, 2, 1), False), (M(2025, 4, 1), False)], False),  # March missing
    ([(M(2025, 1, 1), True), (M(2025, 2, 1), False), (M(2025, 3, 1), True)], False),
    ([(M(2024, 11, 1), False), (M(2024, 12, 1), False), (M(2025, 1, 1), True)], False),  # before it opened
    ([(M(2024, 12, 1), True), (M(2025, 1, 1), False), (M(2025, 2, 1), False)], True),  # across the year
])
def test_back_in_range_for_two_consecutive_months(months: list[tuple[dt.date, bool]], recovered: bool) -> None:
    """docs/cases.md §3: the last two counted months, consecutive calendar months from the opening month on,
    without a refer reason."""
    opened = months[0][0] if months[0][1] else M(2025, 1, 1)
    counted = [CountedMonth(m, refer) for m, refer in months]
    assert rules.recovered(counted, opened) is recovered
