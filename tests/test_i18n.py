"""Indonesian number and date formatting, parsing of what people type, and catalog completeness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import ParseError, fmt_date, fmt_decimal, fmt_z, get_translator, parse_date, parse_decimal
from bot.i18n_tools import missing_translations

TODAY = dt.date(2024, 12, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10,5", "10.5"),
        ("10.5", "10.5"),
        ("10.55", "10.55"),
        ("1.250,5", "1250.5"),
        ("82", "82"),
        ("10,5 kg", "10.5"),
        ("10.5kg", "10.5"),
        ("82 cm", "82"),
        (" 9,75 ", "9.75"),
    ],
)
def test_parse_decimal_accepts_comma_and_dot(text: str, expected: str) -> None:
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "sepuluh", "10,5,5", "abc kg", "🙂", "10..5"])
def test_parse_decimal_rejects_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3/12/2024", dt.date(2024, 12, 3)),
        ("3-12-24", dt.date(2024, 12, 3)),
        ("03.12.2024", dt.date(2024, 12, 3)),
        ("2024-12-03", dt.date(2024, 12, 3)),
        ("3 Des 2024", dt.date(2024, 12, 3)),
        ("3 desember 2024", dt.date(2024, 12, 3)),
        ("3 Dec 2024", dt.date(2024, 12, 3)),
        ("17 Agustus 2023", dt.date(2023, 8, 17)),
        ("3/12", dt.date(2024, 12, 3)),
        ("28/12", dt.date(2024, 12, 28) if dt.date(2024, 12, 28) <= TODAY else dt.date(2023, 12, 28)),
        ("hari ini", TODAY),
        ("kemarin", dt.date(2024, 12, 9)),
    ],
)
def test_parse_date_day_first(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["31/2/2024", "3 Foo 2024", "besok lusa", "12/13/2024", ""])
def test_parse_date_rejects_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        parse_date(text, TODAY)


def test_numbers_use_decimal_comma_in_indonesian() -> None:
    assert fmt_decimal(10.5, 1, "id") == "10,5"
    assert fmt_decimal(1250.5, 1, "id") == "1.250,5"
    assert fmt_decimal(10.5, 1, "en") == "10.5"


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
                       st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False, places=4),
                       st.sampled_from([0.125, 2.675, -0.04, -0.0, 0.05, 1234.5, 10.25, 999.95])),
       digits=st.integers(min_value=0, max_value=3), lang=st.sampled_from(["id", "en"]))
def test_fast_number_formatting_is_exactly_babels(value: float | Decimal, digits: int, lang: str) -> None:
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    assert fmt_decimal(value, digits, lang) == format_decimal(value, format=pattern, locale=lang).replace("-", "−")


def test_odd_numbers_format_as_babel_does() -> None:
    for value in (float("nan"), float("inf"), 1e20):
        assert fmt_decimal(value, 1, "id") == format_decimal(value, format="#,##0.0", locale="id")


def test_z_scores_carry_a_sign() -> None:
    assert fmt_z(-2.35, "id") == "−2,35"
    assert fmt_z(0.21, "id") == "+0,21"
    assert fmt_z(0.0, "id") == "0,00"


def test_dates_are_written_the_indonesian_way() -> None:
    assert fmt_date(dt.date(2024, 12, 3), "id") == "Selasa, 3 Desember 2024"
    assert fmt_date(dt.date(2024, 12, 3), "en") == "Tuesday, 3 December 2024"


def test_unknown_language_falls_back_to_indonesian() -> None:
    assert get_translator("jv").lang == "id"
    assert get_translator(None).lang == "id"


def test_every_message_has_an_indonesian_translation() -> None:
    missing = missing_translations("id")
    listing = "\n".join(f"{locs[0][0]}:{locs[0][1]} {msgid!r}" for msgid, locs in missing[:30])
    assert not missing, f"{len(missing)} msgid(s) lack an Indonesian translation:\n{listing}"
