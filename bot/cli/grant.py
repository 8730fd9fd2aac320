"""`grant --telegram-id N --role coordinator|cadre|admin [--area NAME | --posyandu NAME]`: give a role."""

from __future__ import annotations

import argparse
import sys

from bot.cli.db import run_with_db, tr
from bot.cli.posyandu import resolve_area, resolve_posyandu
from bot.i18n import N_
from storage import Repositories, Role, User

MSG_GRANTED = N_("User {id} is now {role}{scope}.")
MSG_SCOPE_NEEDED = N_("A coordinator needs --area, a cadre needs --posyandu, an admin neither.")


def _grant(args: argparse.Namespace) -> int:
    role = Role(args.role)
    if (role == Role.COORDINATOR and not args.area) or (role == Role.CADRE and not args.posyandu) or (
            role == Role.ADMIN and (args.area or args.posyandu)):
        print(tr.gettext(MSG_SCOPE_NEEDED), file=sys.stderr)
        return 2

    async def work(repos: Repositories) -> tuple[User, str]:
        if role == Role.COORDINATOR:
            area = await resolve_area(repos, args.area)
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
    p = sub.add_parser("grant", help="give a Telegram user a staff role (admin, coordinator, cadre)")
    p.add_argument("--telegram-id", type=int, required=True)
    p.add_argument("--role", required=True, choices=[Role.ADMIN.value, Role.COORDINATOR.value, Role.CADRE.value])
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--area", help="coordinator's city, kecamatan or kelurahan (name or id)")
    scope.add_argument("--posyandu", help="cadre's posyandu (name or id)")
    p.set_defaults(func=_grant)
