"""The services words of the quick entry (`/catat A12 10,5 82 vita imun:campak`, issue 14); the measurement part of
the parser keeps its behaviour (tests/services/test_quick_entry.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.services.quick_entry import QuickEntryError, ServiceWord, parse_quick_entry

TODAY = dt.date(2025, 8, 12)


def test_services_after_the_measurement() -> None:
    entry = parse_quick_entry("A12 10,5 82 vita imun:campak", TODAY)
    assert (entry.weight_kg, entry.length_cm) == (Decimal("10.5"), Decimal("82"))
    assert entry.services == (ServiceWord("vitamin_a"), ServiceWord("immunisation", antigen="MR"))


def test_every_service_word_in_any_order_and_several_vaccines_at_once() -> None:
    entry = parse_quick_entry("A12 pmt:14 cacing imun:mr2,ipv 10,5 imun pcv3 vitA", TODAY)
    assert entry.weight_kg == Decimal("10.5")
    assert entry.services == (
        ServiceWord("pmt", quantity=14), ServiceWord("deworming"), ServiceWord("immunisation", antigen="MR", number=2),
        ServiceWord("immunisation", antigen="IPV"), ServiceWord("immunisation", antigen="PCV", number=3),
        ServiceWord("vitamin_a"))


def test_a_line_with_services_only_needs_no_measurement() -> None:
    entry = parse_quick_entry("A12 vita", TODAY)
    assert not entry.measured and entry.services == (ServiceWord("vitamin_a"),)


@pytest.mark.parametrize(("line", "code"), [
    ("A12 imun:flu", "unknown_vaccine"), ("A12 imun", "unknown_vaccine"), ("A12 pmt:0", "bad_quantity"),
    ("A12 pmt:banyak", "bad_quantity"), ("A12", "nothing_measured")])
def test_unreadable_service_words_are_named(line: str, code: str) -> None:
    with pytest.raises(QuickEntryError) as caught:
        parse_quick_entry(line, TODAY)
    assert caught.value.code == code
