"""The dashboard's entry points in Telegram: the chat menu button (set per chat for the users the dashboard is
for) and the web_app button /dasbor sends."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import N_, get_translator
from bot.services.dashboard_scope import dashboard_users

log = logging.getLogger(__name__)

MENU_LABEL = N_("📊 Dashboard")
OPEN_LABEL = N_("📊 Open the dashboard")


def web_app_button(url: str, lang: str) -> InlineKeyboardMarkup:
    tr = get_translator(lang)
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr.gettext(OPEN_LABEL), web_app=WebAppInfo(url=url))]])


async def set_menu_button(app: Application[Any, Any, Any, Any, Any, Any], chat_id: int, url: str, lang: str) -> bool:
    """The chat's menu button opens the dashboard (False when Telegram refused, e.g. the user blocked the bot)."""
    tr = get_translator(lang)
    try:
        await app.bot.set_chat_menu_button(chat_id=chat_id, menu_button=MenuButtonWebApp(
            text=tr.gettext(MENU_LABEL), web_app=WebAppInfo(url=url)))
    except TelegramError as exc:
        log.info("menu button not set for chat %s: %s", chat_id, type(exc).__name__)
        return False
    return True


async def set_menu_buttons(app: Any) -> int:
    """At start-up: the menu button of every coordinator, health worker and admin opens the dashboard."""
    url = app.runtime.settings.dashboard_url
    if not url:
        return 0
    users = await dashboard_users(app.runtime.repos, app.runtime.settings.admin_telegram_ids)
    done = 0
    for uid, lang in users.items():
        done += await set_menu_button(app, uid, url, lang)
    log.info("dashboard menu button set for %s of %s users", done, len(users))
    return done


__all__ = ["MENU_LABEL", "OPEN_LABEL", "set_menu_button", "set_menu_buttons", "web_app_button"]
