"""Registering a child `/anak_baru`: name, sex (L/P buttons), birth date, parent's name and phone, optional NIK
and address (RT/RW), confirmation, duplicate check; then the child's code and the parent's deep link.

Answers live in `user_data["anak_baru"]` and the conversation is persistent: a restart resumes the step.
"""

from __future__ import annotations

import contextlib
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
from bot.render import enrolment_card
from bot.render.issues import over_five
from bot.services import enrolment as svc
from bot.services.measurement import InputIssue
from handlers.cadre_shared import (
    NOT_TEXT,
    escape,
    exclusive,
    get_staff,
    nav_keyboard,
    not_text_note,
    press_buttons_hint,
    refuse_stranger,
    send_text,
)
from storage.errors import StorageError

log = logging.getLogger(__name__)

ORDER = 21
KEY = "anak_baru"
POSYANDU, NAME, SEX, BIRTH, PARENT, PHONE, NIK, ADDRESS, CONFIRM, DUPLICATE = range(10)
ORDER_OF_STEPS = [NAME, SEX, BIRTH, PARENT, PHONE, NIK, ADDRESS, CONFIRM]
OPTIONAL = {PHONE, NIK, ADDRESS}


def _data(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    data: dict[str, Any] = context.user_data.setdefault(KEY, {})
    return data


def _nav(context: BotContext, *rows: list[InlineKeyboardButton], back: bool = True) -> InlineKeyboardMarkup:
    return nav_keyboard(context, "anak", *rows, back=back)


def _skip_button(context: BotContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.tr.gettext("Skip"), callback_data="anak:skip")


async def ask(update: Update, context: BotContext, step: int, note: str | None = None) -> int:
    tr = context.tr
    data = _data(context)
    data["step"] = step
    lines = [note] if note else []
    skip = [_skip_button(context)]
    markup = _nav(context, back=step != NAME or len(data.get("choices", [])) > 1)
    if step == NAME:
        lines.append(tr.gettext("Register a new child. What is the child's full name?"))
    elif step == SEX:
        lines.append(tr.gettext("Boy or girl?"))
        markup = _nav(context, [InlineKeyboardButton(tr.gettext("L — boy"), callback_data="anak:sex:M"),
                                InlineKeyboardButton(tr.gettext("P — girl"), callback_data="anak:sex:F")])
    elif step == BIRTH:
        lines.append(tr.gettext("Date of birth? For example 15/3/2023 or 15 Mar 2023."))
    elif step == PARENT:
        lines.append(tr.gettext("Name of the mother, father or guardian?"))
    elif step == PHONE:
        lines.append(tr.gettext("Parent's phone number (WhatsApp)? For example 0812 3456 7890 — or skip."))
        markup = _nav(context, skip)
    elif step == NIK:
        lines.append(tr.gettext("The child's NIK (16 digits, from the Kartu Keluarga)? Optional — you can skip."))
        markup = _nav(context, skip)
    elif step == ADDRESS:
        lines.append(tr.gettext("Address with RT/RW? For example: Jl. Melati 5 RT 03/RW 02 — or skip."))
        markup = _nav(context, skip)
    elif step == CONFIRM:
        return await ask_confirm(update, context)
    await send_text(update, context, "\n".join(lines), markup)
    return step


async def not_text(update: Update, context: BotContext) -> int:
    """A sticker, photo or voice note mid-enrolment: say what is readable and ask the same question again."""
    step = int(_data(context).get("step", NAME))
    if step == CONFIRM:
        await send_text(update, context, not_text_note(context))
        return await ask_confirm(update, context)
    if step in (POSYANDU, DUPLICATE):  # a choice between buttons is open above
        await send_text(update, context, not_text_note(context) + "\n" + press_buttons_hint(context))
        return step
    return await ask(update, context, step, not_text_note(context))


async def ask_confirm(update: Update, context: BotContext) -> int:
    tr = context.tr
    data = _data(context)
    data["step"] = CONFIRM
    text = "\n".join([tr.gettext("Please check:"), enrolment_card(tr, data, context.runtime.today())])
    if not data.get("guardian_phone"):
        text += "\n\n" + tr.gettext("ℹ️ Without a phone number the parent can still link with the code below.")
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("✅ Register"), callback_data="anak:save")],
        [InlineKeyboardButton(tr.gettext("⬅️ Back"), callback_data="anak:back"),
         InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="anak:cancel")],
    ])
    await send_text(update, context, text, markup)
    return CONFIRM


