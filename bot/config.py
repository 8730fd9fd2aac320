"""Settings of the bot, read once from the environment (or `.env`) and validated at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(Exception):
    """Raised with a human-readable message naming the bad variable(s)."""


class Settings(BaseSettings):
    """Every knob of the bot. Environment variable names are the field names in upper case."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = None
    # PTB's base_url meaning: the token is appended (or put where `{token}` stands).
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    telegram_api_base_file_url: str | None = None
    database_url: str = "sqlite:///data/posyandu.db"
    default_timezone: str = "Asia/Jakarta"
    default_language: str = "id"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    webhook_url: str | None = None
    # Behind a reverse proxy (which terminates HTTPS) by default: the webhook port is not for the world.
    webhook_listen: str = "127.0.0.1"
    # PORT is what Heroku-style platforms set for the `web` process.
    webhook_port: int = Field(default=8443, ge=1, le=65535, validation_alias=AliasChoices("WEBHOOK_PORT", "PORT"))
    webhook_secret: SecretStr | None = None
    # Seconds between PTB persistence flushes; we also flush after every update (see bot/app.py).
    persistence_interval: float = Field(default=5.0, gt=0)
    log_level: str = "INFO"
    # aiohttp: half the CPU per Bot API call of PTB's httpx transport (bot/telegram_http.py); httpx as fallback.
    telegram_http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    # Telegram's flood limits, shared by everything that sends (bot/send_budget.py). Lower them for a slower
    # local Bot API server; raising them only earns 429s.
    telegram_sends_per_second: int = Field(default=30, ge=1, le=1000)
    telegram_chat_sends_per_second: float = Field(default=1.0, gt=0, le=100)
    telegram_chat_burst: int = Field(default=3, ge=1, le=100)
    # The dashboard Mini App (issue 17): its public HTTPS address, e.g. https://bot.example.id/dasbor/ (the menu
    # button and /dasbor open it; unset: not offered). Polling mode serves it on DASHBOARD_LISTEN:DASHBOARD_PORT;
    # webhook mode serves it beside the webhook on WEBHOOK_PORT. A Mini App session (initData) counts for
    # DASHBOARD_AUTH_MAX_AGE seconds after Telegram signed it.
    dashboard_url: str | None = None
    dashboard_listen: str = "127.0.0.1"
    dashboard_port: int = Field(default=8080, ge=1, le=65535)
    dashboard_auth_max_age: int = Field(default=86400, ge=60, le=7 * 86400)
    # Several workers on one database (docs/workers.md): this worker's name in claims and heartbeats (default
    # host:pid; give each systemd unit or container its own), how long a claim on scheduled sends lasts before
    # another worker may take it over, and the seconds between heartbeats (the send budget is re-split then).
    worker_id: str | None = Field(default=None, max_length=100)
    worker_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    worker_heartbeat_seconds: float = Field(default=2.0, gt=0, le=60)
    # Webhook mode with several workers behind one URL: updates go through the shared inbox, split into this many
    # shards owned by the live workers (bot/inbox.py). 0: one worker, updates processed where they arrive.
    update_shards: int = Field(default=0, ge=0, le=1024)

    @field_validator("telegram_bot_token", "webhook_secret", mode="before")
    @classmethod
    def _empty_token_is_none(cls, v: object) -> object:
        if isinstance(v, str) and not v.strip():
            return None
        return v

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return v
        head, _, tail = v.get_secret_value().partition(":")
        if not head.isdigit() or len(tail) < 20:
            raise ValueError("expected the form 123456789:AA... as given by @BotFather")
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, v: SecretStr | None) -> SecretStr | None:
        # What Telegram accepts for setWebhook's secret_token; anything else made setWebhook fail at start-up.
        if v is not None and not WEBHOOK_SECRET_SHAPE.fullmatch(v.get_secret_value()):
            raise ValueError("use 1-256 characters from A-Z, a-z, 0-9, _ and - (Telegram allows no others); "
                             "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return v

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, v: object) -> object:
        if isinstance(v, str):
            parts = [p.strip() for p in v.replace(";", ",").split(",") if p.strip()]
            try:
                return [int(p) for p in parts]
            except ValueError as exc:
                raise ValueError("expected comma-separated numeric Telegram ids, e.g. 12345,67890") from exc
        if isinstance(v, int):
            return [v]
        return v

    @field_validator("default_timezone")
    @classmethod
    def _tz_exists(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone; use e.g. Asia/Jakarta, Asia/Makassar or Asia/Jayapura") from exc
        return v

    @field_validator("default_language")
    @classmethod
    def _lang_known(cls, v: str) -> str:
        if v not in ("id", "en"):
            raise ValueError("must be id or en")
        return v

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, v: str) -> str:
        if not v.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("use sqlite:///path/to/file.db or postgresql://user:password@host:5432/dbname")
        return v

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, v: str | None) -> str | None:
        if v and not v.startswith("https://"):
            raise ValueError("Telegram only calls HTTPS webhooks: use https://your.host/path")
        return v or None

    @field_validator("dashboard_url")
    @classmethod
    def _https_dashboard(cls, v: str | None) -> str | None:
        if v and not v.startswith("https://"):
            raise ValueError("Telegram opens Mini Apps over HTTPS only: use https://your.host/dasbor/")
        return v or None

    @property
    def database_path(self) -> Path:
        """File path of the SQLite database (`sqlite:///data/x.db` is relative, `sqlite:////abs` absolute)."""
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def database(self) -> Path | str:
        """What `storage.open_database` opens: the SQLite file's path, or the PostgreSQL URL as it is."""
        return self.database_url if self.database_url.startswith(("postgresql://", "postgres://")) \
            else self.database_path

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning pydantic's error into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {msg}")
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
