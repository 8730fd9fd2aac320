"""`/program_baru`: a coordinator defines an intervention program step by step (issue 14): name, sponsor, kelurahan
or posyandu (the area picker of /undang), kind, period, target criteria, then a confirmation card.

A persistent conversation ("programs_new"); what was typed so far lives in `user_data["program_new"]`, so a restart
resumes; /batal and ❌ always end it. The program itself is made by bot.services.programs (scope checked there).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
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
from bot.growth.immunisation import add_months
from bot.i18n import ParseError, parse_date
from bot.render.programs import criteria_text
from bot.services import programs as svc
from bot.services import team as team_svc
from bot.services.programs import CRITERIA, KINDS
from handlers.area_picker import node_allowed, picker_keyboard, start_node
from handlers.cadre_shared import send_text
from storage.errors import StorageError

log = logging.getLogger(__name__)

ORDER = 32  # takes free text (name, sponsor, period) while the conversation is open
KEY = "program_new"
NAME, SPONSOR, PLACE, KIND, PERIOD, CRITERIA_STEP, CONFIRM = range(7)
_RANGE = re.compile(r"\s*(?:-|–|—|s/d|sd|sampai|hingga|to)\s*", re.IGNORECASE)
MAX_NAME = 80


def _data(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    data: dict[str, Any] = context.user_data.setdefault(KEY, {})
    return data


def _cancel_row(context: BotContext) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(context.tr.gettext("❌ Cancel"), callback_data="prog:cancel")]


async def _scope(update: Update, context: BotContext) -> team_svc.StaffScope | None:
    assert update.effective_user
    rt = context.runtime
    return await team_svc.staff_scope(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)


async def start(update: Update, context: BotContext) -> int:
    assert update.effective_message and context.user_data is not None
    tr = context.tr
    if await _scope(update, context) is None:
        await update.effective_message.reply_text(tr.gettext(
            "Sorry, programs are defined by coordinators (puskesmas, kelurahan or city). Type /help to see what you "
            "can do."))
        return ConversationHandler.END
    context.user_data[KEY] = {}
    await update.effective_message.reply_text(
        tr.gettext("🤝 New program. What is its name? For example: Orang Tua Asuh Kampung Bali 2025\n"
                   "(/batal to stop)"), reply_markup=InlineKeyboardMarkup([_cancel_row(context)]))
    return NAME


async def got_name(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    tr = context.tr
    name = " ".join(update.effective_message.text.split())
    if not 2 <= len(name) <= MAX_NAME:
        await update.effective_message.reply_text(tr.gettext("Please write a name of 2 to {n} characters.").format(
            n=MAX_NAME))
        return NAME
    _data(context)["name"] = name
    return await _ask_sponsor(update, context)


async def _ask_sponsor(update: Update, context: BotContext) -> int:
    tr = context.tr
    await send_text(update, context, tr.gettext("Who is the sponsor (orang tua asuh)? For example: PAM Jaya. Or press "
                                                "“No sponsor”."),
                    InlineKeyboardMarkup([[InlineKeyboardButton(tr.gettext("No sponsor"), callback_data="prog:skip")],
                                          _cancel_row(context)]))
    return SPONSOR


async def got_sponsor(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    sponsor = " ".join(update.effective_message.text.split())
    if len(sponsor) > MAX_NAME:
        await update.effective_message.reply_text(context.tr.gettext(
            "Please write a name of 2 to {n} characters.").format(n=MAX_NAME))
        return SPONSOR
    _data(context)["sponsor"] = sponsor
    return await _ask_place(update, context, None, 0, edit=False)


async def skip_sponsor(update: Update, context: BotContext) -> int:
    assert update.callback_query
    await update.callback_query.answer()
    _data(context)["sponsor"] = ""
    return await _ask_place(update, context, None, 0, edit=False)


async def _ask_place(update: Update, context: BotContext, node: int | None, offset: int, *, edit: bool) -> int:
    tr = context.tr
    scope = await _scope(update, context)
    if scope is None:
        return ConversationHandler.END
    node = start_node(scope) if node is None else node
    markup = picker_keyboard("prog", scope, node, tr, offset=offset, pick_areas=True, pick_posyandu=True,
                             pick_node=node is not None, extra=[_cancel_row(context)])
    text = tr.gettext("Where does it run? Choose a kelurahan/desa (✅) or one posyandu (🏠); 📂 opens an area.")
    if edit and update.callback_query and update.callback_query.message:
        try:
            await update.callback_query.edit_message_text(text, reply_markup=markup)
            return PLACE
        except TelegramError:
            log.debug("could not edit the place picker")
    await send_text(update, context, text, markup)
    return PLACE


async def place_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    tr = context.tr
    scope = await _scope(update, context)
    if scope is None:
        await query.answer()
        return ConversationHandler.END
    if callbacks.PROGRAM_OPEN_AREA.matches(query.data):
        opened = callbacks.PROGRAM_OPEN_AREA.parse(query.data)
        node = opened.optional_id("node")
        if not node_allowed(scope, node):
            await query.answer(tr.gettext("That area is outside your area."), show_alert=True)
            return PLACE
        await query.answer()
        return await _ask_place(update, context, node, opened.number("offset"), edit=True)
    picked = callbacks.PROGRAM_PLACE.parse(query.data)
    kind, target = picked.text("kind"), picked.id("target")
    allowed = scope.allows_posyandu(target) if kind == "p" else scope.allows_area(target)
    if not allowed:
        await query.answer(tr.gettext("That place is outside your area."), show_alert=True)
        return PLACE
    await query.answer()
    data = _data(context)
    data["posyandu_id"], data["area_id"] = (target, None) if kind == "p" else (None, target)
    data["place"] = (scope.tree.posyandu[target].name if kind == "p"
                     else team_svc.area_label(scope.tree.areas[target], tr))
    rows = [[InlineKeyboardButton(tr.gettext(label), callback_data=f"prog:k:{key}")] for key, label in KINDS.items()]
    await send_text(update, context, tr.gettext("What does the program give?"),
                    InlineKeyboardMarkup([*rows, _cancel_row(context)]))
    return KIND


async def kind_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    tr = context.tr
    await query.answer()
    _data(context)["kind"] = callbacks.PROGRAM_KIND.parse(query.data).text("kind")
    today = context.runtime.today()
    example = add_months(today, 3)
    rows = [[InlineKeyboardButton(tr.ngettext("{n} month from today", "{n} months from today", n).format(n=n),
                                  callback_data=f"prog:per:{n}") for n in (3, 6, 12)], _cancel_row(context)]
    await send_text(update, context, tr.gettext(
        "When does it start and end? Write two dates, for example {start} - {end}, or choose:").format(
        start=f"{today.day}/{today.month}/{today.year}", end=f"{example.day}/{example.month}/{example.year}"),
        InlineKeyboardMarkup(rows))
    return PERIOD


async def got_period(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    tr = context.tr
    today = context.runtime.today()
    parts = [p for p in _RANGE.split(update.effective_message.text.strip(), maxsplit=1) if p]
    try:
        if len(parts) != 2:
            raise ParseError("not_a_date", update.effective_message.text)
        # A date without a year is this year's (a program is planned ahead, unlike a measurement).
        start_on, end_on = (parse_date(p, dt.date(today.year, 12, 31)) for p in parts)
    except ParseError:
        await update.effective_message.reply_text(tr.gettext(
            "I could not read two dates. Write them like 1/7/2025 - 30/9/2025."))
        return PERIOD
    if end_on < start_on:
        await update.effective_message.reply_text(tr.gettext(svc.MSG_BAD_PERIOD))
        return PERIOD
    return await _set_period(update, context, start_on, end_on)


async def period_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    months = callbacks.PROGRAM_PERIOD.parse(query.data).number("months")
    today = context.runtime.today()
    return await _set_period(update, context, today, add_months(today, months) - dt.timedelta(days=1))


async def _set_period(update: Update, context: BotContext, start_on: dt.date, end_on: dt.date) -> int:
    data = _data(context)
    data["starts_on"], data["ends_on"] = start_on.isoformat(), end_on.isoformat()
    data.setdefault("criteria", [])
    return await _ask_criteria(update, context, edit=False)


def _criteria_keyboard(context: BotContext, chosen: list[str]) -> InlineKeyboardMarkup:
    tr = context.tr
    rows = [[InlineKeyboardButton((("✅ " if key in chosen else "▫️ ") + tr.gettext(label))[:60],
                                  callback_data=f"prog:c:{key}")] for key, label in CRITERIA.items()]
    rows.append([InlineKeyboardButton(tr.gettext("➡️ Done"), callback_data="prog:c:done")])
    rows.append(_cancel_row(context))
    return InlineKeyboardMarkup(rows)


async def _ask_criteria(update: Update, context: BotContext, *, edit: bool) -> int:
    tr = context.tr
    chosen = list(_data(context).get("criteria", []))
    text = tr.gettext("Which children should it propose? Tap the criteria (any of them proposes a child; read from "
                      "the latest weighing), then “Done”.")
    markup = _criteria_keyboard(context, chosen)
    if edit and update.callback_query:
        try:
            await update.callback_query.edit_message_reply_markup(markup)
            return CRITERIA_STEP
        except TelegramError:
            log.debug("could not edit the criteria keyboard")
    await send_text(update, context, text, markup)
    return CRITERIA_STEP


async def criterion_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    tr = context.tr
    key = callbacks.PROGRAM_CRITERION.parse(query.data).text("criterion")
    data = _data(context)
    chosen: list[str] = list(data.get("criteria", []))
    if key == "done":
        if not chosen:
            await query.answer(tr.gettext("Choose at least one criterion."), show_alert=True)
            return CRITERIA_STEP
        await query.answer()
        return await _confirm(update, context)
    await query.answer()
    data["criteria"] = [c for c in chosen if c != key] if key in chosen else [*chosen, key]
    return await _ask_criteria(update, context, edit=True)


async def _confirm(update: Update, context: BotContext) -> int:
    tr = context.tr
    d = _data(context)
    if not all(k in d for k in ("name", "kind", "starts_on", "ends_on", "place")):
        await send_text(update, context, tr.gettext("Something is missing; please start again with /program_baru."))
        return ConversationHandler.END
    lines = [
        tr.gettext("🤝 <b>{name}</b>").format(name=html.escape(d["name"])),
        tr.gettext("Sponsor: {sponsor}").format(sponsor=html.escape(d.get("sponsor") or "–")),
        tr.gettext("Where: {place}").format(place=html.escape(d["place"])),
        tr.gettext("Kind: {kind} · {period}").format(kind=tr.gettext(KINDS[d["kind"]]), period=tr.gettext(
            "{start} – {end}").format(start=tr.short_date(dt.date.fromisoformat(d["starts_on"])),
                                      end=tr.short_date(dt.date.fromisoformat(d["ends_on"])))),
        tr.gettext("Children proposed when: {criteria} (age {low}–{high} months)").format(
            criteria=criteria_text(tr, d.get("criteria", [])), low=6, high=59),
        "", tr.gettext("Save this program?")]
    await send_text(update, context, "\n".join(lines), InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("💾 Save"), callback_data="prog:save")], _cancel_row(context)]))
    return CONFIRM


async def save_pressed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and context.user_data is not None and update.effective_user
    tr = context.tr
    await query.answer()
    d = context.user_data.pop(KEY, {})
    rt = context.runtime
    principal = await svc.manager(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)
    if principal is None or "name" not in d:
        await send_text(update, context, tr.gettext("Something is missing; please start again with /program_baru."))
        return ConversationHandler.END
    try:
        program = await svc.create(rt.repos, principal, svc.ProgramCreate(
            name=d["name"], sponsor=d.get("sponsor", ""), area_id=d.get("area_id"), posyandu_id=d.get("posyandu_id"),
            kind=d["kind"], starts_on=dt.date.fromisoformat(d["starts_on"]),
            ends_on=dt.date.fromisoformat(d["ends_on"]), criteria=tuple(d.get("criteria", ()))))
    except StorageError as exc:
        await send_text(update, context, exc.message(tr))
        return ConversationHandler.END
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:
        log.debug("could not remove the confirmation keyboard")
    from handlers.programs import show_card  # the card belongs to the program journey

    await show_card(update, context, program.id, edit=False)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    assert context.user_data is not None
    context.user_data.pop(KEY, None)
    if update.callback_query:
        await update.callback_query.answer()
    await send_text(update, context, context.tr.gettext("Cancelled. No program was made."))
    return ConversationHandler.END


async def not_a_button(update: Update, context: BotContext) -> None:
    """Text where a button is expected: say so (the question stays open)."""
    assert update.effective_message
    await update.effective_message.reply_text(context.tr.gettext(
        "Please press one of the buttons above, or type /batal to cancel."))


def register(app: Any) -> None:
    text = filters.TEXT & ~filters.COMMAND
    buttons_only: BaseHandler[Update, BotContext, Any] = MessageHandler(text, not_a_button)
    app.add_handler(ConversationHandler(
        entry_points=[CommandHandler(["program_baru", "new_program"], start)],
        states={
            NAME: [MessageHandler(text, got_name)],
            SPONSOR: [MessageHandler(text, got_sponsor),
                      CallbackQueryHandler(skip_sponsor, pattern=callbacks.PROGRAM_SKIP.matches)],
            PLACE: [CallbackQueryHandler(place_pressed, pattern=callbacks.any_of(callbacks.PROGRAM_OPEN_AREA,
                                                                                callbacks.PROGRAM_PLACE)),
                    buttons_only],
            KIND: [CallbackQueryHandler(kind_pressed, pattern=callbacks.PROGRAM_KIND.matches), buttons_only],
            PERIOD: [MessageHandler(text, got_period),
                     CallbackQueryHandler(period_pressed, pattern=callbacks.PROGRAM_PERIOD.matches)],
            CRITERIA_STEP: [CallbackQueryHandler(criterion_pressed, pattern=callbacks.PROGRAM_CRITERION.matches),
                            buttons_only],
            CONFIRM: [CallbackQueryHandler(save_pressed, pattern=callbacks.PROGRAM_SAVE.matches), buttons_only],
        },
        fallbacks=[CommandHandler(["batal", "cancel"], cancel),
                   CallbackQueryHandler(cancel, pattern=callbacks.PROGRAM_CANCEL.matches)],
        name="programs_new", persistent=True, allow_reentry=True))


__all__ = ["register"]
