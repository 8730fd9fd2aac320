"""Routing a parent's message (bot.services.parent_intents): small talk, own-child questions, numbers typed,
a wish to ask a person, or the FAQ; and reading the numbers."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services.parent_intents import Intent, Measure, read_numbers, route

CATALOG = Path(__file__).resolve().parents[2] / "content" / "faq.toml"


@pytest.mark.parametrize(("text", "intent"), [
    ("kapan jadwal posyandu", Intent.SCHEDULE),
    ("posyandu bulan depan tanggal berapa?", Intent.SCHEDULE),
    ("umur anak saya berapa", Intent.AGE),
    ("berat anak saya normal gk", Intent.STATUS),
    ("tinggi anak 2 tahun harusnya berapa", Intent.EXPECTED),
    ("anak sy 2 thn 9 kilo normal gk", Intent.SCORE),
    ("anak sy 14 bulan tingginya 70 cm", Intent.SCORE),
    ("anak saya imunisasi apa lagi yg belum", Intent.IMMUNISATION_DUE),
    ("mau tanya bidan langsung", Intent.ASK_PERSON),
    ("makasih bu 🙏", Intent.THANKS),
    ("hatur nuhun", Intent.THANKS),
    ("assalamualaikum bunda", Intent.GREETING),
    ("siap bu insyaallah", Intent.ACK),
])
def test_the_issue_examples_are_routed(text: str, intent: Intent) -> None:
    assert route(text).intent is intent


@pytest.mark.parametrize("text", [
    "apa itu stunting",
    "ke posyandu bawa apa saja",  # about the posyandu, not its date
    "kenapa harus ke posyandu tiap bulan",
    "anak sy udah 3 thn pendek, masih bisa dikejar gak tingginya?",  # a how/why question stays general
    "imunisasi anak saya telat, harus diulang?",
    "berat anak saya turun bulan ini",  # what to do: the FAQ answers
    "lila anak 12 cm normal ga",  # an arm circumference is not a length to score
    "lagi hamil 5 bulan makan apa",  # a pregnancy, not a child's age
])
def test_general_questions_stay_with_the_catalog(text: str) -> None:
    assert route(text).intent is None


def test_every_catalog_question_is_a_general_question() -> None:
    """The catalog's own questions (content/faq.toml) go to the catalog, even those that say "my child"."""
    with CATALOG.open("rb") as fh:
        faq = tomllib.load(fh)["faq"]
    routed = {q: route(q).intent for f in faq for q in (*f["q_id"], *f["q_en"])}
    assert [q for q, intent in routed.items() if intent is not None] == []


def test_a_child_named_in_the_question_is_the_parents_own() -> None:
    assert route("umur budi berapa", names=["budi"]).intent is Intent.AGE
    assert route("umur budi berapa").intent is None


@pytest.mark.parametrize(("text", "days", "weight", "length", "sex"), [
    ("anak sy 2 thn 9 kilo", 731, Decimal("9"), None, None),
    ("bayi perempuan 5 bln bb 5,8 kg", 153, Decimal("5.8"), None, "F"),
    ("my son is 10 months and weighs 7.5 kg", 305, Decimal("7.5"), None, "M"),
    ("anak 1 thn 3 bln tinggi 76 cm berat 9500 gram", 457, Decimal("9.5"), Decimal("76"), None),
    ("anakku 18bln 10kg 80cm", 548, Decimal("10"), Decimal("80"), None),
    ("lila anak 12 cm", None, None, None, None),
])
def test_numbers_are_read_with_their_units(text: str, days: int | None, weight: Decimal | None,
                                           length: Decimal | None, sex: str | None) -> None:
    numbers = read_numbers(text)
    assert (numbers.age_days, numbers.weight_kg, numbers.length_cm, numbers.sex) == (days, weight, length, sex)


def test_what_the_question_measures_is_read() -> None:
    assert read_numbers("tinggi anak 2 tahun harusnya berapa").measures == {Measure.HEIGHT}
    assert read_numbers("berat ideal bayi 6 bulan").measures == {Measure.WEIGHT}
