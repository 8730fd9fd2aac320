"""Coordinator team: `/undang` (staff invites with a deep link), `/tim` (cadres and their last activity), and
redeeming a staff invite through `/start <code>`. Also the area/posyandu picker the other coordinator
journeys share, and making sure the admins named in the settings are admins in the database too."""

from __future__ import annotations

import datetime as dt
import html
import logging
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, TypeHandler

from bot import callbacks
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.services import team as svc
from bot.services.parent import code_lock, note_wrong_code
from bot.services.team import StaffScope, area_label
from handlers.common import START_PAYLOAD_HANDLERS
from handlers.invite_family import family_picker, family_welcome
from storage.errors import InviteInvalid
from storage.models import Role

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

ORDER = 30
ADMIN_SYNCED_KEY = "coord_admin_synced"  # user_data flag: the settings admin was written to the database
PICK_PAGE = 24  # buttons per picker page (Telegram allows 100; a phone screen shows about this many)

ROLE_WORDS = {"kader": Role.CADRE, "cadre": Role.CADRE, "koordinator": Role.COORDINATOR,
              "coordinator": Role.COORDINATOR, "tpk": Role.TPK, "bidan": Role.HEALTH_WORKER,
              "nakes": Role.HEALTH_WORKER, "puskesmas": Role.HEALTH_WORKER}
# `undang:k:...` invites a cadre, `undang:c:...` a coordinator, `undang:t:...` a TPK member, `undang:h:...` a health
# worker (issue 16).
_PICKER_ROLES = {"k": Role.CADRE, "c": Role.COORDINATOR, "t": Role.TPK, "h": Role.HEALTH_WORKER}
ROLE_LABELS = {Role.CADRE: N_("cadre"), Role.COORDINATOR: N_("coordinator"), Role.ADMIN: N_("admin"),
               Role.PARENT: N_("parent"), Role.TPK: N_("TPK member"), Role.HEALTH_WORKER: N_("midwife/puskesmas staff")}


# ------------------------------------------------------------------ shared helpers


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


# ------------------------------------------------------------------ admins from the settings


async def sync_settings_admin(update: Update, context: BotContext) -> None:
    """Give the admin role in the database to the Telegram ids in ADMIN_TELEGRAM_IDS on their first update.

    Other journeys read the role from the database (menus, access checks); without this an admin named in
    the settings would be a stranger to them.
    """
    user = update.effective_user
    if user is None or context.user_data is None or context.user_data.get(ADMIN_SYNCED_KEY):
        return
    if not svc.is_admin_id(user.id, context.runtime.settings.admin_telegram_ids):
        return
    repos = context.runtime.repos
    stored = await repos.users.find(user.id)
    if stored is None:
        from bot.i18n import normalise_language

        await repos.users.upsert(user.id, user.first_name or "", normalise_language(user.language_code))
    if stored is None or stored.role != Role.ADMIN or not stored.active:
        await repos.users.set_role(user.id, Role.ADMIN, actor_id=user.id)
        if stored is not None and not stored.active:
            await repos.users.set_active(user.id, True, actor_id=user.id)
        log.info("user %s made admin from the settings", user.id)
    context.user_data[ADMIN_SYNCED_KEY] = True


# ------------------------------------------------------------------ /undang


async def invite_command(update: Update, context: BotContext) -> None:
    assert update.effective_message
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    tr = context.tr
    roles = svc.invitable_roles(scope)
    word = (context.args[0].casefold() if context.args else "")
    if word and word not in ROLE_WORDS:
        await update.effective_message.reply_text(
            tr.gettext("I don't know the role “{word}”. Write /undang kader, /undang koordinator, /undang tpk or "
                       "/undang bidan, or choose:").format(word=html.escape(word[:30])),
            reply_markup=_role_keyboard(roles, tr))
        return
    if not word:
        await update.effective_message.reply_text(tr.gettext("Whom do you want to invite? Choose:"),
                                                  reply_markup=_role_keyboard(roles, tr))
        return
    await _ask_place(update, context, scope, ROLE_WORDS[word], edit=False)


def _role_keyboard(roles: list[Role], tr: Translator) -> InlineKeyboardMarkup:
    labels = {Role.CADRE: tr.gettext("👩‍⚕️ Cadre"), Role.COORDINATOR: tr.gettext("🧭 Coordinator"),
              Role.TPK: tr.gettext("🤝 TPK"), Role.HEALTH_WORKER: tr.gettext("🩺 Midwife/puskesmas")}
    buttons = [InlineKeyboardButton(labels[r], callback_data=f"undang:r:{r.value}") for r in roles]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


