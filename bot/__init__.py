"""Posyandu Bot: growth monitoring for Indonesian posyandu on Telegram."""

import os

# Opt in to PTB's timedelta form of RetryAfter.retry_after now (the int form is deprecated).
os.environ.setdefault("PTB_TIMEDELTA", "1")