async def unfinished_registration(context: BotContext) -> str | None:
    """"the registration of Citra Kirana" once a name was typed (None: nothing would be lost)."""
    if context.user_data is None:
        return None
    name = (context.user_data.get(KEY) or {}).get("name")
    if not name:
        return None
    return context.tr.gettext("The registration of {name}").format(name=escape(str(name), 60))


async def resume_registration(update: Update, context: BotContext) -> int:
    step = int(_data(context).get("step", NAME))
    if step in (POSYANDU, DUPLICATE):  # a choice between buttons is open above
        await send_text(update, context, press_buttons_hint(context))
        return step
    return await ask(update, context, step)


def _discard(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)


def _next(step: int) -> int:
    return ORDER_OF_STEPS[ORDER_OF_STEPS.index(step) + 1]


async def start(update: Update, context: BotContext) -> int:
    tr = context.tr
    staff = await get_staff(update, context)
    if staff is None:
        await refuse_stranger(update, context)
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[KEY] = {}
    repos = context.runtime.repos
    if staff.posyandu_ids is None:
        choices = [p for p in await repos.posyandu.list()][:12]
    else:
        choices = await repos.posyandu.get_many(list(staff.posyandu_ids))
    if not choices:
        await send_text(update, context, tr.gettext("There is no posyandu in your area yet."))
        return ConversationHandler.END
    _data(context)["choices"] = [p.id for p in choices]
    if len(choices) == 1:
        _data(context)["posyandu_id"] = choices[0].id
        return await ask(update, context, NAME)
    rows = [[InlineKeyboardButton(p.name[:60], callback_data=f"anak:pos:{p.id}")] for p in choices]
    _data(context)["step"] = POSYANDU
    await send_text(update, context, tr.gettext("Which posyandu is the child registered at?"),
                    _nav(context, *rows, back=False))
    return POSYANDU


async def posyandu_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    pid = callbacks.ANAK_POSYANDU.parse(query.data).id("posyandu")
    if pid not in _data(context).get("choices", []):
        return POSYANDU
    _data(context)["posyandu_id"] = pid
    return await ask(update, context, NAME)


def _issue_text(context: BotContext, issue: InputIssue) -> str:
    tr = context.tr
    texts = {
        "empty": tr.gettext("I did not get an answer. Please type it again."),
        "bad_sex": tr.gettext("Please press L (boy) or P (girl)."),
        "name_too_long": tr.gettext("That name is very long. Please type only the name (at most {limit} "
                                    "characters).").format(limit=issue.params.get("limit", 80)),
        "name_no_letters": tr.gettext("Please type a name in letters, for example Budi Santoso."),
        "not_a_date": tr.gettext("I could not read that date. Type it like 15/3/2023 or 15 Mar 2023."),
        "birth_future": tr.gettext("That date is in the future. Please type the date of birth, "
                                   "for example 15/3/2023."),
        "birth_no_year": tr.gettext("Please write the year too, for example {example}.").format(
            example=issue.params.get("example", "15/3/2023")),
        "bad_phone": tr.gettext("That phone number does not look right. Type it like 0812 3456 7890, or skip."),
        "bad_nik": tr.gettext("A NIK has exactly 16 digits (see the Kartu Keluarga). Type it again, or skip."),
        "address_too_long": tr.gettext("That address is very long. Please shorten it (at most {limit} "
                                       "characters).").format(limit=issue.params.get("limit", 200)),
    }
    if issue.code == "over_five":
        return over_five(tr, int(issue.params.get("age_days", 0))) + "\n" + tr.gettext(
            "Only children under five can be registered. Please check the date of birth.")
    return texts.get(issue.code, texts["empty"])


