"""Guided measurement `/ukur` (and corrections through `/koreksi`): the conversation, its entry points, navigation,
saving and the result card. The questions are in handlers/cadre_measure_ask.py, the answers to each step in
handlers/cadre_measure_steps.py.

The half-entered measurement lives in `user_data["ukur"]` as plain JSON and the conversation is persistent,
so a restart of the bot resumes at the same step. Every step has ⬅️ Back and ❌ Cancel; `/batal` always works.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.context import BotContext
from bot.render.issues import (
    date_issue,
)
from bot.services import measurement as svc
from bot.services.measurement import Draft, InputIssue
from handlers.cadre_measure_ask import (
    CHILD,
    CONFIRM,
    DATE,
    HEAD,
    KEY,
    LENGTH,
    MUAC,
    OEDEMA,
    PREVIOUS_STEP,
    STEP_FIELD,
    WEIGHT,
    _child,
    _clear,
    _draft,
    _state,
    _store,
    ask,
    ask_child,
    ask_confirm,
    page_pressed,
)
from handlers.cadre_measure_steps import (
    buttons_only,
    child_pressed,
    child_text,
    chosen,
    date_pressed,
    date_text,
    keep_pressed,
    number_text,
    oedema_pressed,
    pick_by_text,
    position_pressed,
    rolled_date_pressed,
    skip_pressed,
    use_pressed,
)
from handlers.cadre_shared import (
    NOT_TEXT,
    answer_in_background,
    chart_button,
    conversation_open,
    deliver_result,
    exclusive,
    get_staff,
    not_text_note,
    press_buttons_hint,
    refuse_stranger,
    register_exclusive,
    send_text,
)
from handlers.common import START_RESUME_HANDLERS
from storage.errors import StorageError

log = logging.getLogger(__name__)

ORDER = 20

# ------------------------------------------------------------------ entry points


async def start(update: Update, context: BotContext) -> int:
    """`/ukur` (optionally with a name or code), or ➕ Next child."""
    if update.callback_query:
        await update.callback_query.answer()
    staff = await get_staff(update, context)
    if staff is None:
        _clear(context)
        await refuse_stranger(update, context)
        return ConversationHandler.END
    _clear(context)
    _store(context, Draft())
    if context.args:
        return await pick_by_text(update, context, " ".join(context.args))
    return await ask_child(update, context)


async def start_with_child(update: Update, context: BotContext) -> int:
    """`ukur:start:<child id>` (the button after registering a child)."""
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return ConversationHandler.END
    _clear(context)
    child = await context.runtime.repos.children.find_by_id(callbacks.UKUR_START.parse(query.data).id("child"))
    if child is None or not staff.may_access(child.posyandu_id):
        _store(context, Draft())
        return await ask_child(update, context, context.tr.gettext("You can only enter children of your posyandu."))
    return await chosen(update, context, child)


async def start_correction(update: Update, context: BotContext) -> int:
    """`ukur:fix:<measurement id>` (from the result card or /koreksi): the same steps, prefilled."""
    query = update.callback_query
    assert query and query.data
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return ConversationHandler.END
    repos = context.runtime.repos
    m = await repos.measurements.find_by_id(callbacks.UKUR_FIX.parse(query.data).id("measurement"))
    child = await repos.children.find_by_id(m.child_id) if m else None
    if m is None or child is None or not staff.may_access(child.posyandu_id):
        await query.answer(tr.gettext("You cannot change this entry."), show_alert=True)
        return ConversationHandler.END
    if m.superseded_by is not None:
        near = await svc.around(repos, child.id)
        newest = next((x for x in reversed(near.history) if x.measured_on == m.measured_on), None)
        if newest is None:
            await query.answer(tr.gettext("This entry was already corrected."), show_alert=True)
            return ConversationHandler.END
        m = newest
    answer_in_background(context, query)
    _clear(context)
    _store(context, Draft.from_measurement(m))
    return await ask_confirm(update, context, child, _draft(context))


# ------------------------------------------------------------------ navigation, confirmation, saving


async def back_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query
    answer_in_background(context, query)
    step = int(_state(context).get("step", CHILD))
    _state(context).pop("editing", None)
    return await ask(update, context, PREVIOUS_STEP.get(step, CHILD))


async def edit_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    answer_in_background(context, query)
    _state(context)["editing"] = True
    return await ask(update, context, callbacks.UKUR_EDIT.parse(query.data).number("step"))


async def save_pressed(update: Update, context: BotContext) -> int:
    """✅ Save (or, when the child was measured this month already, Replace / Keep both)."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    state = _state(context)
    if state.get("step") != CONFIRM or not state.get("draft"):
        await query.answer(tr.gettext("Already saved."))
        return ConversationHandler.END
    draft = _draft(context)
    child = await _child(context, draft)
    staff = await get_staff(update, context)
    if child is None or staff is None or not staff.may_access(child.posyandu_id):
        await query.answer()
        _clear(context)
        await send_text(update, context, tr.gettext("You can only enter children of your posyandu."))
        return ConversationHandler.END
    answer = callbacks.UKUR_SAVE.parse(query.data).optional_text("answer")
    if answer is not None:
        draft.same_month = "replace" if answer == "replace" else "keep"
    near = await svc.around(context.runtime.repos, child.id)
    # The card said so above this button: what WHO calls implausible is kept as "perlu ukur ulang".
    for problem in svc.check_all(child, draft, near):
        if not svc.confirmable(problem):
            draft.keep_as_remeasure(problem.field)
    await query.answer(tr.gettext("Saving…"))
    try:
        saved = await svc.save(context.runtime.repos, child, draft, entered_by=update.effective_user.id, near=near)
    except (svc.SameMonth, svc.Unanswered):  # the month or a value changed since the card was shown: show it again
        _store(context, draft)
        return await ask_confirm(update, context, child, draft)
    except InputIssue as issue:
        return await ask(update, context, DATE, date_issue(tr, issue.code, birth_date=child.birth_date,
                                                           today=context.runtime.today()))
    except StorageError as exc:
        await send_text(update, context, exc.message(tr) + "\n" + tr.gettext("Nothing was lost: press ✅ Save again."),
                        None)
        return await ask_confirm(update, context, child, draft)
    # The draft is gone before anything else is sent: a double tap finds nothing left to save.
    _clear(context)

    async def remove_keyboard() -> None:
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError:  # the old keyboard staying visible is harmless
            log.debug("could not remove the confirmation keyboard")

    # Side by side: on a real network each Bot API call is a round trip, and the card should not wait for
    # the old keyboard to go (measured with benchmarks/cadre_flow.py --latency-ms 50: one round trip less).
    await asyncio.gather(remove_keyboard(), deliver_result(update, context, child, saved))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    _clear(context)
    await send_text(update, context, context.tr.gettext("Cancelled. Nothing was saved. Type /ukur to start again."))
    return ConversationHandler.END


