"""Translations (gettext catalogs in locales/) and Indonesian number and date formatting and parsing.

Message ids are English; every language's catalog is split into domains by owner
(`locales/<lang>/LC_MESSAGES/<domain>.po`) and all domains are merged at load time.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, get_group_symbol
from babel.numbers import parse_decimal as babel_parse_decimal
from babel.support import Translations

from storage import errors as storage_errors

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
MINUS = "\u2212"  # typographic minus: easier to read than a hyphen on a small screen


def N_(message: str) -> str:
    """Mark a module-level string for extraction; translate it later with `tr.gettext`."""
    return message


def _load_catalog(path: Path) -> Translations:
    """Prefer the compiled .mo next to the .po; compile in memory when it is missing or stale."""
    mo = path.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= path.stat().st_mtime:
        with mo.open("rb") as fh:
            return Translations(fh, domain=path.stem)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=path.parent.parent.name)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=path.stem)


class Translator:
    """One language's merged catalog plus locale-aware formatting."""

    def __init__(self, lang: str, translations: NullTranslations) -> None:
        self.lang = lang
        self._t = translations

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def decimal(self, value: float | Decimal, digits: int = 1) -> str:
        return fmt_decimal(value, digits, self.lang)

    def measure(self, value: float | Decimal) -> str:
        return fmt_measure(value, self.lang)

    def z(self, value: float) -> str:
        return fmt_z(value, self.lang)

    def date(self, value: dt.date) -> str:
        return fmt_date(value, self.lang)

    def short_date(self, value: dt.date) -> str:
        return fmt_short_date(value, self.lang)


@cache
def get_translator(lang: str | None) -> Translator:
    """Translator for `lang` (falls back to Indonesian for unknown codes such as `jv` or `None`)."""
    code = (lang or DEFAULT_LANGUAGE).split("-")[0].lower()
    if code not in LANGUAGES:
        code = DEFAULT_LANGUAGE
    merged: NullTranslations = NullTranslations()
    first: Translations | None = None
    for po in sorted((LOCALES_DIR / code / "LC_MESSAGES").glob("*.po")):
        cat = _load_catalog(po)
        if first is None:
            first = cat
        else:
            first.merge(cat)
    if first is not None:
        merged = first
    return Translator(code, merged)


# Storage errors carry English msgids; told in Indonesian unless the caller passes a translator.
storage_errors.default_translator = lambda: get_translator(DEFAULT_LANGUAGE)


def normalise_language(code: str | None) -> str:
    """Map a Telegram `language_code` to a language we speak (Indonesian unless it is English)."""
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


# ---------------------------------------------------------------- formatting


@cache
def _separators(lang: str) -> dict[int, str]:
    """str.translate table from Python's `1,234.5` to the locale's group and decimal symbols (babel's CLDR)."""
    return {ord(","): get_group_symbol(locale=lang), ord("."): get_decimal_symbol(locale=lang)}


def fmt_decimal(value: float | Decimal, digits: int = 1, lang: str = DEFAULT_LANGUAGE) -> str:
    """`10.5 -> "10,5"` in Indonesian, `"10.5"` in English.

    The same text as babel's `format_decimal(value, "#,##0.0…", locale)` (rounding half-even on the decimal
    repr, CLDR separators; tests/test_i18n.py compares them), ~20× cheaper: a result card formats a dozen
    numbers and babel re-parsed the pattern for each.
    """
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            raise InvalidOperation
        text = f"{number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN):,.{digits}f}"
    except (InvalidOperation, ValueError):  # NaN, infinity, more digits than the decimal context holds
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        text = format_decimal(value, format=pattern, locale=lang)
        return text.replace("-", MINUS)
    return text.translate(_separators(lang)).replace("-", MINUS)


def fmt_measure(value: float | Decimal, lang: str = DEFAULT_LANGUAGE) -> str:
    """A measured value as it was typed: `8,05` stays `8,05`, `71,55` stays `71,55`, `10` shows as `10,0`.

    At least one decimal (a scale and a length board read tenths), at most three (a baby scale reads grams);
    the stored float is read back through its shortest repr, so what was typed is what is shown.
    """
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    exponent = number.normalize().as_tuple().exponent
    digits = min(max(-exponent if isinstance(exponent, int) else 1, 1), 3)
    return fmt_decimal(number, digits, lang)


