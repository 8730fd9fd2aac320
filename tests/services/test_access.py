"""Access rules: the whole role x scope matrix, table-driven, plus the async loaders."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services import access
from bot.services.access import ChildRef, Place, Principal
from storage import AreaLevel, ChildCreate, PosyanduCreate, Repositories, Role, Sex, open_database

# City 1 > kecamatan 2 > kelurahan 3 > posyandu 10 (child 100) ; kelurahan 4 (in kecamatan 2) > posyandu 11
# City 5 > kecamatan 6 > kelurahan 7 > posyandu 12 (child 120)
P10 = Place(posyandu_id=10, area_ids=(3, 2, 1))
P11 = Place(posyandu_id=11, area_ids=(4, 2, 1))
P12 = Place(posyandu_id=12, area_ids=(7, 6, 5))
CITY1 = Place(area_ids=(1,))
KEC2 = Place(area_ids=(2, 1))
KEL3 = Place(area_ids=(3, 2, 1))
KEL7 = Place(area_ids=(7, 6, 5))
NOWHERE = Place()
C100 = ChildRef(child_id=100, place=P10)
C120 = ChildRef(child_id=120, place=P12)

U = {
    "admin": Principal(user_id=1, role=Role.ADMIN),
    "coord_city": Principal(user_id=2, role=Role.COORDINATOR, area_id=1),
    "coord_kec": Principal(user_id=3, role=Role.COORDINATOR, area_id=2),
    "coord_kel": Principal(user_id=4, role=Role.COORDINATOR, area_id=3),
    "coord_other": Principal(user_id=5, role=Role.COORDINATOR, area_id=5),
    "cadre10": Principal(user_id=6, role=Role.CADRE, posyandu_id=10),
    "cadre11": Principal(user_id=7, role=Role.CADRE, posyandu_id=11),
    "parent100": Principal(user_id=8, role=Role.PARENT, posyandu_id=10, child_ids=frozenset({100})),
    "parent_none": Principal(user_id=9, role=Role.PARENT),
    "guest": Principal(user_id=10, role=None),
    "inactive_admin": Principal(user_id=11, role=Role.ADMIN, active=False),
    "inactive_cadre10": Principal(user_id=12, role=Role.CADRE, posyandu_id=10, active=False),
    "inactive_parent100": Principal(user_id=13, role=Role.PARENT, child_ids=frozenset({100}), active=False),
}

# user: (view C100, change C100, view C120, change C120)
CHILD_MATRIX = {
    "admin": (True, True, True, True),
    "coord_city": (True, True, False, False),
    "coord_kec": (True, True, False, False),
    "coord_kel": (True, True, False, False),
    "coord_other": (False, False, True, True),
    "cadre10": (True, True, False, False),
    "cadre11": (False, False, False, False),
    "parent100": (True, False, False, False),
    "parent_none": (False, False, False, False),
    "guest": (False, False, False, False),
    "inactive_admin": (False, False, False, False),
    "inactive_cadre10": (False, False, False, False),
    "inactive_parent100": (False, False, False, False),
}


@pytest.mark.parametrize("user", sorted(CHILD_MATRIX))
def test_child_view_and_change(user: str) -> None:
    p = U[user]
    got = (access.can_view_child(p, C100), access.can_change_child(p, C100),
           access.can_view_child(p, C120), access.can_change_child(p, C120))
    assert got == CHILD_MATRIX[user]


PLACES = {"P10": P10, "P11": P11, "P12": P12, "CITY1": CITY1, "KEC2": KEC2, "KEL3": KEL3, "KEL7": KEL7}
# user: set of places they may see and broadcast to
PLACE_MATRIX = {
    "admin": set(PLACES),
    "coord_city": {"P10", "P11", "CITY1", "KEC2", "KEL3"},
    "coord_kec": {"P10", "P11", "KEC2", "KEL3"},
    "coord_kel": {"P10", "KEL3"},
    "coord_other": {"P12", "KEL7"},
    "cadre10": {"P10"},
    "cadre11": {"P11"},
    "parent100": set(),
    "parent_none": set(),
    "guest": set(),
    "inactive_admin": set(),
    "inactive_cadre10": set(),
    "inactive_parent100": set(),
}


@pytest.mark.parametrize(("user", "place"), [(u, pl) for u in sorted(PLACE_MATRIX) for pl in sorted(PLACES)])
def test_view_and_broadcast_places(user: str, place: str) -> None:
    expected = place in PLACE_MATRIX[user]
    assert access.can_view_place(U[user], PLACES[place]) is expected
    assert access.can_broadcast(U[user], PLACES[place]) is expected


INVITE_CASES = [
    # (inviter, role, target, expected)
    ("admin", Role.ADMIN, "NOWHERE", True),
    ("admin", Role.COORDINATOR, "CITY1", True),
    ("admin", Role.CADRE, "P12", True),
    ("admin", Role.PARENT, "P11", True),
    ("admin", Role.COORDINATOR, "P10", False),  # a coordinator's scope is an area
    ("admin", Role.CADRE, "KEL3", False),  # a cadre's scope is a posyandu
    ("admin", Role.ADMIN, "CITY1", False),  # admins have no scope
    ("coord_city", Role.ADMIN, "NOWHERE", False),
    ("coord_city", Role.COORDINATOR, "CITY1", True),
    ("coord_city", Role.COORDINATOR, "KEC2", True),
    ("coord_city", Role.COORDINATOR, "KEL7", False),
    ("coord_city", Role.CADRE, "P11", True),
    ("coord_city", Role.CADRE, "P12", False),
    ("coord_city", Role.PARENT, "P10", True),
    ("coord_kec", Role.COORDINATOR, "CITY1", False),  # not above one's own area
    ("coord_kec", Role.COORDINATOR, "KEL3", True),
    ("coord_kel", Role.COORDINATOR, "KEC2", False),
    ("coord_kel", Role.CADRE, "P10", True),
    ("coord_kel", Role.CADRE, "P11", False),
    ("coord_other", Role.CADRE, "P12", True),
    ("coord_other", Role.CADRE, "P10", False),
    ("cadre10", Role.COORDINATOR, "KEL3", False),
    ("cadre10", Role.CADRE, "P10", True),
    ("cadre10", Role.CADRE, "P11", False),
    ("cadre10", Role.PARENT, "P10", True),
    ("cadre10", Role.PARENT, "P11", False),
    ("cadre11", Role.PARENT, "P10", False),
    ("parent100", Role.PARENT, "P10", False),
    ("parent_none", Role.PARENT, "P10", False),
    ("guest", Role.PARENT, "P10", False),
    ("inactive_admin", Role.CADRE, "P10", False),
    ("inactive_cadre10", Role.PARENT, "P10", False),
]


@pytest.mark.parametrize(("inviter", "role", "target", "expected"), INVITE_CASES)
def test_invite_matrix(inviter: str, role: Role, target: str, expected: bool) -> None:
    place = NOWHERE if target == "NOWHERE" else PLACES[target]
    assert access.can_invite(U[inviter], role, place) is expected


def test_cadre_invites_parent_of_own_child_only() -> None:
    assert access.can_invite_parent_of(U["cadre10"], C100)
    assert not access.can_invite_parent_of(U["cadre10"], C120)
    assert not access.can_invite_parent_of(U["parent100"], C100)


async def test_loaders_build_the_models(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "a.db")
    repos = Repositories(db)
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="Melati", area_id=kel.id))
    child = await repos.children.create(ChildCreate(name="Ani", sex=Sex.FEMALE, birth_date="2023-01-01",
                                                    posyandu_id=pos.id))
    await repos.users.set_role(21, Role.COORDINATOR, area_id=kec.id)
    await repos.users.upsert(22, "Ibu")
    await repos.guardians.link(child.id, 22)
    await repos.users.set_role(22, Role.PARENT)

    ref = await access.child_ref(repos, child.id)
    assert ref.place == Place(posyandu_id=pos.id, area_ids=(kel.id, kec.id, city.id))
    coord = await access.load_principal(repos, 21)
    assert coord is not None and access.can_change_child(coord, ref)
    assert await access.posyandu_ids_in_scope(repos, coord) == [pos.id]
    assert await access.may_view_child(repos, 22, child.id)
    assert not await access.may_change_child(repos, 22, child.id)
    assert not await access.may_view_child(repos, 99, child.id)  # unknown user
    assert not await access.may_view_child(repos, 21, 999)  # unknown child
    assert (await access.place_of_area(repos, kec.id)).area_ids == (kec.id, city.id)
    await repos.users.set_active(21, False)
    inactive = await access.load_principal(repos, 21)
    assert inactive is not None and await access.posyandu_ids_in_scope(repos, inactive) == []
    await db.close()
