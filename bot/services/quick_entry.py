"""Parser of the one-line quick entry (`/catat A12 10,5 82 berbaring`, `/catat A12 bb 10,5 tb 82 tgl 3/12`), and of
the services given at the same visit (`vita`, `cacing`, `pmt`, `pmt:14`, `imun:campak`, `imun:mr,ipv`; issue 14).

Pure: text and today's date in, a `QuickEntry` or a `QuickEntryError` out. Keywords may come in any order and
may stick to their number (`bb10,5`, `bb=10,5`, `82cm`); numbers without a keyword are weight, then length.
Validation against the child (age, plausibility) is the measurement service's job, so `/catat` and `/ukur`
answer bad values the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from bot.growth.child_services import read_vaccine
from bot.i18n import ParseError, parse_date, parse_decimal
from storage.values import normalise_child_code

Field = Literal["weight", "length", "muac", "head"]
PositionWord = Literal["lying", "standing"]

# Words cadres write for each measure. Single letters are left out on purpose: "b" could be berat or baring.
KEYWORDS: dict[str, Field] = {
    "bb": "weight", "berat": "weight", "w": "weight", "wt": "weight", "weight": "weight",
    "tb": "length", "pb": "length", "tinggi": "length", "panjang": "length", "height": "length",
    "length": "length", "ht": "length",
    "lila": "muac", "lla": "muac", "muac": "muac",
    "lk": "head", "kepala": "head", "hc": "head", "head": "head",
}
POSITIONS: dict[str, PositionWord] = {
    "berbaring": "lying", "baring": "lying", "terlentang": "lying", "telentang": "lying", "lying": "lying",
    "tidur": "lying", "berdiri": "standing", "diri": "standing", "standing": "standing",
}
OEDEMA_WORDS = {"edema", "oedema", "udem", "udema", "bengkak"}
DATE_WORDS = {"tgl", "tanggal", "tgl.", "date", "pada"}
# A unit tells which measure an unlabeled number is ("10,5kg" is a weight even after the length).
UNITS: dict[str, Field] = {"kg": "weight", "kilo": "weight", "cm": "length"}
# Numbers written as words: we cannot read them, but we can say so precisely.
NUMBER_WORDS = {
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas",
    "belas", "puluh", "ratus", "seratus", "koma", "setengah", "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve",
}
_NUMBER_WITH_UNIT = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)(kg|kilo|cm|g|gr|gram)?\.?$")
_KEYWORD_STUCK = re.compile(r"^([a-z]+)[:=]?([+-]?\d.*)$")
_DATE_LIKE = re.compile(r"^\d{1,2}[/\-]\d{1,2}(?:[/\-]\d{2,4})?$|^\d{4}-\d{1,2}-\d{1,2}$")
MAX_LENGTH = 300  # a longer line is a paste by mistake, not a quick entry
# Services given at the visit (issue 14). The capsule and the tablet follow from the child's age on the day.
VITAMIN_A_WORDS = {"vita", "vit.a", "vitamina", "vitamin_a", "vit_a", "vitamin-a", "kapsul"}
DEWORMING_WORDS = {"cacing", "obatcacing", "obat_cacing", "albendazol", "albendazole", "worm"}
PMT_WORD = "pmt"
VACCINE_WORDS = {"imun", "imunisasi", "vaksin", "imm"}
_SERVICE_STUCK = re.compile(r"^(imun|imunisasi|vaksin|imm|pmt)[:=](.+)$")
MAX_PMT = 365


class QuickEntryError(ValueError):
    """Why a line cannot be read. `code` picks the message; `token` and `field` say where."""

    def __init__(self, code: str, token: str = "", field: str | None = None) -> None:
        super().__init__(f"{code}: {token!r}")
        self.code = code
        self.token = token
        self.field = field


ServiceKindWord = Literal["vitamin_a", "deworming", "pmt", "immunisation"]


@dataclass(frozen=True)
class ServiceWord:
    """A service written on the line: vitamin A, deworming, PMT (days or packages), or a vaccine (antigen and
    optionally its dose number: `imun:mr2`)."""

    kind: ServiceKindWord
    antigen: str | None = None
    number: int | None = None
    quantity: int | None = None


@dataclass(frozen=True)
class QuickEntry:
    code: str
    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    position: PositionWord | None = None  # None: the service picks by age (lying under 2 years)
    muac_cm: Decimal | None = None
    head_cm: Decimal | None = None
    oedema: bool = False
    measured_on: dt.date | None = None  # None: today
    fields_given: tuple[str, ...] = field(default=())
    services: tuple[ServiceWord, ...] = field(default=())

    @property
    def measured(self) -> bool:
        return self.weight_kg is not None or self.length_cm is not None


def _number(token: str) -> tuple[Decimal, Field | None] | None:
    """`10,5` -> (10.5, None); `82cm` -> (82, "length"); `10,5kg` -> (10.5, "weight"); else None."""
    m = _NUMBER_WITH_UNIT.match(token)
    if not m:
        return None
    try:
        value = parse_decimal(m.group(1))
    except ParseError:
        return None
    unit = m.group(2)
    if unit in ("g", "gr", "gram"):
        return value / 1000, "weight"
    return value, UNITS.get(unit) if unit else None


def parse_quick_entry(text: str, today: dt.date) -> QuickEntry:
    """Read `A12 10,5 82 berbaring lila 13 tgl 3/12` (the text after `/catat`)."""
    if len(text) > MAX_LENGTH:
        raise QuickEntryError("too_long")
    tokens = text.replace(";", " ").split()
    if not tokens:
        raise QuickEntryError("empty")
    if len(tokens) > 1 and tokens[0].isalpha() and len(tokens[0]) <= 3 and tokens[1].isdigit():
        tokens = [tokens[0] + tokens[1], *tokens[2:]]  # "A 12": a code typed with a space
    code = normalise_child_code(tokens[0])
    if code is None:
        raise QuickEntryError("bad_code", tokens[0][:20])
    values: dict[Field, Decimal] = {}
    position: PositionWord | None = None
    oedema = False
    measured_on: dt.date | None = None
    pending: Field | None = None  # a keyword waiting for its number
    last_unlabeled: Field | None = None  # where the previous bare number went (for a separate unit: "10,5 kg")

    def put(target: Field, value: Decimal, token: str) -> None:
        if target in values:
            raise QuickEntryError("duplicate", token, target)
        values[target] = value

    services: list[ServiceWord] = []

    def vaccines(text: str, raw: str) -> None:
        for word in (w for w in text.split(",") if w):
            found = read_vaccine(word)
            if found is None:
                raise QuickEntryError("unknown_vaccine", word[:30])
            services.append(ServiceWord("immunisation", antigen=found[0], number=found[1]))

    i = 1
    while i < len(tokens):
        raw = tokens[i]
        tok = raw.casefold().strip(",")
        i += 1
        if not tok:
            continue
        if tok in VITAMIN_A_WORDS:
            services.append(ServiceWord("vitamin_a"))
            continue
        if tok in DEWORMING_WORDS:
            services.append(ServiceWord("deworming"))
            continue
        if tok == PMT_WORD:
            services.append(ServiceWord("pmt"))
            continue
        if tok in VACCINE_WORDS:  # "imun campak": the vaccine is the next word
            if i >= len(tokens):
                raise QuickEntryError("unknown_vaccine", raw)
            vaccines(tokens[i].casefold(), tokens[i])
            i += 1
            continue
        service = _SERVICE_STUCK.match(tok)
        if service is not None:
            if service.group(1) == PMT_WORD:
                amount = service.group(2)
                if not amount.isdigit() or not 1 <= int(amount) <= MAX_PMT:
                    raise QuickEntryError("bad_quantity", raw)
                services.append(ServiceWord("pmt", quantity=int(amount)))
            else:
                vaccines(service.group(2), raw)
            continue
        if tok in DATE_WORDS:
            if measured_on is not None:
                raise QuickEntryError("duplicate", raw, "date")
            # A date may take up to three words ("3 des 2024"); take the longest that reads as a date.
            for width in (3, 2, 1):
                chunk = " ".join(tokens[i:i + width])
                if len(tokens[i:i + width]) < width:
                    continue
                if width == 3 and not re.fullmatch(r"\d{4}", tokens[i + 2]):
                    continue  # "3 des 10" is 3 December and a weight of 10, not 3 December 2010
                try:
                    measured_on = parse_date(chunk, today)
                except ParseError:
                    continue
                i += width
                break
            else:
                raise QuickEntryError("bad_date", " ".join(tokens[i:i + 2])[:30] or raw)
            continue
        if tok in ("kemarin", "yesterday") or _DATE_LIKE.match(tok):
            if measured_on is not None:
                raise QuickEntryError("duplicate", raw, "date")
            try:
                measured_on = parse_date(tok, today)
            except ParseError:
                raise QuickEntryError("bad_date", raw) from None
            continue
        if tok in POSITIONS:
            if position is not None and position != POSITIONS[tok]:
                raise QuickEntryError("duplicate", raw, "position")
            position = POSITIONS[tok]
            continue
        if tok in OEDEMA_WORDS:
            oedema = True
            continue
        if tok in UNITS or tok in ("g", "gr", "gram"):
            # A unit written apart from its number ("10,5 kg"): it only confirms what came before.
            if last_unlabeled is None and pending is None:
                raise QuickEntryError("unit_without_number", raw)
            continue
        if tok in KEYWORDS:
            if pending is not None:
                raise QuickEntryError("missing_value", raw, pending)
            pending = KEYWORDS[tok]
            last_unlabeled = None
            continue
        stuck = _KEYWORD_STUCK.match(tok)
        if stuck and stuck.group(1) in KEYWORDS:
            number = _number(stuck.group(2))
            if number is None:
                raise QuickEntryError("not_a_number", raw, KEYWORDS[stuck.group(1)])
            put(KEYWORDS[stuck.group(1)], number[0], raw)
            continue
        number = _number(tok)
        if number is not None:
            value, unit_field = number
            if pending is not None:
                put(pending, value, raw)
                pending = None
            elif unit_field is not None:
                put(unit_field, value, raw)
                last_unlabeled = unit_field
            else:
                target: Field | None = next((f for f in ("weight", "length") if f not in values), None)
                if target is None:
                    raise QuickEntryError("too_many_numbers", raw)
                put(target, value, raw)
                last_unlabeled = target
            continue
        if tok in NUMBER_WORDS:
            raise QuickEntryError("number_word", raw, pending)
        raise QuickEntryError("unknown_word", raw[:30], pending)
    if pending is not None:
        raise QuickEntryError("missing_value", "", pending)
    if "weight" not in values and "length" not in values and not services:
        raise QuickEntryError("nothing_measured")
    return QuickEntry(
        code=code,
        weight_kg=values.get("weight"),
        length_cm=values.get("length"),
        position=position,
        muac_cm=values.get("muac"),
        head_cm=values.get("head"),
        oedema=oedema,
        measured_on=measured_on,
        fields_given=tuple(sorted(values)),
        services=tuple(services),
    )
