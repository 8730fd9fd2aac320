"""Who may do what, in one place: pure functions over small models, plus async loaders for them.

Hierarchy: admin (everything) > coordinator (a city, kecamatan or kelurahan and all below) > cadre (one
posyandu) > parent (own linked children only). An inactive user, or one without a role, may do nothing.

Services load a `Principal` (the user) and a `Place` (a posyandu or area with its ancestor chain) with the
helpers at the bottom, then ask the pure functions; tests drive the functions with hand-made models.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel, ConfigDict

from storage import NotFound, Repositories, Role

# Who may invite whom (never someone above oneself). The program roles (migration 0062) sit beside the cadre:
# they reach nothing through within_scope until their own journeys grant it (default deny).
RANK: dict[Role, int] = {Role.PARENT: 0, Role.SPONSOR: 0, Role.CADRE: 1, Role.TPK: 1, Role.HEALTH_WORKER: 1,
                         Role.COORDINATOR: 2, Role.ADMIN: 3}


class Place(BaseModel):
    """A posyandu (posyandu_id set, area_ids = its kelurahan, kecamatan, city) or an area (posyandu_id None,
    area_ids = the area itself then its ancestors)."""

    model_config = ConfigDict(frozen=True)

    posyandu_id: int | None = None
    area_ids: tuple[int, ...] = ()

    @property
    def is_posyandu(self) -> bool:
        return self.posyandu_id is not None


class Principal(BaseModel):
    """The acting user: role, scope, active flag; for parents the children linked to them."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    role: Role | None
    active: bool = True
    area_id: int | None = None  # coordinator's scope
    posyandu_id: int | None = None  # cadre's scope
    child_ids: frozenset[int] = frozenset()  # parent's linked children


class ChildRef(BaseModel):
    """A child and where it is registered."""

    model_config = ConfigDict(frozen=True)

    child_id: int
    place: Place


# ------------------------------------------------------------------ pure rules


def _acting(p: Principal) -> bool:
    return p.active and p.role is not None


def within_scope(p: Principal, place: Place) -> bool:
    """Is `place` inside the staff member's scope? (False for parents and users without a role.)"""
    if not _acting(p):
        return False
    if p.role == Role.ADMIN:
        return True
    if p.role == Role.COORDINATOR:
        return p.area_id is not None and p.area_id in place.area_ids
    if p.role == Role.CADRE:
        return p.posyandu_id is not None and place.posyandu_id == p.posyandu_id
    return False


def can_view_child(p: Principal, child: ChildRef) -> bool:
    if not _acting(p):
        return False
    if p.role == Role.PARENT:
        return child.child_id in p.child_ids
    return within_scope(p, child.place)


def can_change_child(p: Principal, child: ChildRef) -> bool:
    """Edit the child's data or record/correct a measurement. Parents read only."""
    if not _acting(p) or p.role == Role.PARENT:
        return False
    return within_scope(p, child.place)


def can_view_place(p: Principal, place: Place) -> bool:
    """See a posyandu's or area's lists and recaps (staff within scope)."""
    return within_scope(p, place)


def can_broadcast(p: Principal, place: Place) -> bool:
    """Send a broadcast to the people of a posyandu or area: admin, a coordinator within scope, a cadre
    to their own posyandu."""
    return within_scope(p, place)


def can_invite(p: Principal, role: Role, target: Place) -> bool:
    """Invite someone with `role` into `target`.

    The target must fit the role (coordinator: an area; cadre and parent: a posyandu; admin: none), the
    role may not outrank the inviter, the target must lie within the inviter's scope, and parents invite
    nobody. Only admins create admins.
    """
    if not _acting(p) or p.role == Role.PARENT:
        return False
    assert p.role is not None
    if RANK[role] > RANK[p.role]:
        return False
    if role == Role.ADMIN:
        fits = target.posyandu_id is None and not target.area_ids
        return fits and p.role == Role.ADMIN
    if role == Role.COORDINATOR and (target.is_posyandu or not target.area_ids):
        return False
    if role in (Role.CADRE, Role.PARENT) and not target.is_posyandu:
        return False
    if role in (Role.TPK, Role.HEALTH_WORKER) and (target.is_posyandu or not target.area_ids):
        return False  # scoped to an area (a TPK's kelurahan/desa: bot.services.team checks the level)
    return within_scope(p, target)


