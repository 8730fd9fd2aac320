"""Coordinator announcements: `/siaran` (write, choose audience and area, preview, confirm, send with a live
progress message and a final report) and `/siaran_status` (past broadcasts). Sending itself is in
bot.services.broadcast; this module adapts it to Telegram and resumes unfinished broadcasts at start-up."""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import warnings
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator, get_translator
from bot.send_budget import GLOBAL_PER_SECOND
from bot.services import broadcast as svc
from bot.services.team import StaffScope, area_label
from bot.workers import worker_of
from handlers.cadre_shared import exclusive, send_text
from handlers.team import node_allowed, picker_keyboard, scope_or_refuse, start_node
from storage import coordinator_queries as q
from storage.models import Broadcast, BroadcastCreate

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

ORDER = 30
DRAFT_KEY = "coord_siaran"  # user_data: the draft, so a restart mid-way keeps what was written
WRITE, AUDIENCE, SCOPE, CONFIRM = range(4)

# Sending parameters; tests and the benchmark may change them on the module.
SEND_RATE = svc.DEFAULT_RATE
SEND_CONCURRENCY = svc.DEFAULT_CONCURRENCY
SEND_WINDOW_LIMIT: int | None = svc.DEFAULT_WINDOW_LIMIT  # sends per SEND_WINDOW seconds
SEND_WINDOW = svc.DEFAULT_WINDOW
PROGRESS_EVERY = svc.PROGRESS_EVERY
RESUME_DELAY = 0.5  # seconds after start-up before unfinished broadcasts resume
# Seconds between looks for unfinished broadcasts (another worker's, left when it died).
RESUME_INTERVAL = float(os.environ.get("POSYANDU_BROADCAST_RESUME_INTERVAL", "") or 10)

_running: weakref.WeakKeyDictionary[Application[Any, Any, Any, Any, Any, Any], set[int]] = \
    weakref.WeakKeyDictionary()


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


def _target_posyandu(scope: StaffScope, draft: dict[str, Any]) -> list[int] | None:
    """The posyandu the draft is aimed at, or None when its target is no longer inside the scope."""
    kind, target = draft.get("scope_kind"), draft.get("scope_id")
    if kind == "all":
        return scope.posyandu_ids if scope.is_admin else None
    if kind == "area" and isinstance(target, int) and scope.allows_area(target):
        return scope.tree.posyandu_within(target)
    if kind == "posyandu" and isinstance(target, int) and scope.allows_posyandu(target):
        return [target]
    return None


def _target_label(scope: StaffScope, draft: dict[str, Any], tr: Translator) -> str:
    kind, target = draft.get("scope_kind"), draft.get("scope_id")
    if kind == "area" and isinstance(target, int):
        return area_label(scope.tree.areas[target], tr)
    if kind == "posyandu" and isinstance(target, int):
        return scope.tree.posyandu[target].name
    return tr.gettext("all areas")


