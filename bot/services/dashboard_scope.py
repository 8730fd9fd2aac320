"""Who may see what in the dashboard (the Mini App): the caller's role and area, resolved once per request.

The same tables and rules as the chat: the area comes from our own `users` row (never from the page), the yes/no
answers from bot.services.access (can_view_dashboard, can_view_child_in_dashboard, can_write_review_notes),
asked with places built from the loaded area tree. Every id a request names goes through `allows_*` first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.services import access
from bot.services.team import AreaTree, StaffScope, is_admin_id, load_tree
from storage import Repositories
from storage.models import Area, Role

DASHBOARD_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.HEALTH_WORKER)


@dataclass(frozen=True)
class DashboardScope:
    """The caller's reach: `area` None means the whole installation (admin)."""

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
    def home_area_id(self) -> int | None:
        return self.area.id if self.area else None

    @property
    def area_ids(self) -> list[int]:
        return self.tree.descendants(self.home_area_id)

    def allows_area(self, area_id: int) -> bool:
        return area_id in self.tree.areas and access.can_view_dashboard(self.principal, self.place_of_area(area_id))

    def allows_posyandu(self, posyandu_id: int) -> bool:
        return posyandu_id in self.tree.posyandu and access.can_view_dashboard(
            self.principal, self.place_of_posyandu(posyandu_id))

    def allows_child_at(self, child_id: int, posyandu_id: int) -> bool:
        if posyandu_id not in self.tree.posyandu:
            return False
        ref = access.ChildRef(child_id=child_id, place=self.place_of_posyandu(posyandu_id))
        return access.can_view_child_in_dashboard(self.principal, ref)

    def may_write_notes(self, area_id: int) -> bool:
        return area_id in self.tree.areas and access.can_write_review_notes(self.principal,
                                                                          self.place_of_area(area_id))

    def posyandu_within(self, area_id: int | None) -> list[int]:
        return self.tree.posyandu_within(area_id)

    def follow_up_scope(self, posyandu_id: int) -> StaffScope:
        """A StaffScope over this one posyandu (bot.services.followup reads its posyandu ids and names from it);
        only for a posyandu `allows_posyandu` accepted."""
        assert self.allows_posyandu(posyandu_id)
        p = self.tree.posyandu[posyandu_id]
        narrow = AreaTree.build(list(self.tree.areas.values()), [p])
        return StaffScope(self.user_id, self.role, self.tree.areas[p.area_id], narrow)


async def dashboard_scope(repos: Repositories, user_id: int, admin_ids: Collection[int]) -> DashboardScope | None:
    """The caller's dashboard scope, or None (cadres, parents, strangers, deactivated accounts, no area)."""
    if is_admin_id(user_id, admin_ids):
        return DashboardScope(user_id, Role.ADMIN, None, await load_tree(repos))
    user = await repos.users.find(user_id)
    if user is None or not user.active or user.role not in DASHBOARD_ROLES:
        return None
    tree = await load_tree(repos)
    if user.role == Role.ADMIN:
        return DashboardScope(user_id, Role.ADMIN, None, tree)
    area = tree.areas.get(user.area_id) if user.area_id is not None else None
    if area is None:
        return None
    return DashboardScope(user_id, user.role, area, tree)


async def may_open_dashboard(repos: Repositories, user_id: int, admin_ids: Collection[int]) -> bool:
    """Whether the menu button and /dasbor offer the dashboard to this user (same rule as the API)."""
    if is_admin_id(user_id, admin_ids):
        return True
    user = await repos.users.find(user_id)
    if user is None or not user.active or user.role not in DASHBOARD_ROLES:
        return False
    return user.role == Role.ADMIN or user.area_id is not None


async def dashboard_users(repos: Repositories, admin_ids: Collection[int]) -> dict[int, str]:
    """Telegram id -> language of everyone the dashboard is for (the menu button is set for them at start)."""
    out: dict[int, str] = {}
    for role in DASHBOARD_ROLES:
        for user in await repos.users.list_users(role=role):
            if role == Role.ADMIN or user.area_id is not None:
                out[user.telegram_id] = user.language
    for uid in admin_ids:
        out.setdefault(uid, "id")
    return out


__all__ = ["DASHBOARD_ROLES", "DashboardScope", "dashboard_scope", "dashboard_users", "may_open_dashboard"]
