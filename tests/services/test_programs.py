"""Intervention programs (bot/services/programs.py): criteria read from the stored status, the baseline, the
comparison strata, and the monthly report from hand-made rows (pure); who may manage or follow a program
(bot/services/access.py)."""

from __future__ import annotations

import datetime as dt

from bot.services import access
from bot.services.programs import baseline, compute_report, criteria_met, program_months
from storage.models import Role
from storage.program_queries import Enrolled, MonthFacts, Program
from storage.services_queries import ServiceRecord

PROGRAM = Program(id=1, name="P", sponsor="", area_id=1, posyandu_id=None, kind="pmt_lokal",
                  starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 9, 30), criteria=("stunted", "2t"),
                  min_months=6, max_months=59, unit="days", per_delivery=7, created_by=None,
                  created_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))


def facts(child: int, month: str, *, haz: float | None = -2.5, waz: float | None = -1.5, weighing: str = "N",
          age_days: int = 540, day: int = 8, counted: bool = True) -> MonthFacts:
    m = dt.date.fromisoformat(month + "-01")
    return MonthFacts(child_id=child, month=m, counted=counted, measured_on=m.replace(day=day), age_days=age_days,
                      weighing=weighing, waz=waz, haz=haz, whz=None, stunted=haz is not None and haz < -2,
                      severely_stunted=haz is not None and haz < -3, wasted=False,
                      underweight=waz is not None and waz < -2, bgm=False, refer=False)


def delivery(child: int, on: dt.date, days: int = 7) -> ServiceRecord:
    return ServiceRecord(id=on.toordinal() * 100 + child, child_id=child, kind="pmt", code="lokal", given_on=on,
                         given_by=None, program_id=1, quantity=days, unit="days", override=None, source="chat",
                         removed=False, supersedes_id=None, superseded_by=None,
                         created_at=dt.datetime(2025, 7, 1, tzinfo=dt.UTC))


def test_criteria_are_read_from_the_stored_month() -> None:
    assert criteria_met(facts(1, "2025-07", haz=-2.1, weighing="2T"), ("stunted", "2t", "t")) == {"stunted", "2t",
                                                                                                 "t"}
    assert criteria_met(facts(1, "2025-07", haz=-1.9, weighing="T"), ("stunted", "2t")) == frozenset()


def test_the_baseline_is_the_last_weighing_up_to_the_reference_day_else_that_months() -> None:
    rows = [facts(1, "2025-04"), facts(1, "2025-05", day=20), facts(1, "2025-06", day=25)]
    assert baseline(rows, dt.date(2025, 6, 24)).month == dt.date(2025, 5, 1)  # June's weighing came after
    assert baseline(rows, dt.date(2025, 6, 30)).month == dt.date(2025, 6, 1)
    assert baseline([facts(1, "2025-07", day=8)], dt.date(2025, 7, 1)).month == dt.date(2025, 7, 1)
    assert baseline([facts(1, "2025-04")], dt.date(2025, 7, 1)) is None  # older than two months before
    assert baseline([facts(1, "2025-07", counted=False)], dt.date(2025, 7, 1)) is None


def test_program_months_end_today_or_at_the_program_end() -> None:
    assert program_months(PROGRAM, dt.date(2025, 8, 12)) == [dt.date(2025, 7, 1), dt.date(2025, 8, 1)]
    assert len(program_months(PROGRAM, dt.date(2026, 1, 1))) == 3
    assert program_months(PROGRAM, dt.date(2025, 6, 1)) == []


def test_the_report_counts_enrolment_deliveries_and_outcomes_against_the_strata() -> None:
    """Hand-made: child 1 and 2 enrolled (12-23 months, stunted at baseline), 2 leaves on 31 July; 3 is a comparison
    child of the same stratum; 4 (stunted, 36-59 months) and 5 (not stunted) are not comparable."""
    enrolled = [Enrolled(program_id=1, child_id=1, enrolled_on=dt.date(2025, 7, 1), enrolled_by=None, left_on=None),
                Enrolled(program_id=1, child_id=2, enrolled_on=dt.date(2025, 7, 1), enrolled_by=None,
                         left_on=dt.date(2025, 7, 31))]
    rows = {
        1: [facts(1, "2025-07", haz=-2.5, waz=-2.2), facts(1, "2025-08", haz=-1.8, waz=-1.9)],
        2: [facts(2, "2025-07", haz=-2.2), facts(2, "2025-08", haz=-2.3)],
        3: [facts(3, "2025-07", haz=-2.4, waz=-1.0), facts(3, "2025-08", haz=-2.6, waz=-1.2)],
        4: [facts(4, "2025-07", age_days=1200), facts(4, "2025-08", age_days=1230, haz=-1.0)],
        5: [facts(5, "2025-07", haz=-0.5), facts(5, "2025-08", haz=-2.5)],
    }
    births = {cid: dt.date(2024, 1, 15) for cid in (3, 5)} | {4: dt.date(2022, 3, 1)}
    deliveries = [delivery(1, dt.date(2025, 7, 8)), delivery(2, dt.date(2025, 7, 8), 14),
                  delivery(1, dt.date(2025, 8, 5))]
    report = compute_report(PROGRAM, [dt.date(2025, 7, 1), dt.date(2025, 8, 1)], enrolled, deliveries, rows,
                            [3, 4, 5], births)
    assert (report.enrolled_total, report.enrolled_with_baseline, report.comparison_total) == (2, 2, 1)
    assert report.strata == ("12-23:stunted",)
    july, august = report.months
    assert (july.enrolled, july.deliveries, july.children_reached, july.quantity) == (2, 2, 2, 21)
    assert (august.enrolled, august.deliveries, august.quantity) == (1, 1, 7)  # child 2 left in July
    e, c = august.enrolled_outcome, august.comparison_outcome
    assert (e.children, e.waz_change, e.haz_change, e.stunted_recovered, e.underweight_recovered) == (
        1, 0.3, 0.7, 1, 1)
    assert (c.children, c.waz_change, c.haz_change, c.stunted_before, c.stunted_recovered) == (1, -0.2, -0.2, 1, 0)


def test_only_coordinators_of_the_place_manage_and_only_members_follow() -> None:
    kel = access.Place(area_ids=(3, 2, 1))
    coordinator = access.Principal(user_id=1, role=Role.COORDINATOR, area_id=2)
    elsewhere = access.Principal(user_id=2, role=Role.COORDINATOR, area_id=9)
    cadre = access.Principal(user_id=3, role=Role.CADRE, posyandu_id=5)
    sponsor = access.Principal(user_id=4, role=Role.SPONSOR)
    assert access.can_manage_program(coordinator, kel)
    assert not access.can_manage_program(elsewhere, kel) and not access.can_manage_program(cadre, kel)
    assert not access.can_manage_program(sponsor, kel)
    assert access.can_follow_program(sponsor, 7, {7}) and not access.can_follow_program(sponsor, 8, {7})
    assert not access.can_follow_program(coordinator, 7, {7})
    assert not access.can_follow_program(sponsor.model_copy(update={"active": False}), 7, {7})
    assert not access.can_view_child(sponsor, access.ChildRef(child_id=1, place=access.Place(posyandu_id=5)))
