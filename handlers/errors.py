"""Global error handler: log without personal data, answer the user politely instead of going silent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

from bot.callbacks import InvalidCallback
from bot.context import BotContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    err = context.error
    user_id = update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(err, Forbidden):
        # The user blocked the bot: nothing to answer; stop pushing to them.
        log.info("user %s blocked the bot (update %s)", user_id, update_id)
        if user_id is not None:
            try:
                await context.runtime.repos.users.mark_blocked(user_id)
            except Exception:
                log.warning("could not mark user %s inactive", user_id)
        return
    if isinstance(err, InvalidCallback):
        # Callback data no schema accepts reached a handler (handlers register with the schemas, so this is
        # a forged button on a loosely registered path): refuse it like a stale button, nothing went wrong.
        log.info("invalid callback data on update %s from user %s", update_id, user_id)
        if isinstance(update, Update) and update.callback_query is not None:
            try:
                await update.callback_query.answer(context.tr.gettext("This button is no longer active."))
            except TelegramError:
                log.info("could not answer the invalid callback of update %s", update_id)
        raise ApplicationHandlerStop
    if isinstance(err, RetryAfter | TimedOut | NetworkError) and not isinstance(err, BadRequest):
        # BadRequest is a NetworkError subclass in PTB, but it is our request that was wrong, never the network.
        log.warning("telegram transient error on update %s: %s", update_id, type(err).__name__)
    else:
        # exc_info carries the traceback; we never format the update itself (it holds names and text).
        log.error("error while handling update %s from user %s", update_id, user_id,
                  exc_info=(type(err), err, err.__traceback__) if err else None)
    if isinstance(update, Update) and update.effective_chat:
        tr = context.tr
        try:
            await context.bot.send_message(
                update.effective_chat.id,
                tr.gettext("Sorry, something went wrong on our side. What you entered before is kept. "
                           "Please try again, or type /batal to start over."),
            )
        except Exception:  # the reply itself failed; the log above is what is left
            log.warning("could not send the error reply for update %s", update_id)
        # One apology is enough: don't let later handler groups act on an update that already failed.
        raise ApplicationHandlerStop


def register(app: PosyanduApplication) -> None:
    app.add_error_handler(on_error)
