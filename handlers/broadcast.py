"""Coordinator announcements: `/siaran` (write, choose audience and area, preview, confirm), then sent with a
live progress message and a final report by handlers/broadcast_send.py (also `/siaran_status`, and resuming
unfinished broadcasts); the sending itself (pace, claims, retries) is bot.services.broadcast."""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator
from bot.services import broadcast as svc
from bot.services.team import StaffScope
from handlers.area_picker import node_allowed, picker_keyboard, scope_or_refuse, start_node
from handlers.broadcast_send import (
    RESUME_DELAY,
    RESUME_INTERVAL,
    heading,
    progress_text,
    resume_unfinished,
    send_content,
    start_sending,
    status_command,
    target_label,
    target_posyandu,
    telegram_transport,
    with_heading,
)
from handlers.cadre_shared import exclusive, send_text
from storage.models import BroadcastCreate

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

ORDER = 30
DRAFT_KEY = "coord_siaran"  # user_data: the draft, so a restart mid-way keeps what was written
WRITE, AUDIENCE, SCOPE, CONFIRM = range(4)

def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.setdefault(DRAFT_KEY, {})
    assert isinstance(draft, dict)
    return draft


def _cancel_button(tr: Translator) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data="siaran:no")]


# ------------------------------------------------------------------ conversation


async def start_broadcast(update: Update, context: BotContext) -> int:
    assert update.effective_message
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = {}
    tr = context.tr
    await update.effective_message.reply_text(tr.gettext(
        "📣 <b>New announcement</b>\n"
        "Write the message now. You may also send a photo or a document with a caption.\n"
        "Text up to {text_limit} characters, a caption up to {caption_limit}.\n"
        "Type /batal to cancel.").format(text_limit=svc.MAX_DRAFT_TEXT, caption_limit=svc.MAX_DRAFT_CAPTION))
    return WRITE


async def got_text(update: Update, context: BotContext) -> int:
    msg = update.effective_message
    assert msg and msg.text is not None
    return await _take_content(update, context, msg.text, msg.text_html, None, None)


async def got_media(update: Update, context: BotContext) -> int:
    msg = update.effective_message
    assert msg
    if msg.photo:
        kind, file_id = "photo", msg.photo[-1].file_id
    else:
        assert msg.document
        kind, file_id = "document", msg.document.file_id
    return await _take_content(update, context, msg.caption or "", msg.caption_html or "", kind, file_id)


async def got_other(update: Update, context: BotContext) -> int:
    assert update.effective_message
    await update.effective_message.reply_text(context.tr.gettext(
        "I can send text, a photo or a document. Please write the message, or type /batal to cancel."))
    return WRITE


async def remind_buttons(update: Update, context: BotContext) -> None:
    """Typed text where a button is expected: say so and stay on this step (None keeps the state)."""
    assert update.effective_message
    await update.effective_message.reply_text(context.tr.gettext(
        "Please choose with the buttons above, or type /batal to cancel."))


async def _take_content(update: Update, context: BotContext, plain: str, markup: str, kind: str | None,
                        file_id: str | None) -> int:
    assert update.effective_message
    tr = context.tr
    try:
        svc.check_draft(plain, media_type=kind)
    except svc.DraftError as err:
        texts = {
            "empty": tr.gettext("The message is empty. Please write the announcement, or type /batal."),
            "text_too_long": tr.gettext(
                "The message is too long: {length} characters; an announcement can have up to {limit} "
                "(Telegram's limit, less room for the heading).\n"
                "Please shorten it, or split it and send the first part now and the rest as a second "
                "announcement.").format(length=err.length, limit=err.limit),
            "caption_too_long": tr.gettext(
                "The caption is too long: {length} characters; a photo or document caption can have up to "
                "{limit}.\nSend the picture again with a shorter caption, or send the text alone as a message "
                "(up to {text_limit} characters).").format(length=err.length, limit=err.limit,
                                                          text_limit=svc.MAX_DRAFT_TEXT),
        }
        await update.effective_message.reply_text(texts[err.code])
        return WRITE
    draft = _draft(context)
    draft.update(text=markup.strip(), media_type=kind, media_file_id=file_id)
    if draft.get("audience") and draft.get("scope_kind"):
        scope = await scope_or_refuse(update, context)
        if scope is None:
            return ConversationHandler.END
        return await _preview(update, context, scope, edit=False)
    await update.effective_message.reply_text(tr.gettext("Who should receive it?"),
                                              reply_markup=_audience_keyboard(tr))
    return AUDIENCE


