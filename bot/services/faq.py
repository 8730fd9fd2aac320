"""Parents' questions in free text, matched to the curated catalog in content/faq.toml.

Matching (no model, no network, a few milliseconds per question):
1. normalise (bot.services.words): lower case, stretched letters, reduplication, glued units, then the words
   parents use (chat abbreviations, Javanese, Sundanese, Betawi, English) mapped to standard Indonesian from
   content/words.toml; a misspelt word the catalog does not know becomes the catalog word one or two
   keystrokes away (Damerau-Levenshtein: a swapped pair of letters is one slip);
2. stem every word with Sastrawi (Indonesian affixes) plus a light English suffix strip, so that
   "ditimbang", "timbang" and "penimbangan" meet;
3. score each entry by the IDF-weighted share of the question's words found in the entry's questions and
   keywords (answers count a little, the kind of question (what / why / how / when / may I) counts as a
   word), plus fuzzy similarity to the entry's questions, plus the cosine of character 3- and 4-gram TF-IDF
   vectors of the question and the entry's questions and keywords (it meets word forms, compounds and
   misspellings the word level misses), plus the ages the entry is about.
The caller answers with the best entry when it scores high enough and offers the next ones as "did you
mean" buttons under it; when nothing is clearly best it offers the top few; when nothing fits it says so.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from bot.services import words as words_svc

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
FAQ_PATH = CONTENT_DIR / "faq.toml"
LANGS = ("id", "en")

# Thresholds on the 0..~1.3 score, chosen on the development questions in tests/services/test_faq.py and
# tests/data/faq_paraphrases.toml (never on the held-out set tests/data/faq_heldout.toml).
ANSWER_SCORE = 0.50  # at or above: answer the best directly (the next ones offered under it)
SUGGEST_SCORE = 0.42  # at or above: worth offering as a button
ANSWER_WEIGHT = 0.35  # a word found only in an entry's answer counts this much
GRAM_WEIGHT = 0.2  # character n-gram cosine (0..1); raised leave-one-out accuracy on the catalog's own questions
GRAM_SIZES = (3, 4)

# Words whose Sastrawi stem would collide with an unrelated topic ("keturunan" -> "turun" as in "berat turun").
NO_STEM = frozenset({"keturunan", "menyusui", "kental", "pendek", "lemas", "panas", "bengkak", "bulan",
                     "tahun", "jamban", "imunisasi", "kulkas", "mencret", "lembek", "lembik", "camilan"})


def _words(text: str) -> list[str]:
    return text.split()


# Words that carry no topic (Indonesian, Javanese, English, after normalisation); IDF would down-weight most
# of them anyway.
STOPWORDS = frozenset(_words("""
yang dan di ke dari itu ini hari apa ya sih kok dong deh nih tuh lah kah pun saja aja juga sama ada
adalah bu bun bunda ibu kak kakak mbak mas pak bapak dok bidan kader min admin halo hai
assalamualaikum saya kami kita kamu anda dia nya mereka untuk dengan atau tetapi tapi kalau kalo klo jika
bila agar supaya biar sudah belum masih lagi akan sedang mau ingin bisa boleh harus perlu apakah gimana
bagaimana kenapa mengapa berapa kapan mana siapa banget sekali sangat tolong mohon minta tanya nanya
terima kasih makasih yo wae kuwi iki niku menika lho to the a an is are am be of for and or my our
your i we you it this that what how when why which do does did should can could will would with in
on at by me she he her his they there has have had so very much too also just only still yet its
terus lalu hanya cuma begitu begini memang padahal jadi karena pada tidak apa-apa lain sebagainya
oh ah eh wah kah pula gitu sok tah mah atuh euy lo lu cara caranya carane seperti lakukan dilakukan
melakukan
"""))

# The kind of question, read from the normalised words: a question and an entry of the same kind agree.
KINDS: dict[str, frozenset[str]] = {
    "what": frozenset(_words("arti artinya maksud maksudnya pengertian singkatan mean meaning")),
    "why": frozenset(_words("kenapa mengapa penyebab sebab sebabnya why")),
    "how": frozenset(_words("bagaimana cara caranya how lakukan dilakukan melakukan")),
    "when": frozenset(_words("kapan when")),
    "may": frozenset(_words("boleh bolehkah")),
}
_WHAT_IS = re.compile(r"\b(apa|apaan)\s+(itu|sih|tuh|si)\b|\bitu\s+apa|\bwhat\s+(is|are|does)\b")

_RANGE = re.compile(r"\b(\d{1,2})\s*(?:-|–|—|to|sampai|sd|s/d|hingga)\s*\d{1,2}\b")
_AGE = re.compile(
    r"\b(\d{1,2})(?:[.,](\d))?\s*(bulan|bln|bl|bulanan|month|months|mo|mos|m|tahun|thn|th|taun|years?|yrs?|y)\b")


class Confidence(StrEnum):
    ANSWER = "answer"  # one entry fits best: answer it (others may be offered under it)
    SUGGEST = "suggest"  # a few might fit: let the parent choose
    NONE = "none"  # nothing fits: say so honestly


@dataclass(frozen=True)
class FaqEntry:
    id: str
    topic: str
    source: str
    questions: dict[str, tuple[str, ...]]
    keywords: tuple[str, ...]
    answers: dict[str, str]
    min_months: int | None = None
    max_months: int | None = None

    def question(self, lang: str) -> str:
        """The entry's title in `lang` (Indonesian when `lang` has none)."""
        return (self.questions.get(lang) or self.questions["id"])[0]

    def answer(self, lang: str) -> str:
        return self.answers.get(lang) or self.answers["id"]

    def covers_age(self, months: int) -> bool | None:
        """True/False when the entry is about particular ages, None when it is about any age."""
        if self.min_months is None and self.max_months is None:
            return None
        low = self.min_months if self.min_months is not None else 0
        high = self.max_months if self.max_months is not None else 10_000
        return low <= months <= high