def can_invite_parent_of(p: Principal, child: ChildRef) -> bool:
    """Invite a parent linked to this child (the invite's scope is the child's posyandu)."""
    return can_invite(p, Role.PARENT, child.place) and can_change_child(p, child)


def scope_place(p: Principal) -> Place | None:
    """The staff member's own scope as a bare Place (ancestors not known here); None for admin/others."""
    if p.role == Role.COORDINATOR and p.area_id is not None:
        return Place(area_ids=(p.area_id,))
    if p.role == Role.CADRE and p.posyandu_id is not None:
        return Place(posyandu_id=p.posyandu_id)
    return None


# ------------------------------------------------------------------ dashboard (issue 17: the Mini App)


def can_view_dashboard(p: Principal, place: Place) -> bool:
    """The dashboard's numbers and lists of a place: an admin everywhere, a coordinator within its area (what
    /rekap and /tindak_lanjut show it), a health worker (bidan, puskesmas staff) within its area, read only."""
    if not _acting(p):
        return False
    if p.role == Role.HEALTH_WORKER:
        return p.area_id is not None and p.area_id in place.area_ids
    return p.role in (Role.ADMIN, Role.COORDINATOR) and within_scope(p, place)


def can_view_child_in_dashboard(p: Principal, child: ChildRef) -> bool:
    """A child's growth chart in the dashboard: a dashboard user who may see the child in the chat, and a health
    worker for the children of its area (the follow-up list the dashboard shows it names them)."""
    if not can_view_dashboard(p, child.place):
        return False
    return p.role == Role.HEALTH_WORKER or can_view_child(p, child)


def can_write_review_notes(p: Principal, place: Place) -> bool:
    """The annual review's notes on obstacles and recommendations: the coordinators who hold the review (and
    admins); health workers read them."""
    return _acting(p) and p.role in (Role.ADMIN, Role.COORDINATOR) and within_scope(p, place)


# ------------------------------------------------------------------ loaders


async def load_principal(repos: Repositories, user_id: int) -> Principal | None:
    """The user as a Principal (with linked children), or None if the bot does not know them."""
    found = await repos.users.find_with_child_ids(user_id)
    if found is None:
        return None
    user, child_ids = found
    return Principal(user_id=user.telegram_id, role=user.role, active=user.active, area_id=user.area_id,
                     posyandu_id=user.posyandu_id, child_ids=frozenset(child_ids))


async def place_of_posyandu(repos: Repositories, posyandu_id: int) -> Place:
    return Place(posyandu_id=posyandu_id, area_ids=tuple(await repos.posyandu.area_chain(posyandu_id)))


async def place_of_area(repos: Repositories, area_id: int) -> Place:
    chain = await repos.areas.ancestors(area_id)
    if not chain:
        raise NotFound()
    return Place(area_ids=tuple(a.id for a in chain))


async def child_ref(repos: Repositories, child_id: int) -> ChildRef:
    child = await repos.children.get(child_id)
    return ChildRef(child_id=child.id, place=await place_of_posyandu(repos, child.posyandu_id))


async def posyandu_ids_in_scope(repos: Repositories, p: Principal) -> list[int] | None:
    """Posyandu a staff member works on: None means all (admin); [] for parents and the inactive."""
    if not _acting(p):
        return []
    if p.role == Role.ADMIN:
        return None
    if p.role == Role.COORDINATOR and p.area_id is not None:
        return await repos.areas.posyandu_ids_within(p.area_id)
    if p.role == Role.CADRE and p.posyandu_id is not None:
        return [p.posyandu_id]
    return []


# ------------------------------------------------------------------ follow-up cases and families (issue 16)
# Health workers (bidan, puskesmas staff) and TPK members reach the posyandu of their area (a TPK's kelurahan/desa).
# A woman's data is health data: her TPK, the health workers of her area and the coordinators see it; cadres,
# parents and sponsors never do. Only a health worker records what the puskesmas found (the outcome of a case).


def _in_own_area(p: Principal, place: Place) -> bool:
    return p.area_id is not None and p.area_id in place.area_ids


def can_view_woman(p: Principal, place: Place) -> bool:
    """See a woman's record (catin, pregnancy, after birth) registered at `place` (her posyandu)."""
    if not _acting(p):
        return False
    if p.role in (Role.ADMIN, Role.COORDINATOR):
        return within_scope(p, place)
    if p.role in (Role.HEALTH_WORKER, Role.TPK):
        return _in_own_area(p, place)
    return False


