"""What the dashboard's web handlers share: the bot's runtime, translators, the clock, and the caller of a request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from aiohttp import web

from bot.i18n import LANGUAGES, Translator, get_translator, normalise_language
from bot.runtime import Runtime
from bot.services.dashboard import DashboardError
from bot.services.dashboard_scope import DashboardScope, dashboard_scope
from storage import Repositories


@dataclass(frozen=True)
class Caller:
    user_id: int
    scope: DashboardScope
    tr: Translator


@dataclass
class WebContext:
    runtime: Runtime
    bot_token: str
    _translators: dict[str, Translator] = field(default_factory=dict)

    @property
    def repos(self) -> Repositories:
        return self.runtime.repos

    @property
    def max_age(self) -> int:
        return self.runtime.settings.dashboard_auth_max_age

    def now(self) -> float:
        return self.runtime.clock.now().timestamp()

    def today(self) -> dt.date:
        return self.runtime.today()

    def translator(self, lang: str | None) -> Translator:
        code = normalise_language(lang)
        if code not in self._translators:  # the catalogs do not change while the bot runs
            self._translators[code] = get_translator(code)
        return self._translators[code]

    async def caller_for(self, user_id: int, lang: str | None, telegram_lang: str | None = None) -> Caller:
        """The user's scope from our own tables (never from the page), or 403; the language the page asked for,
        else the one the user chose in the chat, else Telegram's."""
        scope = await dashboard_scope(self.repos, user_id, self.runtime.settings.admin_telegram_ids)
        if scope is None:
            raise DashboardError(403, "not_for_role")
        if lang not in LANGUAGES:
            user = await self.repos.users.find(user_id)
            lang = user.language if user is not None else normalise_language(telegram_lang)
        return Caller(user_id=user_id, scope=scope, tr=self.translator(lang))


CTX = web.AppKey("dashboard", WebContext)
CALLER = web.RequestKey("dashboard_caller", Caller)

__all__ = ["CALLER", "CTX", "Caller", "WebContext"]