async def text_answer(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    text = update.effective_message.text
    data = _data(context)
    step = int(data.get("step", NAME))
    if step in OPTIONAL and svc.is_skip(text):
        return await _skip(update, context, step)
    try:
        if step == NAME:
            data["name"] = svc.read_name(text)
        elif step == SEX:
            data["sex"] = svc.read_sex(text).value
        elif step == BIRTH:
            data["birth_date"] = svc.read_birth_date(text, context.runtime.today()).isoformat()
        elif step == PARENT:
            data["guardian_name"] = svc.read_name(text)
        elif step == PHONE:
            data["guardian_phone"] = svc.read_phone(text)
        elif step == NIK:
            data["nik"] = svc.read_nik(text)
            # The full NIK should not stay readable in the chat history on a shared phone.
            with contextlib.suppress(TelegramError):
                await update.effective_message.delete()
        elif step == ADDRESS:
            data["address"], data["rt"], data["rw"] = svc.read_address(text)
        else:
            await send_text(update, context, press_buttons_hint(context))
            return step
    except InputIssue as issue:
        # At an optional step the answer may still be skipped: keep [Skip] under the error too.
        rows = [[_skip_button(context)]] if step in OPTIONAL else []
        await send_text(update, context, _issue_text(context, issue), _nav(context, *rows))
        return step
    return await ask(update, context, _next(step))


async def sex_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    _data(context)["sex"] = svc.read_sex(callbacks.ANAK_SEX.parse(query.data).text("sex")).value
    return await ask(update, context, BIRTH)


async def skip_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query
    await query.answer()
    step = int(_data(context).get("step", PHONE))
    if step not in OPTIONAL:
        return step
    return await _skip(update, context, step)


async def _skip(update: Update, context: BotContext, step: int) -> int:
    for key in {PHONE: ("guardian_phone",), NIK: ("nik",), ADDRESS: ("address", "rt", "rw")}[step]:
        _data(context).pop(key, None)
    return await ask(update, context, _next(step))


async def back_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query
    await query.answer()
    step = int(_data(context).get("step", NAME))
    if step in (NAME, POSYANDU):
        return await start(update, context)
    if step == DUPLICATE:
        return await ask(update, context, CONFIRM)
    return await ask(update, context, ORDER_OF_STEPS[max(ORDER_OF_STEPS.index(step) - 1, 0)])


async def save_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data and update.effective_user
    tr = context.tr
    data = _data(context)
    if data.get("step") not in (CONFIRM, DUPLICATE) or not data.get("name"):
        await query.answer(tr.gettext("Already saved."))
        return ConversationHandler.END
    await query.answer()
    repos = context.runtime.repos
    pid = int(data["posyandu_id"])
    # The conversation survives restarts: re-check the scope before showing or writing anything.
    staff = await get_staff(update, context)
    if staff is None or not staff.may_access(pid):
        await send_text(update, context, tr.gettext("You can only register children at your posyandu."))
        return ConversationHandler.END
    if callbacks.ANAK_SAVE.matches(query.data):
        duplicate = await svc.find_duplicate(repos, data, pid)
        if duplicate is not None:
            data["step"] = DUPLICATE
            data["duplicate_id"] = duplicate.id
            await send_text(update, context, tr.gettext(
                "⚠️ {name}, born {birth}, is already registered at this posyandu with code {code}. "
                "Register another child anyway?").format(
                name=html.escape(duplicate.name), birth=tr.date(duplicate.birth_date), code=duplicate.code),
                InlineKeyboardMarkup([
                    [InlineKeyboardButton(tr.gettext("Yes, it is another child"), callback_data="anak:force")],
                    [InlineKeyboardButton(tr.gettext("No, use {code}").format(code=duplicate.code),
                                          callback_data="anak:same")],
                    [InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="anak:cancel")],
                ]))
            return DUPLICATE
    try:
        enrolled = await svc.enrol(repos, data, pid, update.effective_user.id)
    except StorageError as exc:
        await send_text(update, context, exc.message(tr) + "\n" + tr.gettext("Nothing was lost: fix it with ⬅️ Back."))
        return await ask_confirm(update, context)
    assert context.user_data is not None
    context.user_data.pop(KEY, None)
    child = enrolled.child
    link = svc.deep_link(context.bot.username, enrolled.invite.code)
    text = "\n".join([
        tr.gettext("✅ {name} is registered with code <b>{code}</b>.").format(name=html.escape(child.name),
                                                                             code=child.code),
        "",
        tr.gettext("Send this link to the parent to follow the child's growth in Telegram:"),
        link,
        tr.gettext("Or the parent sends /start {code} to this bot. Valid for 14 days, for one parent.").format(
            code=enrolled.invite.code),
    ])
    await send_text(update, context, text, InlineKeyboardMarkup([[
        InlineKeyboardButton(tr.gettext("📏 Measure now"), callback_data=f"ukur:start:{child.id}"),
        InlineKeyboardButton(tr.gettext("➕ Another child"), callback_data="anak:new"),
    ]]))
    return ConversationHandler.END


