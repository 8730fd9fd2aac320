"""Staff side of "ask a person": a cadre, health worker or coordinator answers a parent's question by replying
(Telegram reply) to the question the bot sent them; /pertanyaan shows the open questions of their scope again.

ORDER 5: before every conversation, so that a cadre in the middle of /ukur who replies to a question answers
the parent instead of typing a weight. Only replies to the bot's question copies (they start with 🙋 or ⏰)
reach this module; the rules live in bot/services/parent_threads.py.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from telegram import Message, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.render.parent_threads import MARKS
from bot.services import parent_threads as svc
from handlers.parent_ask import again_keyboard

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

ORDER = 5
MAX_SHOWN = 5  # open questions shown again by /pertanyaan (the oldest first)


class _ReplyToQuestion(filters.MessageFilter):
    """A reply to a message of the bot that is a parent's question."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return (replied is not None and replied.from_user is not None and replied.from_user.is_bot
                and (replied.text or "").startswith(MARKS))


REPLY_TO_QUESTION = _ReplyToQuestion()


async def reply(update: Update, context: BotContext) -> None:
    msg = update.effective_message
    user = update.effective_user
    assert msg and msg.text and user and msg.reply_to_message
    tr = context.tr
    rt = context.runtime
    result = await svc.answer_by_reply(rt.repos, user.id, msg.reply_to_message.message_id, msg.text, rt.clock.now())
    O = svc.ReplyOutcome  # noqa: E741 - a short alias keeps the branches readable
    if result.outcome is O.UNKNOWN:
        await msg.reply_text(tr.gettext("This question is no longer open. Type /pertanyaan to see the open ones."))
    elif result.outcome is O.NOT_ALLOWED:
        await msg.reply_text(tr.gettext("Sorry, this question is from a posyandu outside your area, so you cannot "
                                        "answer it."))
    elif result.outcome is O.EMPTY:
        await msg.reply_text(tr.gettext("Please write the answer as text in your reply."))
    elif result.outcome is O.ALREADY:
        await msg.reply_text(tr.gettext("This question was already answered by {name}; your reply was not sent.")
                             .format(name=html.escape(result.answered_by or "-")))
    else:
        assert result.thread is not None
        delivered = await svc.deliver_now(rt, context.bot, result.thread.id, again_keyboard)
        if delivered:
            await msg.reply_text(tr.gettext("✅ Your answer was sent to the parent. Thank you!"))
        else:
            await msg.reply_text(tr.gettext("✅ Your answer is saved; the bot will send it to the parent as soon as "
                                            "it can."))


async def open_questions(update: Update, context: BotContext) -> None:
    """/pertanyaan: the open questions of my posyandu or area, each sent again so that a reply answers it."""
    msg = update.effective_message
    user = update.effective_user
    assert msg and user
    tr = context.tr
    rt = context.runtime
    found = await svc.open_for_staff(rt.repos, user.id)
    if found is None:
        await msg.reply_text(tr.gettext("This command is for posyandu cadres, health workers and coordinators."))
        return
    threads, role = found
    if not threads:
        await msg.reply_text(tr.gettext("✅ No open questions from parents."))
        return
    await msg.reply_text(tr.ngettext("{n} open question from parents. Reply to a question to answer it:",
                                     "{n} open questions from parents. Reply to a question to answer it:",
                                     len(threads)).format(n=len(threads)))
    for thread in threads[:MAX_SHOWN]:
        await svc.resend_to(rt.repos, context.bot, user.id, thread, role, rt.clock.now())


def register(app: PosyanduApplication) -> None:
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & REPLY_TO_QUESTION,
                                   reply))
    app.add_handler(CommandHandler(["pertanyaan", "questions"], open_questions))


__all__ = ["REPLY_TO_QUESTION", "register"]