def _audience_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("👩‍⚕️ Cadres"), callback_data="siaran:aud:cadres"),
         InlineKeyboardButton(tr.gettext("👪 Parents"), callback_data="siaran:aud:parents")],
        [InlineKeyboardButton(tr.gettext("👥 Cadres and parents"), callback_data="siaran:aud:all")],
        _cancel_button(tr),
    ])


async def got_audience(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return ConversationHandler.END
    await query.answer()
    _draft(context)["audience"] = svc.Audience(callbacks.SIARAN_AUDIENCE.parse(query.data).text("audience")).value
    await _ask_scope(update, context, scope, start_node(scope), 0)
    return SCOPE


async def _ask_scope(update: Update, context: BotContext, scope: StaffScope, node: int | None, offset: int) -> None:
    tr = context.tr
    extra = [_cancel_button(tr)]
    if scope.is_admin and node is None:
        extra.insert(0, [InlineKeyboardButton(tr.gettext("✅ Everyone (all areas)"), callback_data="siaran:s:all")])
    markup = picker_keyboard("siaran:s", scope, node, tr, offset=offset, pick_areas=True, pick_posyandu=True,
                             pick_node=node is not None, extra=extra)
    text = tr.gettext("Send to which area? ✅ picks the whole area, 📂 opens it to choose a smaller area or "
                      "one posyandu.")
    assert update.callback_query and update.callback_query.message
    await update.callback_query.edit_message_text(text, reply_markup=markup)


async def got_scope(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return ConversationHandler.END
    tr = context.tr
    draft = _draft(context)
    if callbacks.SIARAN_OPEN.matches(query.data):
        opened = callbacks.SIARAN_OPEN.parse(query.data)
        node = opened.optional_id("node")
        if not node_allowed(scope, node):
            await query.answer(tr.gettext("That area is outside your area."), show_alert=True)
            return SCOPE
        await query.answer()
        await _ask_scope(update, context, scope, node, opened.number("offset"))
        return SCOPE
    if callbacks.SIARAN_EVERYONE.matches(query.data):
        allowed = scope.is_admin
        chosen: tuple[str, int | None] = ("all", None)
    else:
        picked = callbacks.SIARAN_PICK.parse(query.data)
        target = picked.id("target")
        if picked.text("kind") == "a":
            allowed = scope.allows_area(target)
            chosen = ("area", target)
        else:
            allowed = scope.allows_posyandu(target)
            chosen = ("posyandu", target)
    if not allowed:
        # Only a forged or stale button gets here: the picker never shows places outside the scope.
        log.warning("user %s tried to broadcast outside their scope", scope.user_id)
        await query.answer(tr.gettext("That place is outside your area."), show_alert=True)
        return SCOPE
    await query.answer()
    draft["scope_kind"], draft["scope_id"] = chosen
    return await _preview(update, context, scope, edit=True)


async def _recipients(context: BotContext, scope: StaffScope, draft: dict[str, Any]) -> list[int] | None:
    pids = target_posyandu(scope, draft)
    if pids is None:
        return None
    audience = svc.Audience(draft["audience"])
    return await context.runtime.repos.users.push_recipients_for_posyandu(
        pids, cadres=audience.cadres, parents=audience.parents, exclude=[scope.user_id])


async def _preview(update: Update, context: BotContext, scope: StaffScope, *, edit: bool) -> int:
    tr = context.tr
    draft = _draft(context)
    chat = update.effective_chat
    assert chat
    recipients = await _recipients(context, scope, draft)
    audience = svc.Audience(draft["audience"])
    place = target_label(scope, draft, tr)
    if not recipients:
        text = tr.gettext("Nobody to send to: there are no active {audience} with the bot in {place}.\n"
                          "Choose another area or audience, or type /batal.").format(
            audience=tr.gettext(svc.AUDIENCE_LABELS[audience]), place=html.escape(place))
        markup = InlineKeyboardMarkup([
            [InlineKeyboardButton(tr.gettext("👥 Change audience"), callback_data="siaran:back:aud"),
             InlineKeyboardButton(tr.gettext("📍 Change area"), callback_data="siaran:back:scope")],
            _cancel_button(tr)])
        if edit and update.callback_query:
            await update.callback_query.edit_message_text(text, reply_markup=markup)
        else:
            await context.bot.send_message(chat.id, text, reply_markup=markup)
        return CONFIRM
    if edit and update.callback_query:
        await update.callback_query.edit_message_text(tr.gettext("Preview — this is what they will receive:"))
    else:
        await context.bot.send_message(chat.id, tr.gettext("Preview — this is what they will receive:"))
    head_place = place if draft.get("scope_kind") in ("area", "posyandu") else None
    await send_content(context.bot, chat.id, with_heading(draft.get("text") or "", heading(tr, head_place)),
                        draft.get("media_type"), draft.get("media_file_id"))
    summary = tr.ngettext(
        "Send to <b>{n}</b> person: {audience} in {place}?",
        "Send to <b>{n}</b> people: {audience} in {place}?", len(recipients)).format(
        n=len(recipients), audience=tr.gettext(svc.AUDIENCE_LABELS[audience]), place=html.escape(place))
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("✅ Send"), callback_data="siaran:ok")],
        [InlineKeyboardButton(tr.gettext("✏️ Change the message"), callback_data="siaran:back:write"),
         InlineKeyboardButton(tr.gettext("📍 Change area"), callback_data="siaran:back:scope")],
        _cancel_button(tr)])
    await context.bot.send_message(chat.id, summary, reply_markup=markup)
    return CONFIRM


