"""Parent journey: link to a child (code or phone), /anakku, growth charts, /tips, /berhenti, /mulai, /hapus_saya.

Thin: the rules live in bot/services/parent.py and bot/services/tips.py. Free-text questions are in
handlers/parent_questions.py (ORDER 90, after every conversation that takes free text).
This module registers the journey; the callbacks live by flow in handlers/parent_link.py (codes, phone number),
handlers/parent_report.py (/anakku, charts), handlers/parent_tips.py (/tips) and handlers/parent_account.py
(/berhenti, /mulai, /hapus_saya).
Callback data starts with `ortu:` (Indonesian for parent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from handlers.common import START_PAYLOAD_HANDLERS
from handlers.parent_account import delete_me, delete_me_answer, start_pushes, stop_pushes
from handlers.parent_link import (
    CANCEL_TEXT,
    cancel_keyboard,
    code_command,
    contact_received,
    link_command,
    start_payload,
)
from handlers.parent_report import anakku, anakku_button, chart_button
from handlers.parent_tips import tip_button, tips_command

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

# After the conversations that take free text (10-40) and the staff journeys, so that a /start code nobody
# else claimed reaches `start_payload` last; before the free-text questions (90).
ORDER = 85


def register(app: PosyanduApplication) -> None:
    app.add_handler(CommandHandler(["anakku", "anak"], anakku))
    app.add_handler(CommandHandler("tips", tips_command))
    app.add_handler(CommandHandler(["hubungkan", "link"], link_command))
    app.add_handler(CommandHandler(["kode", "code"], code_command))
    app.add_handler(CommandHandler(["berhenti", "stop"], stop_pushes))
    app.add_handler(CommandHandler(["mulai", "resume"], start_pushes))
    app.add_handler(CommandHandler(["hapus_saya", "delete_me"], delete_me))
    app.add_handler(MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, contact_received))
    app.add_handler(MessageHandler(filters.TEXT & filters.Regex(CANCEL_TEXT), cancel_keyboard))
    app.add_handler(CallbackQueryHandler(anakku_button, pattern=callbacks.ORTU_ANAKKU.matches))
    app.add_handler(CallbackQueryHandler(tip_button, pattern=callbacks.ORTU_TIP.matches))
    app.add_handler(CallbackQueryHandler(chart_button, pattern=callbacks.ORTU_CHART.matches))
    app.add_handler(CallbackQueryHandler(delete_me_answer, pattern=callbacks.ORTU_DELETE.matches))
    # Asked last among /start payload handlers (this module registers after the staff ones), so a code no one
    # else claimed is answered here, with the rate limit.
    if start_payload not in START_PAYLOAD_HANDLERS:  # register runs again for every Application built
        START_PAYLOAD_HANDLERS.append(start_payload)
