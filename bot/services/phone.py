"""Indonesian mobile numbers: one canonical form (`+62812...`) so a shared contact meets the number a cadre typed.

Cadres type `0812-3456-7890`, `62812...`, `+62 812 ...`, sometimes `+62 0812...`; Telegram's contact button
sends `6281234567890` or `+6281234567890`. Everything is reduced to `+62` followed by the national number
without its leading 0, the same form `storage.values.normalise_phone` stores.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-()/]")
# National significant number: mobile numbers start with 8 (08xx); fixed lines with an area code 2-9.
_NATIONAL = re.compile(r"[2-9]\d{7,11}")


def normalise_phone(text: str | None) -> str | None:
    """`0812-3456-7890`, `+62 812 3456 7890`, `6281234567890`, `+62 0812...` -> `+6281234567890`.

    None when it is not an Indonesian number."""
    if not text:
        return None
    raw = _SEPARATORS.sub("", text.strip())
    plus = raw.startswith("+")
    if plus:
        raw = raw[1:]
    if raw.startswith("00"):  # international prefix dialled from a landline: 0062...
        raw, plus = raw[2:], True
    if not raw.isdigit():
        return None
    if raw.startswith("62"):
        national = raw[2:]
        if national.startswith("0"):  # "+62 0812..." is a common way of writing it
            national = national[1:]
    elif plus:
        return None  # another country's number
    elif raw.startswith("0"):
        national = raw[1:]
    else:
        national = raw  # "812..." without the 0
    if not _NATIONAL.fullmatch(national):
        return None
    return "+62" + national


def mask_phone(phone: str) -> str:
    """`+6281234567890` -> `+62812••••7890`: enough for a parent to recognise their number, never in full."""
    if len(phone) <= 8:
        return "•" * len(phone)
    return phone[:6] + "•" * (len(phone) - 10) + phone[-4:]
