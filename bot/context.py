"""Typed CallbackContext: handlers get the runtime and the user's translator from `context`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from telegram.ext import CallbackContext, ExtBot

from bot.i18n import Translator, get_translator

if TYPE_CHECKING:
    from bot.app import PosyanduApplication
    from bot.runtime import Runtime

LANG_KEY = "lang"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def runtime(self) -> Runtime:
        return cast("PosyanduApplication", self.application).runtime

    @property
    def lang(self) -> str:
        data = self.user_data
        return str(data.get(LANG_KEY)) if data and data.get(LANG_KEY) else "id"

    @property
    def tr(self) -> Translator:
        return get_translator(self.lang)
