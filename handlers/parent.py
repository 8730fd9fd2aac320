"""Parent journey: link to a child (code or phone), /anakku, growth charts, /tips, /berhenti, /mulai, /hapus_saya.

Thin: the rules live in bot/services/parent.py and bot/services/tips.py. Free-text questions are in
handlers/parent_questions.py (ORDER 90, after every conversation that takes free text).
Callback data starts with `ortu:` (Indonesian for parent).
"""

from __future__ import annotations

import html
import logging
import math
import re
from typing import TYPE_CHECKING

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.context import BotContext
from bot.growth.advice import Audience, parent_summary, render_advice
from bot.growth.age import age_text
from bot.growth.faltering import WeighStatus
from bot.i18n import N_, Translator
from bot.services import parent as svc
from bot.services import tips as tips_svc
from bot.services.phone import mask_phone
from handlers.common import START_PAYLOAD_HANDLERS
from handlers.services_parent import kia_section
from storage.models import Child, Position

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

# After the conversations that take free text (10-40) and the staff journeys, so that a /start code nobody
# else claimed reaches `start_payload` last; before the free-text questions (90).
ORDER = 85

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


# ------------------------------------------------------------------ linking


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


# ------------------------------------------------------------------ /anakku


def _grams(tr: Translator, grams: int) -> str:
    return tr.gettext("{g} g").format(g=abs(grams))


def trend_lines(report: svc.ChildReport, tr: Translator) -> list[str]:
    """How the weight changed since the weighing the status function compared with, in plain words."""
    latest = report.latest
    name = first_name(report.child)
    if latest is None:
        return []
    faltering = latest.faltering
    if report.previous is None and (faltering is None or faltering.reference_on is None):
        return [tr.gettext("This is {name}'s first measurement here; next month you will see the trend.").format(
            name=name)]
    lines: list[str] = []
    if faltering is not None and faltering.reference_on is not None and faltering.gain_g is not None:
        since, change = tr.date(faltering.reference_on), faltering.gain_g
        if faltering.two_t:
            lines.append(tr.gettext("⚠️ Weight has not gone up enough for two months in a row (2T)."))
        elif faltering.status is WeighStatus.N:
            lines.append(tr.gettext("📈 Since {date}: weight went up {grams}. Good!").format(
                date=since, grams=_grams(tr, change)))
        elif faltering.status is WeighStatus.T:
            minimum = _grams(tr, faltering.kbm_g or 0)
            if change > 0:
                text = tr.gettext("⚠️ Since {date}: weight went up only {grams}; at this age it should go up at "
                                  "least {minimum}.")
            elif change == 0:
                text = tr.gettext("⚠️ Since {date}: weight did not change; at this age it should go up at least "
                                  "{minimum}.")
            else:
                text = tr.gettext("⚠️ Since {date}: weight went down {grams}; at this age it should go up at least "
                                  "{minimum}.")
            lines.append(text.format(date=since, grams=_grams(tr, change), minimum=minimum))
        elif change >= 0:
            # Not about a month apart (O, or weighed again within days): what changed, without an N/T verdict.
            lines.append(tr.gettext("Since {date}: weight went up {grams}.").format(
                date=since, grams=_grams(tr, change)))
        else:
            lines.append(tr.gettext("Since {date}: weight went down {grams}.").format(
                date=since, grams=_grams(tr, change)))
    cm = report.length_change_cm
    if cm is not None and cm > 0:
        lines.append(tr.gettext("Height grew {cm} cm.").format(cm=tr.decimal(cm, 1)))
    return lines


def next_session_line(report: svc.ChildReport, tr: Translator) -> str:
    session = report.next_session
    if session is None:
        return tr.gettext("📅 Ask your cadre for the date of the next posyandu.")
    when = session.when_text or tr.date(session.date)
    return tr.gettext("📅 Next posyandu: {when}.").format(when=html.escape(when))


