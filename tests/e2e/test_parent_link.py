"""Parent journey, end to end: linking to a child by code (/start, typed) and by sharing the phone number.

Also holds the seeding helpers the other tests/e2e/test_parent_*.py files import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services import measurement as measurement_svc
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage.models import (
    AreaLevel,
    Child,
    ChildCreate,
    InviteCreate,
    Position,
    Posyandu,
    PosyanduCreate,
    Role,
    SessionCreate,
    Sex,
)
from tests.e2e.harness import BotHarness, buttons, texts

# 09:00 WIB on Wednesday 15 January 2025.
NOW = dt.datetime(2025, 1, 15, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 1, 15)


@pytest.fixture
async def pbot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The bot with its clock fixed at NOW (ages, trends and "next posyandu" depend on today)."""
    harness = BotHarness(api, tmp_path / "parent.db", clock=ManualClock(NOW))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def seed_posyandu(repos: Repositories, name: str = "Melati 1", kelurahan: str = "Kampung Bali") -> Posyandu:
    city = (await repos.areas.find("Kota Medan", level=AreaLevel.CITY) or
            [await repos.areas.create(AreaLevel.CITY, "Kota Medan")])[0]
    kec = (await repos.areas.find("Medan Kota", level=AreaLevel.KECAMATAN) or
           [await repos.areas.create(AreaLevel.KECAMATAN, "Medan Kota", city.id)])[0]
    kel = await repos.areas.create(AreaLevel.KELURAHAN, kelurahan, kec.id)
    return await repos.posyandu.create(PosyanduCreate(name=name, area_id=kel.id, address="Balai RW 03"))


async def add_child(repos: Repositories, posyandu: Posyandu, name: str, birth: dt.date, *, sex: Sex = Sex.MALE,
                    phone: str | None = None) -> Child:
    return await repos.children.create(ChildCreate(name=name, sex=sex, birth_date=birth, posyandu_id=posyandu.id,
                                                   guardian_name="Siti", guardian_phone=phone))


async def measure(repos: Repositories, child: Child, on: dt.date, weight: str, length: str,
                  position: Position = Position.LYING) -> measurement_svc.Saved:
    """Store a measurement the way a cadre's entry does: z-scores, categories and N/T computed by bot.growth."""
    draft = measurement_svc.Draft(child_id=child.id, measured_on=on, weight_kg=Decimal(weight),
                                  length_cm=Decimal(length), position=position)
    return await measurement_svc.save(repos, child, draft, entered_by=None)


async def parent_code(repos: Repositories, child: Child) -> str:
    invite = await repos.invites.create(InviteCreate(role=Role.PARENT, posyandu_id=child.posyandu_id,
                                                     child_id=child.id, created_by=None))
    return invite.code


async def next_session_on(repos: Repositories, posyandu: Posyandu, day: dt.date) -> None:
    await repos.sessions.upsert(SessionCreate(posyandu_id=posyandu.id, session_date=day,
                                              start_time=dt.time(8, 0), end_time=dt.time(11, 0)))


# ------------------------------------------------------------------ by code


async def test_start_with_a_parent_code_links_the_child(pbot: BotHarness, api: FakeBotAPI) -> None:
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    budi = await add_child(repos, pos, "Budi Santoso", dt.date(2023, 5, 1))
    code = await parent_code(repos, budi)
    api.user(701, "Siti")
    replies = await pbot.say(701, f"/start {code}")
    assert "Terhubung" in texts(replies) and "Budi" in texts(replies)
    assert await repos.guardians.child_ids_of(701) == {budi.id}
    user = await repos.users.get(701)
    assert user.role == Role.PARENT
    replies = await pbot.say(701, "/anakku")
    assert "Budi Santoso" in texts(replies)


async def test_a_code_typed_without_start_works_too(pbot: BotHarness, api: FakeBotAPI) -> None:
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    ani = await add_child(repos, pos, "Ani", dt.date(2024, 3, 1), sex=Sex.FEMALE)
    code = await parent_code(repos, ani)
    api.user(702, "Rina")
    replies = await pbot.say(702, f" {code} ")
    assert "Terhubung" in texts(replies)
    assert await repos.guardians.child_ids_of(702) == {ani.id}


async def test_a_typed_code_in_small_letters_with_a_digit_works(pbot: BotHarness, api: FakeBotAPI) -> None:
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    ani = await add_child(repos, pos, "Ani", dt.date(2024, 3, 1), sex=Sex.FEMALE)
    invite = await repos.invites.create(InviteCreate(role=Role.PARENT, posyandu_id=pos.id, child_id=ani.id,
                                                     code="AB12CD34"))
    api.user(708, "Rina")
    replies = await pbot.say(708, invite.code.lower())
    assert "Terhubung" in texts(replies)


async def test_a_wrong_code_says_what_to_do_and_counts_down(pbot: BotHarness, api: FakeBotAPI) -> None:
    api.user(703, "Dewi")
    replies = await pbot.say(703, "/start ZZZZ9999")
    text = texts(replies)
    assert "tidak dikenal" in text.lower() or "tidak mengenal" in text.lower()
    assert "kader" in text
    assert "/hubungkan" in text


