"""Schedule rules: parsing typed rules, the dates they give across month ends and leap years, one-off changes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import get_translator
from bot.services.schedule import (
    LAST_WEEK,
    PosyanduInfo,
    Rule,
    RuleParseError,
    describe_rule,
    load_rule,
    parse_rule,
    sessions_between,
    upcoming,
)
from storage.models import PosyanduSession, SessionStatus

T = dt.time


@pytest.mark.parametrize(("text", "expected"), [
    ("Selasa minggu ke-2 setiap bulan, 08:00–11:00", Rule("weekday", T(8), T(11), weekday=1, week=2)),
    ("selasa minggu ke 2 jam 8-11", Rule("weekday", T(8), T(11), weekday=1, week=2)),
    ("Selasa kedua, pukul 08.00 s.d. 11.00 WIB", Rule("weekday", T(8), T(11), weekday=1, week=2)),
    ("Rabu ke-1 07.30-10.00", Rule("weekday", T(7, 30), T(10), weekday=2, week=1)),
    ("Jumat terakhir pukul 08.30", Rule("weekday", T(8, 30), None, weekday=4, week=LAST_WEEK)),
    ("Jum'at minggu terakhir 8:00", Rule("weekday", T(8), None, weekday=4, week=LAST_WEEK)),
    ("Minggu minggu ke-3 09.00-12.00", Rule("weekday", T(9), T(12), weekday=6, week=3)),
    ("Sabtu pekan keempat jam 9", Rule("weekday", T(9), None, weekday=5, week=4)),
    ("tanggal 15, 09.00 sampai 12.00", Rule("monthday", T(9), T(12), day=15)),
    ("tgl 31 jam 8", Rule("monthday", T(8), None, day=31)),
    ("2nd Tuesday 8:00-11:00", Rule("weekday", T(8), T(11), weekday=1, week=2)),
    ("last friday of the month at 9", Rule("weekday", T(9), None, weekday=4, week=LAST_WEEK)),
    ("day 5 at 9:30", Rule("monthday", T(9, 30), None, day=5)),
])
def test_parse_rule_reads_indonesian_and_english(text: str, expected: Rule) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("minggu ke-2 08.00", "no_day"),
    ("besok pagi", "no_day"),
    ("Selasa minggu ke-2", "no_time"),
    ("Selasa minggu ke-2 25.00", "bad_time"),
    ("Selasa minggu ke-2 11.00-08.00", "end_before_start"),
    ("Selasa 08.00", "bad_week"),
    ("Selasa minggu ke-5 08.00", "bad_week"),
    ("tanggal 32 08.00", "bad_day"),
    ("tanggal 0 08.00", "bad_day"),
])
def test_parse_rule_errors_say_what_is_wrong(text: str, code: str) -> None:
    with pytest.raises(RuleParseError) as err:
        parse_rule(text)
    assert err.value.code == code


@pytest.mark.parametrize(("rule", "year", "month", "expected"), [
    (Rule("weekday", T(8), weekday=1, week=2), 2025, 1, dt.date(2025, 1, 14)),  # ux.md's example
    (Rule("weekday", T(8), weekday=1, week=1), 2024, 10, dt.date(2024, 10, 1)),  # month starts on the day
    (Rule("weekday", T(8), weekday=0, week=1), 2024, 10, dt.date(2024, 10, 7)),
    (Rule("weekday", T(8), weekday=4, week=LAST_WEEK), 2024, 2, dt.date(2024, 2, 23)),
    (Rule("weekday", T(8), weekday=3, week=LAST_WEEK), 2024, 2, dt.date(2024, 2, 29)),  # leap day
    (Rule("weekday", T(8), weekday=3, week=LAST_WEEK), 2023, 2, dt.date(2023, 2, 23)),
    (Rule("weekday", T(8), weekday=6, week=4), 2026, 2, dt.date(2026, 2, 22)),
    (Rule("monthday", T(8), day=31), 2024, 2, dt.date(2024, 2, 29)),  # short month: its last day
    (Rule("monthday", T(8), day=31), 2023, 2, dt.date(2023, 2, 28)),
    (Rule("monthday", T(8), day=31), 2024, 4, dt.date(2024, 4, 30)),
    (Rule("monthday", T(8), day=29), 2100, 2, dt.date(2100, 2, 28)),  # 2100 is not a leap year
    (Rule("monthday", T(8), day=1), 2024, 12, dt.date(2024, 12, 1)),
])
def test_rule_date_in_month(rule: Rule, year: int, month: int, expected: dt.date) -> None:
    assert rule.date_in_month(year, month) == expected


def test_dates_between_crosses_the_year_end() -> None:
    rule = Rule("weekday", T(8), weekday=1, week=2)
    assert rule.dates_between(dt.date(2024, 11, 20), dt.date(2025, 2, 1)) == [
        dt.date(2024, 12, 10), dt.date(2025, 1, 14)]


def test_rule_round_trips_through_json() -> None:
    rule = Rule("weekday", T(7, 30), T(10), weekday=4, week=LAST_WEEK)
    assert Rule.from_json(rule.to_json()) == rule
    assert load_rule(rule.to_json()) == rule
    assert load_rule("not json") is None
    assert load_rule(None) is None


def test_describe_rule_in_both_languages() -> None:
    rule = Rule("weekday", T(8), T(11), weekday=1, week=2)
    assert describe_rule(rule, get_translator("id")) == "Selasa minggu ke-2 setiap bulan, pukul 08.00–11.00"
    assert describe_rule(rule, get_translator("en")) == "Tuesday of the 2nd week of every month, 08:00–11:00"
    assert describe_rule(Rule("monthday", T(9), day=15), get_translator("id")) == \
        "Tanggal 15 setiap bulan, pukul 09.00"


weekday_rules = st.builds(lambda wd, wk, h: Rule("weekday", T(h), weekday=wd, week=wk),
                          st.integers(0, 6), st.sampled_from([1, 2, 3, 4, LAST_WEEK]), st.integers(6, 15))
monthday_rules = st.builds(lambda d, h: Rule("monthday", T(h), day=d), st.integers(1, 31), st.integers(6, 15))
months = st.tuples(st.integers(1990, 2100), st.integers(1, 12))


@given(weekday_rules, months)
def test_weekday_rule_gives_that_weekday_in_that_month(rule: Rule, ym: tuple[int, int]) -> None:
    day = rule.date_in_month(*ym)
    assert (day.year, day.month) == ym
    assert day.weekday() == rule.weekday
    assert rule.week is not None
    if rule.week == LAST_WEEK:
        assert (day + dt.timedelta(days=7)).month != day.month
    else:
        assert (day.day - 1) // 7 + 1 == rule.week


@given(monthday_rules, months)
def test_monthday_rule_never_leaves_the_month(rule: Rule, ym: tuple[int, int]) -> None:
    day = rule.date_in_month(*ym)
    assert (day.year, day.month) == ym
    assert rule.day is not None
    assert day.day == rule.day or (day + dt.timedelta(days=1)).day == 1  # or the month's last day


@given(st.one_of(weekday_rules, monthday_rules), st.dates(dt.date(1990, 1, 1), dt.date(2099, 1, 1)),
       st.integers(0, 800))
def test_dates_between_gives_one_date_per_month_in_order(rule: Rule, start: dt.date, span: int) -> None:
    end = start + dt.timedelta(days=span)
    dates = rule.dates_between(start, end)
    assert dates == sorted(set(dates))
    assert all(start <= d <= end for d in dates)
    assert len({(d.year, d.month) for d in dates}) == len(dates)
    # Every full month inside the range has its session.
    months_inside = (end.year - start.year) * 12 + end.month - start.month - 1
    assert len(dates) >= max(0, months_inside)


def _info(rule: Rule | None, tz: str = "Asia/Jakarta") -> PosyanduInfo:
    return PosyanduInfo(id=1, name="Melati 1", place="Balai RW 03", timezone=tz, rule=rule)


def _row(day: dt.date, status: SessionStatus, moved_to: dt.date | None = None,
         start: dt.time | None = None, end: dt.time | None = None) -> PosyanduSession:
    return PosyanduSession(id=1, posyandu_id=1, session_date=day, start_time=start, end_time=end, status=status,
                           moved_to=moved_to, note=None, created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


RULE = Rule("weekday", T(8), T(11), weekday=1, week=2)  # 2nd Tuesday


def test_cancelled_session_is_skipped() -> None:
    rows = [_row(dt.date(2025, 1, 14), SessionStatus.CANCELLED)]
    got = upcoming(_info(RULE), rows, dt.date(2025, 1, 1), 2)
    assert [s.date for s in got] == [dt.date(2025, 2, 11), dt.date(2025, 3, 11)]


def test_moved_session_appears_on_its_new_date_with_the_rule_times() -> None:
    rows = [_row(dt.date(2025, 1, 14), SessionStatus.MOVED, moved_to=dt.date(2025, 1, 16))]
    got = upcoming(_info(RULE), rows, dt.date(2025, 1, 1), 2)
    assert [s.date for s in got] == [dt.date(2025, 1, 16), dt.date(2025, 2, 11)]
    assert got[0].moved_from == dt.date(2025, 1, 14)
    assert (got[0].start_time, got[0].end_time) == (T(8), T(11))


def test_move_across_a_month_end_is_found_from_either_side() -> None:
    rule = Rule("weekday", T(8), weekday=4, week=LAST_WEEK)  # last Friday: 31 January 2025
    rows = [_row(dt.date(2025, 1, 31), SessionStatus.MOVED, moved_to=dt.date(2025, 2, 3))]
    got = sessions_between(_info(rule), rows, dt.date(2025, 2, 1), dt.date(2025, 2, 10))
    assert [s.date for s in got] == [dt.date(2025, 2, 3)]
    assert sessions_between(_info(rule), rows, dt.date(2025, 1, 25), dt.date(2025, 1, 31)) == []


def test_explicit_dates_without_a_rule_and_their_own_times() -> None:
    rows = [_row(dt.date(2025, 3, 5), SessionStatus.SCHEDULED, start=T(9), end=T(12)),
            _row(dt.date(2025, 4, 2), SessionStatus.SCHEDULED)]
    got = upcoming(_info(None), rows, dt.date(2025, 3, 1), 3)
    assert [(s.date, s.start_time, s.end_time) for s in got] == [
        (dt.date(2025, 3, 5), T(9), T(12)), (dt.date(2025, 4, 2), None, None)]


def test_session_start_is_in_the_posyandu_time_zone() -> None:
    for tz, hour_utc in (("Asia/Jakarta", 1), ("Asia/Makassar", 0), ("Asia/Jayapura", 23)):
        s = upcoming(_info(RULE, tz), [], dt.date(2025, 1, 1), 1)[0]
        utc = s.starts_at.astimezone(dt.UTC)
        assert utc.hour == hour_utc
        assert utc.date() == (dt.date(2025, 1, 13) if tz == "Asia/Jayapura" else dt.date(2025, 1, 14))


def test_session_when_reads_like_the_ux_examples() -> None:
    s = upcoming(_info(Rule("weekday", T(8), weekday=1, week=2)), [], dt.date(2025, 1, 1), 1)[0]
    assert s.when(get_translator("id")) == "Selasa, 14 Januari 2025, pukul 08.00"
    assert s.when(get_translator("en")) == "Tuesday, 14 January 2025, at 08:00"


def test_move_written_as_two_rows_keeps_where_it_came_from() -> None:
    """storage's SessionRepository.move writes a `moved` row and a `scheduled` row on the new date."""
    rows = [_row(dt.date(2025, 1, 14), SessionStatus.MOVED, moved_to=dt.date(2025, 1, 21)),
            _row(dt.date(2025, 1, 21), SessionStatus.SCHEDULED, start=T(9))]
    got = upcoming(_info(RULE), rows, dt.date(2025, 1, 1), 1)[0]
    assert (got.date, got.start_time, got.moved_from) == (dt.date(2025, 1, 21), T(9), dt.date(2025, 1, 14))
