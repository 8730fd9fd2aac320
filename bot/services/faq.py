"""Parents' questions in free text, matched to the curated catalog in content/faq.toml.

Matching (no model, no network, a few milliseconds per question):
1. normalise: lower case, repair reduplication (`naik2`), expand chat slang and common Javanese words
   (`gmn` -> bagaimana, `ora` -> tidak), pull out an age ("7 bln", "2 thn");
2. stem every word with Sastrawi (Indonesian affixes) plus a light English suffix strip, so that
   "ditimbang", "timbang" and "penimbangan" meet;
3. repair typos: a word the catalog does not know is replaced by the closest catalog word (rapidfuzz);
4. score each entry by the IDF-weighted share of the question's words found in the entry's questions and
   keywords (answers count a little), plus fuzzy similarity to the entry's questions, plus the ages the
   entry is about.
The caller answers directly when the best score is high and clearly ahead, offers the top few as buttons
when unsure, and says honestly that no answer fits otherwise.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
FAQ_PATH = CONTENT_DIR / "faq.toml"
LANGS = ("id", "en")

# Thresholds on the 0..~1.2 score (chosen on the development questions in tests/services/test_faq.py).
ANSWER_SCORE = 0.50  # at or above, and clearly ahead of the second: answer directly
ANSWER_MARGIN = 0.08
SUGGEST_SCORE = 0.32  # at or above: offer the top matches as buttons
TYPO_SCORE = 85  # rapidfuzz ratio for replacing an unknown word by a catalog word
ANSWER_WEIGHT = 0.35  # a word found only in an entry's answer counts this much

# Chat slang, abbreviations and common Javanese words -> standard Indonesian (one token or a phrase).
SLANG: dict[str, str] = {
    # pronouns, particles, question words
    "sy": "saya", "aku": "saya", "gw": "saya", "gue": "saya", "yg": "yang", "dgn": "dengan", "dg": "dengan",
    "utk": "untuk", "buat": "untuk", "dr": "dari", "krn": "karena", "karna": "karena", "jg": "juga",
    "sm": "sama", "trs": "terus", "trus": "terus", "tp": "tapi", "tapi": "tetapi", "pdhl": "padahal",
    "gmn": "bagaimana", "gimana": "bagaimana", "gmna": "bagaimana", "bgmn": "bagaimana", "gmana": "bagaimana",
    "piye": "bagaimana", "pripun": "bagaimana", "kepriye": "bagaimana",
    "knp": "kenapa", "napa": "kenapa", "ngapa": "kenapa", "ngopo": "kenapa", "kenopo": "kenapa",
    "apakah": "apa", "opo": "apa", "nopo": "apa", "kpn": "kapan", "kapn": "kapan", "brp": "berapa",
    "berapakah": "berapa", "pira": "berapa", "piro": "berapa", "sampe": "sampai", "ampe": "sampai",
    # negation, yes/no, modality
    "ga": "tidak", "gak": "tidak", "gk": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak",
    "engga": "tidak", "tdk": "tidak", "ndak": "tidak", "nda": "tidak", "ora": "tidak", "mboten": "tidak",
    "blm": "belum", "belom": "belum", "durung": "belum", "dereng": "belum",
    "udh": "sudah", "udah": "sudah", "dah": "sudah", "sdh": "sudah", "wis": "sudah", "uwis": "sudah",
    "sampun": "sudah", "blh": "boleh", "oleh": "boleh", "hrs": "harus", "kudu": "harus", "mesti": "harus",
    "bs": "bisa", "iso": "bisa", "saged": "bisa", "gelem": "mau", "emoh": "tidak mau", "pengen": "ingin",
    "bgt": "sekali", "banget": "sekali", "bnyk": "banyak", "akeh": "banyak", "dikit": "sedikit",
    "sithik": "sedikit", "titik": "sedikit", "kurang2": "kurang",
    # people
    "anakku": "anak", "anake": "anak", "bocah": "anak", "lare": "anak", "putra": "anak", "putri": "anak",
    "bayiku": "bayi", "baby": "bayi", "dedek": "bayi", "adek": "bayi", "bojo": "suami", "bojoku": "suami",
    "bapake": "bapak", "ibune": "ibu", "mbok": "ibu",
    # body and growth
    "bb": "berat badan", "tb": "tinggi badan", "pb": "panjang badan", "bobot": "berat", "abot": "berat",
    "cilik": "kecil", "cendek": "pendek", "pendhek": "pendek", "dhuwur": "tinggi", "duwur": "tinggi",
    "kuru": "kurus", "gering": "kurus", "lemu": "gemuk", "ndut": "gendut", "lara": "sakit", "loro": "sakit",
    "mumet": "pusing", "anget": "demam", "sumeng": "demam", "meriang": "demam",
    "tinggine": "tinggi", "berate": "berat", "awake": "badan",
    # time and age
    "ngomong": "bicara", "ngomongnya": "bicara", "ngobrol": "bicara", "omong": "bicara", "guneman": "bicara",
    "mlaku": "jalan", "mlampah": "jalan", "nimbang": "timbang", "cepet": "cepat", "lemes": "lemas",
    "bln": "bulan", "bl": "bulan", "sasi": "bulan", "thn": "tahun", "th": "tahun", "taun": "tahun",
    "tahunan": "tahun", "minggu2": "minggu", "hr": "hari", "dino": "hari", "semalem": "semalam",
    # food and feeding
    "mkn": "makan", "maem": "makan", "mamam": "makan", "mangan": "makan", "dahar": "makan",
    "ngombe": "minum", "mimik": "menyusui", "nenen": "menyusui", "netek": "menyusui", "nyusu": "menyusui",
    "nyusuin": "menyusui", "menyusu": "menyusui", "disusui": "menyusui", "nyusui": "menyusui",
    "neteki": "menyusui", "breastfeed": "menyusui", "breastfeeding": "menyusui",
    "asip": "asi perah", "sufor": "susu formula", "skm": "susu kental manis", "mpasi": "mpasi",
    "vit": "vitamin", "imun": "imunisasi", "imunisasih": "imunisasi", "vaksin": "imunisasi",
    "suntik": "imunisasi", "disuntik": "imunisasi", "kb": "kb",
    "pup": "buang air besar", "bab": "buang air besar", "berak": "buang air besar", "ngising": "buang air besar",
}

# Words whose Sastrawi stem would collide with an unrelated topic ("keturunan" -> "turun" as in "berat turun").
NO_STEM = frozenset({"keturunan", "menyusui", "kental", "pendek", "lemas", "panas", "bengkak", "bulan",
                     "tahun", "jamban", "imunisasi", "kulkas", "mencret", "lembek", "lembik"})

def _words(text: str) -> list[str]:
    return text.split()


# Words that carry no topic (Indonesian, Javanese, English); IDF would down-weight most of them anyway.
STOPWORDS = frozenset(_words("""
yang dan di ke dari itu ini hari apa ya sih kok dong deh nih tuh lah kah pun saja aja juga sama ada
adalah bu bun bunda ibu kak kakak mbak mas pak bapak dok bidan kader min admin halo hai
assalamualaikum saya kami kita dia nya mereka untuk dengan atau tetapi tapi kalau kalo klo jika bila
agar supaya biar sudah belum masih lagi akan sedang mau ingin bisa boleh harus perlu apakah gimana
bagaimana kenapa mengapa berapa kapan mana siapa banget sekali sangat tolong mohon minta tanya nanya
terima kasih makasih yo wae kuwi iki niku menika lho to the a an is are am be of for and or my our
your i we you it this that what how when why which do does did should can could will would with in
on at by me she he her his they there has have had
"""))

_WORD = re.compile(r"[a-z0-9]+(?:/[a-z]+)?")
_REDUP = re.compile(r"\b([a-z]{3,})(?:2|-\1)\b")
_AGE = re.compile(
    r"\b(\d{1,2})(?:[.,](\d))?\s*(bulan|bln|bl|bulanan|month|months|mo|mos|m|tahun|thn|th|taun|years?|yrs?|y)\b")


class Confidence(StrEnum):
    ANSWER = "answer"  # one entry fits clearly
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

    @property
    def best(self) -> FaqEntry | None:
        return self.matches[0].entry if self.matches else None


@dataclass
class _Indexed:
    entry: FaqEntry
    strong: frozenset[str]  # stems of questions and keywords
    weak: frozenset[str]  # stems of the answers only
    phrases: tuple[tuple[str, ...], ...]  # multi-word keywords, stemmed
    question_texts: tuple[str, ...]  # normalised questions for fuzzy similarity
    extra: dict[str, float] = field(default_factory=dict)


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
    m = _AGE.search(lowered)
    if not m:
        return None
    whole, tenth, unit = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if unit.startswith(("t", "y")):
        return int((whole + tenth / 10) * 12)
    return whole


def normalise_words(text: str) -> list[str]:
    """Lower-case words with slang expanded and reduplication removed (not yet stemmed, stop words kept)."""
    lowered = _REDUP.sub(r"\1", text.lower().replace("’", "'"))
    words: list[str] = []
    for raw in _WORD.findall(lowered):
        expansion = SLANG.get(raw)
        if expansion is not None:
            words.extend(expansion.split())
        else:
            words.append(raw)
    return words


# Ages are scored through `extract_age_months`, so numbers and age units are not words to match on (else
# "anak 4 tahun ..." would pull every entry that mentions years).
_AGE_WORDS = frozenset({"bulan", "tahun", "month", "months", "year", "years", "umur", "usia", "age", "old"})


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning."""
    return [stem(w) for w in normalise_words(text)
            if w not in STOPWORDS and w not in _AGE_WORDS and len(w) > 1 and not w.isdigit()]