_WORD = re.compile(r"[a-z0-9]+")
_PAREN = re.compile(r"\(([^)]+)\)")


def focus_lines(answer: str, question: str) -> list[str]:
    """The bullet lines of a list-like answer that the question is about ("kapan imunisasi campak?" -> the
    lines with campak / MR), so they can be shown first; [] when the question is general.

    A number in the question matches a line's age ("9 bulan: ..."), a word anywhere in it; a word found in
    every line (or a question matching more than half of them) picks nothing. A name in brackets on a picked
    line ("campak-rubela (MR)") also picks the lines that use that name ("MR 2"). Hand-written: a few lines of
    rules over our own content, no library does this.
    """
    lines = [line for line in answer.splitlines() if line.startswith("• ")]
    if len(lines) < 3:
        return []
    heads = [set(_WORD.findall(line.split(":", 1)[0].lower())) for line in lines]
    bodies = [set(_WORD.findall(line.lower())) for line in lines]
    asked = set(_WORD.findall(question.lower()))

    def picks(words: set[str], where: list[set[str]]) -> set[int]:
        found: set[int] = set()
        for word in words:
            hits = {i for i, w in enumerate(where) if word in w}
            if len(hits) < len(lines):
                found |= hits
        return found

    by_name = picks({w for w in asked if not w.isdigit() and len(w) > 1}, bodies)
    names = {n for i in by_name for m in _PAREN.findall(lines[i]) for n in _WORD.findall(m.lower())
             if not n.isdigit()}  # "(MR 1)" names MR; its dose number is not a name
    chosen = by_name | picks(names - asked, bodies) | picks({w for w in asked if w.isdigit()}, heads)
    if not chosen or len(chosen) * 2 > len(lines):
        return []
    return [lines[i] for i in sorted(chosen)]


@dataclass(frozen=True)
class Match:
    entry: FaqEntry
    score: float


@dataclass(frozen=True)
class MatchResult:
    confidence: Confidence
    matches: tuple[Match, ...]  # best first; empty when nothing fits at all
    alternatives: tuple[Match, ...] = ()  # under a direct answer: "did you mean" these instead?

    @property
    def best(self) -> FaqEntry | None:
        return self.matches[0].entry if self.matches else None


@dataclass
class _Indexed:
    entry: FaqEntry
    strong: Counter[str]  # stems of questions and keywords, with how often they occur there
    weak: frozenset[str]  # stems of the answers only
    phrases: tuple[tuple[str, ...], ...]  # multi-word keywords, stemmed
    question_texts: tuple[str, ...]  # normalised questions for fuzzy similarity
    grams: Counter[str] = field(default_factory=Counter)  # character n-grams of questions and keywords
    vector: dict[str, float] = field(default_factory=dict)  # their TF-IDF, unit length


