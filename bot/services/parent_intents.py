"""What a parent's message is: small talk, a question about their own child, numbers to score, a wish to
ask a person, or a general question for the FAQ catalog. Pure (text in, route out): the handler and the
benchmark (benchmarks/faq.py) ask the same function.

Rules, in order (the first that holds wins):
1. small talk: nothing but thanks, greetings or "ok" (with fillers like "bu", "ya", "infonya");
2. ask a person: "tanya bidan", "ngobrol sama kader", "talk to a midwife";
3. numbers to score: a weight or length typed with an age, or about "my child" ("2 thn 9 kilo");
4. what a child should weigh or measure: "harusnya", "ideal", "should" with a measure and an age or "my child";
5. the posyandu's date or place: "posyandu" with kapan / jadwal / tanggal / di mana / next, unless it asks
   what happens there or why to go;
6. the child's next vaccines: immunisation with "my child" and "berikutnya / apa lagi / belum";
7. the child's age: "umur anak saya berapa" and nothing else;
8. the child's status: "my child" with normal / stunting / kurus / hasil timbang, unless it asks how to or why;
otherwise the FAQ. "My child" is read from the words as typed ("anak saya", "anakku", "my son").
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from bot.services.faq import STOPWORDS, normalise_words


class Intent(StrEnum):
    THANKS = "thanks"
    GREETING = "greeting"
    ACK = "ack"  # "ok", "siap", "insyaallah": an answer to a message, nothing to answer
    ASK_PERSON = "ask_person"
    SCORE = "score"
    EXPECTED = "expected"
    SCHEDULE = "schedule"
    IMMUNISATION_DUE = "immunisation_due"
    AGE = "age"
    STATUS = "status"


SMALL_TALK = frozenset({Intent.THANKS, Intent.GREETING, Intent.ACK})
# Answered from the linked child's data (the others need no child, or a person).
ABOUT_CHILD = frozenset({Intent.SCHEDULE, Intent.IMMUNISATION_DUE, Intent.AGE, Intent.STATUS})


class Measure(StrEnum):
    WEIGHT = "weight"
    HEIGHT = "height"


@dataclass(frozen=True)
class Numbers:
    """Values typed in the question. Ages in days (as the growth engine takes them)."""

    age_days: int | None = None
    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    sex: str | None = None  # "M" / "F" when the question says so
    measures: frozenset[Measure] = frozenset()  # what the question is about (for "what should it be")


@dataclass(frozen=True)
class Route:
    intent: Intent | None  # None: a general question, for the FAQ catalog
    numbers: Numbers
    own_child: bool  # the question is about the parent's own child


# ------------------------------------------------------------------ small talk


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_THANKS = _words("""
terima kasih makasih makasi mksh mksih trims tq thx ty matur nuwun suwun hatur nuhun thank thanks
""")
_GREETING = _words("""
halo hallo helo hello hai hi hey pagi siang sore malam selamat assalamualaikum assalamu alaikum
asalamualaikum asslm ass salam permisi punten sampurasun morning afternoon evening good wr wb
warahmatullahi wabarakatuh
""")
_ACK = _words("""
ok oke okey okay okeh siap baik sip sipp iya iyaa ya yaa nggih injih muhun yes noted mantap
insyaallah insya allah amin aamiin alhamdulillah paham mengerti ngerti
""")
_FILLERS = _words("""
bu bun bunda ibu kak kakak mbak dok dokter bidan kader min admin pak bapak ya yah nya infonya
jawabannya penjelasannya info jawaban penjelasan sanget pisan sekali banyak so much a lot very all
semua semuanya juga atas untuk sama sama2 kembali lagi deh dong nih ini itu the for you your
everyone teman tim
""")


def _small_talk(raw: list[str]) -> Intent | None:
    """The message is only thanks / a greeting / "ok" (plus fillers)."""
    if not raw:
        return None
    words = set(raw)
    if not words <= (_THANKS | _GREETING | _ACK | _FILLERS):
        return None
    if words & _THANKS:
        return Intent.THANKS
    if words & _GREETING:
        return Intent.GREETING
    if words & _ACK:
        return Intent.ACK
    return None


# ------------------------------------------------------------------ "my child"

_OWN = re.compile(
    r"\b(?:anak|bayi|bocah|budak|putra|putri|dedek|adek|baby)\s*(?:nya\s+)?(?:ku|q|saya|sy|sya|aku|ak|gue|gua|gw|"
    r"abdi|kulo|kula|aye|kami|kita)\b"
    r"|\b(?:anakku|anakq|anake|anakke|bayiku|putraku|putriku|budakna)\b"
    r"|\b(?:my|our)\s+(?:\w+\s+)?(?:child|children|son|daughter|baby|kid|kids|toddler|girl|boy|little one)\b")

# ------------------------------------------------------------------ numbers

_NUM = r"(\d{1,4}(?:[.,]\d{1,3})?)"
_WEIGHT_UNIT = re.compile(_NUM + r"\s*(kg|kilo|kilogram|kgs|kilos|gram|gr|g|ons)\b")
_WEIGHT_WORD = re.compile(r"\b(?:berat(?:nya|e)?|bb|bobot(?:e)?|weighs?|weight|beurat(?:na)?)\b\D{0,15}?" + _NUM
                          + r"(?!\s*(?:cm|senti|bulan|bln|thn|tahun|th|month|year))")
_LENGTH_UNIT = re.compile(_NUM + r"\s*(cm|senti|centi|sentimeter|centimeter|centimetre)\b")
_LENGTH_WORD = re.compile(r"\b(?:tinggi(?:nya|ne)?|tb|pb|panjang(?:nya)?|height|tall|length|dhuwur(?:e)?|"
                          r"jangkung(?:na)?)\b\D{0,15}?" + _NUM
                          + r"(?!\s*(?:kg|kilo|bulan|bln|thn|tahun|th|month|year|gram|gr))")
_NOT_LENGTH = re.compile(r"\b(?:lila|lingkar|lengan|muac|arm|kepala|head)\b")
_AGE = re.compile(_NUM + r"\s*(bulan|bln|bl|month|months|mo|mos|m|tahun|thn|th|taun|taon|year|years|yr|yrs|y|yo)"
                  r"\b(?:\s*(?:old)?\s*(?:dan\s+|and\s+|,\s*)?(\d{1,2})\s*(bulan|bln|bl|month|months|mo|m)\b)?")
_AGE_WORDS = re.compile(r"\b(setahun|sataun)\b")
_PREGNANCY = re.compile(r"\b(hamil|kandungan|kehamilan|pregnant|pregnancy|meteng|reuneuh)\b")
_SEX_M = re.compile(r"\b(laki|laki2|laki-laki|lelaki|cowok|cowo|lanang|son|boy|he|his|him|putra)\b")
_SEX_F = re.compile(r"\b(perempuan|cewek|cewe|wadon|daughter|girl|she|her|putri|istri)\b")
DAYS_PER_MONTH = 30.4375  # WHO anthro's month (bot.growth.models.DAYS_PER_MONTH)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _weight(text: str) -> Decimal | None:
    m = _WEIGHT_UNIT.search(text)
    if m is not None:
        value = _decimal(m.group(1))
        unit = m.group(2)
        if value is None:
            return None
        if unit in ("gram", "gr", "g"):
            value = value / 1000
        elif unit == "ons":
            value = value / 10
        return value if Decimal("0.5") <= value <= Decimal(60) else None
    m = _WEIGHT_WORD.search(text)
    if m is not None:
        value = _decimal(m.group(1))
        if value is not None and Decimal(1) <= value <= Decimal(40):
            return value
    return None


def _length(text: str) -> Decimal | None:
    for pattern in (_LENGTH_UNIT, _LENGTH_WORD):
        m = pattern.search(text)
        if m is None:
            continue
        before = text[max(0, m.start() - 25):m.start()]
        if _NOT_LENGTH.search(before) or _NOT_LENGTH.search(m.group(0)):
            continue  # an arm or head circumference, not a length
        value = _decimal(m.group(1))
        if value is not None and Decimal(40) <= value <= Decimal(130):
            return value
    return None


def _age_days(text: str) -> int | None:
    if _PREGNANCY.search(text):
        return None  # "hamil 5 bulan" is the pregnancy
    m = _AGE.search(text)
    if m is None:
        return 365 if _AGE_WORDS.search(text) else None
    value = _decimal(m.group(1))
    if value is None:
        return None
    unit = m.group(2)
    months = value * 12 if unit.startswith(("t", "y")) else value
    if m.group(3):
        months += Decimal(m.group(3))
    if months > 72:
        return None
    # Up to the day the age is reached ("2 tahun" is day 731, when WHO measures height standing).
    return math.ceil(months * Decimal(str(DAYS_PER_MONTH)))


def read_numbers(text: str) -> Numbers:
    """Age, weight, length and sex typed in a question ("anak sy 2 thn 9 kilo", "my son is 10 months, 7.5 kg")."""
    lowered = re.sub(r"(\d)([a-z])", r"\1 \2", text.lower())  # "9kg", "2thn"
    measures: set[Measure] = set()
    if re.search(r"\b(berat|bb|bobot|weigh|weighs|weight|beurat|gemuk|kurus|kilo|kg)\b", lowered):
        measures.add(Measure.WEIGHT)
    if re.search(r"\b(tinggi|tingginya|tb|pb|panjang|height|tall|length|pendek|dhuwur|jangkung)\b", lowered):
        measures.add(Measure.HEIGHT)
    sex = "F" if _SEX_F.search(lowered) else "M" if _SEX_M.search(lowered) else None
    return Numbers(age_days=_age_days(lowered), weight_kg=_weight(lowered), length_cm=_length(lowered), sex=sex,
                   measures=frozenset(measures))


# ------------------------------------------------------------------ the other intents

_PERSON = re.compile(
    r"\b(?:tanya|nanya|tanyain|ngobrol|bicara|ngomong|konsultasi|konsul|chat|hubungi|kontak|curhat|ask|talk|speak|"
    r"contact)\b.{0,30}\b(?:bidan|kader|petugas|dokter|nakes|orang|manusia|bu\s+bidan|midwife|cadre|nurse|doctor|"
    r"person|someone|human|health\s+worker)\b"
    r"|\btanya\s+(?:kader|bidan)\b")
_SHOULD = re.compile(r"\b(harusnya|seharusnya|sehrsnya|hrsnya|idealnya|ideal|normalnya|standar(?:nya)?|"
                     r"standard|should|kudune|kuduna|mestinya|semestinya|rata2|rata-rata|average)\b")
_POSYANDU = re.compile(r"\bposyandu\b|\bpenimbangan\b|\btimbangan\b")
_WHEN_WHERE = re.compile(r"\b(kapan|kpn|jadwal|jdwl|tanggal|tgl|jam|buka|dimana|di\s*mana|dmn|mana|tempat(?:nya)?|"
                         r"lokasi|alamat|when|where|next|berikutnya|selanjutnya|iraha|ngendi|pundi|besok|minggu\s+ini|"
                         r"bulan\s+ini|bulan\s+depan|hari\s+apa)\b")
_POSYANDU_GENERAL = re.compile(r"\b(bawa|dibawa|layanan|dapat|dapet|dapat\s+apa|ngapain|wajib|harus|hrs|perlu|tiap|"
                               r"setiap|kenapa|knp|mengapa|why|what\s+happens|bring|manfaat|apa\s+itu|apa\s+aja|"
                               r"apa\s+saja|gunanya)\b")
_IMMUNISATION = re.compile(r"\b(imunisasi|imunisasinya|imun|vaksin|vaksinnya|vaksinasi|suntik|vaccine|vaccines|"
                           r"shots|immuni[sz]ation)\b")
_NEXT = re.compile(r"\b(berikutnya|selanjutnya|apa\s+lagi|apalagi|belum|blm|kurang|next|due|sekarang|skrg|"
                   r"bulan\s+ini|yang\s+mana|yg\s+mana|harus\s+apa|hrs\s+apa|still\s+need)\b")
_IMMUNISATION_GENERAL = re.compile(r"\b(ulang|diulang|ngulang|telat|terlambat|ketinggalan|lupa|aman|halal|demam|panas|"
                                   r"bengkak|efek|kipi|sakit|pilek|batuk|safe|fever)\b")
_AGE_Q = re.compile(r"\b(umur|usia|umure|umurnya|usianya|yuswa|age|old)\b")
_HOW_MANY = re.compile(r"\b(berapa|brp|brapa|piro|pinten|sabaraha|berape|how)\b")
_STATUS = re.compile(r"\b(normal|sehat|stunting|stunted|stanting|pendek|kurus|gemuk|gizi|hasil|hasilnya|status|"
                     r"timbang|timbangan|ditimbang|ok|okay|fine|baik|bagus|gimana|gmn|bagaimana|how)\b")
_STATUS_MEASURE = re.compile(r"\b(berat|beratnya|bb|tinggi|tingginya|tb|pb|panjang|badan|weight|height|"
                             r"growth|pertumbuhan|perkembangan|timbangan|hasil|hasilnya|status|gizi|stunting|"
                             r"stunted|kurus|gemuk|pendek)\b")
# A how-to or why question is general, even about one's own child ("anak saya pendek, bisa dikejar?").
_GENERAL = re.compile(r"\b(cara|caranya|carane|supaya|biar|agar|cegah|mencegah|kejar|dikejar|sembuh|disembuhkan|"
                      r"penyebab|sebab|kenapa|knp|mengapa|why|makan|maem|mpasi|asi|susu|menu|obat|vitamin|boleh|"
                      r"blh|imunisasi|vaksin|demam|batuk|diare|mencret|cacing|arti|artinya|maksud|maksudnya|bgm|2t|"
                      r"lila|keturunan|turunan|genetik|genetic|because|karena|krn|soalnya|ditulis|kms|grafik|chart|"
                      r"mean|means|bahaya|bahayakah|berbahaya|danger|dangerous|harus|hrs|kudu|kedah|sebaiknya|"
                      r"what\s+(?:should|do|can)\s+i\s+do)\b")


def route(text: str, names: Collection[str] = ()) -> Route:
    """Which way a parent's message goes (see the module docstring for the rules). `names`: first names of the
    parent's linked children, lower case ("umur budi berapa" is about one's own child too)."""
    lowered = text.lower()
    raw = re.findall(r"[a-z0-9]+", lowered)
    numbers = read_numbers(text)
    named = set(names) & set(raw)
    own = bool(_OWN.search(lowered)) or bool(named)

    def to(intent: Intent | None) -> Route:
        return Route(intent=intent, numbers=numbers, own_child=own)

    chat = _small_talk(raw)
    if chat is not None:
        return to(chat)
    if _PERSON.search(lowered):
        return to(Intent.ASK_PERSON)
    measured = numbers.weight_kg is not None or numbers.length_cm is not None
    if measured and (numbers.age_days is not None or own):
        return to(Intent.SCORE)
    if (not measured and numbers.measures and _SHOULD.search(lowered) and (numbers.age_days is not None or own)
            and not _GENERAL.search(lowered)):
        return to(Intent.EXPECTED)
    if _POSYANDU.search(lowered) and _WHEN_WHERE.search(lowered) and not _POSYANDU_GENERAL.search(lowered):
        return to(Intent.SCHEDULE)
    if own and _IMMUNISATION.search(lowered) and _NEXT.search(lowered) and not _IMMUNISATION_GENERAL.search(lowered):
        return to(Intent.IMMUNISATION_DUE)
    if own and _AGE_Q.search(lowered) and _HOW_MANY.search(lowered) and _only_about_age(text, named):
        return to(Intent.AGE)
    if own and _STATUS.search(lowered) and _STATUS_MEASURE.search(lowered) and not _GENERAL.search(lowered):
        return to(Intent.STATUS)
    return to(None)


_AGE_ONLY = _words("""
anak bayi umur usia sekarang berapa old age how is now
""")


def _only_about_age(text: str, names: Collection[str] = ()) -> bool:
    """Nothing but the child, its age and the question ("umur anak saya berapa ya bu")."""
    return all(w in STOPWORDS or w in _AGE_ONLY or w in names or w.isdigit()
               for w in normalise_words(text))


def mentioned_name(text: str, names: dict[int, str]) -> int | None:
    """The id of the child whose first name the text mentions (one only), from {child_id: first name}."""
    lowered = set(re.findall(r"[a-z]+", text.lower()))
    hits = [cid for cid, name in names.items() if name and name.lower() in lowered]
    return hits[0] if len(hits) == 1 else None


__all__ = ["ABOUT_CHILD", "SMALL_TALK", "Intent", "Measure", "Numbers", "Route", "mentioned_name", "read_numbers",
           "route"]
