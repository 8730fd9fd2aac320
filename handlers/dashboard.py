"""`/dasbor`: the coordinators' dashboard (a Telegram Mini App) behind a web_app button, and the menu button."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotContext

# Importing these registers the kept counts' status listener and the cases and programs report sections.
from bot.services import dashboard_counts, dashboard_reports  # noqa: F401
from bot.services.dashboard_scope import may_open_dashboard
from bot.webapp.menu import set_menu_button, web_app_button

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)


async def dashboard_command(update: Update, context: BotContext) -> None:
    msg, user = update.effective_message, update.effective_user
    assert msg and user
    rt, tr = context.runtime, context.tr
    if not await may_open_dashboard(rt.repos, user.id, rt.settings.admin_telegram_ids):
        await msg.reply_text(tr.gettext("Sorry, the dashboard is for posyandu coordinators, health workers and "
                                        "admins. Type /help to see what you can do."))
        return
    url = rt.settings.dashboard_url
    if msg.chat.type != "private":  # Telegram allows web_app buttons in private chats only
        await msg.reply_text(tr.gettext("Open the dashboard in your private chat with me: send /dasbor there."))
        return
    if not url:
        await msg.reply_text(tr.gettext(
            "The dashboard is not set up on this bot yet. The operator sets DASHBOARD_URL to the dashboard's "
            "public HTTPS address (for example https://bot.example.id/dasbor/) and restarts the bot; until then "
            "/rekap and /tindak_lanjut give the same numbers in the chat."))
        return
    await msg.reply_text(tr.gettext("📊 The dashboard shows your area's numbers as charts and tables: trends, each "
                                    "posyandu, children to follow up, and the annual review with Excel and PDF. "
                                    "It also opens from the menu button next to the message box."),
                         reply_markup=web_app_button(url, context.lang))
    await set_menu_button(context.application, msg.chat_id, url, context.lang)
    log.info("dashboard offered to user %s", user.id)


def register(app: PosyanduApplication) -> None:
    app.add_handler(CommandHandler(["dasbor", "dashboard"], dashboard_command))


__all__ = ["register"]
