"""Recording on a case or a family, one question at a time: a visit, a referral, the puskesmas outcome, a note or
closing a case (buttons on the case card); a check, ANC, home or postnatal visit, the birth or a new pregnancy
(buttons on a woman's card); registering a woman (`/ibu_baru`). The questions, checks and saving are in
bot.services.forms and bot.services.form_specs; this module only asks and answers.

The session lives in `user_data["case_form"]` and the conversation is persistent: a restart resumes the question.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks
from bot.context import BotContext
from bot.growth.maternal import MaternalInputError
from bot.i18n import N_
from bot.services import cases as case_svc
from bot.services import families as fam
from bot.services import form_specs as specs
from bot.services import forms
from bot.services.forms import Kind
from handlers.cadre_shared import NOT_TEXT, exclusive, not_text_note, press_buttons_hint, send_text
from storage.errors import StorageError

log = logging.getLogger(__name__)

ORDER = 25
KEY = "case_form"
ASK, CONFIRM = range(2)

REFUSALS: dict[str, str] = {
    "not_found": N_("That record no longer exists, or it is not in your area."),
    "closed": N_("This case is already closed."),
    "not_allowed": N_("You cannot record this here: it is not in your area, or it is for another role (the "
                      "puskesmas outcome is entered by the midwife or puskesmas staff)."),
    "date_future": N_("That date is in the future. Nothing was saved."),
    "before_opened": N_("That date is before the case was opened. Nothing was saved."),
    "not_pregnant": N_("She has no pregnancy on record. Record a new pregnancy first."),
    "no_birth": N_("No birth is recorded for her yet."),
    "already_pregnant": N_("A pregnancy is already on record for her."),
    "child_not_found": N_("No child with that code at her posyandu. Type the baby's name instead, or check the code."),
    "child_other_birth_date": N_("That child has another date of birth. Check the code or the date of the birth."),
}


def _session(context: BotContext) -> dict[str, Any] | None:
    data = context.user_data.get(KEY) if context.user_data is not None else None
    return data if isinstance(data, dict) and data.get("form") in specs.FORMS else None


def _refusal(code: str, context: BotContext) -> str:
    return context.tr.gettext(REFUSALS.get(code, REFUSALS["not_allowed"]))


async def _principal(update: Update, context: BotContext) -> Any:
    assert update.effective_user
    rt = context.runtime
    return await case_svc.principal_of(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)


# ------------------------------------------------------------------ asking


def _keyboard(prompt: forms.Prompt, context: BotContext) -> InlineKeyboardMarkup:
    tr = context.tr
    rows: list[list[InlineKeyboardButton]] = []
    if prompt.kind is Kind.DATE:
        rows.append([InlineKeyboardButton(tr.gettext("Today"), callback_data="kf:day:0"),
                     InlineKeyboardButton(tr.gettext("Yesterday"), callback_data="kf:day:1")])
    elif prompt.kind is Kind.CHOICE:
        buttons = [InlineKeyboardButton(label[:60], callback_data=f"kf:c:{value}") for value, label in prompt.choices]
        width = 1 if any(len(label) > 24 for _, label in prompt.choices) else 2
        rows += [buttons[i:i + width] for i in range(0, len(buttons), width)]
    elif prompt.kind is Kind.CHECKS:
        rows += [[InlineKeyboardButton(("✅ " if on else "▫️ ") + label[:55], callback_data=f"kf:t:{n}")]
                 for n, label, on in prompt.checks]
        rows.append([InlineKeyboardButton(tr.gettext("✅ Done"), callback_data="kf:done")])
    if prompt.optional:
        rows.append([InlineKeyboardButton(tr.gettext("Skip"), callback_data="kf:skip")])
    last = [] if prompt.first else [InlineKeyboardButton(tr.gettext("⬅️ Back"), callback_data="kf:back")]
    last.append(InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="kf:cancel"))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def _value(f: forms.Field, value: Any, context: BotContext, session: dict[str, Any]) -> str:
    tr = context.tr
    if f.kind in (Kind.DATE, Kind.BORN):
        return tr.date(dt.date.fromisoformat(str(value)))
    if f.kind is Kind.NUMBER:
        return tr.measure(float(value))
    if f.kind is Kind.CHOICE:
        labels = dict(forms.choices_of(f, session, tr))
        return html.escape(labels.get(str(value), str(value)))
    if f.kind is Kind.CHECKS:
        labels = {v: tr.gettext(label) for v, label in f.choices}
        return html.escape(", ".join(labels.get(v, v) for v in value) or "—")
    return html.escape(str(value))


async def ask(update: Update, context: BotContext, note: str | None = None) -> int:
    session = _session(context)
    if session is None:
        return ConversationHandler.END
    form = specs.form_of(session)
    tr = context.tr
    if session.get("done"):
        text = "\n".join([*([note] if note else []), tr.gettext("Please check:"),
                          forms.summary(form, session, tr, lambda f, v: _value(f, v, context, session))])
        await send_text(update, context, text, InlineKeyboardMarkup([
            [InlineKeyboardButton(tr.gettext("✅ Save"), callback_data="kf:save")],
            [InlineKeyboardButton(tr.gettext("⬅️ Back"), callback_data="kf:back"),
             InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="kf:cancel")]]))
        return CONFIRM
    prompt = forms.prompt(form, session, tr)
    await send_text(update, context, "\n".join([*([note] if note else []), prompt.text]), _keyboard(prompt, context))
    return ASK


async def _begin(update: Update, context: BotContext, key: str, target: int) -> int:
    p = await _principal(update, context)
    rt = context.runtime
    try:
        if p is None:
            raise specs.FormRefused("not_allowed")
        session = await specs.begin(rt.repos, p, key, target, rt.today(), context.tr)
    except specs.FormRefused as exc:
        await send_text(update, context, _refusal(exc.code, context))
        return ConversationHandler.END
    forms.advance(specs.form_of(session), session)
    assert context.user_data is not None
    context.user_data[KEY] = session
    return await ask(update, context)


async def start_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    values = callbacks.KF_START.parse(query.data)
    return await _begin(update, context, values.text("form"), values.id("target"))


async def new_woman(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    return await _begin(update, context, specs.REGISTER, 0)


# ------------------------------------------------------------------ answers


async def _answered(update: Update, context: BotContext, step: Any) -> int:
    session = _session(context)
    if session is None:
        return ConversationHandler.END
    try:
        step(specs.form_of(session), session)
    except forms.FormError as exc:
        return await ask(update, context, "⚠️ " + exc.text)
    return await ask(update, context)


async def text_answer(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    text, tr, today = update.effective_message.text, context.tr, context.runtime.today()
    return await _answered(update, context, lambda f, s: forms.answer_text(f, s, text, tr, today))


async def button_answer(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    data, tr, today = query.data, context.tr, context.runtime.today()
    session = _session(context)
    if session is None:
        await query.answer(tr.gettext("This button is no longer active."))
        return ConversationHandler.END
    if callbacks.KF_TOGGLE.matches(data):
        form = specs.form_of(session)
        await query.answer()
        if forms.toggle(form, session, callbacks.KF_TOGGLE.parse(data).number("item")):
            await query.edit_message_reply_markup(_keyboard(forms.prompt(form, session, tr), context))
        return ASK
    await query.answer()
    if callbacks.KF_CHOICE.matches(data):
        value = callbacks.KF_CHOICE.parse(data).text("value")
        return await _answered(update, context, lambda f, s: forms.answer_choice(f, s, value, tr, today))
    if callbacks.KF_DAY.matches(data):
        back = callbacks.KF_DAY.parse(data).number("back")
        return await _answered(update, context, lambda f, s: forms.answer_day(f, s, back, tr, today))
    if callbacks.KF_DONE.matches(data):
        return await _answered(update, context, lambda f, s: forms.checks_done(f, s, tr))
    return await _answered(update, context, lambda f, s: forms.skip(f, s, tr))


async def back_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query
    await query.answer()
    session = _session(context)
    if session is None:
        return ConversationHandler.END
    forms.back(specs.form_of(session), session)
    return await ask(update, context)


async def confirm_text(update: Update, context: BotContext) -> int:
    await send_text(update, context, press_buttons_hint(context))
    return CONFIRM


async def save_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query
    tr, rt = context.tr, context.runtime
    session = _session(context)
    if session is None or not session.get("done"):
        await query.answer(tr.gettext("Already saved."))
        return ConversationHandler.END
    await query.answer()
    p = await _principal(update, context)
    try:
        if p is None:
            raise specs.FormRefused("not_allowed")
        saved = await specs.save(rt.repos, p, session, rt.today(), tr)
    except (specs.FormRefused, case_svc.CaseRefused, fam.FamilyRefused) as exc:
        _discard(context)
        await send_text(update, context, _refusal(exc.code, context))
        return ConversationHandler.END
    except MaternalInputError as exc:
        return await ask(update, context, "⚠️ " + forms.maternal_message(exc, tr))
    except StorageError as exc:
        return await ask(update, context, "⚠️ " + exc.message(tr))
    _discard(context)
    rows = []
    if saved.case_id is not None:
        rows.append([InlineKeyboardButton(tr.gettext("📁 See the case"), callback_data=f"kasus:c:{saved.case_id}")])
    if saved.woman_id is not None:
        rows.append([InlineKeyboardButton(tr.gettext("👩 Her record"), callback_data=f"ibu:w:{saved.woman_id}")])
    await send_text(update, context, saved.text, InlineKeyboardMarkup(rows) if rows else None)
    log.info("form %s saved by user %s", session.get("form"), p.user_id if p else None)
    return ConversationHandler.END


# ------------------------------------------------------------------ leaving, and unfinished work


def _discard(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)


async def cancel(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    _discard(context)
    await send_text(update, context, context.tr.gettext("Cancelled: nothing was saved."))
    return ConversationHandler.END


async def not_text(update: Update, context: BotContext) -> int:
    return await ask(update, context, not_text_note(context))


async def unfinished(context: BotContext) -> str | None:
    session = _session(context)
    if session is None or not session.get("answers"):
        return None
    form = specs.form_of(session)
    return context.tr.gettext("The {form} for {subject}").format(form=context.tr.gettext(form.title).lower(),
                                                                  subject=session["ctx"].get("subject", ""))


async def resume(update: Update, context: BotContext) -> int:
    return await ask(update, context)


def register(app: Any) -> None:
    text = filters.TEXT & ~filters.COMMAND
    answers: Any = CallbackQueryHandler(button_answer, pattern=callbacks.any_of(
        callbacks.KF_CHOICE, callbacks.KF_DAY, callbacks.KF_TOGGLE, callbacks.KF_DONE, callbacks.KF_SKIP))
    back: Any = CallbackQueryHandler(back_pressed, pattern=callbacks.KF_BACK.matches)
    conversation = ConversationHandler(
        entry_points=[CallbackQueryHandler(start_pressed, pattern=callbacks.KF_START.matches),
                      CallbackQueryHandler(new_woman, pattern=callbacks.KF_NEW.matches),
                      CommandHandler("ibu_baru", new_woman)],
        states={
            ASK: [MessageHandler(text, text_answer), answers, back],
            CONFIRM: [CallbackQueryHandler(save_pressed, pattern=callbacks.KF_SAVE.matches), back,
                      MessageHandler(text, confirm_text)],
        },
        fallbacks=[CommandHandler(["batal", "cancel"], cancel),
                   CallbackQueryHandler(cancel, pattern=callbacks.KF_CANCEL.matches),
                   MessageHandler(NOT_TEXT, not_text)],
        name="case_forms",
        persistent=True,
        allow_reentry=True,
    )
    prefixes = (*(f"kf:{key}:" for key in (*specs.CASE_FORMS, *specs.FAMILY_FORMS)), "kf:new")
    app.add_handler(exclusive(conversation, {"ibu_baru"}, prefixes, unfinished=unfinished, resume=resume,
                              discard=_discard))


__all__ = ["register"]
