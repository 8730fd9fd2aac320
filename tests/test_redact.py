"""Log redaction (bot/redact.py): structured fields blanked, NIK / phone / token masked, ids kept."""

from __future__ import annotations

import functools
import json
import logging

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import redact
from bot.redact import REDACTED, redact_data, redact_text


@pytest.mark.parametrize("text", ["NIK 3271046504230002", "nik 327104 650423 0002", "HP 081234567890",
                                  "hp 0812-3456-7890", "+62 812 3456 7890", "6281234567890", "0812 3456 789"])
def test_nik_and_indonesian_phone_numbers_are_masked(text: str) -> None:
    masked = redact_text(text)
    assert not any(ch.isdigit() for ch in masked), masked


@pytest.mark.parametrize("text", ["user 1001 pressed", "update 123456789 from user 6281234567",
                                  "measurement 42 of child 7", "took 0.25 s", "2024-11-03"])
def test_ids_and_numbers_that_are_not_personal_stay(text: str) -> None:
    assert redact_text(text) == text


def test_a_bot_token_is_masked() -> None:
    assert "AAH" not in redact_text("Set Bot API URL: https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")


def test_bot_api_parameters_lose_texts_and_button_labels() -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Budi Santoso (A1)", callback_data="ukur:child:1")]])
    data = redact_data({"chat_id": 1001, "text": "Budi Santoso, 10,5 kg", "reply_markup": markup})
    assert data["chat_id"] == 1001 and data["text"] == REDACTED
    assert data["reply_markup"]["inline_keyboard"][0][0] == {"text": REDACTED, "callback_data": "ukur:child:1"}


def test_an_update_loses_names_text_and_contact() -> None:
    update = Update.de_json({"update_id": 5, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 9, "type": "private", "first_name": "Larasati"},
        "from": {"id": 9, "is_bot": False, "first_name": "Larasati", "last_name": "W", "username": "laras"},
        "contact": {"phone_number": "+6281234567890", "first_name": "Larasati", "user_id": 9}}}, None)
    flat = json.dumps(redact_data(update))
    assert "Larasati" not in flat and "laras" not in flat and "628" not in flat and '"id": 9' in flat


def test_json_text_and_sqlite_calls_are_redacted() -> None:
    assert "Budi" not in redact_data('{"message": {"text": "Budi"}}')
    call = functools.partial(print, "INSERT INTO children VALUES (?)", ("Budi Santoso",))
    assert redact_data(call) == "<call print>"


def test_every_log_record_is_redacted_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    redact.install()
    log = logging.getLogger("tests.redact")
    with caplog.at_level(logging.DEBUG, logger="tests.redact"):
        log.debug("params %s", {"text": "Budi Santoso", "chat_id": 5})
        try:
            raise ValueError("1 validation error\n  input_value='Siti Aminah', input_type=str")
        except ValueError:
            log.exception("NIK %s failed", "3271046504230002")
    assert "Budi" not in caplog.text and "Siti" not in caplog.text and "3271046504230002" not in caplog.text
    assert "'chat_id': 5" in caplog.text and "ValueError" in caplog.text