def can_change_woman(p: Principal, place: Place) -> bool:
    """Register a woman and record her checks, visits and the birth: her TPK and the area's health workers."""
    if not _acting(p):
        return False
    if p.role == Role.ADMIN:
        return True
    return p.role in (Role.HEALTH_WORKER, Role.TPK) and _in_own_area(p, place)


def can_view_case(p: Principal, place: Place, *, about_woman: bool) -> bool:
    """See a follow-up case of a child (or a woman) of the posyandu `place`."""
    if about_woman:
        return can_view_woman(p, place)
    if not _acting(p):
        return False
    if p.role in (Role.ADMIN, Role.COORDINATOR, Role.CADRE):
        return within_scope(p, place)
    if p.role in (Role.HEALTH_WORKER, Role.TPK):
        return _in_own_area(p, place)
    return False


def can_act_on_case(p: Principal, place: Place, *, about_woman: bool) -> bool:
    """Record a visit, a referral, a note, or close the case as moved, died or lost: whoever may see it."""
    return can_view_case(p, place, about_woman=about_woman)


def can_record_outcome(p: Principal, place: Place) -> bool:
    """Enter what the puskesmas found (it keeps or closes the case): a health worker of the area (or an admin)."""
    if not _acting(p):
        return False
    return p.role == Role.ADMIN or (p.role == Role.HEALTH_WORKER and _in_own_area(p, place))


def can_view_family_report(p: Principal, place: Place) -> bool:
    """The TPK report of a kelurahan/desa (`place`: the area): coordinators, health workers and TPK within it."""
    if not _acting(p):
        return False
    if p.role in (Role.ADMIN, Role.COORDINATOR):
        return within_scope(p, place)
    return p.role in (Role.HEALTH_WORKER, Role.TPK) and _in_own_area(p, place)


async def case_posyandu_ids(repos: Repositories, p: Principal) -> list[int] | None:
    """Posyandu whose cases the user may see (None: all, for admins; [] for no one)."""
    if not _acting(p):
        return []
    if p.role in (Role.HEALTH_WORKER, Role.TPK) and p.area_id is not None:
        return await repos.areas.posyandu_ids_within(p.area_id)
    return await posyandu_ids_in_scope(repos, p)


async def _principal_and_child(repos: Repositories, user_id: int, child_id: int) -> tuple[Principal, ChildRef] | None:
    p = await load_principal(repos, user_id)
    if p is None:
        return None
    try:
        return p, await child_ref(repos, child_id)
    except NotFound:
        return None


async def may_view_child(repos: Repositories, user_id: int, child_id: int) -> bool:
    """Convenience for handlers: load both sides and ask `can_view_child` (False for unknown ids)."""
    pair = await _principal_and_child(repos, user_id, child_id)
    return pair is not None and can_view_child(*pair)


async def may_change_child(repos: Repositories, user_id: int, child_id: int) -> bool:
    pair = await _principal_and_child(repos, user_id, child_id)
    return pair is not None and can_change_child(*pair)


# ------------------------------------------------------------------ intervention programs and sponsors (issue 14)


def can_manage_program(p: Principal, place: Place) -> bool:
    """Define a program, enrol its children, invite its sponsors, read its report: an admin, or a coordinator whose
    area holds the program's place (a kelurahan or a posyandu)."""
    return _acting(p) and p.role in (Role.ADMIN, Role.COORDINATOR) and within_scope(p, place)


def can_follow_program(p: Principal, program_id: int, member_of: Collection[int]) -> bool:
    """A sponsor member (orang tua asuh) follows its own programs' children, anonymised; nothing else: a sponsor
    never reaches a child through within_scope."""
    return _acting(p) and p.role == Role.SPONSOR and program_id in member_of


# ------------------------------------------------------------------ parents' questions to a person (issue 15)


def can_answer_parent_question(p: Principal, place: Place) -> bool:
    """Answer a parent's question about a child of `place` (a posyandu): its cadres, the health workers and
    coordinators of its area, admins. The health worker's area grant is this journey's own (see RANK)."""
    if not _acting(p):
        return False
    if p.role == Role.HEALTH_WORKER:
        return p.area_id is not None and p.area_id in place.area_ids
    return within_scope(p, place)
