"""Demo data for the offline simulator: one city down to two posyandu, a dozen children with a few months of
measurements (computed through the measurement service, so z-scores and N/T/2T are real), and the personas the
simulator plays: a cadre, a parent, a coordinator and a stranger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from bot.services import measurement as svc
from bot.services.schedule import parse_rule
from storage import Repositories
from storage.models import AreaLevel, ChildCreate, Position, PosyanduCreate, Role, Sex

CADRE_ID = 1001
PARENT_ID = 2001
COORDINATOR_ID = 3001
STRANGER_ID = 4001
SECOND_CADRE_ID = 1002


@dataclass(frozen=True)
class DemoPersonas:
    cadre_id: int
    cadre_name: str
    parent_id: int
    parent_name: str
    coordinator_id: int
    coordinator_name: str
    stranger_id: int
    posyandu_ids: tuple[int, ...]
    kelurahan_id: int
    parent_child_code: str  # the child Ibu Siti is linked to
    child_codes: dict[str, str]  # first name -> code


@dataclass(frozen=True)
class _Kid:
    name: str
    sex: Sex
    age_months: int  # at `today`
    posyandu: int  # index into the posyandu list
    weights: tuple[float, ...]  # oldest first, one per month, ending last month
    lengths: tuple[float, ...]
    guardian: str
    phone: str | None = None


# Weights and lengths are chosen to show each situation on the cards: normal growth, stunting (Rina), wasting
# (Dimas), two months of weight not going up (Putri: 2T), a first weighing (Bayu).
KIDS: tuple[_Kid, ...] = (
    _Kid("Budi Santoso", Sex.MALE, 20, 0, (9.9, 10.1, 10.3), (78.5, 79.3, 80.1), "Siti Aminah", "081234567801"),
    _Kid("Rina Lestari", Sex.FEMALE, 30, 0, (10.2, 10.4, 10.5), (80.0, 80.4, 80.9), "Dewi Lestari", "081234567802"),
    _Kid("Dimas Pratama", Sex.MALE, 15, 0, (7.9, 7.9, 7.8), (77.0, 77.6, 78.2), "Yuni Astuti", "081234567803"),
    _Kid("Putri Wulandari", Sex.FEMALE, 11, 0, (7.9, 8.0, 8.05), (69.5, 70.3, 71.0), "Ani Susanti", None),
    _Kid("Ahmad Fauzi", Sex.MALE, 40, 0, (13.8, 14.0, 14.2), (95.5, 96.0, 96.6), "Nur Hasanah", "081234567805"),
    _Kid("Siti Nurhaliza", Sex.FEMALE, 8, 0, (7.0, 7.4, 7.8), (65.0, 66.5, 67.8), "Rahma Wati", "081234567806"),
    _Kid("Fajar Nugroho", Sex.MALE, 26, 0, (11.4, 11.6, 11.9), (84.5, 85.2, 86.0), "Sri Rahayu", None),
    _Kid("Bayu Saputra", Sex.MALE, 5, 0, (), (), "Lina Marlina", "081234567808"),
    _Kid("Nadia Putri", Sex.FEMALE, 33, 1, (12.1, 12.3, 12.5), (88.5, 89.1, 89.8), "Wulan Sari", "081234567809"),
    _Kid("Rizki Ramadhan", Sex.MALE, 18, 1, (9.8, 10.0, 10.3), (77.8, 78.6, 79.5), "Maya Sari", "081234567810"),
    _Kid("Aisyah Zahra", Sex.FEMALE, 48, 1, (14.3, 14.5, 14.8), (99.0, 99.6, 100.2), "Fitri Handayani", None),
    _Kid("Galih Permana", Sex.MALE, 3, 1, (5.0, 6.0), (57.0, 60.0), "Tuti Alawiyah", "081234567812"),
)


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


async def seed_demo(repos: Repositories, today: dt.date) -> DemoPersonas:
    """Fill an empty database with the demo (idempotent for places; children are created once)."""
    city, _ = await repos.areas.get_or_create(AreaLevel.CITY, "Kota Bengkulu")
    kecamatan, _ = await repos.areas.get_or_create(AreaLevel.KECAMATAN, "Ratu Samban", city.id)
    kelurahan, _ = await repos.areas.get_or_create(AreaLevel.KELURAHAN, "Kampung Bali", kecamatan.id)
    melati, _ = await repos.posyandu.get_or_create(PosyanduCreate(name="Posyandu Melati 1", area_id=kelurahan.id,
                                                                  address="Balai RW 02, Jl. Melati"))
    mawar, _ = await repos.posyandu.get_or_create(PosyanduCreate(name="Posyandu Mawar", area_id=kelurahan.id,
                                                                 address="Rumah Bu RT 05"))
    posyandu = (melati, mawar)
    # Monthly schedules, so /anakku and /jadwal show real next dates (and reminders have something to remind).
    for place, rule in ((melati, "Selasa minggu ke-2 08.00-11.00"), (mawar, "Kamis minggu ke-3 09.00-11.00")):
        await repos.posyandu.set_schedule_rule(place.id, parse_rule(rule).to_json())

    await repos.users.upsert(CADRE_ID, "Kak Sari", "id")
    await repos.users.set_role(CADRE_ID, Role.CADRE, posyandu_id=melati.id)
    await repos.users.upsert(SECOND_CADRE_ID, "Kak Rina", "id")
    await repos.users.set_role(SECOND_CADRE_ID, Role.CADRE, posyandu_id=mawar.id)
    await repos.users.upsert(COORDINATOR_ID, "Bu Dewi", "id")
    await repos.users.set_role(COORDINATOR_ID, Role.COORDINATOR, area_id=kelurahan.id)
    await repos.users.upsert(PARENT_ID, "Ibu Siti", "id")
    await repos.users.set_role(PARENT_ID, Role.PARENT, posyandu_id=melati.id)
    await repos.users.upsert(STRANGER_ID, "Tamu", "id")

    codes: dict[str, str] = {}
    for kid in KIDS:
        post = posyandu[kid.posyandu]
        birth = _months_before(today, kid.age_months) - dt.timedelta(days=3)
        existing = await repos.children.find_duplicate(kid.name, birth, post.id)
        if existing is not None:
            codes[kid.name.split()[0]] = existing.code
            continue
        child = await repos.children.create(ChildCreate(
            name=kid.name, sex=kid.sex, birth_date=birth, posyandu_id=post.id, guardian_name=kid.guardian,
            guardian_phone=kid.phone, address="Kampung Bali", rt="002", rw="001", created_by=CADRE_ID))
        codes[kid.name.split()[0]] = child.code
        visits = len(kid.weights)
        for i, (weight, length) in enumerate(zip(kid.weights, kid.lengths, strict=True)):
            day = _months_before(today, visits - i)
            if day <= birth:
                continue
            age = (day - birth).days
            draft = svc.Draft(child_id=child.id, measured_on=day, weight_kg=Decimal(str(weight)),
                              length_cm=Decimal(str(length)),
                              position=Position.LYING if age < 731 else Position.STANDING)
            await svc.save(repos, child, draft, entered_by=CADRE_ID)
    budi = await repos.children.get_by_code(codes["Budi"])
    assert budi is not None
    await repos.guardians.link(budi.id, PARENT_ID)
    return DemoPersonas(
        cadre_id=CADRE_ID, cadre_name="Kak Sari", parent_id=PARENT_ID, parent_name="Ibu Siti",
        coordinator_id=COORDINATOR_ID, coordinator_name="Bu Dewi", stranger_id=STRANGER_ID,
        posyandu_ids=(melati.id, mawar.id), kelurahan_id=kelurahan.id, parent_child_code=budi.code,
        child_codes=codes,
    )
