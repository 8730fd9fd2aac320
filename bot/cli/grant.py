"""`grant --telegram-id N --role ROLE [--area NAME | --posyandu NAME]`: give a staff role.

Admins need no scope; coordinators, health workers (bidan, puskesmas staff) and TPK members an area (a TPK a
kelurahan/desa: the team accompanies that village's families); cadres a posyandu. The same rules as the invites
in the chat (bot/services/team.py).
"""

from __future__ import annotations

import argparse
import sys

from bot.cli.db import run_with_db, tr
from bot.cli.posyandu import resolve_area, resolve_posyandu
from bot.i18n import N_
from storage import AreaLevel, Conflict, Repositories, Role, User

MSG_GRANTED = N_("User {id} is now {role}{scope}.")
MSG_SCOPE_NEEDED = N_("A coordinator, a health worker or a TPK member needs --area, a cadre needs --posyandu, an "
                      "admin neither.")
MSG_TPK_VILLAGE = N_("A TPK member serves one kelurahan/desa: give --area a kelurahan.")
AREA_ROLES = (Role.COORDINATOR, Role.HEALTH_WORKER, Role.TPK)
GRANTABLE = (Role.ADMIN, Role.COORDINATOR, Role.CADRE, Role.HEALTH_WORKER, Role.TPK)


def _grant(args: argparse.Namespace) -> int:
    role = Role(args.role)
    if (role in AREA_ROLES and not args.area) or (role == Role.CADRE and not args.posyandu) or (
            role == Role.ADMIN and (args.area or args.posyandu)):
        print(tr.gettext(MSG_SCOPE_NEEDED), file=sys.stderr)
        return 2

    async def work(repos: Repositories) -> tuple[User, str]:
        if role in AREA_ROLES:
            area = await resolve_area(repos, args.area)
            if role == Role.TPK and area.level != AreaLevel.KELURAHAN:
                raise Conflict(MSG_TPK_VILLAGE)
            user = await repos.users.set_role(args.telegram_id, role, area_id=area.id)
            return user, f" ({area.level.value} {area.name})"
        if role == Role.CADRE:
            posyandu = await resolve_posyandu(repos, args.posyandu)
            user = await repos.users.set_role(args.telegram_id, role, posyandu_id=posyandu.id)
            return user, f" (posyandu {posyandu.name})"
        return await repos.users.set_role(args.telegram_id, role), ""

    result = run_with_db(args, work)
    if result is None:
        return 1
    user, scope = result
    print(tr.gettext(MSG_GRANTED).format(id=user.telegram_id, role=role.value, scope=scope))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("grant", help="give a Telegram user a staff role (admin, coordinator, cadre, health_worker,"
                                     " tpk)")
    p.add_argument("--telegram-id", type=int, required=True)
    p.add_argument("--role", required=True, choices=[r.value for r in GRANTABLE])
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--area", help="the city, kecamatan or kelurahan (name or id) of a coordinator or health"
                                      " worker; a TPK member's kelurahan")
    scope.add_argument("--posyandu", help="cadre's posyandu (name or id)")
    p.set_defaults(func=_grant)
