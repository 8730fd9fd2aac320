"""The one-line quick entry parser: a table of what cadres type and what it means."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.services.quick_entry import QuickEntryError, parse_quick_entry

TODAY = dt.date(2024, 12, 10)
D = Decimal


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("A12 10,5 82 berbaring", dict(code="A12", weight_kg=D("10.5"), length_cm=D("82"), position="lying")),
        ("A12 10.5 82", dict(weight_kg=D("10.5"), length_cm=D("82"), position=None, measured_on=None)),
        ("a12 10,5", dict(code="A12", weight_kg=D("10.5"), length_cm=None)),
        ("A 12 10,5", dict(code="A12", weight_kg=D("10.5"))),  # a code typed with a space
        ("A12 bb 10,5 tb 82 lila 13 tgl 3/12",
         dict(weight_kg=D("10.5"), length_cm=D("82"), muac_cm=D("13"), measured_on=dt.date(2024, 12, 3))),
        ("A12 tb 82 bb 10,5", dict(weight_kg=D("10.5"), length_cm=D("82"))),
        ("A12 bb10,5 tb=82 berdiri", dict(weight_kg=D("10.5"), length_cm=D("82"), position="standing")),
        ("A12 10,5kg 82cm", dict(weight_kg=D("10.5"), length_cm=D("82"))),
        ("A12 82cm 10,5kg", dict(weight_kg=D("10.5"), length_cm=D("82"))),
        ("A12 10,5 kg 82 cm", dict(weight_kg=D("10.5"), length_cm=D("82"))),
        ("A12 10500g", dict(weight_kg=D("10.5"))),
        ("A12 10,5 82 lk 46 lila 13,5", dict(head_cm=D("46"), muac_cm=D("13.5"))),
        ("A12 10,5 82 edema", dict(oedema=True)),
        ("A12 tgl 3 des 10,5", dict(measured_on=dt.date(2024, 12, 3), weight_kg=D("10.5"))),
        ("A12 tgl 3 des 2024 10,5", dict(measured_on=dt.date(2024, 12, 3), weight_kg=D("10.5"))),
        ("A12 3/12 10,5 82", dict(measured_on=dt.date(2024, 12, 3), weight_kg=D("10.5"), length_cm=D("82"))),
        ("A12 kemarin 10,5", dict(measured_on=dt.date(2024, 12, 9))),
        ("A12 tgl 28/12 10,5", dict(measured_on=dt.date(2023, 12, 28))),  # no year: the latest past 28/12
        ("AI2 10,5", dict(code="A12")),  # I typed for 1
        ("A12; 10,5; 82", dict(weight_kg=D("10.5"), length_cm=D("82"))),
        ("A12 TB 82 BB 10,5 BERBARING", dict(weight_kg=D("10.5"), position="lying")),
    ],
)
def test_lines_that_read(line: str, expected: dict[str, object] | None) -> None:
    entry = parse_quick_entry(line, TODAY)
    for key, value in (expected or {}).items():
        assert getattr(entry, key) == value, (line, key)


@pytest.mark.parametrize(
    ("line", "code", "field"),
    [
        ("", "empty", None),
        ("A12", "nothing_measured", None),
        ("12 10,5", "bad_code", None),
        ("Budi! 10,5", "bad_code", None),
        ("A12 sepuluh", "number_word", None),
        ("A12 bb sepuluh", "number_word", "weight"),
        ("A12 10,5 82 13", "too_many_numbers", None),
        ("A12 bb", "missing_value", "weight"),
        ("A12 bb tb 82", "missing_value", "weight"),
        ("A12 bb 10 bb 11", "duplicate", "weight"),
        ("A12 10,5 berbaring berdiri", "duplicate", "position"),
        ("A12 tgl 3/12 tgl 4/12 10", "duplicate", "date"),
        ("A12 tgl besok 10", "bad_date", None),
        ("A12 31/2 10", "bad_date", None),
        ("A12 kg 10", "unit_without_number", None),
        ("A12 10,5 hmm", "unknown_word", None),
        ("A12 bbx 10", "unknown_word", None),
        ("A12 " + "1 " * 200, "too_long", None),
    ],
)
def test_lines_that_do_not_read(line: str, code: str, field: str | None) -> None:
    with pytest.raises(QuickEntryError) as info:
        parse_quick_entry(line, TODAY)
    assert info.value.code == code
    assert info.value.field == field


def test_emoji_only_line_is_not_a_code() -> None:
    with pytest.raises(QuickEntryError) as info:
        parse_quick_entry("👶👶 ⚖️", TODAY)
    assert info.value.code == "bad_code"
