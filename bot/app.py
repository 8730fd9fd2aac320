"""Builds the python-telegram-bot Application: settings, database, persistence, rate limiter, handlers."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any
from warnings import filterwarnings

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
    PersistenceInput,
)
from telegram.warnings import PTBUserWarning

from bot import redact
from bot.clock import Clock, SystemClock
from bot.commands import MENU_COMMANDS
from bot.config import Settings
from bot.context import BotContext
from bot.i18n import LANGUAGES, get_translator
from bot.inbox import Inbox
from bot.rate_limit import BudgetRateLimiter
from bot.runtime import Runtime
from bot.send_budget import InProcessSendBudget, SendBudget
from bot.services.status import ensure_current_rules
from bot.telegram_bot import PosyanduBot
from bot.telegram_http import make_request
from bot.update_processor import PerChatUpdateProcessor
from bot.workers import Heartbeat, from_settings
from storage import Repositories, open_database
from storage.persistence import SQLitePersistence

log = logging.getLogger(__name__)

# Our conversations mix message and button steps per chat on purpose (per_message=False): a cadre types
# numbers and presses buttons in one flow. PTB warns about that combination; the PTB examples silence it too.
filterwarnings("ignore", message=r".*per_message=False.*", category=PTBUserWarning)

# Token used against the offline stand-in when no real token is configured.
OFFLINE_TOKEN = "123456789:OFFLINE-SIMULATOR-TOKEN-0000000000"


class PosyanduApplication(Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any],
                                      JobQueue[BotContext]]):
    """Application that carries our runtime and flushes persistence after every update.

    PTB batches persistence writes (every `update_interval` seconds); a kill -9 would lose every
    conversation step since the last flush. Flushing after each update bounds the loss to the update
    being processed. The cost is one small write per changed chat (measured in benchmarks/cadre_flow.py).
    """

    runtime: Runtime
    heartbeat: Heartbeat | None = None
    inbox: Inbox | None = None  # webhook mode with UPDATE_SHARDS: bot/inbox.py (set by bot/runner.py)
    _deciding: list[Coroutine[Any, Any, int]]

    async def initialize(self) -> None:
        # post_init/post_shutdown only run under run_polling(); we drive the loop ourselves
        # (bot/runner.py, the simulator, the tests), so start-up and clean-up live here.
        await super().initialize()
        if self.heartbeat is not None:  # before the first send: this worker's share of the send budget
            await self.heartbeat.start()
        await set_command_menus(self)
        # Rows decided by older rules (or never decided) go on the dirty list; `start` works it off in the
        # background, and a reader decides its own area first if it comes before that is done.
        self._deciding = []
        await ensure_current_rules(self.runtime.repos, background=self._deciding.append)

    async def start(self) -> None:
        await super().start()
        for work in self._deciding:
            self.create_task(work, name="decide_status")
        self._deciding.clear()

    async def shutdown(self) -> None:
        for work in getattr(self, "_deciding", []):
            work.close()  # never started: nothing to wait for (the dirty list stays for the next start)
        try:
            await super().shutdown()
        finally:
            if self.heartbeat is not None:
                await self.heartbeat.stop()
            await self.runtime.db.close()

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        await self._answer_if_forgotten(update)
        if self.persistence is not None and self.running:
            await self.update_persistence()

    async def _answer_if_forgotten(self, update: object) -> None:
        """Every button press gets exactly one answer: when no handler answered (a path that only sends a
        message, a crash), stop the spinner now. PosyanduBot drops a later duplicate."""
        if not isinstance(update, Update) or update.callback_query is None:
            return
        bot = self.bot
        if isinstance(bot, PosyanduBot) and not bot.was_answered(update.callback_query.id):
            try:
                await bot.answer_callback_query(update.callback_query.id)
            except TelegramError:  # the spinner stops by itself after a while
                log.info("could not answer callback query of update %s", update.update_id)

    async def update_persistence(self) -> None:
        # One transaction, one database-thread hop for everything PTB writes after an update.
        if not isinstance(self.persistence, SQLitePersistence):
            await super().update_persistence()
            return
        try:
            async with self.persistence.batched():
                await super().update_persistence()
        except Exception as exc:  # as PTB does with a failed write: report it, keep running
            # The write happens after PTB's own error handling (the batch commits at the end), so a locked or
            # full database would otherwise kill the periodic flush and fail the update. The batch is kept and
            # retried with the next flush (SQLitePersistence.batched).
            await self.process_error(update=None, error=exc)


async def set_command_menus(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menu in Indonesian by default, and in English for English-speaking clients."""
    for lang in LANGUAGES:
        tr = get_translator(lang)
        commands = [BotCommand(name, tr.gettext(desc)) for name, desc in MENU_COMMANDS]
        await app.bot.set_my_commands(commands, language_code=None if lang == "id" else lang)


def send_budget(settings: Settings) -> SendBudget:
    """The budget every sender of this process draws from (Telegram's limits are per bot token)."""
    return InProcessSendBudget(per_second=settings.telegram_sends_per_second,
                               chat_per_second=settings.telegram_chat_sends_per_second,
                               chat_burst=settings.telegram_chat_burst)


def make_bot(settings: Settings, budget: SendBudget) -> PosyanduBot:
    """The bot object: our HTTP transport, HTML by default, every call through the shared send budget."""
    return PosyanduBot(
        token=settings.token or OFFLINE_TOKEN,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_base_file_url or "https://api.telegram.org/file/bot",
        request=make_request(settings.telegram_http_client),
        get_updates_request=make_request(settings.telegram_http_client, for_updates=True),
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone,
                          link_preview_options=LinkPreviewOptions(is_disabled=True)),
        rate_limiter=BudgetRateLimiter(budget, max_retries=3),
    )


async def create_application(settings: Settings, *, clock: Clock | None = None,
                             budget: SendBudget | None = None) -> PosyanduApplication:
    """Open the database (applying migrations) and build the Application. Not yet initialised.

    `budget`: the send budget to draw from (default: a new one for this process, from the settings).
    """
    from handlers import register_all

    own_budget = budget is None
    budget = budget or send_budget(settings)

    redact.install()  # before anything logs: PTB's debug lines carry names, phone numbers and NIK
    db = await open_database(settings.database, clock=clock)
    runtime = Runtime(settings=settings, db=db, repos=Repositories(db), clock=clock or SystemClock(),
                      worker=from_settings(settings))
    builder = (
        ApplicationBuilder()
        .application_class(PosyanduApplication)
        .bot(make_bot(settings, budget))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerChatUpdateProcessor())
        .persistence(SQLitePersistence(
            db,
            # bot_data would be rewritten after every update and chat_data is unused (private chats: user_data);
            # shared state lives in our own tables.
            store_data=PersistenceInput(bot_data=False, chat_data=False, callback_data=False),
            update_interval=settings.persistence_interval,
        ))
    )
    app = builder.build()
    assert isinstance(app, PosyanduApplication)
    app.runtime = runtime
    if own_budget and isinstance(budget, InProcessSendBudget):  # this process's budget: split with other workers
        app.heartbeat = Heartbeat(db, runtime.worker, budget, total=settings.telegram_sends_per_second,
                                  interval=settings.worker_heartbeat_seconds)
    register_all(app)
    return app