async def resume_after_start(update: Update, context: BotContext) -> bool:
    """`/start` during an open /ukur: remind the cadre of the unfinished entry and ask its question again."""
    if context.user_data is None or KEY not in context.user_data or not conversation_open(update, context,
                                                                                          "cadre_measure"):
        return False
    tr = context.tr
    step = int(_state(context).get("step", CHILD))
    child = await _child(context, _draft(context))
    staff = await get_staff(update, context)
    if child is None and step != CHILD:
        return False  # the child is gone: nothing sensible to resume
    if child is not None and (staff is None or not staff.may_access(child.posyandu_id)):
        return False
    if child is None:
        note = tr.gettext("⏳ You had started /ukur. Answer the question below to go on, or type /batal to stop.")
    else:
        note = tr.gettext("⏳ You have an unfinished entry for {name} ({code}). Answer the question below to go "
                          "on, or type /batal to stop.").format(name=html.escape(child.name), code=child.code)
    if _waiting_on_buttons(context):
        # A question about the last value ("use 10,5 kg?") is open above: asking the step again would drop it.
        await send_text(update, context, note + "\n" + press_buttons_hint(context))
    elif step == CONFIRM and child is not None:
        await send_text(update, context, note)
        await ask_confirm(update, context, child, _draft(context))
    else:
        await ask(update, context, step, note)
    return True


async def unfinished_entry(context: BotContext) -> str | None:
    """"the /ukur entry for Budi (A1)" when values were typed and not saved (None: nothing would be lost)."""
    if context.user_data is None or KEY not in context.user_data:
        return None
    draft = _draft(context)
    if draft.child_id is None or all(getattr(draft, f) is None for f in STEP_FIELD.values()):
        return None
    child = await _child(context, draft)
    if child is None:
        return None
    return context.tr.gettext("The /ukur entry for {name} ({code})").format(name=html.escape(child.name),
                                                                         code=child.code)


def _waiting_on_buttons(context: BotContext) -> bool:
    """A typed value waits for [Use …]/[Keep] or a rolled-back date for [Yes]/[Type again]."""
    state = _state(context)
    return bool(state.get("pending") or state.get("rolled_date"))


async def not_text(update: Update, context: BotContext) -> int:
    """A sticker, photo or voice note mid-entry: say what is readable and ask the same question again."""
    step = int(_state(context).get("step", CHILD))
    if _waiting_on_buttons(context):
        await send_text(update, context, not_text_note(context) + "\n" + press_buttons_hint(context))
        return step
    if step == CONFIRM:
        child, draft = await _child(context, _draft(context)), _draft(context)
        if child is not None:
            await send_text(update, context, not_text_note(context))
            return await ask_confirm(update, context, child, draft)
    return await ask(update, context, step, not_text_note(context))


