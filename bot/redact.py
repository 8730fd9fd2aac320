"""Personal data never reaches a log line, at any level: NIK, phone numbers and names are redacted.

Our own code logs ids only, but libraries log more at DEBUG: PTB logs every Bot API request and answer
("Calling Bot API endpoint `sendMessage` with parameters {...}" holds the text we send, names in buttons and
the recipient's first name in the answer), every update it processes (the user's text, a shared contact's
phone number) and every webhook body, aiosqlite every statement with its parameters; an exception message
can quote a value (pydantic's `input_value=`).

Names cannot be recognised by a pattern, so the fields that carry them are blanked wherever a log argument
is structured (a Bot API parameter dict, an answer, an Update, a JSON body): `text`, `caption`, names,
usernames, phone numbers, contacts, addresses, our button labels. Then, on the final line (and on a
traceback), NIK-like numbers, Indonesian phone numbers and the bot token are masked by pattern.

Installed as the log record factory (`install()`), so it applies to every logger and every handler (a test's
capture included), and costs nothing for records below the level in force.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
# Keys whose values are (or may contain) what a person typed or is called.
PERSONAL_KEYS = frozenset({
    "text", "caption", "first_name", "last_name", "username", "phone_number", "vcard", "title", "name",
    "display_name", "child_name", "guardian_name", "guardian_phone", "nik", "address", "question", "query",
    "description", "quote", "bio", "explanation", "address_line", "street_line1", "street_line2", "email",
    "latitude", "longitude", "emoji_status_custom_emoji_id", "file_name", "performer",
})
# 16 digits (NIK, also a KK number), optionally grouped 6-6-4 or 4-4-4-4.
_NIK = re.compile(r"(?<!\d)(?:\d{16}|\d{6}[ .-]\d{6}[ .-]\d{4}|\d{4}[ .-]\d{4}[ .-]\d{4}[ .-]\d{4})(?!\d)")
# Indonesian mobile numbers: 08…, 628…, +62 8… and 8 to 11 more digits, with optional spaces, dots or dashes.
# (A Telegram id such as 6281234567 is shorter than any mobile number written with 62.)
_PHONE = re.compile(r"(?<![\d+])(?:\+62|62|0)[ .-]?8(?:[ .-]?\d){8,11}(?!\d)")
# A bot token (id:secret), e.g. in PTB's "Set Bot API URL" line.
_TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{30,}")
_INPUT_VALUE = re.compile(r"input_value=(?:'[^']*'|\"[^\"]*\"|[^,\]\s]+)")


def redact_text(text: str) -> str:
    """Mask what a pattern can find in free text: NIK, Indonesian phone numbers, bot tokens, pydantic inputs."""
    text = _TOKEN.sub("[token]", text)
    text = _NIK.sub("[nik]", text)
    text = _PHONE.sub("[phone]", text)
    return _INPUT_VALUE.sub("input_value=" + REDACTED, text)


def redact_data(value: Any, depth: int = 0) -> Any:
    """A copy of `value` with personal fields blanked (dicts, lists, Telegram objects, JSON text)."""
    if depth > 30:
        return REDACTED
    if isinstance(value, functools.partial):  # aiosqlite logs each call with its SQL parameters
        return f"<call {getattr(value.func, '__name__', 'function')}>"
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, Mapping):  # a Telegram object (Update, Message, markup)
        try:
            value = to_dict()
        except Exception:  # a half-built object: its repr could hold anything
            return f"<{type(value).__name__}>"
    if isinstance(value, Mapping):
        return {k: (REDACTED if str(k) in PERSONAL_KEYS and v not in (None, "") else redact_data(v, depth + 1))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, depth + 1) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(redact_data(parsed, depth + 1), ensure_ascii=False)
    if isinstance(value, bytes | bytearray) and len(value) > 0:
        return f"<{len(value)} bytes>"
    return value


_previous_factory = logging.getLogRecordFactory()


def _record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _previous_factory(*args, **kwargs)
    try:
        if record.args:
            args_ = record.args
            record.args = (tuple(redact_data(a) for a in args_) if isinstance(args_, tuple)
                           else redact_data(args_))
        record.msg = redact_text(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            # Formatted once here (formatters reuse exc_text), so a traceback's messages are masked too.
            record.exc_text = redact_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    except Exception:  # a log call must never fail because of redaction; drop the arguments instead
        record.msg = redact_text(str(record.msg))
        record.args = None
    return record


def install() -> None:
    """Redact every log record from now on (idempotent)."""
    if logging.getLogRecordFactory() is not _record:
        logging.setLogRecordFactory(_record)


__all__ = ["PERSONAL_KEYS", "REDACTED", "install", "redact_data", "redact_text"]
