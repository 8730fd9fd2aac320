"""Coordinator team, joining as staff (not a journey module: handlers/team.py registers these): redeeming a
staff invite through `/start <code>` (and telling the inviter), and making sure the admins named in the settings
are admins in the database too."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import BotContext
from bot.i18n import N_
from bot.services import team as svc
from bot.services.parent import code_lock, note_wrong_code
from bot.services.team import area_label
from handlers.invite_family import family_welcome
from handlers.team_invite import ROLE_LABELS
from storage.errors import InviteInvalid
from storage.models import Role

log = logging.getLogger(__name__)

ADMIN_SYNCED_KEY = "coord_admin_synced"  # user_data flag: the settings admin was written to the database


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
