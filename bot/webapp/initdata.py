"""Checking Telegram's Mini App `initData` as Telegram documents it (core.telegram.org/bots/webapps, "Validating
data received via the Mini App"), and short-lived signed download links.

secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token); data_check_string = every field but `hash` as
`key=value`, sorted by key, joined by "\\n"; valid when hex(HMAC_SHA256(key=secret_key, msg=data_check_string))
equals `hash` (compared in constant time) and `auth_date` is recent. Hand-written: it is a dozen lines of the
standard library, and no maintained Python package does only this.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_INIT_DATA_BYTES = 4096  # Telegram's initData is well under 1 kB; anything far larger is not from Telegram


class InitDataError(ValueError):
    """initData that must be refused; `reason` is a short code for the log (never the data itself)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """Who opened the Mini App, as Telegram signed it (ids and the language only: names are not kept)."""

    id: int
    language_code: str | None
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would send it for these fields (tests, the benchmark and the simulator sign with it)."""
    digest = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def signed_init_data(user_id: int, bot_token: str, auth_date: int, *, language_code: str = "id",
                     first_name: str = "Test") -> str:
    user = json.dumps({"id": user_id, "first_name": first_name, "language_code": language_code},
                      separators=(",", ":"))
    return sign({"auth_date": str(auth_date), "query_id": "AAH-test", "user": user}, bot_token)


def validate(init_data: str, bot_token: str, *, now: float, max_age_seconds: int) -> WebAppUser:
    """The signed user of `init_data`, or InitDataError (bad signature, too old, from the future, malformed)."""
    if not init_data or len(init_data) > MAX_INIT_DATA_BYTES:
        raise InitDataError("missing" if not init_data else "too_long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("duplicate_field")
    received = fields.get("hash", "")
    expected = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received.lower()):
        raise InitDataError("bad_hash")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("no_user") from None
    if now - auth_date > max_age_seconds:
        raise InitDataError("expired")
    if auth_date - now > 300:  # clocks differ a little; a date far ahead is forged or broken
        raise InitDataError("future")
    lang = user.get("language_code") if isinstance(user, dict) else None
    return WebAppUser(id=user_id, language_code=lang if isinstance(lang, str) else None, auth_date=auth_date)


# ------------------------------------------------------------------ download links

# Telegram's downloadFile (Bot API 8.0) takes a plain URL: it cannot send our header. The page asks for a link
# that carries a token instead, signed with a key derived from the bot token, valid for a few minutes, naming
# the user and exactly one file; the server checks the user's scope again when the link is used.
DOWNLOAD_SECONDS = 300


def _download_key(bot_token: str) -> bytes:
    return hmac.new(b"PosyanduDashboardDownload", bot_token.encode(), hashlib.sha256).digest()


def download_token(payload: dict[str, object], bot_token: str, *, now: float) -> str:
    body = json.dumps({**payload, "exp": int(now) + DOWNLOAD_SECONDS}, separators=(",", ":"), sort_keys=True)
    raw = body.encode()
    mac = hmac.new(_download_key(bot_token), raw, hashlib.sha256).digest()
    return (base64.urlsafe_b64encode(raw).decode().rstrip("=") + "."
            + base64.urlsafe_b64encode(mac).decode().rstrip("="))


def read_download_token(token: str, bot_token: str, *, now: float) -> dict[str, object]:
    try:
        body, _, mac = token.partition(".")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except (ValueError, TypeError):
        raise InitDataError("malformed") from None
    if not hmac.compare_digest(hmac.new(_download_key(bot_token), raw, hashlib.sha256).digest(), given):
        raise InitDataError("bad_hash")
    payload = json.loads(raw)
    if not isinstance(payload, dict) or int(payload.get("exp", 0)) < now:
        raise InitDataError("expired")
    return payload


__all__ = ["DOWNLOAD_SECONDS", "InitDataError", "WebAppUser", "download_token", "read_download_token", "sign",
           "signed_init_data", "validate"]
