"""The area/posyandu picker the coordinator journeys share (not a journey module): the caller's coordinator
scope or a polite refusal, and the buttons that walk the area tree within that scope.

Used by handlers/team_invite.py (/undang), handlers/programs_new.py, handlers/recap.py and (through
handlers/team.py, which re-exports these names) handlers/broadcast.py.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.i18n import Translator
from bot.services import team as svc
from bot.services.team import StaffScope, area_label

PICK_PAGE = 24  # buttons per picker page (Telegram allows 100; a phone screen shows about this many)


async def scope_or_refuse(update: Update, context: BotContext) -> StaffScope | None:
    """The caller's coordinator scope, or a polite refusal (cadres, parents, strangers) and None."""
    assert update.effective_user
    rt = context.runtime
    scope = await svc.staff_scope(rt.repos, update.effective_user.id, rt.settings.admin_telegram_ids)
    if scope is None:
        text = context.tr.gettext("Sorry, this command is for posyandu coordinators (puskesmas, kelurahan or "
                                  "city). Type /help to see what you can do.")
        if update.callback_query:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(text)
    return scope


def picker_keyboard(prefix: str, scope: StaffScope, node: int | None, tr: Translator, *, offset: int = 0,
                    pick_areas: bool, pick_posyandu: bool, pick_node: bool,
                    extra: list[list[InlineKeyboardButton]] | None = None) -> InlineKeyboardMarkup:
    """Buttons to walk the area tree below `node` (None = the admin's top level).

    `{prefix}:a:<id>` picks an area, `{prefix}:p:<id>` a posyandu, `{prefix}:d:<id>:<offset>` opens an area.
    Every id is checked against the scope again when pressed: the buttons are a convenience, not a gate.
    """
    tree = scope.tree
    entries: list[InlineKeyboardButton] = []
    for aid in tree.children.get(node, []):
        if not scope.allows_area(aid):
            continue
        area = tree.areas[aid]
        has_below = bool(tree.children.get(aid)) or bool(tree.posyandu_in.get(aid))
        if has_below and (pick_posyandu or tree.children.get(aid)):
            entries.append(InlineKeyboardButton(f"📂 {area.name}", callback_data=f"{prefix}:d:{aid}:0"))
        elif pick_areas:
            entries.append(InlineKeyboardButton(area.name, callback_data=f"{prefix}:a:{aid}"))
    if pick_posyandu and node is not None:
        for pid in tree.posyandu_in.get(node, []):
            entries.append(InlineKeyboardButton(f"🏠 {tree.posyandu[pid].name}", callback_data=f"{prefix}:p:{pid}"))
    page = entries[offset:offset + PICK_PAGE]
    rows: list[list[InlineKeyboardButton]] = []
    if pick_node and node is not None:
        label = tr.gettext("✅ All of {area}").format(area=area_label(tree.areas[node], tr))
        rows.append([InlineKeyboardButton(label[:60], callback_data=f"{prefix}:a:{node}")])
    rows += [page[i:i + 2] for i in range(0, len(page), 2)]
    nav: list[InlineKeyboardButton] = []
    here = "" if node is None else str(node)
    if offset > 0:
        nav.append(InlineKeyboardButton("‹", callback_data=f"{prefix}:d:{here}:{max(offset - PICK_PAGE, 0)}"))
    if offset + PICK_PAGE < len(entries):
        nav.append(InlineKeyboardButton("›", callback_data=f"{prefix}:d:{here}:{offset + PICK_PAGE}"))
    top = scope.area.id if scope.area else None
    if node is not None and node != top:
        parent = tree.areas[node].parent_id
        nav.append(InlineKeyboardButton(tr.gettext("⬆️ Up"),
                                        callback_data=f"{prefix}:d:{'' if parent is None else parent}:0"))
    if nav:
        rows.append(nav)
    rows += extra or []
    return InlineKeyboardMarkup(rows)


def node_allowed(scope: StaffScope, node: int | None) -> bool:
    if node is None:
        return scope.is_admin
    return scope.allows_area(node)


def start_node(scope: StaffScope) -> int | None:
    return scope.area.id if scope.area else None
