"""Who a coordinator is responsible for: scopes (area -> posyandu), the area tree, and staff invite rules.

Every coordinator feature (broadcast, recap, follow-up, export, invites) starts by resolving the caller's
`StaffScope` here and then only ever passes ids that `StaffScope.allows_*` accepted, so a forged button
or a typed id can never reach outside the caller's area.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.i18n import N_
from bot.services import access
from storage import coordinator_queries
from storage.coordinator_queries import CadreActivity
from storage.models import Area, AreaLevel, Invite, InviteCreate, Posyandu, Role, User
from storage.repositories import Repositories
from storage.repositories.places import places_stamp

INVITE_VALID_FOR = dt.timedelta(days=7)

# The level a recap breaks down by: one below the caller's own.
LEVEL_BELOW: dict[AreaLevel | None, AreaLevel | None] = {
    None: AreaLevel.CITY,  # admin: per city
    AreaLevel.CITY: AreaLevel.KECAMATAN,
    AreaLevel.KECAMATAN: AreaLevel.KELURAHAN,
    AreaLevel.KELURAHAN: None,  # per posyandu
}
_RANK = access.RANK  # one ranking of the roles (the program roles of migration 0062 included)


@dataclass(frozen=True)
class AreaTree:
    """All areas and active posyandu (kept per database while unchanged: `load_tree`)."""

    areas: dict[int, Area]
    posyandu: dict[int, Posyandu]
    children: dict[int | None, list[int]] = field(default_factory=dict)  # parent area (None = top) -> areas
    posyandu_in: dict[int, list[int]] = field(default_factory=dict)  # kelurahan -> posyandu

    @classmethod
    def build(cls, areas: Collection[Area], posyandu: Collection[Posyandu]) -> AreaTree:
        tree = cls({a.id: a for a in areas}, {p.id: p for p in posyandu})
        for a in sorted(areas, key=lambda a: (a.name.casefold(), a.id)):
            tree.children.setdefault(a.parent_id, []).append(a.id)
        for p in sorted(posyandu, key=lambda p: (p.name.casefold(), p.id)):
            tree.posyandu_in.setdefault(p.area_id, []).append(p.id)
        return tree

    def chain(self, area_id: int) -> list[int]:
        """The area and its ancestors, nearest first."""
        out: list[int] = []
        current: int | None = area_id
        while current is not None and current in self.areas and current not in out:
            out.append(current)
            current = self.areas[current].parent_id
        return out

    def descendants(self, area_id: int | None) -> list[int]:
        """Areas below `area_id` (None: every area), the area itself included."""
        out: list[int] = [] if area_id is None else [area_id]
        stack = list(self.children.get(area_id, []))
        while stack:
            a = stack.pop()
            out.append(a)
            stack.extend(self.children.get(a, []))
        return out

    def posyandu_within(self, area_id: int | None) -> list[int]:
        return [p for a in self.descendants(area_id) for p in self.posyandu_in.get(a, [])]


@dataclass(frozen=True)
class StaffScope:
    """A coordinator's (or admin's) reach. `area` None means the whole installation (admin).

    The yes/no answers come from bot.services.access (the one place for role x scope rules), asked with
    places built from the already loaded tree so a picker of 50 buttons costs no extra queries.
    """

    user_id: int
    role: Role
    area: Area | None
    tree: AreaTree

    @property
    def principal(self) -> access.Principal:
        return access.Principal(user_id=self.user_id, role=self.role, active=True,
                                area_id=self.area.id if self.area else None)

    def place_of_area(self, area_id: int) -> access.Place:
        return access.Place(area_ids=tuple(self.tree.chain(area_id)))

    def place_of_posyandu(self, posyandu_id: int) -> access.Place:
        p = self.tree.posyandu[posyandu_id]
        return access.Place(posyandu_id=posyandu_id, area_ids=tuple(self.tree.chain(p.area_id)))

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def area_ids(self) -> list[int]:
        return self.tree.descendants(self.area.id if self.area else None)

    @property
    def posyandu_ids(self) -> list[int]:
        return self.tree.posyandu_within(self.area.id if self.area else None)

    def allows_area(self, area_id: int) -> bool:
        return area_id in self.tree.areas and access.can_view_place(self.principal, self.place_of_area(area_id))

    def allows_posyandu(self, posyandu_id: int) -> bool:
        return posyandu_id in self.tree.posyandu and access.can_view_place(
            self.principal, self.place_of_posyandu(posyandu_id))

    def allows_sub_area(self, area_id: int) -> bool:
        """Strictly inside the caller's own area (where a coordinator may appoint another coordinator)."""
        return self.allows_area(area_id) and (self.area is None or area_id != self.area.id)

    def breakdown_level(self) -> AreaLevel | None:
        return LEVEL_BELOW[self.area.level if self.area else None]


