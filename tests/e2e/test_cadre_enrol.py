"""Registering a child `/anak_baru` through the real Application and the Bot API stand-in."""

from __future__ import annotations

import pytest

from bot.demo import CADRE_ID, STRANGER_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI
from storage.models import Role
from tests.e2e.harness import BotHarness, buttons, texts

CADRE = CADRE_ID


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    for uid in (CADRE_ID, STRANGER_ID):
        api.user(uid, "User")
    return personas


async def _answer_until_confirm(bot: BotHarness, name: str = "Citra Kirana", birth: str = "15/3/2025") -> str:
    await bot.say(CADRE, "/anak_baru")
    await bot.say(CADRE, name)
    await bot.press(CADRE, "P — perempuan")
    await bot.say(CADRE, birth)
    await bot.say(CADRE, "Rahmawati")
    await bot.say(CADRE, "0812-3456-7890")
    await bot.say(CADRE, "3273014503250001")
    replies = await bot.say(CADRE, "Jl. Melati 7 RT 3/RW 2")
    return texts(replies)


async def test_enrolment_gives_a_code_and_a_parent_link(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    card = await _answer_until_confirm(bot)
    assert "Citra Kirana" in card and "perempuan" in card and "Rahmawati" in card
    assert "3273••••••••0001" in card and "3273014503250001" not in card  # NIK masked on screen
    replies = await bot.press(CADRE, "Daftarkan")
    text = texts(replies)
    assert "sudah terdaftar dengan kode" in text
    assert "https://t.me/posyandu_test_bot?start=" in text
    code = text.split("?start=")[1].split()[0]
    invite = await bot.runtime.repos.invites.find(code)
    assert invite is not None and invite.role is Role.PARENT
    child = await bot.runtime.repos.children.find_by_id(invite.child_id)
    assert child.name == "Citra Kirana" and child.guardian_phone == "+6281234567890"
    assert (child.rt, child.rw) == ("003", "002") and child.posyandu_id == demo.posyandu_ids[0]
    assert "Ukur sekarang" in buttons(replies[-1])[0]
    replies = await bot.press(CADRE, "Ukur sekarang")  # straight into /ukur for the new child
    assert "Kapan anak diukur" in texts(replies)


async def test_optional_answers_can_be_skipped(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/anak_baru")
    await bot.say(CADRE, "Dewa Putra")
    await bot.say(CADRE, "L")  # typed instead of pressed
    await bot.say(CADRE, "1 Jan 2024")
    await bot.say(CADRE, "Made")
    await bot.press(CADRE, "Lewati")
    await bot.press(CADRE, "Lewati")
    replies = await bot.press(CADRE, "Lewati")
    assert "laki-laki" in texts(replies) and "Tanpa nomor HP" in texts(replies)
    replies = await bot.press(CADRE, "Daftarkan")
    assert "sudah terdaftar" in texts(replies)


async def test_duplicate_asks_before_creating(bot: BotHarness, demo: DemoPersonas) -> None:
    budi = await bot.runtime.repos.children.get_by_code(demo.parent_child_code)
    birth = f"{budi.birth_date.day}/{budi.birth_date.month}/{budi.birth_date.year}"
    await _answer_until_confirm(bot, name="budi  santoso", birth=birth)
    replies = await bot.press(CADRE, "Daftarkan")
    assert "sudah terdaftar di posyandu ini dengan kode A1" in texts(replies)
    replies = await bot.press(CADRE, "Tidak, pakai A1")
    assert "tidak ada yang didaftarkan" in texts(replies)
    count = await bot.runtime.repos.children.count_by_posyandu(demo.posyandu_ids[0])
    await _answer_until_confirm(bot, name="Budi Santoso", birth=birth)
    await bot.press(CADRE, "Daftarkan")
    replies = await bot.press(CADRE, "anak yang lain")
    assert "sudah terdaftar dengan kode" in texts(replies)
    assert await bot.runtime.repos.children.count_by_posyandu(demo.posyandu_ids[0]) == count + 1


@pytest.mark.parametrize(
    ("step_answers", "bad", "expected"),
    [
        ([], "👶👶", "dengan huruf"),
        ([], "x" * 300, "terlalu panjang"),
        (["Citra", "@P — perempuan"], "kemarin lusa", "tidak bisa saya baca"),
        (["Citra", "@P — perempuan"], "1/1/2019", "Hanya balita"),
        (["Citra", "@P — perempuan"], "1/1/2099", "belum terjadi"),
        (["Citra", "@P — perempuan", "15/3/2025", "Ibu"], "12345", "sepertinya salah"),
        (["Citra", "@P — perempuan", "15/3/2025", "Ibu", "@Lewati"], "1234", "16 angka"),
    ],
)
async def test_bad_answers_are_explained_and_kept(bot: BotHarness, demo: DemoPersonas, step_answers: list[str],
                                                  bad: str, expected: str) -> None:
    await bot.say(CADRE, "/anak_baru")
    for answer in step_answers:
        if answer.startswith("@"):
            await bot.press(CADRE, answer[1:])
        else:
            await bot.say(CADRE, answer)
    replies = await bot.say(CADRE, bad)
    assert expected in texts(replies)
    assert await bot.runtime.repos.children.find_duplicate("Citra", bot.runtime.today(), 1) is None


async def test_back_keeps_the_earlier_answers_and_restart_resumes(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/anak_baru")
    await bot.say(CADRE, "Citra Kirana")
    await bot.press(CADRE, "P — perempuan")
    await bot.restart()
    replies = await bot.say(CADRE, "15/3/2025")
    assert "Nama ibu" in texts(replies)
    replies = await bot.press(CADRE, "Kembali")
    assert "Tanggal lahir" in texts(replies)


async def test_stranger_cannot_enrol(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(STRANGER_ID, "/anak_baru")
    assert "kader" in texts(replies)


async def test_cancel_registers_nothing(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/anak_baru")
    await bot.say(CADRE, "Citra Kirana")
    replies = await bot.say(CADRE, "/batal")
    assert "Dibatalkan" in texts(replies)
    assert not await bot.runtime.repos.children.search_by_name(None, "Citra")
