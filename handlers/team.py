"""Coordinator team: `/tim` (cadres and their last activity), and the registration of the team journey.

The flows live in handlers/team_invite.py (`/undang`, staff invites with a deep link) and handlers/team_join.py
(redeeming a staff invite through `/start <code>`, and making sure the admins named in the settings are admins in
the database too). The area/posyandu picker the other coordinator journeys share is in handlers/area_picker.py;
its names are re-exported here for the modules that still import them from handlers.team."""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, TypeHandler

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator
from bot.services import team as svc
from bot.services.team import area_label
from handlers.area_picker import node_allowed, picker_keyboard, scope_or_refuse, start_node
from handlers.common import START_PAYLOAD_HANDLERS
from handlers.team_invite import invite_button, invite_command
from handlers.team_join import redeem_staff_invite, sync_settings_admin

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

ORDER = 30


def _ago(when: dt.datetime | None, today: dt.date, tr: Translator, tz: dt.tzinfo) -> str:
    if when is None:
        return tr.gettext("never")
    days = (today - when.astimezone(tz).date()).days
    if days <= 0:
        return tr.gettext("today")
    if days == 1:
        return tr.gettext("yesterday")
    if days < 30:
        return tr.ngettext("{n} day ago", "{n} days ago", days).format(n=days)
    return tr.short_date(when.astimezone(tz).date())


async def team_command(update: Update, context: BotContext) -> None:
    assert update.effective_message
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    tr = context.tr
    rt = context.runtime
    tz = rt.settings.timezone
    today = rt.today()
    cadres = await svc.cadre_activity(rt.repos, scope.posyandu_ids, today, tz)
    title = tr.gettext("<b>Cadres of {area}</b>").format(area=html.escape(area_label(scope.area, tr)))
    if not cadres:
        await update.effective_message.reply_text(
            title + "\n" + tr.gettext("No cadre has joined yet. Invite one with /undang kader."))
        return
    lines = [title, tr.ngettext("{n} cadre", "{n} cadres", len(cadres)).format(n=len(cadres))]
    current: int | None = None
    idle = 0
    for c in cadres:
        if c.posyandu_id != current:
            current = c.posyandu_id
            lines.append("")
            lines.append("🏠 <b>" + html.escape(scope.tree.posyandu[c.posyandu_id].name) + "</b>")
        last = max((t for t in (c.last_seen_at, c.last_entry_at) if t is not None), default=None)
        if last is None or (today - last.astimezone(tz).date()).days > 31:
            idle += 1
        status = "" if c.active else " ⚠️ " + tr.gettext("blocked the bot")
        lines.append(tr.gettext("• {name} — active {ago} · {n} entries this month{status}").format(
            name=html.escape(c.display_name or str(c.telegram_id)), ago=_ago(last, today, tr, tz),
            n=c.entries_this_month, status=status))
        if len("\n".join(lines)) > 3800:
            lines.append(tr.gettext("… (list shortened)"))
            break
    no_cadre = [p for p in scope.posyandu_ids if p not in {c.posyandu_id for c in cadres}]
    if no_cadre:
        lines.append("")
        lines.append(tr.ngettext("{n} posyandu has no cadre yet: /undang kader",
                                 "{n} posyandu have no cadre yet: /undang kader", len(no_cadre)).format(
            n=len(no_cadre)))
    if idle:
        lines.append(tr.ngettext("{n} cadre not active for over a month.", "{n} cadres not active for over a month.",
                                 idle).format(n=idle))
    await update.effective_message.reply_text("\n".join(lines))


def register(app: PosyanduApplication) -> None:
    app.add_handler(TypeHandler(Update, sync_settings_admin), group=-2)
    app.add_handler(CommandHandler(["undang", "invite"], invite_command))
    app.add_handler(CallbackQueryHandler(invite_button, pattern=callbacks.any_of(
        callbacks.UNDANG_ROLE, callbacks.UNDANG_OPEN, callbacks.UNDANG_PICK, callbacks.UNDANG_ROLE_FAMILY,
        callbacks.UNDANG_OPEN_FAMILY, callbacks.UNDANG_PICK_FAMILY)))
    app.add_handler(CommandHandler(["tim", "team"], team_command))
    if redeem_staff_invite not in START_PAYLOAD_HANDLERS:  # register runs again for every Application built
        START_PAYLOAD_HANDLERS.append(redeem_staff_invite)


# The picker names are re-exported from handlers/area_picker.py: handlers/broadcast.py imports them from here.
__all__ = ["node_allowed", "picker_keyboard", "register", "scope_or_refuse", "start_node"]
