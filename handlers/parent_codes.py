"""/kode_ortu A4: a fresh one-time link code for a parent of a child already registered (cadre of the child's
posyandu, coordinator within scope, admin). Thin: bot/services/parent_codes.py decides."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotContext
from bot.services import parent_codes as svc
from bot.services.enrolment import deep_link

if TYPE_CHECKING:
    from bot.app import PosyanduApplication


async def code_command(update: Update, context: BotContext) -> None:
    msg = update.effective_message
    user = update.effective_user
    assert msg and user
    tr = context.tr
    rt = context.runtime
    if not context.args:
        await msg.reply_text(tr.gettext("Type the child's code after the command, for example: "
                                        "<code>/kode_ortu A4</code>"))
        return
    code = " ".join(context.args)[:20]
    result = await svc.fresh_parent_code(rt.repos, user.id, code, rt.clock.now(),
                                         admin=user.id in rt.settings.admin_telegram_ids)
    O = svc.CodeOutcome  # noqa: E741 - a short alias keeps the branches readable
    if result.outcome is O.NOT_STAFF:
        await msg.reply_text(tr.gettext("This command is for posyandu cadres and coordinators. Parents link their "
                                        "child with /hubungkan."))
        return
    if result.outcome is O.NO_CHILD:
        await msg.reply_text(tr.gettext("No child with the code {code} in your posyandu or area. Check the code in "
                                        "/daftar.").format(code=html.escape(code)))
        return
    assert result.child is not None
    name = html.escape(result.child.name)
    if result.outcome is O.INACTIVE:
        await msg.reply_text(tr.gettext("{name} ({code}) is no longer followed by the posyandu, so no new parent "
                                        "code can be made.").format(name=name, code=result.child.code))
        return
    assert result.invite is not None
    lines = [
        tr.gettext("🔑 Code for a parent of {name} ({code}): <code>{invite}</code>").format(
            name=name, code=result.child.code, invite=result.invite.code),
        tr.gettext("Send this link to the parent:"),
        deep_link(context.bot.username, result.invite.code),
        tr.gettext("Or the parent sends /start {invite} to this bot. Valid for {days} days, for one parent; a second "
                   "parent needs another code.").format(invite=result.invite.code, days=result.valid_days),
    ]
    if result.revoked:
        lines.append(tr.ngettext("The older unused code for this child no longer works.",
                                 "The {n} older unused codes for this child no longer work.",
                                 result.revoked).format(n=result.revoked))
    await msg.reply_text("\n".join(lines))


def register(app: PosyanduApplication) -> None:
    app.add_handler(CommandHandler(["kode_ortu", "parent_code"], code_command))


__all__ = ["register"]
