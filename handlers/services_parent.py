"""The parent's view of the services (issue 14): the immunisation and vitamin A record in /anakku (given, due,
overdue, missed, as the Buku KIA page shows them) and a picture of that page (drawn in a worker thread, like the
growth chart). handlers/parent_report.py asks `kia_section` for its lines and its button."""

from __future__ import annotations

import asyncio
import html
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.constants import ChatAction
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator
from bot.render.kia_picture import kia_png
from bot.render.services import kia_summary
from bot.services import parent as parent_svc
from bot.services import services_due
from handlers.cadre_shared import get_staff
from storage import Repositories
from storage.models import Child

ORDER = 84  # before handlers/parent.py (85), whose /anakku shows the section


async def kia_section(repos: Repositories, child: Child, today: Any, tr: Translator
                      ) -> tuple[list[str], InlineKeyboardButton]:
    """The record's lines for /anakku and the button to its picture."""
    page = await services_due.kia_page(repos, child, today)
    first = html.escape(child.name.split()[0] if child.name.split() else child.name)
    button = InlineKeyboardButton(tr.gettext("📒 Buku KIA of {name}").format(name=first)[:60],
                                  callback_data=f"lay:kia:{child.id}")
    return kia_summary(tr, page), button


async def kia_pressed(update: Update, context: BotContext) -> None:
    """The picture of the child's immunisation page (a linked parent, or staff of the child's posyandu)."""
    query = update.callback_query
    assert query and query.data and update.effective_user and update.effective_chat
    tr = context.tr
    repos = context.runtime.repos
    child = await repos.children.find_by_id(callbacks.LAYANAN_KIA.parse(query.data).id("child"))
    allowed = child is not None and await parent_svc.can_view_child(repos, update.effective_user.id, child.id)
    if child is not None and not allowed:
        staff = await get_staff(update, context)
        allowed = staff is not None and staff.may_access(child.posyandu_id)
    if child is None or not allowed:
        await query.answer(tr.gettext("Sorry, you can only see your own linked children."), show_alert=True)
        return
    await query.answer()
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_PHOTO)
    page = await services_due.kia_page(repos, child, context.runtime.today())
    first = child.name.split()[0] if child.name.split() else child.name
    title = tr.gettext("Immunisation record of {name}").format(name=first)
    png = await asyncio.to_thread(kia_png, tr, page, title)  # 0.1-0.3 s of CPU: off the event loop
    caption = tr.gettext("📒 {name}'s immunisation, vitamin A and deworming, as recorded at the posyandu. Green: "
                         "given · yellow: due now · orange: late, can still be caught up · red: missed.").format(
        name=html.escape(first))
    await context.bot.send_photo(update.effective_chat.id, png, caption=caption)


def register(app: Any) -> None:
    app.add_handler(CallbackQueryHandler(kia_pressed, pattern=callbacks.LAYANAN_KIA.matches))


__all__ = ["kia_section", "register"]