async def _ask_place(update: Update, context: BotContext, scope: StaffScope, role: Role, *, edit: bool,
                     node: int | None = None, offset: int = 0) -> None:
    tr = context.tr
    msg = update.effective_message
    assert msg
    if role not in svc.invitable_roles(scope):
        await msg.reply_text(tr.gettext("Your area has no smaller areas, so you can invite cadres only: "
                                        "/undang kader"))
        return
    if role == Role.CADRE and not scope.posyandu_ids:
        await msg.reply_text(tr.gettext("There is no posyandu in your area yet. Ask the admin to add one."))
        return
    node = start_node(scope) if node is None else node
    if role == Role.CADRE:
        text = tr.gettext("Which posyandu will the new cadre work at? Choose (📂 opens an area):")
        markup = picker_keyboard("undang:k", scope, node, tr, offset=offset, pick_areas=False, pick_posyandu=True,
                                 pick_node=False)
    elif role in (Role.TPK, Role.HEALTH_WORKER):
        text, markup = family_picker(scope, role, node, offset, tr, picker_keyboard)
    else:
        text = tr.gettext("For which area is the new coordinator? Choose (📂 opens an area, ✅ picks it):")
        own = scope.area.id if scope.area else None
        markup = picker_keyboard("undang:c", scope, node, tr, offset=offset, pick_areas=True, pick_posyandu=False,
                                 pick_node=node is not None and node != own)
    if edit:
        await msg.edit_text(text, reply_markup=markup)
    else:
        await msg.reply_text(text, reply_markup=markup)


async def invite_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query and query.data
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    tr = context.tr
    role_schema = next((c for c in (callbacks.UNDANG_ROLE, callbacks.UNDANG_ROLE_FAMILY) if c.matches(query.data)),
                       None)
    if role_schema is not None:
        await query.answer()
        await _ask_place(update, context, scope, Role(role_schema.parse(query.data).text("role")), edit=True)
        return
    open_schema = next((c for c in (callbacks.UNDANG_OPEN, callbacks.UNDANG_OPEN_FAMILY) if c.matches(query.data)),
                       None)
    if open_schema is not None:
        opened = open_schema.parse(query.data)
        node = opened.optional_id("node")
        if not node_allowed(scope, node):
            await query.answer(tr.gettext("That area is outside your area."), show_alert=True)
            return
        await query.answer()
        await _ask_place(update, context, scope, _PICKER_ROLES[opened.text("role")], edit=True, node=node,
                         offset=opened.number("offset"))
        return
    pick_schema = callbacks.UNDANG_PICK if callbacks.UNDANG_PICK.matches(query.data) else callbacks.UNDANG_PICK_FAMILY
    picked = pick_schema.parse(query.data)
    role, target = _PICKER_ROLES[picked.text("role")], picked.id("target")
    kind = picked.optional_text("kind") or "a"
    try:
        invite = await svc.create_staff_invite(
            context.runtime.repos, scope, role,
            posyandu_id=target if kind == "p" else None, area_id=target if kind == "a" else None)
    except svc.InviteRefused as exc:
        await query.answer(tr.gettext("A TPK is invited for one kelurahan/desa: open an area and pick a kelurahan.")
                           if exc.code == "not_a_village" else tr.gettext("That place is outside your area."),
                           show_alert=True)
        return
    await query.answer()
    if role == Role.CADRE:
        place = tr.gettext("Posyandu {name}").format(name=scope.tree.posyandu[target].name) \
            if not scope.tree.posyandu[target].name.casefold().startswith("posyandu") \
            else scope.tree.posyandu[target].name
    else:
        place = area_label(scope.tree.areas[target], tr)
    username = context.bot.username
    link = f"https://t.me/{username}?start={invite.code}"
    local_expiry = invite.expires_at.astimezone(context.runtime.settings.timezone).date()
    text = "\n".join([
        tr.gettext("✅ Invitation for a new {role} of {place}").format(
            role=tr.gettext(ROLE_LABELS[role]), place=html.escape(place)),
        "",
        tr.gettext("Send this link to the person you invite:"),
        html.escape(link),
        "",
        tr.gettext("Or they open the bot and type: <code>/start {code}</code>").format(code=invite.code),
        tr.gettext("Valid until {date}, for one person.").format(date=tr.date(local_expiry)),
    ])
    assert query.message is not None
    await query.edit_message_text(text)
    log.info("staff invite created by %s: role %s", scope.user_id, role.value)