async def go_back(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and query.data
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return ConversationHandler.END
    await query.answer()
    tr = context.tr
    where = callbacks.SIARAN_BACK.parse(query.data).text("step")
    if where == "write":
        await query.edit_message_text(tr.gettext("Write the new message (text, or a photo or document with a "
                                                 "caption). Type /batal to cancel."))
        return WRITE
    if where == "aud":
        await query.edit_message_text(tr.gettext("Who should receive it?"), reply_markup=_audience_keyboard(tr))
        return AUDIENCE
    await _ask_scope(update, context, scope, start_node(scope), 0)
    return SCOPE


async def confirm(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query and update.effective_chat and context.user_data is not None
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return ConversationHandler.END
    tr = context.tr
    draft = _draft(context)
    if not draft.get("audience") or not draft.get("scope_kind") or (not draft.get("text")
                                                                     and not draft.get("media_file_id")):
        await query.answer(tr.gettext("This button is no longer active."))
        return ConversationHandler.END
    # Recipients are chosen again now: someone may have joined or blocked the bot since the preview.
    recipients = await _recipients(context, scope, draft)
    if not recipients:
        await query.answer(tr.gettext("Nobody to send to any more."), show_alert=True)
        return CONFIRM
    await query.answer()
    kind, target = draft["scope_kind"], draft.get("scope_id")
    data = BroadcastCreate(
        author_id=scope.user_id, text=draft.get("text") or "", media_file_id=draft.get("media_file_id"),
        media_type=draft.get("media_type"), audience=draft["audience"],
        scope_area_id=target if kind == "area" else None, scope_posyandu_id=target if kind == "posyandu" else None)
    broadcast = await svc.create_broadcast(context.runtime.db, data, recipients, chat_id=update.effective_chat.id)
    context.user_data.pop(DRAFT_KEY, None)
    await query.edit_message_reply_markup(None)
    progress = await context.bot.send_message(update.effective_chat.id, progress_text(
        broadcast.id, svc.DeliveryCounts(total=len(recipients), pending=len(recipients)), tr))
    await svc.set_progress_message(context.runtime.db, broadcast.id, progress.message_id)
    log.info("broadcast %s confirmed by %s for %s recipients", broadcast.id, scope.user_id, len(recipients))
    start_sending(context.application, broadcast.id)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
    text = context.tr.gettext("Announcement cancelled. Nothing was sent.")
    if update.callback_query:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(text)
    elif update.effective_message:
        await update.effective_message.reply_text(text)
    return ConversationHandler.END


# ------------------------------------------------------------------ sending


async def unfinished_announcement(context: BotContext) -> str | None:
    """"The announcement you are writing" once its text or picture is in (None: nothing would be lost)."""
    draft = (context.user_data or {}).get(DRAFT_KEY) or {}
    if not (draft.get("text") or draft.get("media_file_id")):
        return None
    return context.tr.gettext("The announcement you are writing")


async def resume_announcement(update: Update, context: BotContext) -> None:
    # Once the text is in, every step is a choice between the buttons above (audience, area, send).
    await send_text(update, context, context.tr.gettext(
        "Please choose with the buttons above, or type /batal to cancel."))


def _discard(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


def register(app: PosyanduApplication) -> None:
    cancel_handlers: list[Any] = [CommandHandler(["batal", "cancel"], cancel),
                       CallbackQueryHandler(cancel, pattern=callbacks.SIARAN_CANCEL.matches)]
    remind: Any = MessageHandler(filters.TEXT & ~filters.COMMAND, remind_buttons)
    conversation = ConversationHandler(
        entry_points=[CommandHandler(["siaran", "broadcast"], start_broadcast)],
        states={
            WRITE: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_text),
                    MessageHandler(filters.PHOTO | filters.Document.ALL, got_media),
                    MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, got_other)],
            AUDIENCE: [CallbackQueryHandler(got_audience, pattern=callbacks.SIARAN_AUDIENCE.matches), remind],
            SCOPE: [CallbackQueryHandler(got_scope, pattern=callbacks.any_of(
                callbacks.SIARAN_OPEN, callbacks.SIARAN_PICK, callbacks.SIARAN_EVERYONE)), remind],
            CONFIRM: [CallbackQueryHandler(confirm, pattern=callbacks.SIARAN_OK.matches),
                      CallbackQueryHandler(go_back, pattern=callbacks.SIARAN_BACK.matches), remind],
        },
        fallbacks=cancel_handlers,
        name="coordinator_broadcast",
        persistent=True,
        allow_reentry=True,
    )
    # Starting /siaran ends an open /ukur or /anak_baru (and the other way round), so a photo or text meant for
    # the announcement never lands in a half-done measurement.
    # A written announcement is never dropped silently: another conversation (or /siaran again) asks first.
    app.add_handler(exclusive(conversation, {"siaran", "broadcast"}, (), unfinished=unfinished_announcement,
                              resume=resume_announcement, discard=_discard))
    app.add_handler(CommandHandler(["siaran_status", "broadcast_status"], status_command))
    if app.job_queue is not None:
        # Repeating, on every worker: a broadcast whose worker died is taken over once its claims lapse.
        app.job_queue.run_repeating(
            resume_unfinished, interval=RESUME_INTERVAL, first=RESUME_DELAY, name="coordinator-broadcast-resume",
            job_kwargs={"id": "coordinator-broadcast-resume", "replace_existing": True, "max_instances": 1,
                        "coalesce": True, "misfire_grace_time": None})


__all__ = ["DRAFT_KEY", "register", "resume_unfinished", "start_sending", "telegram_transport"]
