"""Validation and normalisation of stored values: NIK, phone numbers, child codes, names, time stamps."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from storage.errors import MSG_INVALID_CODE, MSG_INVALID_NIK, MSG_INVALID_PHONE, InvalidInput

# ------------------------------------------------------------------ names

_SPACES = re.compile(r"\s+")


def clean_name(text: str) -> str:
    """Trim and collapse inner whitespace (keeps the case the user typed)."""
    return _SPACES.sub(" ", text).strip()


def name_key(text: str) -> str:
    """Matching key of an area or posyandu name: lower case, single spaces."""
    return clean_name(text).casefold()


def search_key(text: str) -> str:
    """Search key of a child's name: lower case without any spaces ("Siti  Aminah" -> "sitiaminah")."""
    return _SPACES.sub("", text).casefold()


def like_escape(text: str) -> str:
    """Escape `%`, `_` and `\\` for `LIKE ... ESCAPE '\\'`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ------------------------------------------------------------------ NIK

def validate_nik(text: str) -> str:
    """Return the 16-digit NIK (spaces, dots and dashes removed) or raise InvalidInput.

    Checks the structure of a Dukcapil NIK: province code 11–94, birth day 01–31 (41–71 for women),
    birth month 01–12, serial not 0000.
    """
    digits = re.sub(r"[\s.\-]", "", text)
    if not re.fullmatch(r"\d{16}", digits):
        raise InvalidInput(MSG_INVALID_NIK)
    province = int(digits[0:2])
    day = int(digits[6:8])
    month = int(digits[8:10])
    if day > 40:
        day -= 40
    if not (11 <= province <= 94) or not (1 <= day <= 31) or not (1 <= month <= 12) or digits[12:] == "0000":
        raise InvalidInput(MSG_INVALID_NIK)
    return digits


def mask_nik(nik: str | None) -> str:
    """`3273012345670012` -> `3273••••••••0012` (never show a NIK in full)."""
    if not nik:
        return ""
    if len(nik) < 8:
        return "•" * len(nik)
    return nik[:4] + "•" * (len(nik) - 8) + nik[-4:]


# ------------------------------------------------------------------ phone numbers

def normalise_phone(text: str) -> str:
    """`0812-3456-7890`, `+62 812 3456 7890`, `62812...`, `812...` -> `+6281234567890`; else InvalidInput."""
    digits = re.sub(r"[\s.\-()/]", "", text)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("62"):
            raise InvalidInput(MSG_INVALID_PHONE)
    if not digits.isdigit():
        raise InvalidInput(MSG_INVALID_PHONE)
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if not re.fullmatch(r"[2-9]\d{7,11}", national):
        raise InvalidInput(MSG_INVALID_PHONE)
    return "+62" + national


# ------------------------------------------------------------------ child codes

# Letters a cadre cannot confuse with digits or each other on a small screen (no I, L, O, Q).
CODE_LETTERS = "ABCDEFGHJKMNPRSTUVWXYZ"
_CODE_SHAPE = re.compile(r"^([A-Z]{1,3})(\d{1,6})$")
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5",
                                   "B": "8"})


def encode_child_code(n: int) -> str:
    """The n-th code (n >= 0): A1..A9, B1..Z9, then A10..Z99, A100..: a letter and a number without zeros in
    front, the shortest first. The letter position is always a letter and the rest always digits, so
    look-alikes (O/0, I/1) can be repaired when reading."""
    if n < 0:
        raise ValueError("n must be >= 0")
    letters = len(CODE_LETTERS)
    width = 1
    while True:
        block = letters * 9 * 10 ** (width - 1)
        if n < block:
            per_letter = 9 * 10 ** (width - 1)
            letter, offset = divmod(n, per_letter)
            return f"{CODE_LETTERS[letter]}{10 ** (width - 1) + offset}"
        n -= block
        width += 1


def normalise_child_code(text: str) -> str | None:
    """Canonical form of a typed code (`a 12`, `A-12`, `AI2` -> `A12`), or None if it cannot be a code."""
    s = re.sub(r"[\s\-_.#]", "", text).upper()
    # The letter part uses CODE_LETTERS only, so an I, L, O or Q after it must be a mistyped digit.
    i = 0
    while i < len(s) and i < 3 and s[i] in CODE_LETTERS:
        i += 1
    head, tail = s[:i], s[i:]
    if not head or not tail:
        return None
    candidate = head + tail.translate(_DIGIT_LOOKALIKES)
    return candidate if _CODE_SHAPE.match(candidate) else None


def validate_child_code(text: str) -> str:
    code = normalise_child_code(text)
    if code is None:
        raise InvalidInput(MSG_INVALID_CODE)
    return code


def new_invite_code(length: int = 8) -> str:
    """A random invite code in unambiguous characters (about 40 bits for 8 characters)."""
    alphabet = CODE_LETTERS + "23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


# ------------------------------------------------------------------ time stamps

def to_db_time(value: dt.datetime) -> str:
    """Aware datetime -> ISO text in UTC (sorts correctly as text)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def from_db_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """First day of the month and first day of the next month."""
    start = month.replace(day=1)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def parse_month(text: str) -> dt.date:
    """`2024-11` -> date(2024, 11, 1); ValueError otherwise."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not m:
        raise ValueError(text)
    return dt.date(int(m.group(1)), int(m.group(2)), 1)