# ------------------------------------------------------------------ /start <code>


async def redeem_staff_invite(update: Update, context: BotContext, payload: str) -> bool:
    """Use a cadre or coordinator invite; parent invites and unknown codes are left to other handlers."""
    user = update.effective_user
    msg = update.effective_message
    if user is None or msg is None:
        return False
    repos = context.runtime.repos
    if await code_lock(repos, user.id, context.runtime.clock.now()) is not None:
        # Too many wrong codes: the parent handler (asked last) answers, and nothing is looked up here,
        # so guessing staff codes is rate-limited like parent codes.
        return False
    invite = await repos.invites.find(payload)
    if invite is None or invite.role not in (Role.CADRE, Role.COORDINATOR, Role.ADMIN, Role.TPK,
                                             Role.HEALTH_WORKER):
        return False
    tr = context.tr
    stored = await repos.users.find(user.id)
    refusal = svc.redeem_refusal(invite, stored, context.runtime.clock.now(),
                                 is_admin=svc.is_admin_id(user.id, context.runtime.settings.admin_telegram_ids))
    if refusal is None:
        try:
            invite = await repos.invites.redeem(invite.code, user.id, user.first_name or "", context.lang)
        except InviteInvalid as exc:  # lost a race with another person using the same code
            refusal = svc.RedeemOutcome.EXPIRED if "expired" in str(exc) else svc.RedeemOutcome.USED
    if refusal in (svc.RedeemOutcome.EXPIRED, svc.RedeemOutcome.USED):
        await note_wrong_code(repos, user.id, context.runtime.clock.now())
    if refusal is not None:
        texts = {
            svc.RedeemOutcome.EXPIRED: N_("This invitation code has expired. Please ask your coordinator for a "
                                          "new one (codes are valid for 7 days)."),
            svc.RedeemOutcome.USED: N_("This invitation code has already been used. Each code is for one person: "
                                       "please ask your coordinator for your own code."),
            svc.RedeemOutcome.ALREADY_HIGHER: N_("Your account already has a higher role, so this invitation was "
                                                 "not used. Type /help to see your commands."),
            svc.RedeemOutcome.ALREADY_SAME: N_("You have already joined with this code. Type /help to see your "
                                               "commands."),
        }
        await msg.reply_text(tr.gettext(texts[refusal]))
        return True
    tree = await svc.load_tree(repos)
    if invite.role == Role.CADRE and invite.posyandu_id is not None:
        place = tree.posyandu[invite.posyandu_id].name if invite.posyandu_id in tree.posyandu else "?"
        text = tr.gettext("✅ Welcome, {name}! You are now a cadre of {place}.\n\n"
                          "/ukur — enter a child's measurement\n/anak_baru — register a new child\n"
                          "/daftar — children of your posyandu this month\n/help — all commands").format(
            name=html.escape(user.first_name or ""), place=html.escape(place))
    elif invite.role in (Role.TPK, Role.HEALTH_WORKER):
        area = tree.areas.get(invite.area_id) if invite.area_id is not None else None
        place = area_label(area, tr)
        text = family_welcome(invite.role, user.first_name or "", place, tr)
    else:
        area = tree.areas.get(invite.area_id) if invite.area_id is not None else None
        place = area_label(area, tr)
        text = tr.gettext("✅ Welcome, {name}! You are now a coordinator of {place}.\n\n"
                          "/rekap — monthly recap\n/tindak_lanjut — children who need follow-up\n"
                          "/siaran — send an announcement\n/undang — invite cadres\n/tim — your cadres\n"
                          "/help — all commands").format(name=html.escape(user.first_name or ""),
                                                         place=html.escape(place))
    if context.user_data is not None:
        context.user_data.pop(ADMIN_SYNCED_KEY, None)
    await msg.reply_text(text)
    log.info("staff invite redeemed by %s: role %s", user.id, invite.role.value)
    if invite.created_by is not None and invite.created_by != user.id:
        await _tell_inviter(context, invite.created_by, user.first_name or "", invite.role, place)
    return True


