"""Normalising the words parents type (bot.services.words, content/words.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.faq import normalise_words
from bot.services.words import load_table, normalise, raw_tokens


@pytest.mark.parametrize(("text", "tokens"), [
    ("bangeeet", ["banget"]),  # letters stretched for emphasis
    ("naik2 naik-naik", ["naik", "naik"]),  # reduplication written with a 2 or a dash
    ("anak2nya", ["anaknya"]),
    ("ngos2an", ["ngosngosan"]),  # the -an belongs to the doubled word
    ("2thn 9kg", ["2", "thn", "9", "kg"]),  # numbers glued to their unit
    ("bb/u 2T", ["bb/u", "2t"]),  # index names and "2T" stay whole
])
def test_raw_tokens(text: str, tokens: list[str]) -> None:
    assert raw_tokens(text) == tokens


@pytest.mark.parametrize(("text", "words"), [
    ("sy gk tau brp bgt", ["saya", "tidak", "tau", "berapa", "sekali"]),  # chat spelling
    ("piye carane", ["bagaimana", "cara"]),  # Javanese
    ("kumaha budak teu daek emam", ["bagaimana", "anak", "tidak", "daek", "makan"]),  # Sundanese
    ("bocah gue kagak doyan", ["anak", "saya", "tidak", "mau", "makan"]),  # Betawi
    ("my baby has a fever", ["my", "bayi", "has", "a", "demam"]),  # English
    ("hatur nuhun", ["terima", "kasih"]),  # a phrase
])
def test_the_words_parents_use_become_standard_indonesian(text: str, words: list[str]) -> None:
    assert normalise(text) == words


def test_regional_endings_come_off_known_words_only() -> None:
    """Javanese -e / -ne, Sundanese -na, Betawi -in, on a word the catalog knows; "bagaimana" keeps its -na."""
    assert normalise_words("umure tinggine beuratna masakin") == ["umur", "tinggi", "berat", "masak"]
    assert normalise_words("bagaimana") == ["bagaimana"]


def test_a_misspelt_word_becomes_the_catalog_word_one_slip_away() -> None:
    assert normalise_words("imunisai stanting diarre") == ["imunisasi", "stunting", "diare"]
    assert normalise_words("kereta") == ["kereta"]  # a real word two slips from any catalog word stays


def test_every_group_names_its_source() -> None:
    table = load_table()
    assert set(table.sources) == {"chat", "javanese", "sundanese", "betawi", "english", "phrases"}
    assert all(len(source) > 40 for source in table.sources.values())


def test_a_word_with_two_meanings_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "words.toml"
    path.write_text('[[group]]\nname = "a"\nsource = "x"\n[group.words]\nga = "tidak"\n'
                    '[[group]]\nname = "b"\nsource = "y"\n[group.words]\nga = "pergi"\n', encoding="utf-8")
    with pytest.raises(ValueError):
        load_table.__wrapped__(path)
