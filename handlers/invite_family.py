"""The invites of the roles of issue 16 (not a journey module): a TPK member is invited for one kelurahan/desa, a
health worker (bidan, puskesmas staff) for any area of the coordinator's scope. Used by handlers/team_invite.py
and handlers/team_join.py."""

from __future__ import annotations

import html
from collections.abc import Callable

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.team import StaffScope
from storage.models import AreaLevel, Role


def family_picker(scope: StaffScope, role: Role, node: int | None, offset: int, tr: Translator,
                  picker: Callable[..., InlineKeyboardMarkup]) -> tuple[str, InlineKeyboardMarkup]:
    """Issue 16: a TPK member is invited for one kelurahan/desa; a health worker for any area of the scope."""
    here = scope.tree.areas.get(node) if node is not None else None
    if role == Role.TPK:
        text = tr.gettext("For which kelurahan/desa is the new TPK member? Choose (📂 opens an area):")
        pick_node = here is not None and here.level == AreaLevel.KELURAHAN
        return text, picker("undang:t", scope, node, tr, offset=offset, pick_areas=True, pick_posyandu=False,
                            pick_node=pick_node)
    text = tr.gettext("For which area is the new midwife/puskesmas worker? Choose (📂 opens an area, ✅ picks it):")
    return text, picker("undang:h", scope, node, tr, offset=offset, pick_areas=True, pick_posyandu=False,
                        pick_node=node is not None)


def family_welcome(role: Role, name: str, place: str, tr: Translator) -> str:
    if role == Role.TPK:
        return tr.gettext("✅ Welcome, {name}! You are now a TPK member of {place}.\n\n"
                          "/keluarga — the families you accompany\n/ibu_baru — register a bride-to-be, a pregnant "
                          "woman or a mother after birth\n/tindak_lanjut — cases to follow up\n"
                          "/laporan_tpk — the monthly TPK report\n/help — all commands").format(
            name=html.escape(name), place=html.escape(place))
    return tr.gettext("✅ Welcome, {name}! You are now a midwife/puskesmas worker of {place}.\n\n"
                      "/tindak_lanjut — cases to follow up and their puskesmas outcome\n/kasus — open cases per "
                      "posyandu\n/keluarga — pregnant women and mothers of your area\n/help — all commands").format(
        name=html.escape(name), place=html.escape(place))


__all__ = ["family_picker", "family_welcome"]
