"""Settings: defaults, parsing of lists, and error messages that name the bad variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run each test in an empty directory (no .env) with none of our variables set."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "DEFAULT_TIMEZONE",
                 "ADMIN_TELEGRAM_IDS", "WEBHOOK_URL", "WEBHOOK_PORT", "PORT", "WEBHOOK_SECRET",
                 "WEBHOOK_LISTEN", "TELEGRAM_SENDS_PER_SECOND", "TELEGRAM_CHAT_BURST"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_no_environment() -> None:
    s = load_settings()
    assert s.token is None
    assert s.database_path == Path("data/posyandu.db")
    assert s.default_timezone == "Asia/Jakarta"
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"


def test_admin_ids_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "12345, 67890")
    assert load_settings().admin_telegram_ids == [12345, 67890]


def test_bad_admin_ids_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "12345,budi")
    with pytest.raises(SettingsError, match="ADMIN_TELEGRAM_IDS"):
        load_settings()


def test_bad_timezone_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Asia/Bandung")
    with pytest.raises(SettingsError, match="DEFAULT_TIMEZONE"):
        load_settings()


def test_malformed_token_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token")
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings()


def test_token_is_read_and_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    s = load_settings()
    assert s.token == GOOD_TOKEN
    assert GOOD_TOKEN not in repr(s)


def test_webhook_url_must_be_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "http://bot.example.id/hook")
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        load_settings()


def test_platform_port_is_used_for_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "5000")
    assert load_settings().webhook_port == 5000


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:////srv/posyandu.db\n")
    assert load_settings().database_path == Path("/srv/posyandu.db")


def test_an_unknown_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://localhost/db")
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings()


def test_a_postgresql_url_is_opened_as_it_is_and_a_sqlite_url_as_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:secret@db.internal:5432/posyandu")
    assert load_settings().database == "postgresql://bot:secret@db.internal:5432/posyandu"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///data/x.db")
    assert load_settings().database == Path("data/x.db")


def test_webhook_listens_on_localhost_unless_told_otherwise() -> None:
    assert load_settings().webhook_listen == "127.0.0.1"


@pytest.mark.parametrize("secret", ["with space", "ümlaut", "semi;colon", "x" * 257, "slash/"])
def test_a_webhook_secret_telegram_refuses_names_the_variable(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET") as err:
        load_settings()
    assert secret not in str(err.value)


def test_a_webhook_secret_telegram_accepts_is_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "Ab_9-" * 10)
    s = load_settings()
    assert s.webhook_secret is not None and s.webhook_secret.get_secret_value() == "Ab_9-" * 10
    assert "Ab_9-" not in repr(s)


def test_an_empty_webhook_secret_is_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "")
    assert load_settings().webhook_secret is None


def test_telegram_limits_default_to_telegrams_own() -> None:
    s = load_settings()
    assert (s.telegram_sends_per_second, s.telegram_chat_sends_per_second, s.telegram_chat_burst) == (30, 1.0, 3)
