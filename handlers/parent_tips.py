"""Parent journey, `/tips` (not a journey module: handlers/parent.py registers these): a tip for the age of
a linked child (the youngest by default, buttons for the others), or a general tip before linking."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import BotContext
from bot.growth.age import age_text
from bot.services import parent as svc
from bot.services import tips as tips_svc
from handlers.parent_link import first_name


async def send_tip(update: Update, context: BotContext, child_id: int | None) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user and chat
    tr = context.tr
    rt = context.runtime
    children = await svc.linked_children(rt.repos, user.id)
    today = rt.today()
    if not children:
        tip = await tips_svc.general_tip(rt.repos, user.id, context.lang)
        if tip is None:
            return
        await tips_svc.mark_sent(rt.repos, user.id, tip.id, rt.clock.now())
        text = (tr.gettext("💡 Tip:") + "\n" + html.escape(tip.text) + "\n\n<i>"
                + tr.gettext("Source: {source}").format(source=html.escape(tip.source)) + "</i>\n\n"
                + tr.gettext("Link your child (/hubungkan) to get tips for your child's age."))
        await context.bot.send_message(chat.id, text)
        return
    by_id = {c.id: c for c in children}
    if child_id is not None and child_id not in by_id:
        await context.bot.send_message(chat.id, tr.gettext("Sorry, you can only see your own linked children."))
        return
    # Default: the youngest child, whose first 1000 days matter most.
    child = by_id[child_id] if child_id is not None else max(children, key=lambda c: c.birth_date)
    tip = await tips_svc.next_tip(rt.repos, user.id, child.id, today, context.lang)
    if tip is None:
        await context.bot.send_message(chat.id, tr.gettext(
            "I have tips for children under five; {name} is older now. You can still ask me questions.").format(
            name=first_name(child)))
        return
    await tips_svc.mark_sent(rt.repos, user.id, tip.id, rt.clock.now())
    age = age_text(max((today - child.birth_date).days, 0), tr)
    text = (tr.gettext("💡 Tip for {name} ({age}):").format(name=first_name(child), age=age) + "\n"
            + html.escape(tip.text) + "\n\n<i>"
            + tr.gettext("Source: {source}").format(source=html.escape(tip.source)) + "</i>")
    buttons = [[InlineKeyboardButton(tr.gettext("💡 Tip for {name}").format(name=first_name(c)),
                                     callback_data=f"ortu:tip:{c.id}")] for c in children if c.id != child.id]
    buttons.append([InlineKeyboardButton(tr.gettext("💡 Another tip"), callback_data=f"ortu:tip:{child.id}")])
    await context.bot.send_message(chat.id, text, reply_markup=InlineKeyboardMarkup(buttons))


async def tips_command(update: Update, context: BotContext) -> None:
    await send_tip(update, context, None)


async def tip_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query
    await query.answer()
    await send_tip(update, context, callbacks.ORTU_TIP.parse(query.data).optional_id("child"))
