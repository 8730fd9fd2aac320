"""Parent journey, linking (not a journey module: handlers/parent.py registers these): a link code with
`/start <code>`, `/kode` or typed alone, the phone number (contact button), `/hubungkan`, and the ❌ Cancel key.

Also the small pieces the other parent modules share (`first_name`, `how_to_link`, `contact_keyboard`).
handlers/parent_questions.py tries a typed message that looks like a code with `looks_like_code`/`try_code`.
"""

from __future__ import annotations

import html
import math
import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.context import BotContext
from bot.i18n import Translator
from bot.services import parent as svc
from bot.services.phone import mask_phone
from storage.models import Child

# A typed link code: 6-12 letters and digits with at least one of each (plain words never look like this), or
# 8 capital letters (about 1 code in 12 has no digit; people copy codes as the cadre wrote them, in capitals).
CODE_SHAPE = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9]{6,12}$")
LETTERS_CODE_SHAPE = re.compile(r"^[A-Z]{8}$")


def looks_like_code(text: str) -> bool:
    """A message that is probably a link code typed without /start (tried with the same rate limit)."""
    return bool(CODE_SHAPE.match(text) or LETTERS_CODE_SHAPE.match(text))


CANCEL_TEXT = re.compile(r"^\s*(❌\s*)?(batal|cancel)\s*$", re.IGNORECASE)


def first_name(child: Child) -> str:
    return html.escape(child.name.split()[0] if child.name.split() else child.name)


def contact_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(tr.gettext("📱 Send my phone number"), request_contact=True)],
         [KeyboardButton(tr.gettext("❌ Cancel"))]],
        resize_keyboard=True, one_time_keyboard=True)


def how_to_link(tr: Translator) -> str:
    return tr.gettext(
        "To see your child's growth, link your account to your child:\n"
        "1️⃣ Press <b>📱 Send my phone number</b> below. It must be the number the cadre wrote down for "
        "your child.\n"
        "2️⃣ Or send the code the cadre gave you, for example: <code>/start AB12CD34</code>")


async def link_command(update: Update, context: BotContext) -> None:
    """/hubungkan: how to link, with the contact button."""
    assert update.effective_message
    await update.effective_message.reply_text(how_to_link(context.tr), reply_markup=contact_keyboard(context.tr))


def linked_text(tr: Translator, children: list[Child] | tuple[Child, ...]) -> str:
    names = ", ".join(f"<b>{first_name(c)}</b>" for c in children)
    return tr.gettext("✅ Linked! You can now follow the growth of {names}.").format(names=names)


def closed_text(tr: Translator) -> str:
    return tr.gettext("This account has been closed by the posyandu, so it cannot be linked to a child. "
                      "If that is a mistake, please ask your posyandu cadre.")


def after_link_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(tr.gettext("👶 See my child"), callback_data="ortu:anakku"),
        InlineKeyboardButton(tr.gettext("💡 A tip"), callback_data="ortu:tips"),
    ]])


async def try_code(update: Update, context: BotContext, code: str, *, typed: bool = False) -> bool:
    """Use `code` as a parent link code. False when it is another kind of invite (not ours to answer)."""
    user = update.effective_user
    msg = update.effective_message
    assert user and msg
    tr = context.tr
    rt = context.runtime
    result = await svc.redeem_code(rt.repos, user.id, code, rt.clock.now(), display_name=user.first_name or "",
                                   language=context.lang)
    if result is None:
        return False
    O = svc.LinkOutcome  # noqa: E741 - a short alias keeps the branches readable
    if result.outcome is O.CLOSED:
        await msg.reply_text(closed_text(tr), reply_markup=ReplyKeyboardRemove())
        return True
    if result.outcome is O.LINKED and not result.children:
        # A posyandu-wide parent invite (no child in it): the child is found by the phone number instead.
        await msg.reply_text(tr.gettext("✅ Your account is now registered with the posyandu. To see your child, "
                                        "press <b>📱 Send my phone number</b> below."),
                             reply_markup=contact_keyboard(tr))
        return True
    if result.outcome in (O.LINKED, O.ALREADY):
        if result.outcome is O.ALREADY:
            text = tr.gettext("You are already linked with this code.")
        else:
            text = linked_text(tr, result.children)
        text += "\n" + tr.gettext("Type /anakku to see the latest results, /tips for a tip for your child's age, "
                                  "or just type a question about your child's nutrition.")
        await msg.reply_text(text, reply_markup=after_link_keyboard(tr))
        return True
    phone_hint = tr.gettext("You can also link with your phone number: /hubungkan")
    if result.outcome is O.LOCKED:
        minutes = max(1, math.ceil((result.wait.total_seconds() if result.wait else 60) / 60))
        text = tr.ngettext(
            "Too many wrong codes. To keep children's data safe, please try again in {n} minute.",
            "Too many wrong codes. To keep children's data safe, please try again in {n} minutes.",
            minutes).format(n=minutes)
    elif result.outcome is O.EXPIRED:
        text = tr.gettext("This code has expired. Please ask your posyandu cadre for a new one.")
    elif result.outcome is O.USED:
        text = tr.gettext("This code has already been used by someone else. Each code is for one person: "
                          "please ask your posyandu cadre for your own code.")
    else:
        text = tr.gettext("I don't know this code. Please check the letters and numbers (for example "
                          "AB12CD34), or ask your posyandu cadre for a new one.")
        if typed:
            text = tr.gettext("If that was a link code from your cadre: ") + text
    if result.attempts_left is not None and result.outcome is not O.LOCKED:
        if result.attempts_left == 0:
            text += "\n" + tr.gettext("No tries left for now; please wait an hour.")
        elif result.attempts_left <= 3:
            text += "\n" + tr.ngettext("{n} try left this hour.", "{n} tries left this hour.",
                                       result.attempts_left).format(n=result.attempts_left)
    await msg.reply_text(text + "\n" + phone_hint)
    return True


