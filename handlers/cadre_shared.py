"""Pieces the cadre handlers share: who is staff, the result card with its buttons, charts, parent notices.

Not a journey module (no `register`): imported by handlers/cadre_*.py.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, ConversationHandler, TypeHandler, filters

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


# Journeys add rows to the result card (issue 14: the services due today for this child, one tap each). A provider
# gets the context, the child and what was saved; its failure only costs its rows (logged), never the card.
ResultRows = Callable[[BotContext, Child, svc.Saved], Awaitable[list[list[InlineKeyboardButton]]]]
RESULT_ROWS: list[ResultRows] = []


def result_keyboard(context: BotContext, saved: svc.Saved,
                    extra: list[list[InlineKeyboardButton]] | None = None) -> InlineKeyboardMarkup:
    tr = context.tr
    m = saved.measurement
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(tr.gettext("📈 Chart"), callback_data=f"ukur:chart:{m.child_id}:wfa"),
         InlineKeyboardButton(tr.gettext("✏️ Correct"), callback_data=f"ukur:fix:{m.id}")],
        *(extra or []),
        [InlineKeyboardButton(tr.gettext("➕ Next child"), callback_data="ukur:next")],
    ])


async def _extra_rows(context: BotContext, child: Child, saved: svc.Saved) -> list[list[InlineKeyboardButton]]:
    rows: list[list[InlineKeyboardButton]] = []
    for provider in RESULT_ROWS:
        try:
            rows += await provider(context, child, saved)
        except Exception:  # the card goes out without these buttons rather than not at all
            log.exception("result card rows of %s failed for child %s", getattr(provider, "__qualname__", "?"),
                          child.id)
    return rows


async def deliver_result(update: Update, context: BotContext, child: Child, saved: svc.Saved) -> None:
    """The result card to the cadre first, then the linked parents (a parent's block never reaches the cadre)."""
    assert update.effective_chat
    await context.bot.send_message(update.effective_chat.id, result_card(context.tr, child, saved),
                                   reply_markup=result_keyboard(context, saved, await _extra_rows(context, child,
                                                                                                  saved)))

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
    # A visit kept as "perlu ukur ulang" is not a point on the chart (it is not data until corrected).
    for m in (m for m in history if not m.implausible):
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

# Unfinished work in a conversation: a description for the question ("the /ukur entry for Budi (A1)") or None
# when nothing typed would be lost; how to ask its pending question again; how to throw it away.
Describe = Callable[[BotContext], Awaitable[str | None]]
Resume = Callable[[Update, BotContext], Awaitable[Any]]
Discard = Callable[[BotContext], None]


@dataclass(frozen=True)
class ExclusiveSpec:
    commands: frozenset[str]
    prefixes: tuple[str, ...]
    unfinished: Describe | None = None
    resume: Resume | None = None
    discard: Discard | None = None


_ENTRIES: dict[str, ExclusiveSpec] = {}  # conversation name -> how it starts, and its unfinished work
EXCLUSIVE_GROUP = -5  # its own group: group -1 is taken by remember_user, and PTB runs one handler per group
WORK_KEY = "work_retry"  # user_data: what the user tried while work was unfinished (to say "send it again")


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


def exclusive(conversation: ConversationHandler[Any], commands: set[str], callback_prefixes: tuple[str, ...], *,
              unfinished: Describe | None = None, resume: Resume | None = None,
              discard: Discard | None = None) -> ConversationHandler[Any]:
    """Mark a conversation that ends the user's other cadre conversations when it starts.

    Without this, a cadre who types /anak_baru in the middle of /ukur would be in both, and the next number
    typed would go to whichever handler was registered first. With `unfinished`, work typed there is never
    thrown away silently: starting another conversation (or /catat) asks first (`guard_unfinished`).
    """
    assert conversation.name
    _ENTRIES[conversation.name] = ExclusiveSpec(frozenset(commands), callback_prefixes, unfinished, resume, discard)
    return conversation


def _starting(update: Update) -> tuple[str | None, str | None]:
    """(the conversation this update starts, what the user sent: a command line, or None for a button)."""
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        command = message.text.split()[0][1:].split("@")[0].lower()
        target = next((name for name, spec in _ENTRIES.items() if command in spec.commands), None)
        return target, message.text
    if update.callback_query is not None and update.callback_query.data:
        data = update.callback_query.data
        if not callbacks.known(data):  # forged or stale data starts nothing (the catch-all answers it)
            return None, None
        return next((name for name, spec in _ENTRIES.items() if data.startswith(spec.prefixes)), None), None
    return None, None


async def _unfinished(update: Update, context: BotContext) -> tuple[str, str] | None:
    """(conversation name, description) of the first open conversation with work that would be lost."""
    for handler, _key in _open_conversations(update, context):
        spec = _ENTRIES.get(handler.name or "")
        if spec is not None and spec.unfinished is not None and (what := await spec.unfinished(context)):
            return str(handler.name), what
    return None


async def guard_unfinished(update: Update, context: BotContext) -> bool:
    """If an open conversation holds unsaved work, ask "continue it, or discard it?" and return True (the caller
    does nothing else); False when nothing would be lost."""
    found = await _unfinished(update, context)
    if found is None:
        return False
    name, what = found
    tr = context.tr
    if update.callback_query is not None:
        await update.callback_query.answer()
    _, typed = _starting(update)
    if context.user_data is not None:
        context.user_data[WORK_KEY] = typed
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(tr.gettext("▶️ Continue it"), callback_data=f"work:go:{name}"),
        InlineKeyboardButton(tr.gettext("🗑️ Discard it"), callback_data=f"work:drop:{name}")]])
    await send_text(update, context, tr.gettext("⏳ {what} is not saved yet. Continue it first, or discard it?"
                                                ).format(what=what), markup)
    return True


async def end_other_conversations(update: Update, context: BotContext) -> None:
    if update.effective_chat is None or update.effective_user is None:
        return
    target, _ = _starting(update)
    if target is None:
        return
    if await guard_unfinished(update, context):
        raise ApplicationHandlerStop  # nothing typed is thrown away without the user's answer
    for handler, key in _open_conversations(update, context):
        if handler.name in _ENTRIES and handler.name != target:
            handler._update_state(ConversationHandler.END, key)


async def work_pressed(update: Update, context: BotContext) -> None:
    """[▶️ Continue it] asks the unfinished conversation's question again; [🗑️ Discard it] ends it."""
    query = update.callback_query
    assert query and query.data
    tr = context.tr
    values = callbacks.WORK.parse(query.data)
    action, name = values.text("action"), values.text("conversation")
    spec = _ENTRIES.get(name)
    open_here = [(h, key) for h, key in _open_conversations(update, context) if h.name == name]
    await query.answer()
    if spec is None or not open_here:
        await send_text(update, context, tr.gettext("Nothing is unfinished any more."))
        return
    if action == "go" and spec.resume is not None:
        await spec.resume(update, context)
        return
    for handler, key in open_here:
        handler._update_state(ConversationHandler.END, key)
    if spec.discard is not None:
        spec.discard(context)
    retry = context.user_data.pop(WORK_KEY, None) if context.user_data is not None else None
    text = tr.gettext("Discarded: nothing of it was saved.")
    if retry:
        text += "\n" + tr.gettext("Now send {command} again.").format(command=escape(retry, 60))
    await send_text(update, context, text)


def register_exclusive(app: Any) -> None:
    app.add_handler(TypeHandler(Update, end_other_conversations), group=EXCLUSIVE_GROUP)
    app.add_handler(CallbackQueryHandler(work_pressed, pattern=callbacks.WORK.matches))