def report_text(report: svc.ChildReport, tr: Translator) -> str:
    child = report.child
    name = first_name(child)
    lines = [f"👶 <b>{html.escape(child.name)}</b> · {age_text(report.age_days, tr)}"]
    latest = report.latest
    if latest is None:
        lines.append(tr.gettext("{name} has not been weighed at the posyandu yet.").format(name=name))
        lines.append(tr.gettext("Bring {name} and the Buku KIA to the next posyandu.").format(name=name))
        lines.append(next_session_line(report, tr))
        return "\n".join(lines)
    m = latest.measurement
    lines.append(tr.gettext("Last measured: {date}, {posyandu}").format(
        date=tr.date(m.measured_on), posyandu=html.escape(report.posyandu_name)))
    sizes = []
    if m.weight_kg is not None:
        sizes.append(tr.gettext("weight {kg} kg").format(kg=tr.measure(m.weight_kg)))
    if m.length_cm is not None:
        label = tr.gettext("length {cm} cm") if m.position == Position.LYING else tr.gettext("height {cm} cm")
        sizes.append(label.format(cm=tr.measure(m.length_cm)))
    if sizes:
        lines.append(" · ".join(sizes))
    lines.append("")
    lines += [f"• {html.escape(s)}" for s in parent_summary(latest.growth, tr)]
    trend = trend_lines(report, tr)
    if trend:
        lines.append("")
        lines += trend
    advice = render_advice(latest.advice, tr, Audience.PARENT)
    if advice:
        lines.append("")
        lines.append(tr.gettext("What you can do:"))
        lines += [f"• {html.escape(a)}" for a in advice[:3]]
    if latest.urgent:
        lines.append("🔴 " + tr.gettext("Please take {name} to the puskesmas today.").format(name=name))
    elif latest.refer:
        lines.append("⚠️ " + tr.gettext("Please take {name} to the puskesmas this week, with the Buku KIA.").format(
            name=name))
    lines.append("")
    lines.append(next_session_line(report, tr))
    return "\n".join(lines)


def report_keyboard(report: svc.ChildReport, tr: Translator) -> InlineKeyboardMarkup:
    row = []
    if report.latest is not None:
        row.append(InlineKeyboardButton(tr.gettext("📈 {name}'s chart").format(name=first_name(report.child)),
                                        callback_data=f"ortu:grafik:{report.child.id}:wfa"))
    row.append(InlineKeyboardButton(tr.gettext("❓ Ask about nutrition"), callback_data="tanya:menu"))
    return InlineKeyboardMarkup([row])