async def start_payload(update: Update, context: BotContext, payload: str) -> bool:
    """`/start <code>`: parent link codes (and any unknown code: this handler is asked last)."""
    return await try_code(update, context, payload)


async def code_command(update: Update, context: BotContext) -> None:
    """/kode AB12CD34 — the same as /start AB12CD34, easier to type."""
    assert update.effective_message
    if not context.args:
        await update.effective_message.reply_text(
            context.tr.gettext("Send the code after the command, for example: <code>/kode AB12CD34</code>"))
        return
    if not await try_code(update, context, context.args[0]):
        await update.effective_message.reply_text(
            context.tr.gettext("This is not a parent's code. Staff invitation codes go with /start, for example: "
                               "<code>/start AB12CD34</code>"))


async def contact_received(update: Update, context: BotContext) -> None:
    msg = update.effective_message
    user = update.effective_user
    assert msg and user and msg.contact
    tr = context.tr
    if msg.contact.user_id != user.id:
        # Telegram only vouches for the sender's own number (request_contact); a forwarded card proves nothing.
        await msg.reply_text(tr.gettext("Sorry, I can only use your own phone number. Please press "
                                        "<b>📱 Send my phone number</b>."), reply_markup=contact_keyboard(tr))
        return
    result = await svc.link_by_phone(context.runtime.repos, user.id, msg.contact.phone_number,
                                     display_name=user.first_name or "", language=context.lang)
    if result.closed:
        await msg.reply_text(closed_text(tr), reply_markup=ReplyKeyboardRemove())
        return
    if result.phone is None:
        await msg.reply_text(tr.gettext("This does not look like an Indonesian phone number. Please ask your "
                                        "posyandu cadre for a link code, then send /start followed by the code."),
                             reply_markup=ReplyKeyboardRemove())
        return
    if not result.children:
        await msg.reply_text(
            tr.gettext("No child is registered with the number {phone}.\n"
                       "Perhaps the cadre wrote down another number. Ask your posyandu cadre to check the phone "
                       "number in your child's record, or to give you a link code.").format(
                phone=html.escape(mask_phone(result.phone))),
            reply_markup=ReplyKeyboardRemove())
        return
    lines = []
    if result.linked:
        lines.append(linked_text(tr, result.linked))
    if result.already:
        lines.append(tr.gettext("Already linked: {names}.").format(
            names=", ".join(f"<b>{first_name(c)}</b>" for c in result.already)))
    if result.posyandu_count > 1:
        places = ", ".join(
            f"{first_name(c)} ({html.escape(result.posyandu_names.get(c.posyandu_id, ''))})" for c in result.children)
        lines.append(tr.gettext("Your children are registered at {n} different posyandu: {places}. "
                                "All of them are linked.").format(n=result.posyandu_count, places=places))
    await msg.reply_text("\n".join(lines), reply_markup=ReplyKeyboardRemove())
    await msg.reply_text(tr.gettext("Type /anakku to see the latest results, /tips for a tip for your child's age, "
                                    "or just type a question about your child's nutrition."),
                         reply_markup=after_link_keyboard(tr))


async def cancel_keyboard(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(context.tr.gettext("OK, cancelled. Type /help to see what I can do."),
                                              reply_markup=ReplyKeyboardRemove())
