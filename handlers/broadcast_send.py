"""Sending a coordinator's announcement on Telegram: the transport (heading, photo or document, 429 and 403), the
live progress message and the final report, resuming unfinished broadcasts (also another worker's, once its claims
lapse) and `/siaran_status`. Writing one is the conversation in handlers/broadcast.py; the sending itself (pace,
claims, retries) is bot.services.broadcast."""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import warnings
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
)

from bot.context import BotContext
from bot.i18n import Translator, get_translator
from bot.send_budget import GLOBAL_PER_SECOND
from bot.services import broadcast as svc
from bot.services.team import StaffScope, area_label
from bot.workers import worker_of
from handlers.team import scope_or_refuse
from storage.models import Broadcast

log = logging.getLogger(__name__)

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


def target_posyandu(scope: StaffScope, draft: dict[str, Any]) -> list[int] | None:
    """The posyandu the draft is aimed at, or None when its target is no longer inside the scope."""
    kind, target = draft.get("scope_kind"), draft.get("scope_id")
    if kind == "all":
        return scope.posyandu_ids if scope.is_admin else None
    if kind == "area" and isinstance(target, int) and scope.allows_area(target):
        return scope.tree.posyandu_within(target)
    if kind == "posyandu" and isinstance(target, int) and scope.allows_posyandu(target):
        return [target]
    return None


def target_label(scope: StaffScope, draft: dict[str, Any], tr: Translator) -> str:
    kind, target = draft.get("scope_kind"), draft.get("scope_id")
    if kind == "area" and isinstance(target, int):
        return area_label(scope.tree.areas[target], tr)
    if kind == "posyandu" and isinstance(target, int):
        return scope.tree.posyandu[target].name
    return tr.gettext("all areas")


async def send_content(bot: Any, chat_id: int, text: str, media_type: str | None, file_id: str | None) -> Message:
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
            await send_content(bot, recipient_id, text, broadcast.media_type, broadcast.media_file_id)
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


def progress_text(broadcast_id: int, c: svc.DeliveryCounts, tr: Translator) -> str:
    return tr.gettext("📣 Announcement #{id} is being sent…\nDelivered {sent} of {total} · blocked {blocked} · "
                      "failed {failed}").format(id=broadcast_id, sent=c.sent, total=c.total, blocked=c.blocked,
                                                failed=c.failed)


def _final_text(broadcast_id: int, c: svc.DeliveryCounts, tr: Translator) -> str:
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
        progress = await svc.get_progress(db, broadcast_id)
        broadcast = await svc.get_broadcast(db, broadcast_id)
        author = await runtime.repos.users.find(broadcast.author_id) if broadcast else None
        tr = get_translator(author.language if author else "id")
        last_text: list[str] = [""]

        async def on_progress(counts: svc.DeliveryCounts) -> None:
            if progress is None or progress.message_id is None:
                return
            text = progress_text(broadcast_id, counts, tr)
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


async def _report(app: Application[Any, Any, Any, Any, Any, Any], progress: svc.Progress, broadcast_id: int,
                  counts: svc.DeliveryCounts, tr: Translator) -> None:
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
    for broadcast_id in await svc.unfinished_broadcasts(context.runtime.db):
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
        items = await svc.list_broadcasts(db, limit=10)
    else:
        items = await svc.list_broadcasts(db, author_id=scope.user_id, area_ids=scope.area_ids,
                                        posyandu_ids=scope.posyandu_ids, limit=10)
    if not items:
        await update.effective_message.reply_text(tr.gettext("No announcements yet. Send one with /siaran."))
        return
    tz = context.runtime.settings.timezone
    lines = [tr.gettext("<b>Recent announcements</b>")]
    for b in items:
        c = await svc.delivery_counts(db, b.id)
        state = {
            "done": tr.gettext("finished"), "sending": tr.gettext("sending"), "pending": tr.gettext("waiting"),
            "cancelled": tr.gettext("cancelled"),
        }[b.status.value]
        draft = {"scope_kind": "area" if b.scope_area_id else "posyandu" if b.scope_posyandu_id else "all",
                 "scope_id": b.scope_area_id or b.scope_posyandu_id}
        place = target_label(scope, draft, tr) if (b.scope_area_id in scope.tree.areas
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
