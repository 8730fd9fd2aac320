"""Callback data schemas (bot/callbacks.py): what they accept, what they refuse, and typed values."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks
from bot.callbacks import Callback, InvalidCallback


def test_ids_are_read_as_ints() -> None:
    assert callbacks.UKUR_CHILD.parse("ukur:child:42").id("child") == 42


@pytest.mark.parametrize("data", ["ukur:child:" + "9" * 19, "ukur:child:" + "9" * 20, "ukur:child:0",
                                  "ukur:child:", "ukur:child:abc", "ukur:child:-1", "ukur:child:1:2",
                                  "ukur:child:1\n", "ukur:child:٣", "ukur:child:+1", "ukur:child: 1"])
def test_ids_that_sqlite_cannot_hold_or_that_are_no_ids_are_refused(data: str) -> None:
    with pytest.raises(InvalidCallback):
        callbacks.UKUR_CHILD.parse(data)
    assert not callbacks.UKUR_CHILD.matches(data)


def test_the_largest_accepted_id_fits_sqlite() -> None:
    assert callbacks.UKUR_CHILD.parse("ukur:child:" + "9" * 18).id("child") < 2**63


def test_an_optional_tail() -> None:
    assert callbacks.UKUR_CHART.parse("ukur:pchart:7").optional_text("indicator") is None
    chart = callbacks.UKUR_CHART.parse("ukur:chart:7:lhfa")
    assert (chart.text("kind"), chart.id("child"), chart.text("indicator")) == ("chart", 7, "lhfa")
    assert not callbacks.UKUR_CHART.matches("ukur:chart:7:")
    assert not callbacks.UKUR_CHART.matches("ukur:chart:7:bmi")


def test_dates_and_times_must_be_real() -> None:
    assert callbacks.JADWAL_DAY.parse("jadwal:d:2024-02-29").date("day") == dt.date(2024, 2, 29)
    assert not callbacks.JADWAL_DAY.matches("jadwal:d:2023-02-29")
    assert callbacks.JADWAL_START.parse("jadwal:st:0830").time("time") == dt.time(8, 30)
    assert not callbacks.JADWAL_START.matches("jadwal:st:2460")
    assert callbacks.REKAP_MONTH.parse("rekap:xlsx:2024-11").date("month") == dt.date(2024, 11, 1)
    assert not callbacks.REKAP_MONTH.matches("rekap:xlsx:2024-13")


def test_an_empty_node_is_the_top_of_the_tree() -> None:
    opened = callbacks.UNDANG_OPEN.parse("undang:k:d::24")
    assert (opened.optional_id("node"), opened.number("offset"), opened.text("role")) == (None, 24, "k")


def test_choices_are_a_closed_list() -> None:
    assert callbacks.UKUR_DATE.parse("ukur:date:1").number("days_back") == 1
    assert not callbacks.UKUR_DATE.matches("ukur:date:2")
    assert callbacks.JADWAL_WEEK.parse("jadwal:wk:-1").number("week") == -1


def test_more_than_64_bytes_is_refused() -> None:
    schema = Callback("x:{a:key}:{b:key}")
    assert schema.matches("x:" + "a" * 40 + ":" + "b" * 21)  # 64 bytes
    assert not schema.matches("x:" + "a" * 40 + ":" + "b" * 22)


def test_every_schema_is_listed() -> None:
    assert callbacks.UKUR_CHART in callbacks.ALL and callbacks.TANYA_QUESTION in callbacks.ALL
    assert len(callbacks.ALL) == len({s.template for s in callbacks.ALL})


@given(st.text(max_size=70))
def test_no_input_makes_a_schema_raise_anything_but_invalid_callback(data: str) -> None:
    for schema in callbacks.ALL:
        with contextlib.suppress(InvalidCallback):
            schema.parse(data)
        assert schema.matches(data) in (True, False)
