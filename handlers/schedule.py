"""`/jadwal`: see and set a posyandu's schedule (staff), see the next sessions and switch reminders (parents).

Staff (the posyandu's cadre, a coordinator of its area, an admin) get a card with the rule and the next
three sessions, and buttons to change the rule (guided: weekday → week → start → end, or typed),
move or cancel one date, or add an extra date. Parents see their posyandu's next sessions and can turn
reminders off and on. Also starts the reminders job (bot/scheduler.py) at registration.

This module holds the entry (choosing the posyandu), leaving, and the registration of the one conversation;
the steps live by flow in handlers/schedule_rule.py (the monthly rule), handlers/schedule_dates.py (move,
cancel or add a date) and handlers/schedule_parent.py (parents); shared helpers in handlers/schedule_shared.py.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks
from bot.context import BotContext
from bot.scheduler import start_jobs
from handlers.schedule_dates import (
    add_date_typed,
    add_pressed,
    cancel_session_pressed,
    change_pressed,
    date_pressed,
    move_pressed,
    new_date_typed,
)
from handlers.schedule_parent import optout_pressed, parent_view
from handlers.schedule_rule import (
    edit_pressed,
    end_pressed,
    end_typed,
    rule_typed,
    save_pressed,
    start_pressed,
    start_typed,
    week_pressed,
    weekday_pressed,
)
from handlers.schedule_shared import (
    ACTION,
    ADD_DATE,
    CARD,
    CHOOSE,
    CONFIRM,
    END,
    KEY,
    NEW_DATE,
    PICK,
    START,
    WEEK,
    WEEKDAY,
    card,
    data,
    editable_posyandu,
    kb,
    reply,
)

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

ORDER = 30  # takes free text (typed rules and dates) while the conversation is open
MAX_BUTTONS = 20


# ------------------------------------------------------------------ entry


async def jadwal(update: Update, context: BotContext) -> int:
    assert update.effective_user and update.effective_message
    tr = context.tr
    assert context.user_data is not None
    context.user_data[KEY] = {}
    allowed = await editable_posyandu(context, update.effective_user.id)
    if allowed is None:
        await parent_view(update, context)
        return ConversationHandler.END
    if not allowed:
        await update.effective_message.reply_text(tr.gettext("There is no posyandu in your area yet."))
        return ConversationHandler.END
    if len(allowed) == 1:
        data(context)["pid"] = allowed[0]
        return await card(update, context)
    return await _choose(update, context, allowed)


async def _choose(update: Update, context: BotContext, allowed: list[int], query: str = "") -> int:
    tr = context.tr
    places = await context.runtime.repos.posyandu.get_many(allowed)
    if query:
        needle = query.casefold()
        places = [p for p in places if needle in p.name.casefold()]
    if not places:
        await reply(update, tr.gettext("No posyandu matches “{text}”. Type another part of the name, or /batal.")
                    .format(text=html.escape(query[:40])))
        return CHOOSE
    rows = [[(p.name[:40], f"jadwal:p:{p.id}")] for p in places[:MAX_BUTTONS]]
    text = tr.gettext("Which posyandu?")
    if len(places) > MAX_BUTTONS:
        text += "\n" + tr.gettext("Not in the list? Type part of its name.")
    await reply(update, text, kb(rows))
    return CHOOSE


async def choose_typed(update: Update, context: BotContext) -> int:
    assert update.effective_user and update.effective_message and update.effective_message.text
    allowed = await editable_posyandu(context, update.effective_user.id) or []
    return await _choose(update, context, allowed, update.effective_message.text.strip())


async def chosen(update: Update, context: BotContext) -> int:
    assert update.callback_query and update.effective_user
    pid = callbacks.JADWAL_POSYANDU.parse(update.callback_query.data).id("posyandu")
    if pid not in (await editable_posyandu(context, update.effective_user.id) or []):
        await update.callback_query.answer(context.tr.gettext("You cannot change this posyandu."))
        return CHOOSE
    data(context)["pid"] = pid
    return await card(update, context)


async def back_pressed(update: Update, context: BotContext) -> int:
    return await card(update, context)


# ------------------------------------------------------------------ leaving


async def done_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    context.user_data.pop(KEY, None)  # type: ignore[union-attr]
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    assert update.effective_message
    context.user_data.pop(KEY, None)  # type: ignore[union-attr]
    await update.effective_message.reply_text(context.tr.gettext(
        "Cancelled; nothing else was changed. Type /jadwal to open the schedule again."))
    return ConversationHandler.END


async def typed_where_buttons_expected(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(context.tr.gettext(
        "Please choose one of the buttons above, or type /batal to stop."))


def _card_button(action: str) -> Callable[[object], bool]:
    """Pattern for one button of the card (`jadwal:edit`, `jadwal:change`, ...)."""
    return lambda value: callbacks.JADWAL_CARD.matches(value) and callbacks.JADWAL_CARD.parse(
        str(value)).text("action") == action


def register(app: PosyanduApplication) -> None:
    text = filters.TEXT & ~filters.COMMAND
    # Typed as Any: PTB's handler generics are invariant in the callback's return type, and a state list
    # mixes handlers returning int and None.
    buttons_only: Any = MessageHandler(text, typed_where_buttons_expected)
    back: Any = CallbackQueryHandler(back_pressed, pattern=callbacks.JADWAL_BACK.matches)
    conversation: ConversationHandler[BotContext] = ConversationHandler(
        entry_points=[CommandHandler("jadwal", jadwal)],
        states={
            CHOOSE: [CallbackQueryHandler(chosen, pattern=callbacks.JADWAL_POSYANDU.matches),
                     MessageHandler(text, choose_typed)],
            CARD: [CallbackQueryHandler(edit_pressed, pattern=_card_button("edit")),
                   CallbackQueryHandler(change_pressed, pattern=_card_button("change")),
                   CallbackQueryHandler(add_pressed, pattern=_card_button("add")),
                   CallbackQueryHandler(done_pressed, pattern=_card_button("done")), buttons_only],
            WEEKDAY: [CallbackQueryHandler(weekday_pressed, pattern=callbacks.JADWAL_WEEKDAY.matches),
                      MessageHandler(text, rule_typed), back],
            WEEK: [CallbackQueryHandler(week_pressed, pattern=callbacks.JADWAL_WEEK.matches), back, buttons_only],
            START: [CallbackQueryHandler(start_pressed, pattern=callbacks.JADWAL_START.matches),
                    MessageHandler(text, start_typed), back],
            END: [CallbackQueryHandler(end_pressed, pattern=lambda d: callbacks.JADWAL_END.matches(d)
                                       or callbacks.JADWAL_NO_END.matches(d)),
                  MessageHandler(text, end_typed), back],
            CONFIRM: [CallbackQueryHandler(save_pressed, pattern=callbacks.JADWAL_SAVE.matches), back, buttons_only],
            PICK: [CallbackQueryHandler(date_pressed, pattern=callbacks.JADWAL_DAY.matches), back, buttons_only],
            ACTION: [CallbackQueryHandler(move_pressed, pattern=callbacks.JADWAL_MOVE.matches),
                     CallbackQueryHandler(cancel_session_pressed, pattern=callbacks.JADWAL_CANCEL_DAY.matches), back,
                     buttons_only],
            NEW_DATE: [MessageHandler(text, new_date_typed), back],
            ADD_DATE: [MessageHandler(text, add_date_typed), back],
        },
        fallbacks=[CommandHandler(["batal", "cancel"], cancel)],
        name="jadwal",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(CallbackQueryHandler(optout_pressed, pattern=callbacks.JADWAL_OPT.matches))
    start_jobs(app)
