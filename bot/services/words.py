"""The words parents type, brought to standard Indonesian before a question is matched.

Two parts:
- rules every word goes through, which no word list can enumerate: lower case and Unicode forms, letters
  stretched for emphasis ("bangeeet"), reduplication written with a 2 or a dash ("naik2", "ngos-ngosan"),
  numbers glued to their unit ("2thn", "9kg"), and the regional endings on a word the catalog knows
  (Javanese "umure", "tinggine"; Sundanese "beuratna"; Betawi "masakin");
- the table in content/words.toml: chat abbreviations, Javanese, Sundanese, Betawi and English words, each
  group with the source its words were checked against.

Hand-written rules on purpose: the Indonesian NLP libraries we could use (PySastrawi for affixes, which the
matcher also uses) know standard Indonesian only, and the published slang lexicons are lists, not rules.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

WORDS_PATH = Path(__file__).resolve().parents[2] / "content" / "words.toml"

_STRETCH = re.compile(r"([a-z])\1{2,}")  # three or more of one letter: "bangeeet"
_REDUP_2 = re.compile(r"\b([a-z]{3,})2([a-z]*)\b")  # "naik2", "anak2nya", "ngos2an"
_REDUP_DASH = re.compile(r"\b([a-z]{2,})-\1([a-z]*)\b")  # "naik-naik", "ngos-ngosan"
# Tokens: "2t" (two T in a row, a posyandu term), words with an index slash (bb/u), words, numbers.
_TOKEN = re.compile(r"\b2t\b|[a-z]+(?:/[a-z]+)?|\d+")
# Endings tried, in order, on a word neither the table nor the catalog knows (the rest must be known).
_ENDINGS = (("ne", 5), ("na", 5), ("in", 5), ("e", 4), ("ipun", 7))
_PREFIXES = (("nge", 6), ("ng", 6))


@dataclass(frozen=True)
class WordTable:
    """content/words.toml, read: single words and phrases, each mapped to standard Indonesian words."""

    words: dict[str, tuple[str, ...]]
    phrases: dict[tuple[str, ...], tuple[str, ...]]
    sources: dict[str, str]  # group name -> where its words come from

    @property
    def longest_phrase(self) -> int:
        return max((len(p) for p in self.phrases), default=1)

    def vocabulary(self) -> set[str]:
        """Every word the table maps from or to (for typo repair: a misspelt "bloh" may be "boleh")."""
        out = set(self.words)
        for values in (*self.words.values(), *self.phrases.values()):
            out.update(values)
        for phrase in self.phrases:
            out.update(phrase)
        return out


@cache
def load_table(path: Path = WORDS_PATH) -> WordTable:
    """The table, read once per process. Duplicate keys with different meanings are an error in the data."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    words: dict[str, tuple[str, ...]] = {}
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    for group in data["group"]:
        sources[str(group["name"])] = " ".join(str(group["source"]).split())
        for key, value in group["words"].items():
            target = tuple(str(value).split())
            parts = tuple(str(key).lower().split())
            if len(parts) > 1:
                if parts in phrases and phrases[parts] != target:
                    raise ValueError(f"words.toml: phrase {key!r} means two things")
                phrases[parts] = target
                continue
            word = parts[0]
            if word in words and words[word] != target:
                raise ValueError(f"words.toml: {word!r} means two things ({words[word]} / {target})")
            words[word] = target
    return WordTable(words, phrases, sources)


def _unredup(m: re.Match[str]) -> str:
    base, rest = m.group(1), m.group(2)
    if rest == "an":  # "ngos2an" is "ngos-ngosan": the ending belongs to the doubled word
        return base + base + rest
    return base + rest


def raw_tokens(text: str) -> list[str]:
    """Lower-case tokens with stretched letters, reduplication and glued units undone, nothing mapped yet."""
    lowered = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    lowered = _STRETCH.sub(r"\1", lowered)
    lowered = _REDUP_DASH.sub(_unredup, lowered)
    lowered = _REDUP_2.sub(_unredup, lowered)
    return _TOKEN.findall(lowered)


def _strip_regional(word: str, table: WordTable, known: Callable[[str], bool]) -> tuple[str, ...] | None:
    """A known word under a Javanese, Sundanese or Betawi ending or prefix ("umure" -> umur), else None."""
    for ending, min_len in _ENDINGS:
        if len(word) >= min_len and word.endswith(ending):
            base = word[: -len(ending)]
            if base in table.words:
                return table.words[base]
            if known(base):
                return (base,)
    for prefix, min_len in _PREFIXES:
        if len(word) >= min_len and word.startswith(prefix):
            base = word[len(prefix):]
            if base in table.words:
                return table.words[base]
            if known(base):
                return (base,)
    return None


def normalise(text: str, known: Callable[[str], bool] = lambda _w: False, *,
              repair: Callable[[str], str | None] | None = None, table: WordTable | None = None) -> list[str]:
    """Standard Indonesian words of `text` (stop words kept; an emptied particle dropped).

    `known(word)`: whether the catalog knows a word, so that regional endings are only taken off when what
    remains is a word we know ("anake" -> anak, but "bagaimana" keeps its "na"). `repair(word)`: the word a
    misspelt one probably is (None: leave it), asked only for words nothing else recognised.
    """
    table = table or load_table()
    tokens = raw_tokens(text)
    out: list[str] = []
    i = 0
    longest = table.longest_phrase
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 1, -1):
            phrase = tuple(tokens[i:i + size])
            if phrase in table.phrases:
                out.extend(table.phrases[phrase])
                i += size
                break
        else:
            word = tokens[i]
            i += 1
            mapped = table.words.get(word)
            if mapped is None and not word.isdigit() and not known(word):
                mapped = _strip_regional(word, table, known)
                if mapped is None and repair is not None and (fixed := repair(word)) is not None:
                    mapped = table.words.get(fixed, (fixed,))
            out.extend(mapped if mapped is not None else (word,))
    return out


__all__ = ["WORDS_PATH", "WordTable", "load_table", "normalise", "raw_tokens"]