def fmt_z(value: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A z-score with an explicit sign: `+0,21`, `−2,35`."""
    text = fmt_decimal(abs(value), 2, lang)
    if round(value, 2) == 0:
        return text
    return ("+" if value > 0 else MINUS) + text


def fmt_date(value: dt.date, lang: str = DEFAULT_LANGUAGE) -> str:
    """`Selasa, 3 Desember 2024`."""
    return format_date(value, "EEEE, d MMMM y", locale=lang)


def fmt_short_date(value: dt.date, lang: str = DEFAULT_LANGUAGE) -> str:
    """`3 Des 2024` (for lists and tables)."""
    return format_date(value, "d MMM y", locale=lang)


def fmt_month(value: dt.date, lang: str = DEFAULT_LANGUAGE) -> str:
    """`Desember 2024`."""
    return format_date(value, "LLLL y", locale=lang)


# ---------------------------------------------------------------- parsing


class ParseError(ValueError):
    """Input that is not a number or a date; `code` says which kind of problem."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


_UNITS = re.compile(r"\s*(kg|kilo|kilogram|gr|gram|g|cm|senti|sentimeter|mm)\.?\s*$", re.IGNORECASE)
_DOT_DECIMAL = re.compile(r"^[+-]?\d+\.\d{1,2}$")
_PLAIN = re.compile(r"^[+-]?\d+$")


def parse_decimal(text: str) -> Decimal:
    """Parse a measurement typed by a person: `10,5`, `10.5`, `10,5 kg`, `1.250,5`.

    babel alone reads `10.5` as 105 in Indonesian ("." groups thousands), so one "." followed by
    one or two digits is taken as a decimal point first; everything else goes through babel strictly.
    """
    raw = text.strip()
    cleaned = _UNITS.sub("", raw).strip().replace(" ", "")
    if not cleaned:
        raise ParseError("empty", text)
    if _PLAIN.match(cleaned) or _DOT_DECIMAL.match(cleaned):
        return Decimal(cleaned)
    try:
        return Decimal(babel_parse_decimal(cleaned, locale="id", strict=True))
    except (NumberFormatError, InvalidOperation, ValueError):
        pass
    try:
        return Decimal(babel_parse_decimal(cleaned, locale="en", strict=True))
    except (NumberFormatError, InvalidOperation, ValueError):
        raise ParseError("not_a_number", text) from None


def _month_lookup() -> dict[str, int]:
    names: dict[str, int] = {}
    for lang in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for num, name in get_month_names(width, locale=lang).items():
                names[name.lower().rstrip(".")] = num
    # Common Indonesian spellings that CLDR does not list.
    names.update({"agt": 8, "ags": 8, "sept": 9, "nop": 11, "nopember": 11, "pebruari": 2, "peb": 2})
    return names


_MONTHS = _month_lookup()
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})(?:[/\-.](\d{2}|\d{4}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORD_DATE = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?(?:\s+(\d{2}|\d{4}))?$")
_TODAY = {"hari ini", "hariini", "today", "sekarang", "now"}
_YESTERDAY = {"kemarin", "yesterday"}


def _year(y: str | None, today: dt.date) -> int:
    if y is None:
        return today.year
    return 2000 + int(y) if len(y) == 2 else int(y)


def parse_date(text: str, today: dt.date) -> dt.date:
    """Parse `3/12/2024`, `3-12-24`, `3/12`, `2024-12-03`, `3 Des 2024`, `3 Desember`, `hari ini`, `kemarin`.

    Day first, as Indonesians write it. A date without a year means the latest such date not after
    `today` (a cadre typing `28/12` on 2 January means last December).
    """
    s = " ".join(text.strip().lower().split())
    if s in _TODAY:
        return today
    if s in _YESTERDAY:
        return today - dt.timedelta(days=1)
    day: int
    month: int
    year_given: str | None
    if m := _ISO_DATE.match(s):
        y, mo, d = (int(g) for g in m.groups())
        try:
            return dt.date(y, mo, d)
        except ValueError:
            raise ParseError("bad_date", text) from None
    if m := _NUMERIC_DATE.match(s):
        day, month, year_given = int(m.group(1)), int(m.group(2)), m.group(3)
    elif m := _WORD_DATE.match(s):
        name = m.group(2)
        if name not in _MONTHS:
            raise ParseError("bad_month", text)
        day, month, year_given = int(m.group(1)), _MONTHS[name], m.group(3)
    else:
        raise ParseError("not_a_date", text)
    try:
        result = dt.date(_year(year_given, today), month, day)
    except ValueError:
        raise ParseError("bad_date", text) from None
    if year_given is None and result > today:
        try:
            result = result.replace(year=result.year - 1)
        except ValueError:  # 29 February
            raise ParseError("bad_date", text) from None
    return result
