"""Telegram Mini App initData check (core.telegram.org/bots/webapps, "Validating data received via the Mini App")
and the signed download links."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.webapp import initdata
from bot.webapp.initdata import InitDataError

TOKEN = "123456789:AAExampleTokenForTestsOnly-abcdefghij"
NOW = 1_750_000_000
DAY = 86_400


def _signed(**fields: str) -> str:
    return initdata.sign(fields, TOKEN)


def test_signature_follows_telegrams_recipe() -> None:
    """secret_key = HMAC_SHA256("WebAppData", token); hash = hex HMAC_SHA256(secret_key, sorted key=value lines)."""
    data = initdata.signed_init_data(42, TOKEN, NOW - 10)
    fields = dict(parse_qsl(data))
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    assert fields["hash"] == hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    user = initdata.validate(data, TOKEN, now=NOW, max_age_seconds=DAY)
    assert (user.id, user.language_code, user.auth_date) == (42, "id", NOW - 10)


def test_a_changed_field_breaks_the_signature() -> None:
    fields = dict(parse_qsl(initdata.signed_init_data(42, TOKEN, NOW)))
    fields["user"] = json.dumps({"id": 43, "first_name": "Mallory"})
    with pytest.raises(InitDataError) as err:
        initdata.validate(urlencode(fields), TOKEN, now=NOW, max_age_seconds=DAY)
    assert err.value.reason == "bad_hash"


def test_another_bots_signature_is_refused() -> None:
    data = initdata.signed_init_data(42, "987654321:AAAnotherBotTokenXXXXXXXXXXXXXXXX", NOW)
    with pytest.raises(InitDataError, match="bad_hash"):
        initdata.validate(data, TOKEN, now=NOW, max_age_seconds=DAY)


@pytest.mark.parametrize(("age", "ok"), [(DAY, True), (DAY + 1, False), (-300, True), (-301, False)])
def test_auth_date_freshness_at_its_boundaries(age: int, ok: bool) -> None:
    """auth_date at most DASHBOARD_AUTH_MAX_AGE old (24 h here) and at most 5 minutes ahead of our clock."""
    data = initdata.signed_init_data(42, TOKEN, NOW - age)
    if ok:
        assert initdata.validate(data, TOKEN, now=NOW, max_age_seconds=DAY).id == 42
    else:
        with pytest.raises(InitDataError):
            initdata.validate(data, TOKEN, now=NOW, max_age_seconds=DAY)


@pytest.mark.parametrize("data", ["", "x" * 5000, "a=1&a=2", "auth_date=1&hash=00", "%%%", "hash=abc"])
def test_malformed_init_data_is_refused(data: str) -> None:
    with pytest.raises(InitDataError):
        initdata.validate(data, TOKEN, now=NOW, max_age_seconds=DAY)


def test_signed_data_without_a_user_is_refused() -> None:
    with pytest.raises(InitDataError, match="no_user"):
        initdata.validate(_signed(auth_date=str(NOW), query_id="x"), TOKEN, now=NOW, max_age_seconds=DAY)


def test_download_link_round_trip_expiry_and_tampering() -> None:
    token = initdata.download_token({"u": 7, "k": "xlsx"}, TOKEN, now=NOW)
    assert initdata.read_download_token(token, TOKEN, now=NOW + 60)["u"] == 7
    with pytest.raises(InitDataError, match="expired"):
        initdata.read_download_token(token, TOKEN, now=NOW + initdata.DOWNLOAD_SECONDS + 1)
    _, _, mac = token.partition(".")
    forged = initdata.download_token({"u": 8, "k": "xlsx"}, TOKEN, now=NOW).partition(".")[0] + "." + mac
    with pytest.raises(InitDataError, match="bad_hash"):
        initdata.read_download_token(forged, TOKEN, now=NOW)
    with pytest.raises(InitDataError):
        initdata.read_download_token("not-a-token", TOKEN, now=NOW)
