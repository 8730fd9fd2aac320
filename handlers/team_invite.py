"""Coordinator team, `/undang` (not a journey module: handlers/team.py registers these): choose the role,
then the posyandu or area within the coordinator's scope, and get a one-person invite link (`undang:` buttons).
Using the code is in handlers/team_join.py."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.services import team as svc
from bot.services.team import StaffScope, area_label
from handlers.area_picker import node_allowed, picker_keyboard, scope_or_refuse, start_node
from handlers.invite_family import family_picker
from storage.models import Role

log = logging.getLogger(__name__)

ROLE_WORDS = {"kader": Role.CADRE, "cadre": Role.CADRE, "koordinator": Role.COORDINATOR,
              "coordinator": Role.COORDINATOR, "tpk": Role.TPK, "bidan": Role.HEALTH_WORKER,
              "nakes": Role.HEALTH_WORKER, "puskesmas": Role.HEALTH_WORKER}
# `undang:k:...` invites a cadre, `undang:c:...` a coordinator, `undang:t:...` a TPK member, `undang:h:...` a health
# worker (issue 16).
_PICKER_ROLES = {"k": Role.CADRE, "c": Role.COORDINATOR, "t": Role.TPK, "h": Role.HEALTH_WORKER}
ROLE_LABELS = {Role.CADRE: N_("cadre"), Role.COORDINATOR: N_("coordinator"), Role.ADMIN: N_("admin"),
               Role.PARENT: N_("parent"), Role.TPK: N_("TPK member"), Role.HEALTH_WORKER: N_("midwife/puskesmas staff")}


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
