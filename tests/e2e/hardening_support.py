"""Helpers for the hardening tests (issue 19): personas on the demo data, every command the bot knows, and
what counts as a Bot API violation. No tests in this module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot.demo import CADRE_ID, COORDINATOR_ID, KIDS, PARENT_ID, STRANGER_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI, SentCall
from storage.models import Role
from tests.e2e.harness import BotHarness

DB_ADMIN_ID = 5001  # an admin by database role (not in ADMIN_TELEGRAM_IDS, so it can be deactivated)
SETTINGS_ADMIN_ID = 5002
CHILD_NAMES = tuple(k.name for k in KIDS)
GUARDIAN_NAMES = tuple(k.guardian for k in KIDS)
GUARDIAN_PHONES = tuple(k.phone for k in KIDS if k.phone)


@dataclass(frozen=True)
class Personas:
    demo: DemoPersonas
    by_role: dict[str, int]  # role word -> telegram id


async def seed_personas(bot: BotHarness, api: FakeBotAPI) -> Personas:
    demo = await seed_demo(bot.runtime.repos, bot.runtime.today())
    repos = bot.runtime.repos
    await repos.users.upsert(DB_ADMIN_ID, "Pak Admin", "id")
    await repos.users.set_role(DB_ADMIN_ID, Role.ADMIN)
    for uid, name in ((CADRE_ID, "Sari"), (PARENT_ID, "Siti"), (COORDINATOR_ID, "Dewi"), (STRANGER_ID, "Tamu"),
                      (DB_ADMIN_ID, "Admin"), (SETTINGS_ADMIN_ID, "Root"), (1002, "Rina")):
        api.user(uid, name)
    return Personas(demo, {"cadre": CADRE_ID, "parent": PARENT_ID, "coordinator": COORDINATOR_ID,
                           "admin": DB_ADMIN_ID, "stranger": STRANGER_ID})


def _handlers(handler: BaseHandler[Any, Any, Any]) -> list[BaseHandler[Any, Any, Any]]:
    if isinstance(handler, ConversationHandler):
        inner = [*handler.entry_points, *handler.fallbacks, *(h for hs in handler.states.values() for h in hs)]
        return [x for h in inner for x in _handlers(h)]
    return [handler]


def all_commands(bot: BotHarness) -> list[str]:
    """Every command some handler of the running bot answers (conversations' entry points included)."""
    assert bot.app is not None
    found: set[str] = set()
    for group in bot.app.handlers.values():
        for handler in group:
            for h in _handlers(handler):
                if isinstance(h, CommandHandler):
                    found |= set(h.commands)
    return sorted(found)


def violations(api: FakeBotAPI, since: int = 0) -> list[SentCall]:
    """Calls Telegram would have refused (4xx/5xx), other than faults a test injected itself."""
    return [c for c in api.calls[since:] if c.error is not None]


def texts_to(api: FakeBotAPI, chat_id: int, since: int = 0) -> list[str]:
    """Texts and captions of messages sent or edited into `chat_id` since call index `since`."""
    out = []
    for c in api.calls[since:]:
        if c.params.get("chat_id") != chat_id or c.error is not None:
            continue
        if c.method in ("sendMessage", "editMessageText"):
            out.append(str(c.params.get("text") or ""))
        elif c.method in ("sendPhoto", "sendDocument", "editMessageCaption"):
            out.append(str(c.params.get("caption") or ""))
    return out


def buttons_sent_to(api: FakeBotAPI, chat_id: int) -> list[tuple[int, str]]:
    """(message id, callback data) of every inline button the bot ever showed in that chat, edits included."""
    seen: list[tuple[int, str]] = []
    for c in api.calls:
        if c.params.get("chat_id") != chat_id or c.error is not None or not isinstance(c.result, dict):
            continue
        markup = c.params.get("reply_markup") or {}
        if not isinstance(markup, dict):
            continue
        for row in markup.get("inline_keyboard", []):
            for b in row:
                if "callback_data" in b and (c.result["message_id"], b["callback_data"]) not in seen:
                    seen.append((c.result["message_id"], b["callback_data"]))
    return seen


__all__ = ["CHILD_NAMES", "DB_ADMIN_ID", "GUARDIAN_NAMES", "GUARDIAN_PHONES", "SETTINGS_ADMIN_ID", "Personas",
           "all_commands", "buttons_sent_to", "seed_personas", "texts_to", "violations"]
