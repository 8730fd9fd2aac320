"""Parent journey, the account (not a journey module: handlers/parent.py registers these): `/berhenti` and
`/mulai` switch reminders, tips and announcements; `/hapus_saya` deletes the parent's own data after asking."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import BotContext
from bot.services import parent as svc


async def stop_pushes(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user and update.effective_message
    await svc.set_pushes(context.runtime.repos, user.id, False, display_name=user.first_name or "",
                         language=context.lang)
    await update.effective_message.reply_text(context.tr.gettext(
        "OK, I will not send you reminders, weekly tips or announcements any more.\n"
        "You can still use /anakku, /tips and ask questions. Type /mulai to turn them back on."))


async def start_pushes(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user and update.effective_message
    await svc.set_pushes(context.runtime.repos, user.id, True, display_name=user.first_name or "",
                         language=context.lang)
    await update.effective_message.reply_text(context.tr.gettext(
        "✅ Reminders, weekly tips and announcements are on again. Type /berhenti to stop them."))


async def delete_me(update: Update, context: BotContext) -> None:
    assert update.effective_message
    tr = context.tr
    await update.effective_message.reply_text(
        tr.gettext("Delete your data from this bot?\n"
                   "This removes the links between your Telegram account and your children, the tips and "
                   "reminders sent to you, and your account in this bot.\n"
                   "Your children's health records stay with the posyandu (Buku KIA and the cadres' register)."),
        reply_markup=InlineKeyboardMarkup([[
            InlineKeyboardButton(tr.gettext("🗑 Yes, delete"), callback_data="ortu:hapus:ya"),
            InlineKeyboardButton(tr.gettext("No, keep it"), callback_data="ortu:hapus:tidak"),
        ]]))


async def delete_me_answer(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query and user and chat
    tr = context.tr  # the language must be read before the user's data is dropped
    await query.answer()
    if callbacks.ORTU_DELETE.parse(query.data).text("answer") == "tidak":
        await query.edit_message_text(tr.gettext("OK, nothing was deleted."))
        return
    outcome = await svc.delete_my_data(context.runtime.repos, user.id)
    if outcome is svc.DeleteOutcome.UNLINKED_STAFF:
        await query.edit_message_text(tr.gettext(
            "The links to your children are removed. Your staff account stays; ask your coordinator if it "
            "should be closed."))
        return
    await query.edit_message_text(tr.gettext(
        "✅ Your data has been deleted. Your children's records stay with the posyandu.\n"
        "To use the bot again, type /start."))
    # PTB keeps user and chat data in memory and would write them back after this update: drop them too.
    context.application.drop_user_data(user.id)
    context.application.drop_chat_data(chat.id)