async def _tell_inviter(context: BotContext, inviter_id: int, name: str, role: Role, place: str) -> None:
    inviter = await context.runtime.repos.users.find(inviter_id)
    from bot.i18n import get_translator

    tr = get_translator(inviter.language if inviter else "id")
    try:
        await context.bot.send_message(inviter_id, tr.gettext("👋 {name} has joined as {role} of {place}.").format(
            name=html.escape(name), role=tr.gettext(ROLE_LABELS[role]), place=html.escape(place)))
    except Forbidden:
        await context.runtime.repos.users.mark_blocked(inviter_id)
    except TelegramError:  # the news is a courtesy; the invite itself has worked
        log.warning("could not tell inviter %s about a redeemed invite", inviter_id)


# ------------------------------------------------------------------ /tim


def _ago(when: dt.datetime | None, today: dt.date, tr: Translator, tz: dt.tzinfo) -> str:
    if when is None:
        return tr.gettext("never")
    days = (today - when.astimezone(tz).date()).days
    if days <= 0:
        return tr.gettext("today")
    if days == 1:
        return tr.gettext("yesterday")
    if days < 30:
        return tr.ngettext("{n} day ago", "{n} days ago", days).format(n=days)
    return tr.short_date(when.astimezone(tz).date())


async def team_command(update: Update, context: BotContext) -> None:
    assert update.effective_message
    scope = await scope_or_refuse(update, context)
    if scope is None:
        return
    tr = context.tr
    rt = context.runtime
    tz = rt.settings.timezone
    today = rt.today()
    cadres = await svc.cadre_activity(rt.repos, scope.posyandu_ids, today, tz)
    title = tr.gettext("<b>Cadres of {area}</b>").format(area=html.escape(area_label(scope.area, tr)))
    if not cadres:
        await update.effective_message.reply_text(
            title + "\n" + tr.gettext("No cadre has joined yet. Invite one with /undang kader."))
        return
    lines = [title, tr.ngettext("{n} cadre", "{n} cadres", len(cadres)).format(n=len(cadres))]
    current: int | None = None
    idle = 0
    for c in cadres:
        if c.posyandu_id != current:
            current = c.posyandu_id
            lines.append("")
            lines.append("🏠 <b>" + html.escape(scope.tree.posyandu[c.posyandu_id].name) + "</b>")
        last = max((t for t in (c.last_seen_at, c.last_entry_at) if t is not None), default=None)
        if last is None or (today - last.astimezone(tz).date()).days > 31:
            idle += 1
        status = "" if c.active else " ⚠️ " + tr.gettext("blocked the bot")
        lines.append(tr.gettext("• {name} — active {ago} · {n} entries this month{status}").format(
            name=html.escape(c.display_name or str(c.telegram_id)), ago=_ago(last, today, tr, tz),
            n=c.entries_this_month, status=status))
        if len("\n".join(lines)) > 3800:
            lines.append(tr.gettext("… (list shortened)"))
            break
    no_cadre = [p for p in scope.posyandu_ids if p not in {c.posyandu_id for c in cadres}]
    if no_cadre:
        lines.append("")
        lines.append(tr.ngettext("{n} posyandu has no cadre yet: /undang kader",
                                 "{n} posyandu have no cadre yet: /undang kader", len(no_cadre)).format(
            n=len(no_cadre)))
    if idle:
        lines.append(tr.ngettext("{n} cadre not active for over a month.", "{n} cadres not active for over a month.",
                                 idle).format(n=idle))
    await update.effective_message.reply_text("\n".join(lines))


def register(app: PosyanduApplication) -> None:
    app.add_handler(TypeHandler(Update, sync_settings_admin), group=-2)
    app.add_handler(CommandHandler(["undang", "invite"], invite_command))
    app.add_handler(CallbackQueryHandler(invite_button, pattern=callbacks.any_of(
        callbacks.UNDANG_ROLE, callbacks.UNDANG_OPEN, callbacks.UNDANG_PICK, callbacks.UNDANG_ROLE_FAMILY,
        callbacks.UNDANG_OPEN_FAMILY, callbacks.UNDANG_PICK_FAMILY)))
    app.add_handler(CommandHandler(["tim", "team"], team_command))
    if redeem_staff_invite not in START_PAYLOAD_HANDLERS:  # register runs again for every Application built
        START_PAYLOAD_HANDLERS.append(redeem_staff_invite)


__all__ = ["node_allowed", "picker_keyboard", "register", "scope_or_refuse", "start_node"]