def is_admin_id(user_id: int, admin_ids: Collection[int]) -> bool:
    return user_id in set(admin_ids)


# The area tree of each open database, with the stamp it was built at (storage.repositories.places.places_stamp):
# kept while the stamp is unchanged, so a coordinator's command reads three numbers instead of every area and
# posyandu (0,26 s for 10,000 posyandu on PostgreSQL). A change made by another worker moves the stamp in its own
# transaction, so the next command here loads the tree again. Nothing mutates a built tree.
_TREES: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int, int], AreaTree]] = weakref.WeakKeyDictionary()


async def load_tree(repos: Repositories) -> AreaTree:
    stamp = await places_stamp(repos.db)
    kept = _TREES.get(repos.db)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    tree = AreaTree.build(await repos.areas.list_all(), await repos.posyandu.list_all())
    # Kept under the stamp read before loading: a change made while loading moves the stamp, so it is seen next time.
    _TREES[repos.db] = (stamp, tree)
    return tree


async def staff_scope(repos: Repositories, user_id: int, admin_ids: Collection[int]) -> StaffScope | None:
    """The caller's coordinator scope, or None for cadres, parents, strangers and deactivated accounts.

    Telegram ids listed in the settings are admins whatever the database says (that is how the first admin
    exists before anyone could invite them).
    """
    if is_admin_id(user_id, admin_ids):
        return StaffScope(user_id, Role.ADMIN, None, await load_tree(repos))
    user = await repos.users.find(user_id)
    if user is None or not user.active:
        return None
    if user.role == Role.ADMIN:
        return StaffScope(user_id, Role.ADMIN, None, await load_tree(repos))
    if user.role == Role.COORDINATOR and user.area_id is not None:
        tree = await load_tree(repos)
        area = tree.areas.get(user.area_id)
        if area is None:
            return None
        return StaffScope(user_id, Role.COORDINATOR, area, tree)
    return None


class _Gettext(Protocol):
    def gettext(self, message: str) -> str: ...


def area_label(area: Area | None, tr: _Gettext) -> str:
    """"Kelurahan Kampung Bali", "Kecamatan Kejaksan", "Kota Cirebon"; the name alone when it already says so."""
    if area is None:
        return tr.gettext(N_("all areas"))
    first = area.name.split(" ", 1)[0].casefold().rstrip(".")
    if first in {"kota", "kabupaten", "kab", "kecamatan", "kec", "kelurahan", "kel", "desa", "nagari", "gampong"}:
        return area.name
    template = {
        AreaLevel.CITY: N_("City/Regency {name}"),
        AreaLevel.KECAMATAN: N_("Kecamatan {name}"),
        AreaLevel.KELURAHAN: N_("Kelurahan {name}"),
    }[area.level]
    return tr.gettext(template).format(name=area.name)


# ------------------------------------------------------------------ invites


