"""Reading the answers of `/anak_baru` (pure) and creating a child with its parent link."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services import enrolment as svc
from bot.services.measurement import InputIssue
from storage import Repositories, open_database
from storage.models import AreaLevel, PosyanduCreate, Role

TODAY = dt.date(2025, 6, 15)


@pytest.mark.parametrize(("text", "expected"), [("  budi   santoso ", "budi santoso"), ("Siti A.", "Siti A.")])
def test_read_name(text: str, expected: str) -> None:
    assert svc.read_name(text) == expected


@pytest.mark.parametrize(("text", "code"), [("", "empty"), ("123", "name_no_letters"), ("👶👶", "name_no_letters"),
                                            ("a" * 81, "name_too_long"), ("/ukur", "name_no_letters")])
def test_read_name_refuses(text: str, code: str) -> None:
    with pytest.raises(InputIssue) as info:
        svc.read_name(text)
    assert info.value.code == code


@pytest.mark.parametrize(("text", "code"), [("besok", "not_a_date"), ("1/1/2026", "birth_future"),
                                            ("1/1/2019", "over_five")])
def test_read_birth_date_refuses(text: str, code: str) -> None:
    with pytest.raises(InputIssue) as info:
        svc.read_birth_date(text, TODAY)
    assert info.value.code == code


def test_read_birth_date() -> None:
    assert svc.read_birth_date("15/3/2023", TODAY) == dt.date(2023, 3, 15)
    assert svc.read_birth_date("15 Mar 2023", TODAY) == dt.date(2023, 3, 15)


@pytest.mark.parametrize(
    ("text", "rt", "rw"),
    [("Jl. Melati 5 RT 03/RW 02", "003", "002"), ("Gg. Mawar rt 3 rw 12", "003", "012"),
     ("Kampung Bali RW 4", None, "004"), ("Jl. Kenanga 1", None, None)],
)
def test_read_address_finds_rt_rw(text: str, rt: str | None, rw: str | None) -> None:
    _, got_rt, got_rw = svc.read_address(text)
    assert (got_rt, got_rw) == (rt, rw)


def test_phone_and_nik() -> None:
    assert svc.read_phone("0812-3456-7890") == "+6281234567890"
    with pytest.raises(InputIssue):
        svc.read_phone("12345")
    assert svc.read_nik("3273 0145 0325 0001") == "3273014503250001"
    with pytest.raises(InputIssue):
        svc.read_nik("1234")


def test_sex() -> None:
    assert svc.read_sex("l").value == "M" and svc.read_sex("P").value == "F"
    with pytest.raises(InputIssue):
        svc.read_sex("x")


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "t.db")
    try:
        yield Repositories(db)
    finally:
        await db.close()


async def test_enrol_creates_child_and_single_use_parent_link(repos: Repositories) -> None:
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="Melati", area_id=kel.id))
    data = {"name": "Citra", "sex": "F", "birth_date": "2024-01-02", "guardian_name": "Ibu",
            "guardian_phone": "+6281234567890"}
    enrolled = await svc.enrol(repos, data, pos.id, created_by=1001)
    assert enrolled.child.code and enrolled.invite.role is Role.PARENT
    assert enrolled.invite.child_id == enrolled.child.id and enrolled.invite.single_use
    assert await svc.find_duplicate(repos, {"name": "citra", "birth_date": "2024-01-02"}, pos.id) is not None
    assert svc.deep_link("posyandu_bot", "ABC") == "https://t.me/posyandu_bot?start=ABC"