# ------------------------------------------------------------------ /koreksi


async def koreksi(update: Update, context: BotContext) -> None:
    """The cadre's recent entries as buttons; pressing one opens it for correction."""
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return
    repos = context.runtime.repos
    recent = await repos.measurements.recent_by_user(staff.user_id, limit=30)
    # Only children still in the user's scope: a cadre who moved posyandu must not see the old names.
    children = {c.id: c for c in await repos.children.get_many({m.child_id for m in recent})
                if staff.may_access(c.posyandu_id)}
    recent = [m for m in recent if m.child_id in children][:8]
    if not recent:
        await send_text(update, context, tr.gettext("You have not entered any measurement yet. Type /ukur to start."))
        return
    rows = []
    for m in recent:
        child = children.get(m.child_id)
        if child is None:
            continue
        weight = tr.gettext("{value} kg").format(value=tr.measure(m.weight_kg)) if m.weight_kg else ""
        label = f"{child.name} ({child.code}) · {tr.short_date(m.measured_on)} {weight}".strip()
        rows.append([InlineKeyboardButton(label[:60], callback_data=f"ukur:fix:{m.id}")])
    await send_text(update, context, tr.gettext("Which entry do you want to correct? The old values stay in the "
                                                "history."), InlineKeyboardMarkup(rows))


def register(app: Any) -> None:
    text = filters.TEXT & ~filters.COMMAND
    number_steps: list[BaseHandler[Update, BotContext, Any]] = [
        MessageHandler(text, number_text),
        CallbackQueryHandler(use_pressed, pattern=r"^ukur:use:(suggestion|asis)$"),
        CallbackQueryHandler(keep_pressed, pattern=r"^ukur:keep$"),
    ]
    common_nav: list[BaseHandler[Update, BotContext, Any]] = [
        CallbackQueryHandler(back_pressed, pattern=r"^ukur:back$"),
    ]
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("ukur", start),
            CallbackQueryHandler(start, pattern=r"^ukur:next$"),
            CallbackQueryHandler(start_with_child, pattern=callbacks.UKUR_START.matches),
            CallbackQueryHandler(start_correction, pattern=callbacks.UKUR_FIX.matches),
        ],
        states={
            CHILD: [MessageHandler(text, child_text),
                    CallbackQueryHandler(child_pressed, pattern=callbacks.UKUR_CHILD.matches),
                    CallbackQueryHandler(page_pressed, pattern=callbacks.UKUR_PAGE.matches)],
            DATE: [MessageHandler(text, date_text),
                   CallbackQueryHandler(date_pressed, pattern=callbacks.UKUR_DATE.matches),
                   CallbackQueryHandler(rolled_date_pressed, pattern=r"^ukur:date:(yes|retype)$"),
                   *common_nav],
            WEIGHT: [*number_steps, *common_nav],
            LENGTH: [*number_steps, CallbackQueryHandler(position_pressed, pattern=callbacks.UKUR_POSITION.matches),
                     *common_nav],
            MUAC: [*number_steps, CallbackQueryHandler(skip_pressed, pattern=r"^ukur:skip(all)?$"), *common_nav],
            HEAD: [*number_steps, CallbackQueryHandler(skip_pressed, pattern=r"^ukur:skip$"), *common_nav],
            OEDEMA: [CallbackQueryHandler(oedema_pressed, pattern=r"^ukur:oedema:[01]$"), MessageHandler(text,
                                                                                                     buttons_only),
                     *common_nav],
            CONFIRM: [CallbackQueryHandler(save_pressed, pattern=callbacks.UKUR_SAVE.matches),
                      CallbackQueryHandler(edit_pressed, pattern=callbacks.UKUR_EDIT.matches),
                      MessageHandler(text, buttons_only), *common_nav],
        },
        fallbacks=[
            CommandHandler(["batal", "cancel"], cancel),
            CallbackQueryHandler(cancel, pattern=r"^ukur:cancel$"),
            MessageHandler(NOT_TEXT, not_text),
        ],
        name="cadre_measure",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(exclusive(conversation, {"ukur"}, ("ukur:next", "ukur:start:", "ukur:fix:"),
                              unfinished=unfinished_entry, resume=resume_after_start, discard=_clear))
    if resume_after_start not in START_RESUME_HANDLERS:  # one Application after another (tests, restarts)
        START_RESUME_HANDLERS.append(resume_after_start)
    register_exclusive(app)
    app.add_handler(CommandHandler("koreksi", koreksi))
    app.add_handler(CallbackQueryHandler(chart_button, pattern=callbacks.UKUR_CHART.matches))
