"""Phone normalisation (bot.services.phone): every way a number is written meets in one form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.phone import mask_phone, normalise_phone
from storage.errors import InvalidInput
from storage.values import normalise_phone as storage_normalise_phone


@pytest.mark.parametrize("text", [
    "081234567890", "0812-3456-7890", "0812 3456 7890", "+6281234567890", "+62 812 3456 7890",
    "6281234567890", "62 812-3456-7890", "+62 0812 3456 7890", "(0812) 3456.7890", "81234567890",
    "006281234567890",
])
def test_the_same_number_written_many_ways_meets(text: str) -> None:
    assert normalise_phone(text) == "+6281234567890"


@pytest.mark.parametrize("text", [
    "", None, "abc", "12345", "+4915112345678", "0812345", "08123456789012345", "0812-ABCD-7890", "+",
    "0012025550123",
])
def test_non_numbers_and_foreign_numbers_are_refused(text: str | None) -> None:
    assert normalise_phone(text) is None


@given(st.from_regex(r"8[1-9]\d{7,9}", fullmatch=True), st.sampled_from(["0", "62", "+62", "+62 ", "62 0"]))
def test_agrees_with_what_storage_saves(national: str, prefix: str) -> None:
    """A contact must match the guardian phone the cadre saved through storage's own normaliser."""
    text = prefix + national
    ours = normalise_phone(text)
    try:
        theirs: str | None = storage_normalise_phone(prefix.replace(" 0", "") + national)
    except InvalidInput:
        theirs = None
    assert ours == theirs == "+62" + national


def test_mask_keeps_only_the_ends() -> None:
    assert mask_phone("+6281234567890") == "+62812••••7890"
    assert "3456" not in mask_phone("+6281234567890")
