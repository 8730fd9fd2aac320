"""Test-wide settings: PTB's timedelta retry_after, and no real .env leaking into tests."""

import os

os.environ.setdefault("PTB_TIMEDELTA", "1")
os.environ.pop("TELEGRAM_BOT_TOKEN", None)