class InviteRefused(Exception):
    """A request for an invite outside the caller's rights; `code` says why (for the message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def invitable_roles(scope: StaffScope) -> list[Role]:
    """Roles below the caller's own: admins appoint coordinators and cadres; coordinators appoint cadres and
    coordinators of the areas strictly inside their own (a city office appointing puskesmas officers)."""
    roles = [Role.CADRE]
    if scope.is_admin or (scope.area is not None and scope.tree.children.get(scope.area.id)):
        roles.append(Role.COORDINATOR)
    # Issue 16: TPK members for a kelurahan/desa of the area, health workers (bidan, puskesmas) for any area of it.
    roles += [Role.TPK, Role.HEALTH_WORKER]
    return roles


async def create_staff_invite(repos: Repositories, scope: StaffScope, role: Role, *, area_id: int | None = None,
                              posyandu_id: int | None = None) -> Invite:
    """A single-use staff invite inside the caller's scope; InviteRefused otherwise."""
    if role == Role.CADRE:
        if posyandu_id is None or posyandu_id not in scope.tree.posyandu or not access.can_invite(
                scope.principal, Role.CADRE, scope.place_of_posyandu(posyandu_id)):
            raise InviteRefused("outside_scope")
        data = InviteCreate(role=Role.CADRE, posyandu_id=posyandu_id, created_by=scope.user_id,
                            valid_for=INVITE_VALID_FOR)
    elif role == Role.COORDINATOR:
        if Role.COORDINATOR not in invitable_roles(scope):
            raise InviteRefused("role_not_allowed")
        if area_id is None or not scope.allows_sub_area(area_id) or not access.can_invite(
                scope.principal, Role.COORDINATOR, scope.place_of_area(area_id)):
            raise InviteRefused("outside_scope")
        data = InviteCreate(role=Role.COORDINATOR, area_id=area_id, created_by=scope.user_id,
                            valid_for=INVITE_VALID_FOR)
    elif role in (Role.TPK, Role.HEALTH_WORKER):
        if area_id is None or not scope.allows_area(area_id) or not access.can_invite(
                scope.principal, role, scope.place_of_area(area_id)):
            raise InviteRefused("outside_scope")
        if role == Role.TPK and scope.tree.areas[area_id].level != AreaLevel.KELURAHAN:
            raise InviteRefused("not_a_village")  # a TPK accompanies the families of one kelurahan/desa
        data = InviteCreate(role=role, area_id=area_id, created_by=scope.user_id, valid_for=INVITE_VALID_FOR)
    else:
        raise InviteRefused("role_not_allowed")
    return await repos.invites.create(data)


class RedeemOutcome:
    """Why a staff invite could not be used (the handler turns each into a clear sentence)."""

    EXPIRED = "expired"
    USED = "used"
    ALREADY_HIGHER = "already_higher"
    ALREADY_SAME = "already_same"


def redeem_refusal(invite: Invite, user: User | None, now: dt.datetime, *, is_admin: bool) -> str | None:
    """Check an invite before using it; None when it may be redeemed by this user."""
    if user is not None and invite.used_by == user.telegram_id and user.role == invite.role:
        return RedeemOutcome.ALREADY_SAME
    if invite.expires_at <= now:
        return RedeemOutcome.EXPIRED
    if invite.single_use and invite.use_count > 0:
        return RedeemOutcome.USED
    current = Role.ADMIN if is_admin else (user.role if user is not None and user.active else None)
    if current is not None and _RANK[current] > _RANK[invite.role]:
        # A coordinator opening a cadre link by mistake would otherwise lose their own access.
        return RedeemOutcome.ALREADY_HIGHER
    return None


__all__ = [
    "INVITE_VALID_FOR", "AreaTree", "InviteRefused", "RedeemOutcome", "StaffScope", "area_label",
    "create_staff_invite", "invitable_roles", "is_admin_id", "load_tree", "redeem_refusal", "staff_scope",
]


async def cadre_activity(repos: Repositories, posyandu_ids: Collection[int], today: dt.date, tz: ZoneInfo
                         ) -> list[CadreActivity]:
    """The cadres of these posyandu with their last activity and this month's entries, the month being the local
    one: entries made on the 1st before 07:00 WIB (still the last day of the month in UTC) count for the new one."""
    since = dt.datetime.combine(today.replace(day=1), dt.time(), tzinfo=tz)
    return await coordinator_queries.cadres_with_activity(repos.db, posyandu_ids, since)