def char_grams(words: Iterable[str]) -> Counter[str]:
    """Character 3- and 4-grams of the meaningful words, each padded with spaces ("anak" -> " an", "ana" ...)."""
    out: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        for n in GRAM_SIZES:
            out.update(padded[i:i + n] for i in range(len(padded) - n + 1))
    return out


def _unit(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {g: w / norm for g, w in weights.items()}


@cache
def _stemmer() -> object:
    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Sastrawi stem plus a light English suffix strip (both sides of a comparison go through this)."""
    if word in NO_STEM or not word.isalpha():
        return word
    out: str = _stemmer().stem(word)  # type: ignore[attr-defined]
    if len(out) > 5 and out.endswith("ing"):
        out = out[:-3]
    elif len(out) > 4 and out.endswith("ed"):
        out = out[:-2]
    elif len(out) > 3 and out.endswith("s") and not out.endswith("ss"):
        out = out[:-1]
    return out or word


def extract_age_months(text: str) -> int | None:
    """An age mentioned in the text, in completed months ("7 bln" -> 7, "2 thn" -> 24, "1,5 tahun" -> 18)."""
    lowered = text.lower()
    if re.search(r"\b(hamil|kandungan|kehamilan|pregnant|pregnancy)\b", lowered):
        return None  # "hamil 5 bulan" is the pregnancy, not the child's age
    if re.search(r"\bsetahun\b", lowered):
        return 12
    lowered = re.sub(r"(\d)([a-z])", r"\1 \2", lowered)  # "2thn", "7bln"
    lowered = _RANGE.sub(r"\1", lowered)  # "1-2 tahun", "6–8 bulan": the youngest age of the range
    m = _AGE.search(lowered)
    if not m:
        return None
    whole, tenth, unit = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if unit.startswith(("t", "y")):
        return int((whole + tenth / 10) * 12)
    return whole


class Vocabulary:
    """The words the catalog and the word table know: what regional endings and typo repair aim at."""

    def __init__(self, texts: Iterable[str]) -> None:
        table = words_svc.load_table()
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(w for w in words_svc.raw_tokens(text) if w.isalpha())
        self.known = set(counts) | table.vocabulary() | STOPWORDS
        self._stems = {stem(w) for w in counts if len(w) > 3}
        # Repair candidates, the catalog's most frequent words first (a tie goes to the likelier word).
        ranked = sorted(self.known, key=lambda w: (-counts.get(w, 0), w))
        self._candidates = [w for w in ranked if len(w) >= 3 and w.isalpha()]

    def is_known(self, word: str) -> bool:
        return word in self.known or (len(word) > 3 and stem(word) in self._stems)

    @lru_cache(maxsize=20_000)  # noqa: B019 - one Vocabulary per catalog, kept for the process
    def repair(self, word: str) -> str | None:
        """The known word one slip away (two for long words), or None. Short words are never changed: at
        four letters one slip turns most words into another real word."""
        if len(word) < 5 or not word.isalpha():
            return None
        limit = 1 if len(word) <= 8 else 2
        hit = process.extractOne(word, self._candidates, scorer=DamerauLevenshtein.distance,
                                 score_cutoff=limit)
        return str(hit[0]) if hit else None


@cache
def catalog_vocabulary() -> Vocabulary:
    """The vocabulary of content/faq.toml (for callers that normalise text outside a catalog)."""
    return load_catalog().vocabulary


def normalise_words(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """Standard Indonesian words of the text (not yet stemmed, stop words kept)."""
    vocab = vocabulary or catalog_vocabulary()
    return words_svc.normalise(text, vocab.is_known, repair=vocab.repair)


# Ages are scored through `extract_age_months`, so numbers and age units are not words to match on (else
# "anak 4 tahun ..." would pull every entry that mentions years).
_AGE_WORDS = frozenset({"bulan", "tahun", "month", "months", "year", "years", "umur", "usia", "age", "old"})


def _meaningful(words: list[str]) -> list[str]:
    """The words that carry meaning, unstemmed (for character n-grams)."""
    return [w for w in words if w not in STOPWORDS and w not in _AGE_WORDS and len(w) > 1 and not w.isdigit()]


def _content(words: list[str]) -> list[str]:
    """Stems of the meaningful words. Small numbers are ages, doses or counts (scored elsewhere or not at
    all); a number of three digits or more is a name ("1000 hari pertama")."""
    return [stem(w) for w in words
            if w not in STOPWORDS and w not in _AGE_WORDS and len(w) > 1 and not (w.isdigit() and len(w) < 3)]


def content_stems(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """Stems of the words that carry meaning."""
    return _content(normalise_words(text, vocabulary))


def question_kinds(text: str, words: list[str] | None = None) -> frozenset[str]:
    """What kind of question this is (what / why / how / when / may), from its normalised words."""
    words = words or []
    found = {kind for kind, markers in KINDS.items() if markers & set(words)}
    if _WHAT_IS.search(text.lower()):
        found.add("what")
    if any(a == "seperti" and b in ("apa", "bagaimana") for a, b in pairwise(words)):
        found.add("how")  # "seperti apa", "kayak gimana": what it should be like
    return frozenset(found)


class FaqCatalog:
    """The catalog plus its search index. Build once (`load_catalog()` caches it) and share."""

    def __init__(self, entries: list[FaqEntry]) -> None:
        ids = [e.id for e in entries]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate FAQ ids")
        self.entries = entries
        self._by_id = {e.id: e for e in entries}
        self.vocabulary = Vocabulary(
            t for e in entries for t in (*e.keywords, *(q for lang in LANGS for q in e.questions[lang]),
                                         *e.answers.values()))
        self._index = [self._index_entry(e) for e in entries]
        df: dict[str, int] = {}
        for item in self._index:
            for s in item.strong:
                df[s] = df.get(s, 0) + 1
        n = len(entries)
        self._idf = {s: math.log((n + 1) / (d + 0.5)) for s, d in df.items()}
        gram_df: Counter[str] = Counter()
        for item in self._index:
            gram_df.update(item.grams.keys())
        self._gram_idf = {g: math.log((n + 1) / (d + 0.5)) for g, d in gram_df.items()}
        for item in self._index:
            item.vector = _unit({g: c * self._gram_idf[g] for g, c in item.grams.items()})
        # A word no entry knows says nothing about which entry fits, only that part of the question is not
        # understood: it weighs like a rare word, not like the rarest possible one.
        self._idf_unknown = math.log((n + 1) / 2)

    # ------------------------------------------------------------ loading

    @classmethod
    def from_toml(cls, path: Path = FAQ_PATH) -> FaqCatalog:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        entries = []
        for raw in data["faq"]:
            entries.append(FaqEntry(
                id=str(raw["id"]),
                topic=str(raw["topic"]),
                source=str(raw["source"]),
                questions={lang: tuple(raw[f"q_{lang}"]) for lang in LANGS},
                keywords=tuple(raw.get("keywords", ())),
                answers={lang: str(raw[f"a_{lang}"]).strip() for lang in LANGS},
                min_months=raw.get("min_months"),
                max_months=raw.get("max_months"),
            ))
        return cls(entries)

    def _stems(self, text: str) -> list[str]:
        return content_stems(text, self.vocabulary)

    def _index_entry(self, entry: FaqEntry) -> _Indexed:
        strong: Counter[str] = Counter()
        grams: Counter[str] = Counter()
        phrases: list[tuple[str, ...]] = []
        for kw in entry.keywords:
            grams.update(char_grams(_meaningful(normalise_words(kw, self.vocabulary))))
            stems = tuple(self._stems(kw))
            strong.update(set(stems))
            if len(stems) > 1:
                phrases.append(stems)
        questions = [q for lang in LANGS for q in entry.questions[lang]]
        for q in questions:
            normalised = normalise_words(q, self.vocabulary)
            grams.update(char_grams(_meaningful(normalised)))
            q_kinds = question_kinds(q, normalised)
            strong.update(set(_content(normalised)) | {f"?{k}" for k in q_kinds})
        weak = {s for lang in LANGS for s in self._stems(entry.answers[lang])} - set(strong)
        texts = tuple(" ".join(self._stems(q)) for q in questions)
        return _Indexed(entry, strong, frozenset(weak), tuple(phrases), texts, grams)

    # ------------------------------------------------------------ access

    def get(self, entry_id: str) -> FaqEntry | None:
        return self._by_id.get(entry_id)

    def topics(self) -> list[str]:
        return list(dict.fromkeys(e.topic for e in self.entries))

    def by_topic(self, topic: str) -> list[FaqEntry]:
        return [e for e in self.entries if e.topic == topic]

    # ------------------------------------------------------------ matching

    def search(self, text: str, limit: int = 3) -> list[Match]:
        """Entries scored for `text`, best first (at most `limit`, only those scoring above zero)."""
        normalised = normalise_words(text, self.vocabulary)
        stems = _content(normalised)
        if not stems:
            return []
        kinds = question_kinds(text, normalised)
        months = extract_age_months(text)
        # The kind of question counts as a word (IDF-weighted like the others): "kenapa" meets "penyebab".
        query_set = list(dict.fromkeys([*stems, *(f"?{k}" for k in sorted(kinds))]))
        total = sum(self._idf.get(s, self._idf_unknown) for s in query_set)
        query_text = " ".join(query_set)
        query_vector = _unit({g: c * self._gram_idf.get(g, 0.0)
                              for g, c in char_grams(_meaningful(normalised)).items()})
        scored: list[Match] = []
        for item in self._index:
            covered = 0.0
            for s in query_set:
                weight = self._idf.get(s, self._idf_unknown)
                if s in item.strong:
                    # A word several of the entry's questions and keywords use is what the entry is about.
                    tf = item.strong[s]
                    covered += weight * (0.7 + 0.3 * tf / (tf + 1))
                elif s in item.weak:
                    covered += weight * ANSWER_WEIGHT
            coverage = covered / total if total else 0.0
            if coverage <= 0:
                continue
            phrase_hits = sum(1 for p in item.phrases if all(t in query_set for t in p))
            similarity = max((fuzz.token_set_ratio(query_text, q) for q in item.question_texts), default=0) / 100
            cosine = sum(w * item.vector.get(g, 0.0) for g, w in query_vector.items())
            score = 0.6 * coverage + 0.3 * similarity + 0.08 * min(phrase_hits, 2) + GRAM_WEIGHT * cosine
            covers = item.entry.covers_age(months) if months is not None else None
            if covers is True:
                score += 0.12
            elif covers is False:
                score -= 0.25
            scored.append(Match(item.entry, round(score, 4)))
        scored.sort(key=lambda m: m.score, reverse=True)
        return scored[:limit]

    def match(self, text: str, limit: int = 3) -> MatchResult:
        """Decide how sure we are: answer (with alternatives), suggest a few, or none."""
        matches = self.search(text, limit)
        if not matches or matches[0].score < SUGGEST_SCORE:
            return MatchResult(Confidence.NONE, ())
        top = matches[0].score
        if top >= ANSWER_SCORE:
            # The best is answered at once; the next ones, when worth it, are a tap away ("did you mean").
            others = tuple(m for m in matches[1:] if m.score >= SUGGEST_SCORE)
            return MatchResult(Confidence.ANSWER, tuple(matches[:1]), others)
        return MatchResult(Confidence.SUGGEST, tuple(m for m in matches if m.score >= SUGGEST_SCORE))


@cache
def load_catalog() -> FaqCatalog:
    """The catalog from content/faq.toml, loaded and indexed once per process."""
    return FaqCatalog.from_toml()


_EN_WORDS = frozenset(_words("""
the a an is are my what how when why should do does can i it to of for with baby child kid months
old she he her his eat food son daughter toddler weighs weight tall height
"""))
_ID_WORDS = frozenset(_words("""
yang apa bagaimana kenapa anak saya bayi tidak ga gak boleh sudah belum untuk dan bulan tahun makan
kok sih ya
"""))


def looks_english(text: str) -> bool:
    """Best effort: the question is written in English (answer it in English even if the user's language is id)."""
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) < 3:
        return False
    en = sum(w in _EN_WORDS for w in words)
    idn = sum(w in _ID_WORDS for w in words)
    return en >= 2 and en > 2 * idn