async def _recipients(context: BotContext, scope: StaffScope, draft: dict[str, Any]) -> list[int] | None:
    pids = _target_posyandu(scope, draft)
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
    place = _target_label(scope, draft, tr)
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
    await _send_content(context.bot, chat.id, with_heading(draft.get("text") or "", heading(tr, head_place)),
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
    broadcast = await q.create_broadcast(context.runtime.db, data, recipients, chat_id=update.effective_chat.id)
    context.user_data.pop(DRAFT_KEY, None)
    await query.edit_message_reply_markup(None)
    progress = await context.bot.send_message(update.effective_chat.id, _progress_text(
        broadcast.id, q.DeliveryCounts(total=len(recipients), pending=len(recipients)), tr))
    await q.set_progress_message(context.runtime.db, broadcast.id, progress.message_id)
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


async def _send_content(bot: Any, chat_id: int, text: str, media_type: str | None, file_id: str | None) -> Message:
    if media_type == "photo":
        return await bot.send_photo(chat_id, file_id, caption=text or None)
    if media_type == "document":
        return await bot.send_document(chat_id, file_id, caption=text or None)
    return await bot.send_message(chat_id, text)


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns about the int form; we accept both
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def heading(tr: Translator, place: str | None) -> str:
    """The line every copy starts with, in the recipient's language (at most svc.HEADING_RESERVE long)."""
    if place:
        return tr.gettext("📢 <b>Announcement — {place}</b>").format(place=html.escape(place[:80]))
    return tr.gettext("📢 <b>Announcement</b>")


def with_heading(text: str, head: str) -> str:
    return f"{head}\n\n{text}" if text else head


def telegram_transport(bot: Any, head: Callable[[int], Awaitable[str]] | None = None) -> svc.Transport:
    """Send one broadcast copy through the app's bot (and so through its AIORateLimiter)."""

    async def send(recipient_id: int, broadcast: Broadcast) -> None:
        text = with_heading(broadcast.text, await head(recipient_id)) if head else broadcast.text
        try:
            await _send_content(bot, recipient_id, text, broadcast.media_type, broadcast.media_file_id)
        except Forbidden as exc:
            raise svc.RecipientBlocked() from exc
        except RetryAfter as exc:
            raise svc.RateLimited(_retry_seconds(exc)) from exc
        except BadRequest as exc:  # before NetworkError: BadRequest is a subclass of it
            raise svc.PermanentSendError(exc.message) from exc
        except (TimedOut, NetworkError) as exc:
            raise svc.TransientSendError(type(exc).__name__) from exc
        except TelegramError as exc:
            raise svc.PermanentSendError(type(exc).__name__) from exc

    return send


def _progress_text(broadcast_id: int, c: q.DeliveryCounts, tr: Translator) -> str:
    return tr.gettext("📣 Announcement #{id} is being sent…\nDelivered {sent} of {total} · blocked {blocked} · "
                      "failed {failed}").format(id=broadcast_id, sent=c.sent, total=c.total, blocked=c.blocked,
                                                failed=c.failed)


def _final_text(broadcast_id: int, c: q.DeliveryCounts, tr: Translator) -> str:
    lines = [tr.gettext("✅ Announcement #{id} finished.").format(id=broadcast_id),
             tr.gettext("Delivered: {sent} · blocked the bot: {blocked} · failed: {failed}").format(
                 sent=c.sent, blocked=c.blocked, failed=c.failed)]
    if c.blocked:
        lines.append(tr.gettext("People who blocked the bot will not get further messages."))
    return "\n".join(lines)


def start_sending(app: Application[Any, Any, Any, Any, Any, Any], broadcast_id: int) -> bool:
    """Start sending in the background unless it is already running in this application."""
    running = _running.setdefault(app, set())
    if broadcast_id in running:
        return False
    running.add(broadcast_id)
    app.create_task(_send_broadcast(app, broadcast_id), name=f"broadcast-{broadcast_id}")
    return True


async def _send_broadcast(app: Application[Any, Any, Any, Any, Any, Any], broadcast_id: int) -> svc.SendReport:
    runtime = app.runtime  # type: ignore[attr-defined]
    db = runtime.db
    try:
        progress = await q.get_progress(db, broadcast_id)
        broadcast = await q.get_broadcast(db, broadcast_id)
        author = await runtime.repos.users.find(broadcast.author_id) if broadcast else None
        tr = get_translator(author.language if author else "id")
        last_text: list[str] = [""]

        async def on_progress(counts: q.DeliveryCounts) -> None:
            if progress is None or progress.message_id is None:
                return
            text = _progress_text(broadcast_id, counts, tr)
            if text != last_text[0]:
                last_text[0] = text
                await app.bot.edit_message_text(text, chat_id=progress.chat_id, message_id=progress.message_id)

        async def on_blocked(user_id: int) -> None:
            await runtime.repos.users.mark_blocked(user_id)

        place = await _broadcast_place(runtime.repos, broadcast) if broadcast else None

        async def head(user_id: int) -> str:
            recipient = await runtime.repos.users.find(user_id)
            return heading(get_translator(recipient.language if recipient else None), place)

        # The pace is relative to the bot's limit (TELEGRAM_SENDS_PER_SECOND, Telegram's 30 by default); with
        # several workers the send budget gives each its share of it (bot/workers.py).
        scale = runtime.settings.telegram_sends_per_second / GLOBAL_PER_SECOND
        sender = svc.BroadcastSender(db, telegram_transport(app.bot, head), rate=SEND_RATE * scale,
                                     concurrency=SEND_CONCURRENCY,
                                     window_limit=int(SEND_WINDOW_LIMIT * scale) if SEND_WINDOW_LIMIT else None,
                                     window=SEND_WINDOW, progress_every=PROGRESS_EVERY,
                                     should_continue=lambda: app.running, on_blocked=on_blocked,
                                     on_progress=on_progress, worker=worker_of(runtime))
        report = await sender.run(broadcast_id)
        if report.reported and progress is not None:
            await _report(app, progress, broadcast_id, report.counts, tr)
        return report
    finally:
        _running.get(app, set()).discard(broadcast_id)


async def _broadcast_place(repos: Any, broadcast: Broadcast) -> str | None:
    """Name of the area or posyandu the announcement was sent to (None: the author's whole scope)."""
    if broadcast.scope_posyandu_id is not None:
        posyandu = await repos.posyandu.find_by_id(broadcast.scope_posyandu_id)
        return posyandu.name if posyandu else None
    if broadcast.scope_area_id is not None:
        area = await repos.areas.find_by_id(broadcast.scope_area_id)
        return area_label(area, get_translator("id")) if area else None
    return None


async def _report(app: Application[Any, Any, Any, Any, Any, Any], progress: q.Progress, broadcast_id: int,
                  counts: q.DeliveryCounts, tr: Translator) -> None:
    """Final counts: the progress message shows them, and a new message notifies the author."""
    try:
        if progress.message_id is not None:
            await app.bot.edit_message_text(
                tr.gettext("📣 Announcement #{id}: sending finished.\nDelivered {sent} of {total} · blocked {blocked}"
                           " · failed {failed}").format(id=broadcast_id, sent=counts.sent, total=counts.total,
                                                        blocked=counts.blocked, failed=counts.failed),
                chat_id=progress.chat_id, message_id=progress.message_id)
    except TelegramError:
        log.info("could not update the progress message of broadcast %s", broadcast_id)
    try:
        await app.bot.send_message(progress.chat_id, _final_text(broadcast_id, counts, tr))
    except TelegramError:
        log.warning("could not send the final report of broadcast %s", broadcast_id)


async def resume_unfinished(context: BotContext) -> None:
    """Repeating job: continue broadcasts a restart interrupted or another worker left (sent rows are never
    resent; rows another worker holds are left to it)."""
    for broadcast_id in await q.unfinished_broadcasts(context.runtime.db):
        if start_sending(context.application, broadcast_id):
            log.info("resuming broadcast %s", broadcast_id)


# ------------------------------------------------------------------ /siaran_status


async def status_command(update: Update, context: BotContext) -> None:
    assert update.effective_message
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    tr = context.tr
    db = context.runtime.db
    if scope.is_admin:
        items = await q.list_broadcasts(db, limit=10)
    else:
        items = await q.list_broadcasts(db, author_id=scope.user_id, area_ids=scope.area_ids,
                                        posyandu_ids=scope.posyandu_ids, limit=10)
    if not items:
        await update.effective_message.reply_text(tr.gettext("No announcements yet. Send one with /siaran."))
        return
    tz = context.runtime.settings.timezone
    lines = [tr.gettext("<b>Recent announcements</b>")]
    for b in items:
        c = await q.delivery_counts(db, b.id)
        state = {
            "done": tr.gettext("finished"), "sending": tr.gettext("sending"), "pending": tr.gettext("waiting"),
            "cancelled": tr.gettext("cancelled"),
        }[b.status.value]
        draft = {"scope_kind": "area" if b.scope_area_id else "posyandu" if b.scope_posyandu_id else "all",
                 "scope_id": b.scope_area_id or b.scope_posyandu_id}
        place = _target_label(scope, draft, tr) if (b.scope_area_id in scope.tree.areas
                                                    or b.scope_posyandu_id in scope.tree.posyandu
                                                    or draft["scope_kind"] == "all") else "?"
        snippet = b.text.replace("\n", " ")
        snippet = snippet if len(snippet) <= 40 else snippet[:39] + "…"
        if b.media_type:
            snippet = ("🖼 " if b.media_type == "photo" else "📎 ") + snippet
        lines.append("")
        lines.append(tr.gettext("#{id} · {date} · {audience} in {place} · {state}").format(
            id=b.id, date=tr.short_date(b.created_at.astimezone(tz).date()),
            audience=_audience_label(b.audience, tr), place=html.escape(place), state=state))
        lines.append(tr.gettext("   delivered {sent}/{total} · blocked {blocked} · failed {failed}").format(
            sent=c.sent, total=c.total, blocked=c.blocked, failed=c.failed))
        lines.append("   “" + html.escape(_plain(snippet)) + "”")
    await update.effective_message.reply_text("\n".join(lines))


def _audience_label(value: str, tr: Translator) -> str:
    try:
        return tr.gettext(svc.AUDIENCE_LABELS[svc.Audience(value)])
    except ValueError:  # written by another tool with its own audience names
        return value


def _plain(text: str) -> str:
    """Drop HTML tags and unescape entities from a stored message for a one-line snippet."""
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", text))


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
