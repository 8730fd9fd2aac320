"""Pieces the cadre handlers share: who is staff, the result card with its buttons, charts, parent notices.

Not a journey module (no `register`): imported by handlers/cadre_*.py.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ConversationHandler, TypeHandler, filters

from bot import callbacks
from bot.context import BotContext
from bot.growth.chart import render_growth_chart
from bot.growth.models import Indicator
from bot.i18n import get_translator
from bot.render import child_line, result_card
from bot.services import measurement as svc
from bot.services import parent as parent_svc
from bot.services.notify import Delivery, Notice, send_notices, withhold_reason
from storage.errors import StorageError
from storage.models import Child

log = logging.getLogger(__name__)

CHARTS = {"wfa": Indicator.WFA, "lhfa": Indicator.LHFA, "wflh": Indicator.WFLH}


async def get_staff(update: Update, context: BotContext) -> svc.Staff | None:
    """The user's staff scope, read once per update (a context lives for one update)."""
    assert update.effective_user
    if hasattr(context, "_cadre_staff"):
        cached: svc.Staff | None = getattr(context, "_cadre_staff")  # noqa: B009
        return cached
    staff = await svc.staff_of(context.runtime.repos, update.effective_user.id,
                               context.runtime.settings.admin_telegram_ids)
    setattr(context, "_cadre_staff", staff)  # noqa: B010
    return staff


async def refuse_stranger(update: Update, context: BotContext) -> None:
    """A parent or someone without a role tried a cadre command: explain, politely, how to become one."""
    tr = context.tr
    text = tr.gettext("This command is for posyandu cadres. If you are a cadre, ask your puskesmas or "
                      "coordinator for an invitation code, then send /start followed by the code.\n"
                      "Parents: type /anakku to see your child's growth.")
    if update.callback_query:
        await update.callback_query.answer()
    if update.effective_message:
        await update.effective_message.reply_text(text)


def result_keyboard(context: BotContext, saved: svc.Saved) -> InlineKeyboardMarkup:
    tr = context.tr
    m = saved.measurement
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("📈 Chart"), callback_data=f"ukur:chart:{m.child_id}:wfa"),
         InlineKeyboardButton(tr.gettext("✏️ Correct"), callback_data=f"ukur:fix:{m.id}")],
        [InlineKeyboardButton(tr.gettext("➕ Next child"), callback_data="ukur:next")],
    ])


async def deliver_result(update: Update, context: BotContext, child: Child, saved: svc.Saved) -> None:
    """The result card to the cadre first, then the linked parents (a parent's block never reaches the cadre)."""
    assert update.effective_chat
    await context.bot.send_message(update.effective_chat.id, result_card(context.tr, child, saved),
                                   reply_markup=result_keyboard(context, saved))

    async def send(notice: Notice) -> Delivery:
        tr = get_translator(notice.lang)
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
            tr.gettext("📈 See {name}'s chart").format(name=notice.child_first_name)[:60],
            callback_data=f"ukur:pchart:{notice.child_id}")]])
        try:
            await context.bot.send_message(notice.user_id, notice.text, reply_markup=keyboard)
        except Forbidden:
            return Delivery.BLOCKED
        except TelegramError:
            return Delivery.FAILED
        return Delivery.SENT

    async def notify() -> None:
        try:
            await send_notices(repos, child, saved, today, send)
        except StorageError:
            # The measurement is saved and the cadre has the card; a failed notice is only logged.
            log.warning("parent notification failed for child %s", child.id, exc_info=True)

    repos, today = context.runtime.repos, context.runtime.today()
    try:
        # Decided now, as notify_parents does: a later save of the same child cannot change the decision.
        withheld = await withhold_reason(repos, child, saved, today)
    except StorageError:
        log.warning("parent notification failed for child %s", child.id, exc_info=True)
        return
    if withheld is not None:
        log.info("no parent notice for measurement %s of child %s (%s)", saved.measurement.id, child.id, withheld)
        return
    # The notices (a few queries and a send per parent) run beside the cadre's next step instead of holding
    # up this update; Application.stop() still waits for them.
    context.application.create_task(notify(), update=update, name=f"notify_parents:{child.id}")


async def send_chart(context: BotContext, chat_id: int, child: Child, indicator: Indicator) -> None:
    """The growth chart picture of a child (all current measurements) with buttons for the other charts."""
    tr = context.tr
    history = await context.runtime.repos.measurements.history_for_child(child.id)
    results = []
    for m in history:
        try:
            results.append(svc.result_of(child, m))
        except (ValueError, ArithmeticError):  # an odd old row must not prevent the chart of the others
            log.warning("measurement %s skipped in chart", m.id)
    results = [r for r in results if r.age_days <= 1856]
    # Drawing takes 0.1-0.3 s of CPU: off the event loop, so other cadres' messages are not held up.
    png = await asyncio.to_thread(render_growth_chart, indicator, svc.GrowthSex(child.sex.value), results, tr,
                                  title=child.name.split()[0] if child.name else None)
    others = [InlineKeyboardButton(label, callback_data=f"ukur:chart:{child.id}:{key}")
              for key, label in (("wfa", tr.gettext("W/A")), ("lhfa", tr.gettext("L/A, H/A")),
                                 ("wflh", tr.gettext("W/L, W/H"))) if CHARTS[key] is not indicator]
    caption = child_line(child, tr, context.runtime.today())
    await context.bot.send_photo(chat_id, png, caption=caption, reply_markup=InlineKeyboardMarkup([others]))


