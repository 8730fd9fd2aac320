"""A pregnant woman with KEK followed to birth and linked to her baby (issue 16), end to end: the coordinator invites
a TPK member, the TPK registers her (HPHT -> gestational age and due date by Naegele's rule), an ANC visit with
LiLA < 23,5 cm opens her case, impossible values are refused with nothing saved, the birth registers the baby
with the birth weight and length, and the baby's first weighing is judged against the birth weight."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.sim.fake_api import FakeBotAPI
from storage import case_queries as cq
from storage import family_queries as fq
from tests.e2e.cases_support import BIDAN, CADRE, COORD, Area, at, seed
from tests.e2e.harness import BotHarness, buttons, texts

NEW_TPK = 6701


@pytest.fixture
async def fbot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "families.db", clock=ManualClock(at(2025, 3, 4)))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def area(fbot: BotHarness, api: FakeBotAPI) -> Area:
    return await seed(fbot.runtime.repos, api)


def _move(bot: BotHarness, when: dt.datetime) -> None:
    assert isinstance(bot.clock, ManualClock)
    bot.clock.set(when)


async def _invite_tpk(bot: BotHarness, api: FakeBotAPI) -> None:
    replies = await bot.say(COORD, "/undang tpk")
    assert "kelurahan/desa mana anggota TPK baru" in texts(replies)
    await bot.press(COORD, "Seluruh Kelurahan Kampung Bali")
    invite = bot.last_text(COORD)  # the picker message is edited into the invitation
    code = re.search(r"/start ([A-Z0-9]{8})", invite)
    assert code is not None
    api.user(NEW_TPK, "Bu Wati")
    welcome = texts(await bot.say(NEW_TPK, f"/start {code.group(1)}"))
    assert "anggota TPK Kelurahan Kampung Bali" in welcome and "/ibu_baru" in welcome


async def test_a_pregnant_woman_with_kek_is_followed_to_birth_and_linked_to_her_baby(
        fbot: BotHarness, api: FakeBotAPI, area: Area) -> None:
    repos = fbot.runtime.repos
    await _invite_tpk(fbot, api)

    # Registering her: the HPHT is checked (not in the future, not more than 44 weeks ago).
    await fbot.say(NEW_TPK, "/ibu_baru")
    await fbot.say(NEW_TPK, "Siti Rahma")
    asked = texts(await fbot.say(NEW_TPK, "25"))
    assert "Kelompok sasaran?" in asked  # one posyandu in her village: chosen without asking
    await fbot.press(NEW_TPK, "Ibu hamil")
    assert "tidak mungkin di masa depan" in texts(await fbot.say(NEW_TPK, "10/3/2025"))
    assert "kehamilan tidak selama itu" in texts(await fbot.say(NEW_TPK, "1/3/2024"))
    summary = texts(await fbot.say(NEW_TPK, "15/10/2024"))
    assert "HPHT: Selasa, 15 Oktober 2024" in summary
    saved = texts(await fbot.press(NEW_TPK, "Simpan"))
    assert "Siti Rahma sudah terdaftar" in saved
    card = texts(await fbot.press(NEW_TPK, "Data ibu"))
    assert "Hamil 20 minggu 0 hari (trimester 2)" in card and "HPL Selasa, 22 Juli 2025" in card  # Naegele
    assert buttons(api.last_message(NEW_TPK)) == ["🤰 Kunjungan ANC", "🏠 Kunjungan rumah", "👶 Persalinan"]

    # An ANC visit: impossible LiLA and Hb are refused and asked again; LiLA 22 cm and Hb 10,5 are risk flags.
    await fbot.press(NEW_TPK, "Kunjungan ANC")
    await fbot.press(NEW_TPK, "Hari ini")
    await fbot.press(NEW_TPK, "Ya")
    assert "tidak mungkin untuk seorang ibu" in texts(await fbot.say(NEW_TPK, "2"))
    await fbot.say(NEW_TPK, "22")
    assert "Hb 30,0 g/dL tidak mungkin" in texts(await fbot.say(NEW_TPK, "30"))
    await fbot.say(NEW_TPK, "10,5")
    await fbot.say(NEW_TPK, "30")
    await fbot.press(NEW_TPK, "Lewati")
    saved = texts(await fbot.press(NEW_TPK, "Simpan"))
    assert "Berisiko: KEK (LiLA < 23,5 cm), anemia" in saved
    woman = (await fq.women_in(repos.db, [area.melati]))[0]
    case = await cq.open_case_of_woman(repos.db, woman.id)
    assert case is not None and case.reasons == ("kek", "anaemia") and f"/kasus_{case.id}" in saved
    visits = await fq.visits_of(repos.db, woman.id)
    assert [(v.muac_cm, v.hb_g_dl, v.ttd_tablets, v.by_doctor) for v in visits] == [(22.0, 10.5, 30, True)]

    # Her midwife sees her case; the cadre of her posyandu does not.
    assert "Siti Rahma (Ibu hamil) — KEK (LiLA < 23,5 cm), anemia" in texts(await fbot.say(BIDAN, "/tindak_lanjut"))
    assert "Siti Rahma" not in texts(await fbot.say(CADRE, "/tindak_lanjut"))
    assert "bukan di wilayah Anda" in texts(await fbot.say(CADRE, f"/kasus_{case.id}"))

    # Past 42 weeks an ANC date cannot be right: refused, nothing saved.
    _move(fbot, at(2025, 8, 10))
    await fbot.say(NEW_TPK, "/keluarga")
    await fbot.press(NEW_TPK, "1. Siti Rahma")
    await fbot.press(NEW_TPK, "Kunjungan ANC")
    refused = texts(await fbot.press(NEW_TPK, "Hari ini"))
    assert "lebih dari 42 minggu setelah HPHT" in refused and "catat persalinannya" in refused
    await fbot.say(NEW_TPK, "/batal")
    assert len(await fq.visits_of(repos.db, woman.id)) == 1

    # The birth: the baby is registered at her posyandu with the birth weight and length.
    await fbot.press(NEW_TPK, "Persalinan")
    await fbot.say(NEW_TPK, "20/7/2025")
    await fbot.press(NEW_TPK, "laki-laki")
    assert "Berat lahir 9,0 kg tidak mungkin" in texts(await fbot.say(NEW_TPK, "9"))
    await fbot.say(NEW_TPK, "3,1")
    await fbot.say(NEW_TPK, "49")
    await fbot.press(NEW_TPK, "Lewati")
    saved = texts(await fbot.press(NEW_TPK, "Simpan"))
    code = re.search(r"kode ([A-Z]+\d+)", saved)
    assert "Bayi Ny. Siti Rahma" in saved and code is not None
    baby = await repos.children.get_by_code(code.group(1))
    assert baby is not None and baby.birth_weight_kg == 3.1 and baby.birth_length_cm == 49.0
    assert baby.birth_date == dt.date(2025, 7, 20) and baby.posyandu_id == area.melati
    pregnancy = await fq.pregnancy_of_child(repos.db, baby.id)
    assert pregnancy is not None and pregnancy.woman_id == woman.id and pregnancy.outcome == "birth"

    # A postnatal visit on day 21 is KF3 (8–28 days, Juknis ILP 2023).
    card = texts(await fbot.press(NEW_TPK, "Data ibu"))
    assert "Bersalin Minggu, 20 Juli 2025 (hari ke-21 setelah persalinan)" in card
    await fbot.press(NEW_TPK, "Kunjungan nifas")
    await fbot.press(NEW_TPK, "Hari ini")
    await fbot.press(NEW_TPK, "Suntik")
    await fbot.press(NEW_TPK, "Menyusui lancar")
    await fbot.press(NEW_TPK, "✅ Selesai")
    await fbot.press(NEW_TPK, "Lewati")
    assert "Ini kunjungan nifas KF3" in texts(await fbot.press(NEW_TPK, "Simpan"))

    # The baby's first weighing, 30 days after birth, is judged against the birth weight (Buku KIA 2023: the birth
    # weight is the first point of the KMS): +700 g is less than the 800 g minimum, T (not B).
    _move(fbot, at(2025, 8, 19))
    first = texts(await fbot.say(CADRE, f"/catat {baby.code} 3,8 53"))
    assert "Berat: T — naik 700 g sejak lahir" in first and "800 g" in first
    # Every change of her record is audited, with ids only.
    entities = {a.entity for a in await repos.audit.list_for("woman")} | {
        a.entity for a in await repos.audit.list_for("woman_visit")} | {
        a.entity for a in await repos.audit.list_for("pregnancy")}
    assert entities == {"woman", "woman_visit", "pregnancy"}
    assert all("Siti" not in str(a.details) for a in await repos.audit.list_for("woman"))