class FaqCatalog:
    """The catalog plus its search index. Build once (`load_catalog()` caches it) and share."""

    def __init__(self, entries: list[FaqEntry]) -> None:
        ids = [e.id for e in entries]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate FAQ ids")
        self.entries = entries
        self._by_id = {e.id: e for e in entries}
        self._index = [self._index_entry(e) for e in entries]
        df: dict[str, int] = {}
        for item in self._index:
            for s in item.strong:
                df[s] = df.get(s, 0) + 1
        n = len(entries)
        self._idf = {s: math.log((n + 1) / (d + 0.5)) for s, d in df.items()}
        self._idf_unknown = math.log((n + 1) / 0.5)
        self._vocabulary = sorted(set(df) | {s for item in self._index for s in item.weak})

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

    @staticmethod
    def _index_entry(entry: FaqEntry) -> _Indexed:
        strong: set[str] = set()
        phrases: list[tuple[str, ...]] = []
        for kw in entry.keywords:
            stems = tuple(content_stems(kw))
            strong.update(stems)
            if len(stems) > 1:
                phrases.append(stems)
        questions = [q for lang in LANGS for q in entry.questions[lang]]
        for q in questions:
            strong.update(content_stems(q))
        weak = {s for lang in LANGS for s in content_stems(entry.answers[lang])} - strong
        texts = tuple(" ".join(content_stems(q)) for q in questions)
        return _Indexed(entry, frozenset(strong), frozenset(weak), tuple(phrases), texts)

    # ------------------------------------------------------------ access

    def get(self, entry_id: str) -> FaqEntry | None:
        return self._by_id.get(entry_id)

    def topics(self) -> list[str]:
        return list(dict.fromkeys(e.topic for e in self.entries))

    def by_topic(self, topic: str) -> list[FaqEntry]:
        return [e for e in self.entries if e.topic == topic]

    # ------------------------------------------------------------ matching

    def _repair(self, stems: list[str]) -> list[str]:
        """Replace words the catalog doesn't know by the closest catalog word, when close enough."""
        known = self._idf.keys()
        out = []
        for s in stems:
            if s in known or len(s) < 4 or s.isdigit():
                out.append(s)
                continue
            hit = process.extractOne(s, self._vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE)
            out.append(hit[0] if hit else s)
        return out

    def search(self, text: str, limit: int = 3) -> list[Match]:
        """Entries scored for `text`, best first (at most `limit`, only those scoring above zero)."""
        stems = self._repair(content_stems(text))
        if not stems:
            return []
        months = extract_age_months(text)
        query_set = list(dict.fromkeys(stems))
        total = sum(self._idf.get(s, self._idf_unknown) for s in query_set)
        query_text = " ".join(query_set)
        scored: list[Match] = []
        for item in self._index:
            covered = 0.0
            for s in query_set:
                weight = self._idf.get(s, self._idf_unknown)
                if s in item.strong:
                    covered += weight
                elif s in item.weak:
                    covered += weight * ANSWER_WEIGHT
            coverage = covered / total if total else 0.0
            phrase_hits = sum(1 for p in item.phrases if all(t in query_set for t in p))
            similarity = max((fuzz.token_set_ratio(query_text, q) for q in item.question_texts), default=0) / 100
            score = 0.6 * coverage + 0.3 * similarity + 0.08 * min(phrase_hits, 2)
            if months is not None:
                covers = item.entry.covers_age(months)
                if covers is True:
                    score += 0.12
                elif covers is False:
                    score -= 0.25
            if coverage > 0:
                scored.append(Match(item.entry, round(score, 4)))
        scored.sort(key=lambda m: m.score, reverse=True)
        return scored[:limit]

    def match(self, text: str, limit: int = 3) -> MatchResult:
        """Decide how sure we are: answer, suggest a few, or none."""
        matches = self.search(text, limit)
        if not matches or matches[0].score < SUGGEST_SCORE:
            return MatchResult(Confidence.NONE, ())
        top = matches[0].score
        second = matches[1].score if len(matches) > 1 else 0.0
        if top >= ANSWER_SCORE and top - second >= ANSWER_MARGIN:
            return MatchResult(Confidence.ANSWER, tuple(matches[:1]))
        return MatchResult(Confidence.SUGGEST, tuple(m for m in matches if m.score >= SUGGEST_SCORE))


@cache
def load_catalog() -> FaqCatalog:
    """The catalog from content/faq.toml, loaded and indexed once per process."""
    return FaqCatalog.from_toml()


_EN_WORDS = frozenset(_words("""
the a an is are my what how when why should do does can i it to of for with baby child kid months
old she he her his eat food
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
