"""`posyandu add` and `posyandu list`; name resolution of areas and posyandu shared by admin commands."""

from __future__ import annotations

import argparse
import sys

from bot.cli.db import run_with_db, tr
from bot.i18n import N_
from bot.services.schedule import RuleParseError, describe_rule, load_rule, read_rule, rule_error_text
from storage import Area, AreaLevel, Conflict, NotFound, Posyandu, PosyanduCreate, Repositories
from storage.errors import MSG_AREA_NOT_FOUND, MSG_POSYANDU_NOT_FOUND

MSG_AMBIGUOUS = N_("Several places are called {name}; give the id instead: {choices}")
MSG_POSYANDU_SAVED = N_("Posyandu {name} saved (id {id}).")
MSG_POSYANDU_EXISTS = N_("Posyandu {name} already exists (id {id}).")
MSG_NO_POSYANDU = N_("No posyandu yet. Add one with: python -m bot posyandu add --help")
MSG_UNREADABLE_SCHEDULE = N_("(schedule unreadable: no reminders; set it again with /jadwal)")
MSG_BAD_SCHEDULE = N_("Cannot read the schedule “{schedule}”; nothing was saved.")


async def _area_label(repos: Repositories, area: Area) -> str:
    chain = await repos.areas.ancestors(area.id)
    return f"{area.id} ({area.level.value}: " + ", ".join(a.name for a in chain) + ")"


async def resolve_area(repos: Repositories, text: str) -> Area:
    """An area by id or by unique name (any level); NotFound or Conflict (ambiguous) otherwise."""
    if text.strip().isdigit():
        return await repos.areas.get(int(text))
    found = await repos.areas.find(text)
    if not found:
        raise NotFound(MSG_AREA_NOT_FOUND)
    if len(found) > 1:
        choices = "; ".join([await _area_label(repos, a) for a in found])
        raise Conflict(MSG_AMBIGUOUS, name=text, choices=choices)
    return found[0]


async def resolve_posyandu(repos: Repositories, text: str) -> Posyandu:
    if text.strip().isdigit():
        return await repos.posyandu.get(int(text))
    found = await repos.posyandu.find(text)
    if not found:
        raise NotFound(MSG_POSYANDU_NOT_FOUND)
    if len(found) > 1:
        labels = []
        for p in found:
            kel = await repos.areas.get(p.area_id)
            labels.append(f"{p.id} ({kel.name})")
        raise Conflict(MSG_AMBIGUOUS, name=text, choices="; ".join(labels))
    return found[0]


def _add(args: argparse.Namespace) -> int:
    schedule: str | None = None
    if args.schedule:
        try:
            # Stored in the reminders' format; the words are checked now, not found unreadable at the first
            # reminder (that posyandu would silently get none).
            schedule = read_rule(args.schedule).to_json()
        except RuleParseError as exc:
            print(tr.gettext(MSG_BAD_SCHEDULE).format(schedule=args.schedule) + "\n" + rule_error_text(exc.code, tr),
                  file=sys.stderr)
            return 2

    async def work(repos: Repositories) -> tuple[Posyandu, bool]:
        async with repos.db.transaction():
            city, _ = await repos.areas.get_or_create(AreaLevel.CITY, args.kota)
            kec, _ = await repos.areas.get_or_create(AreaLevel.KECAMATAN, args.kecamatan, city.id)
            kel, _ = await repos.areas.get_or_create(AreaLevel.KELURAHAN, args.kelurahan, kec.id)
            return await repos.posyandu.get_or_create(PosyanduCreate(
                name=args.name, area_id=kel.id, address=args.address, timezone=args.timezone,
                schedule_rule=schedule))

    result = run_with_db(args, work)
    if result is None:
        return 1
    posyandu, created = result
    msg = MSG_POSYANDU_SAVED if created else MSG_POSYANDU_EXISTS
    print(tr.gettext(msg).format(name=posyandu.name, id=posyandu.id))
    return 0


def _schedule_text(stored: str | None) -> str:
    """The schedule as the reminders read it (so an unreadable one shows, instead of silently missing)."""
    if not stored:
        return "-"
    rule = load_rule(stored)
    return describe_rule(rule, tr) if rule is not None else tr.gettext(MSG_UNREADABLE_SCHEDULE)


def _list(args: argparse.Namespace) -> int:
    async def work(repos: Repositories) -> list[str]:
        area_id = (await resolve_area(repos, args.area)).id if args.area else None
        lines = []
        for p in await repos.posyandu.list_all(area_id=area_id, active_only=False):
            chain = {a.level: a.name for a in await repos.areas.ancestors(p.area_id)}
            lines.append("\t".join([str(p.id), p.name, chain.get(AreaLevel.KELURAHAN, ""),
                                    chain.get(AreaLevel.KECAMATAN, ""), chain.get(AreaLevel.CITY, ""),
                                    p.timezone, _schedule_text(p.schedule_rule), "" if p.active else "(nonaktif)"]))
        return lines

    lines = run_with_db(args, work)
    if lines is None:
        return 1
    if not lines:
        print(tr.gettext(MSG_NO_POSYANDU))
    else:
        print("\n".join(lines))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("posyandu", help="add or list posyandu")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a posyandu (creating its kelurahan, kecamatan and city if needed)")
    add.add_argument("--name", required=True)
    add.add_argument("--kelurahan", required=True, help="kelurahan or desa")
    add.add_argument("--kecamatan", required=True)
    add.add_argument("--kota", required=True, help="city (kota) or regency (kabupaten)")
    add.add_argument("--address")
    add.add_argument("--timezone", default="Asia/Jakarta", help="Asia/Jakarta (WIB), Asia/Makassar, Asia/Jayapura")
    add.add_argument("--schedule", help="monthly schedule as /jadwal takes it, e.g. \"Selasa minggu ke-2 08.00-11.00\" "
                     "or \"tanggal 15 08.00\"")
    add.set_defaults(func=_add)
    ls = actions.add_parser("list", help="list posyandu, optionally inside an area")
    ls.add_argument("--area", help="city, kecamatan or kelurahan name (or id)")
    ls.set_defaults(func=_list)