async def chart_button(update: Update, context: BotContext) -> None:
    """`ukur:chart:<child>:<indicator>` for staff, `ukur:pchart:<child>` for a linked parent."""
    query = update.callback_query
    assert query and update.effective_user and update.effective_chat
    data = callbacks.UKUR_CHART.parse(query.data)
    child = await context.runtime.repos.children.find_by_id(data.id("child"))
    allowed = False
    if child is not None:
        if data.text("kind") == "pchart":
            # Through the parent service: a link alone is not enough, the account must still be active.
            allowed = await parent_svc.can_view_child(context.runtime.repos, update.effective_user.id, child.id)
        else:
            staff = await get_staff(update, context)
            allowed = staff is not None and staff.may_access(child.posyandu_id)
    if child is None or not allowed:
        await query.answer(context.tr.gettext("You cannot see this child's data."), show_alert=True)
        return
    await query.answer()
    indicator = CHARTS[data.optional_text("indicator") or "wfa"]
    await send_chart(context, update.effective_chat.id, child, indicator)


def child_button(child: Child, *, prefix: str, mark: str = "") -> InlineKeyboardButton:
    label = f"{mark}{child.name} ({child.code})"
    if len(label) > 60:
        label = label[:57] + "…"
    return InlineKeyboardButton(label, callback_data=f"{prefix}{child.id}")


# A sticker, photo, voice note, file or location where a conversation step waits for typed text or a button.
# Not contacts (a parent's phone link) nor service messages (a pin): those keep going to their own handlers.
NOT_TEXT = filters.UpdateType.MESSAGE & (
    filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.AUDIO | filters.VIDEO | filters.VIDEO_NOTE
    | filters.ANIMATION | filters.Document.ALL | filters.LOCATION)


def not_text_note(context: BotContext) -> str:
    """Said before the step's question is asked again (nothing typed so far is lost)."""
    return context.tr.gettext("I can only read typed text and buttons here, not stickers, photos or voice notes.")


async def send_text(update: Update, context: BotContext, text: str,
                    markup: InlineKeyboardMarkup | None = None) -> None:
    """A new message to the chat of the update (a button press answers with a new message, not an edit)."""
    assert update.effective_chat
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


def nav_keyboard(context: BotContext, prefix: str, *rows: list[InlineKeyboardButton],
                 back: bool = True) -> InlineKeyboardMarkup:
    """`rows`, then [⬅️ Back] [❌ Cancel] with callback data `<prefix>:back` / `<prefix>:cancel`."""
    tr = context.tr
    last = [InlineKeyboardButton(tr.gettext("⬅️ Back"), callback_data=f"{prefix}:back")] if back else []
    last.append(InlineKeyboardButton(tr.gettext("❌ Cancel"), callback_data=f"{prefix}:cancel"))
    return InlineKeyboardMarkup([*rows, last])


def press_buttons_hint(context: BotContext) -> str:
    """When a question with buttons is open above and something else came."""
    return context.tr.gettext("Please press one of the buttons above, or type /batal to cancel.")


def escape(text: str, limit: int = 40) -> str:
    """User text quoted back in a message: shortened and escaped."""
    text = " ".join(text.split())
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


# ------------------------------------------------------------------ one cadre conversation at a time

_ENTRIES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}  # conversation name -> its entry points
EXCLUSIVE_GROUP = -5  # its own group: group -1 is taken by remember_user, and PTB runs one handler per group


def answer_in_background(context: BotContext, query: CallbackQuery) -> None:
    """Stop a pressed button's spinner without holding up the next question: each Bot API call is a network
    round trip, and a step's answer should not wait for this one (the order of the two does not matter)."""

    async def answer() -> None:
        try:
            await query.answer()
        except TelegramError:  # an old query (> 15 min) or a network error: the spinner stops by itself
            log.debug("could not answer a callback query")

    context.application.create_task(answer(), name="answer_callback_query")


def _open_conversations(update: Update, context: BotContext) -> list[tuple[ConversationHandler[Any], tuple[int, int]]]:
    """The conversations this user is inside, each with the user's key (PTB keeps no public accessor)."""
    if update.effective_chat is None or update.effective_user is None:
        return []
    key = (update.effective_chat.id, update.effective_user.id)
    return [(h, key) for h in context.application.handlers.get(0, [])
            if isinstance(h, ConversationHandler) and key in h._conversations]


def conversation_open(update: Update, context: BotContext, name: str) -> bool:
    """Whether the user is inside the persistent conversation `name` (e.g. after /start mid-entry)."""
    return any(handler.name == name for handler, _ in _open_conversations(update, context))


def exclusive(conversation: ConversationHandler[Any], commands: set[str],
              callback_prefixes: tuple[str, ...]) -> ConversationHandler[Any]:
    """Mark a conversation that ends the user's other cadre conversations when it starts.

    Without this, a cadre who types /anak_baru in the middle of /ukur would be in both, and the next number
    typed would go to whichever handler was registered first.
    """
    assert conversation.name
    _ENTRIES[conversation.name] = (frozenset(commands), callback_prefixes)
    return conversation


async def end_other_conversations(update: Update, context: BotContext) -> None:
    if update.effective_chat is None or update.effective_user is None:
        return
    target: str | None = None
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        command = message.text.split()[0][1:].split("@")[0].lower()
        target = next((name for name, (cmds, _) in _ENTRIES.items() if command in cmds), None)
    elif update.callback_query is not None and update.callback_query.data:
        data = update.callback_query.data
        target = next((name for name, (_, prefixes) in _ENTRIES.items() if data.startswith(prefixes)), None)
    if target is None:
        return
    for handler, key in _open_conversations(update, context):
        if handler.name in _ENTRIES and handler.name != target:
            handler._update_state(ConversationHandler.END, key)


def register_exclusive(app: Any) -> None:
    app.add_handler(TypeHandler(Update, end_other_conversations), group=EXCLUSIVE_GROUP)