async def same_pressed(update: Update, context: BotContext) -> int:
    """The cadre recognised the existing child: nothing new is created."""
    query = update.callback_query
    assert query
    await query.answer()
    tr = context.tr
    data = _data(context)
    child = await context.runtime.repos.children.find_by_id(int(data.get("duplicate_id") or 0))
    assert context.user_data is not None
    context.user_data.pop(KEY, None)
    staff = await get_staff(update, context)
    if child is None or staff is None or not staff.may_access(child.posyandu_id):
        return ConversationHandler.END
    await send_text(update, context, tr.gettext("OK, nothing new was registered. {name} keeps code {code}.").format(
        name=escape(child.name, 60), code=child.code), InlineKeyboardMarkup([[
            InlineKeyboardButton(tr.gettext("📏 Measure now"), callback_data=f"ukur:start:{child.id}")]]))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    if context.user_data is not None:
        context.user_data.pop(KEY, None)
    await send_text(update, context, context.tr.gettext("Cancelled. No child was registered."))
    return ConversationHandler.END


async def new_pressed(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    return await start(update, context)


def register(app: Any) -> None:
    text = filters.TEXT & ~filters.COMMAND
    nav: list[BaseHandler[Update, BotContext, Any]] = [CallbackQueryHandler(back_pressed,
                                                                            pattern=callbacks.ANAK_BACK.matches)]
    skip: Any = CallbackQueryHandler(skip_pressed, pattern=callbacks.ANAK_SKIP.matches)
    conversation = ConversationHandler(
        entry_points=[CommandHandler("anak_baru", start),
                      CallbackQueryHandler(new_pressed, pattern=callbacks.ANAK_NEW.matches)],
        states={
            POSYANDU: [CallbackQueryHandler(posyandu_pressed, pattern=callbacks.ANAK_POSYANDU.matches)],
            NAME: [MessageHandler(text, text_answer), *nav],
            SEX: [CallbackQueryHandler(sex_pressed, pattern=callbacks.ANAK_SEX.matches),
                  MessageHandler(text, text_answer), *nav],
            BIRTH: [MessageHandler(text, text_answer), *nav],
            PARENT: [MessageHandler(text, text_answer), *nav],
            PHONE: [MessageHandler(text, text_answer), skip, *nav],
            NIK: [MessageHandler(text, text_answer), skip, *nav],
            ADDRESS: [MessageHandler(text, text_answer), skip, *nav],
            CONFIRM: [CallbackQueryHandler(save_pressed, pattern=callbacks.ANAK_SAVE.matches),
                      MessageHandler(text, text_answer), *nav],
            DUPLICATE: [CallbackQueryHandler(save_pressed, pattern=callbacks.ANAK_FORCE.matches),
                        CallbackQueryHandler(same_pressed, pattern=callbacks.ANAK_SAME.matches), *nav],
        },
        fallbacks=[CommandHandler(["batal", "cancel"], cancel),
                   CallbackQueryHandler(cancel, pattern=callbacks.ANAK_CANCEL.matches),
                   MessageHandler(NOT_TEXT, not_text)],
        name="cadre_enrol",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(exclusive(conversation, {"anak_baru"}, ("anak:new",), unfinished=unfinished_registration,
                              resume=resume_registration, discard=_discard))