async def send_reports(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user and chat
    tr = context.tr
    rt = context.runtime
    children = await svc.linked_children(rt.repos, user.id)
    if not children:
        await context.bot.send_message(
            chat.id, tr.gettext("No child is linked to your account yet.") + "\n\n" + how_to_link(tr),
            reply_markup=contact_keyboard(tr))
        return
    today = rt.today()
    for child in children:
        report = await svc.child_report(rt.repos, child, today, tr)
        keyboard = report_keyboard(report, tr)
        # The immunisation and vitamin A record, like the Buku KIA page, and a button to its picture (issue 14).
        kia_lines, kia_button = await kia_section(rt.repos, child, today, tr)
        text = report_text(report, tr) + "\n\n" + "\n".join(kia_lines)
        keyboard = InlineKeyboardMarkup([*keyboard.inline_keyboard, [kia_button]])
        await context.bot.send_message(chat.id, text, reply_markup=keyboard)


async def anakku(update: Update, context: BotContext) -> None:
    await send_reports(update, context)


async def anakku_button(update: Update, context: BotContext) -> None:
    assert update.callback_query
    await update.callback_query.answer()
    await send_reports(update, context)


CHART_CAPTIONS = {
    "wfa": N_("📈 Weight-for-age of {name}. Green line: average of healthy children; between the red lines is "
              "normal."),
    "lhfa": N_("📏 Length/height-for-age of {name}. Below the lower red line means short for age (stunting)."),
    "wflh": N_("⚖️ Weight-for-length/height of {name}. Below the lower red line means thin for height."),
}
CHART_LABELS = {"wfa": N_("📈 Weight"), "lhfa": N_("📏 Height"), "wflh": N_("⚖️ Weight/height")}


async def chart_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query and user and chat
    tr = context.tr
    repos = context.runtime.repos
    data = callbacks.ORTU_CHART.parse(query.data)
    child_id, indicator = data.id("child"), data.text("indicator")
    if not await svc.can_view_child(repos, user.id, child_id):
        log.warning("user %s asked for the chart of child %s without a link", user.id, child_id)
        await query.answer(tr.gettext("Sorry, you can only see your own linked children."), show_alert=True)
        return
    child = await repos.children.find_by_id(child_id)
    if child is None:
        await query.answer(tr.gettext("Sorry, you can only see your own linked children."), show_alert=True)
        return
    await query.answer()
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    png = await svc.chart_png(repos, child, indicator, tr)
    if png is None:
        await context.bot.send_message(chat.id, tr.gettext("There are no measurements to draw yet."))
        return
    others = [InlineKeyboardButton(tr.gettext(label), callback_data=f"ortu:grafik:{child_id}:{key}")
              for key, label in CHART_LABELS.items() if key != indicator]
    caption = tr.gettext(CHART_CAPTIONS[indicator]).format(name=first_name(child))
    await context.bot.send_photo(chat.id, png, caption=caption, reply_markup=InlineKeyboardMarkup([others]))


# ------------------------------------------------------------------ /tips


async def send_tip(update: Update, context: BotContext, child_id: int | None) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user and chat
    tr = context.tr
    rt = context.runtime
    children = await svc.linked_children(rt.repos, user.id)
    today = rt.today()
    if not children:
        tip = await tips_svc.general_tip(rt.repos, user.id, context.lang)
        if tip is None:
            return
        await tips_svc.mark_sent(rt.repos, user.id, tip.id, rt.clock.now())
        text = (tr.gettext("💡 Tip:") + "\n" + html.escape(tip.text) + "\n\n<i>"
                + tr.gettext("Source: {source}").format(source=html.escape(tip.source)) + "</i>\n\n"
                + tr.gettext("Link your child (/hubungkan) to get tips for your child's age."))
        await context.bot.send_message(chat.id, text)
        return
    by_id = {c.id: c for c in children}
    if child_id is not None and child_id not in by_id:
        await context.bot.send_message(chat.id, tr.gettext("Sorry, you can only see your own linked children."))
        return
    # Default: the youngest child, whose first 1000 days matter most.
    child = by_id[child_id] if child_id is not None else max(children, key=lambda c: c.birth_date)
    tip = await tips_svc.next_tip(rt.repos, user.id, child.id, today, context.lang)
    if tip is None:
        await context.bot.send_message(chat.id, tr.gettext(
            "I have tips for children under five; {name} is older now. You can still ask me questions.").format(
            name=first_name(child)))
        return
    await tips_svc.mark_sent(rt.repos, user.id, tip.id, rt.clock.now())
    age = age_text(max((today - child.birth_date).days, 0), tr)
    text = (tr.gettext("💡 Tip for {name} ({age}):").format(name=first_name(child), age=age) + "\n"
            + html.escape(tip.text) + "\n\n<i>"
            + tr.gettext("Source: {source}").format(source=html.escape(tip.source)) + "</i>")
    buttons = [[InlineKeyboardButton(tr.gettext("💡 Tip for {name}").format(name=first_name(c)),
                                     callback_data=f"ortu:tip:{c.id}")] for c in children if c.id != child.id]
    buttons.append([InlineKeyboardButton(tr.gettext("💡 Another tip"), callback_data=f"ortu:tip:{child.id}")])
    await context.bot.send_message(chat.id, text, reply_markup=InlineKeyboardMarkup(buttons))


async def tips_command(update: Update, context: BotContext) -> None:
    await send_tip(update, context, None)


async def tip_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query
    await query.answer()
    await send_tip(update, context, callbacks.ORTU_TIP.parse(query.data).optional_id("child"))


# ------------------------------------------------------------------ /berhenti, /mulai, /hapus_saya


async def stop_pushes(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user and update.effective_message
    await svc.set_pushes(context.runtime.repos, user.id, False, display_name=user.first_name or "",
                         language=context.lang)
    await update.effective_message.reply_text(context.tr.gettext(
        "OK, I will not send you reminders, weekly tips or announcements any more.\n"
        "You can still use /anakku, /tips and ask questions. Type /mulai to turn them back on."))


async def start_pushes(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user and update.effective_message
    await svc.set_pushes(context.runtime.repos, user.id, True, display_name=user.first_name or "",
                         language=context.lang)
    await update.effective_message.reply_text(context.tr.gettext(
        "✅ Reminders, weekly tips and announcements are on again. Type /berhenti to stop them."))


async def delete_me(update: Update, context: BotContext) -> None:
    assert update.effective_message
    tr = context.tr
    await update.effective_message.reply_text(
        tr.gettext("Delete your data from this bot?\n"
                   "This removes the links between your Telegram account and your children, the tips and "
                   "reminders sent to you, and your account in this bot.\n"
                   "Your children's health records stay with the posyandu (Buku KIA and the cadres' register)."),
        reply_markup=InlineKeyboardMarkup([[
            InlineKeyboardButton(tr.gettext("🗑 Yes, delete"), callback_data="ortu:hapus:ya"),
            InlineKeyboardButton(tr.gettext("No, keep it"), callback_data="ortu:hapus:tidak"),
        ]]))


async def delete_me_answer(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query and user and chat
    tr = context.tr  # the language must be read before the user's data is dropped
    await query.answer()
    if callbacks.ORTU_DELETE.parse(query.data).text("answer") == "tidak":
        await query.edit_message_text(tr.gettext("OK, nothing was deleted."))
        return
    outcome = await svc.delete_my_data(context.runtime.repos, user.id)
    if outcome is svc.DeleteOutcome.UNLINKED_STAFF:
        await query.edit_message_text(tr.gettext(
            "The links to your children are removed. Your staff account stays; ask your coordinator if it "
            "should be closed."))
        return
    await query.edit_message_text(tr.gettext(
        "✅ Your data has been deleted. Your children's records stay with the posyandu.\n"
        "To use the bot again, type /start."))
    # PTB keeps user and chat data in memory and would write them back after this update: drop them too.
    context.application.drop_user_data(user.id)
    context.application.drop_chat_data(chat.id)


# ------------------------------------------------------------------ registration


def register(app: PosyanduApplication) -> None:
    app.add_handler(CommandHandler(["anakku", "anak"], anakku))
    app.add_handler(CommandHandler("tips", tips_command))
    app.add_handler(CommandHandler(["hubungkan", "link"], link_command))
    app.add_handler(CommandHandler(["kode", "code"], code_command))
    app.add_handler(CommandHandler(["berhenti", "stop"], stop_pushes))
    app.add_handler(CommandHandler(["mulai", "resume"], start_pushes))
    app.add_handler(CommandHandler(["hapus_saya", "delete_me"], delete_me))
    app.add_handler(MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, contact_received))
    app.add_handler(MessageHandler(filters.TEXT & filters.Regex(CANCEL_TEXT), cancel_keyboard))
    app.add_handler(CallbackQueryHandler(anakku_button, pattern=callbacks.ORTU_ANAKKU.matches))
    app.add_handler(CallbackQueryHandler(tip_button, pattern=callbacks.ORTU_TIP.matches))
    app.add_handler(CallbackQueryHandler(chart_button, pattern=callbacks.ORTU_CHART.matches))
    app.add_handler(CallbackQueryHandler(delete_me_answer, pattern=callbacks.ORTU_DELETE.matches))
    # Asked last among /start payload handlers (this module registers after the staff ones), so a code no one
    # else claimed is answered here, with the rate limit.
    if start_payload not in START_PAYLOAD_HANDLERS:  # register runs again for every Application built
        START_PAYLOAD_HANDLERS.append(start_payload)
