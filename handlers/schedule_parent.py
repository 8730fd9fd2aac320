"""`/jadwal` for parents (not a journey module: handlers/schedule.py registers it): their posyandu's next
sessions, and the button that turns reminders and tips off and on."""

from __future__ import annotations

import html
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator
from bot.services import parent as parent_svc
from bot.services import schedule as svc
from handlers.schedule_shared import kb, session_line, today


async def parent_view(update: Update, context: BotContext) -> None:
    assert update.effective_user and update.effective_message
    tr = context.tr
    repos = context.runtime.repos
    uid = update.effective_user.id
    # Through the parent service: a deactivated account no longer learns where its children go.
    children = await parent_svc.linked_children(repos, uid)
    if not children:
        await update.effective_message.reply_text(tr.gettext(
            "I don't know your posyandu yet. Ask your cadre for the link code of your child, then send /start "
            "followed by the code."))
        return
    lines: list[str] = []
    for pid in dict.fromkeys(c.posyandu_id for c in children):
        info = await svc.posyandu_info(repos, pid)
        if info is None:
            continue
        sessions = await svc.upcoming_sessions(repos, pid, today(context, info.timezone), 3)
        lines.append(tr.gettext("🗓 Next sessions of {posyandu}:").format(posyandu=f"<b>{html.escape(info.name)}</b>"))
        if info.place != info.name:
            lines.append("📍 " + html.escape(info.place))
        lines += [session_line(s, tr) for s in sessions] or [tr.gettext("No dates set yet; ask your cadre.")]
        lines.append("")
    user = await repos.users.find(uid)
    await update.effective_message.reply_text("\n".join(lines).strip() + "\n\n" + _optout_text(tr, user),
                                              reply_markup=_optout_keyboard(tr, user))


def _optout_text(tr: Translator, user: Any) -> str:
    if user is not None and user.opted_out:
        return tr.gettext("🔕 Reminders and tips are off.")
    return tr.gettext("🔔 You get a reminder the day before and on the morning of posyandu day, and a weekly tip.")


def _optout_keyboard(tr: Translator, user: Any) -> InlineKeyboardMarkup:
    if user is not None and user.opted_out:
        return kb([[(tr.gettext("🔔 Turn reminders on"), "jadwal:opt:on")]])
    return kb([[(tr.gettext("🔕 Turn reminders off"), "jadwal:opt:off")]])


async def optout_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and update.effective_user
    tr = context.tr
    off = callbacks.JADWAL_OPT.parse(query.data).text("turn") == "off"
    await svc.set_opt_out(context.runtime.db, update.effective_user.id, off)
    await query.answer()
    text = tr.gettext("🔕 Reminders and tips are off. Type /jadwal to turn them on again.") if off else \
        tr.gettext("🔔 Reminders and tips are on again.")
    await query.edit_message_text(text)
