"""Offline Telegram: a local Bot API stand-in (``fake_api``) and the terminal simulator (``simulator``)."""

from bot.sim.fake_api import FakeBotAPI, SentCall

__all__ = ["FakeBotAPI", "SentCall"]