async def test_five_wrong_codes_lock_even_the_right_code_for_an_hour(pbot: BotHarness, api: FakeBotAPI) -> None:
    """Guessing is rate-limited: after 5 wrong codes a correct one is refused too, with a polite wait message."""
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    child = await add_child(repos, pos, "Joko", dt.date(2024, 1, 1))
    code = await parent_code(repos, child)
    api.user(704, "Tini")
    for i in range(5):
        await pbot.say(704, f"/start WRONG{i}X22")
    replies = await pbot.say(704, f"/start {code}")
    assert "menit" in texts(replies)
    assert await repos.guardians.child_ids_of(704) == set()
    # An hour later the right code works.
    assert isinstance(pbot.clock, ManualClock)
    pbot.clock.advance(dt.timedelta(hours=1, minutes=1))
    replies = await pbot.say(704, f"/start {code}")
    assert "Terhubung" in texts(replies)


async def test_an_expired_code_is_refused(pbot: BotHarness, api: FakeBotAPI) -> None:
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    child = await add_child(repos, pos, "Eko", dt.date(2024, 1, 1))
    code = await parent_code(repos, child)
    await repos.invites.revoke(code)
    api.user(705, "Yuni")
    replies = await pbot.say(705, f"/start {code}")
    assert "kedaluwarsa" in texts(replies)
    assert await repos.guardians.child_ids_of(705) == set()


async def test_a_code_used_by_another_parent_is_refused(pbot: BotHarness, api: FakeBotAPI) -> None:
    """A code can't be reused to reach someone else's child."""
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    child = await add_child(repos, pos, "Fajar", dt.date(2024, 1, 1))
    code = await parent_code(repos, child)
    api.user(706, "Ibu Fajar")
    api.user(707, "Orang Lain")
    await pbot.say(706, f"/start {code}")
    replies = await pbot.say(707, f"/start {code}")
    assert "sudah dipakai" in texts(replies)
    assert await repos.guardians.child_ids_of(707) == set()
    replies = await pbot.say(707, "/anakku")
    assert "Fajar" not in texts(replies)


# ------------------------------------------------------------------ by phone


async def test_sharing_the_phone_number_links_the_child(pbot: BotHarness, api: FakeBotAPI) -> None:
    """The cadre typed 0812-3456-7890; Telegram shares 6281234567890: they meet."""
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    budi = await add_child(repos, pos, "Budi", dt.date(2023, 5, 1), phone="0812-3456-7890")
    api.user(710, "Siti")
    api.phone_numbers[710] = "6281234567890"
    replies = await pbot.say(710, "/hubungkan")
    assert "📱 Kirim nomor HP saya" in buttons(replies[-1])
    replies = await pbot.press(710, "Kirim nomor HP")
    assert "Terhubung" in texts(replies) and "Budi" in texts(replies)
    assert await repos.guardians.child_ids_of(710) == {budi.id}


async def test_someone_elses_contact_is_not_accepted(pbot: BotHarness, api: FakeBotAPI) -> None:
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    await add_child(repos, pos, "Budi", dt.date(2023, 5, 1), phone="081234567890")
    api.user(711, "Penyusup")
    api.send_contact(711, "+6281234567890", contact_user_id=9999)
    await api.wait_idle()
    assert "nomor HP Ibu/Bapak sendiri" in pbot.last_text(711)
    assert await repos.guardians.child_ids_of(711) == set()


async def test_a_phone_matching_no_child_says_what_to_do(pbot: BotHarness, api: FakeBotAPI) -> None:
    api.user(712, "Lina")
    api.phone_numbers[712] = "+6285700001111"
    await pbot.say(712, "/hubungkan")
    replies = await pbot.press(712, "Kirim nomor HP")
    text = texts(replies)
    assert "Belum ada anak" in text
    assert "+62857••••1111" in text  # masked, never in full
    assert "kader" in text


async def test_a_phone_matching_children_in_two_posyandu_links_both(pbot: BotHarness, api: FakeBotAPI) -> None:
    repos = pbot.runtime.repos
    melati = await seed_posyandu(repos, "Melati 1", "Kampung Bali")
    mawar = await seed_posyandu(repos, "Mawar 2", "Petisah")
    a = await add_child(repos, melati, "Adi", dt.date(2022, 2, 1), phone="+62 813 1111 2222")
    b = await add_child(repos, mawar, "Bela", dt.date(2024, 6, 1), sex=Sex.FEMALE, phone="081311112222")
    api.user(713, "Wati")
    api.phone_numbers[713] = "6281311112222"
    await pbot.say(713, "/hubungkan")
    replies = await pbot.press(713, "Kirim nomor HP")
    text = texts(replies)
    assert "Adi" in text and "Bela" in text
    assert "2 posyandu" in text and "Melati 1" in text and "Mawar 2" in text
    assert await repos.guardians.child_ids_of(713) == {a.id, b.id}


async def test_cancel_button_removes_the_contact_keyboard(pbot: BotHarness, api: FakeBotAPI) -> None:
    api.user(714, "Nur")
    await pbot.say(714, "/hubungkan")
    replies = await pbot.press(714, "Batal")
    assert "dibatalkan" in texts(replies)


async def test_a_posyandu_code_without_a_child_asks_for_the_phone(pbot: BotHarness, api: FakeBotAPI) -> None:
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    invite = await repos.invites.create(InviteCreate(role=Role.PARENT, posyandu_id=pos.id))
    api.user(715, "Mira")
    replies = await pbot.say(715, f"/start {invite.code}")
    assert "terdaftar di posyandu" in texts(replies)
    assert "📱 Kirim nomor HP saya" in buttons(replies[-1])
    assert (await repos.users.get(715)).role == Role.PARENT
