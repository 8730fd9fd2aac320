"""No names, NIK or phone numbers in any log at any level (issue 19, item 4): a whole session at DEBUG, every
logger (PTB's Bot API request/response log, updates, aiosqlite's statements) included, through the stand-in:
a cadre enrols a child with NIK and phone and measures it, the parent links by phone, looks, asks."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from bot.demo import CADRE_ID, PARENT_ID, seed_demo
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, texts

CHILD = "Kembang Sekarwangi"
GUARDIAN = "Ratna Puspitarini"
PHONE_TYPED = "0813-9876-5432"
PHONES = ("081398765432", "6281398765432", "0813-9876-5432", "0813 9876 5432", "+62 813 9876 5432",
          "+6281398765432")
NIK = "3271046504230002"
CADRE_NAME, PARENT_FIRST, PARENT_LAST, PARENT_USERNAME = "Sekartaji", "Larasati", "Wiradinata", "laras_wira"
SECRETS = (*CHILD.split(), *GUARDIAN.split(), NIK, "3271 0465 0423 0002", *PHONES, CADRE_NAME, PARENT_FIRST,
           PARENT_LAST, PARENT_USERNAME)
LOGGERS = ("", "telegram", "telegram.ext", "telegram.Bot", "telegram.ext.ExtBot", "httpx", "httpcore",
           "aiosqlite", "aiohttp", "apscheduler", "bot", "handlers", "storage", "tornado")


@pytest.fixture
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """LOG_LEVEL=DEBUG, and even the libraries our logging setup keeps quiet, for the whole session."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


async def test_a_debug_session_logs_no_name_nik_or_phone(bot: BotHarness, api: FakeBotAPI,
                                                         everything_at_debug: pytest.LogCaptureFixture) -> None:
    await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, CADRE_NAME)
    api.user(PARENT_ID + 7, PARENT_FIRST, username=PARENT_USERNAME)
    api._users[PARENT_ID + 7]["last_name"] = PARENT_LAST
    parent = PARENT_ID + 7
    api.phone_numbers[parent] = "+6281398765432"

    await bot.say(CADRE_ID, "/anak_baru")
    await bot.say(CADRE_ID, CHILD)
    await bot.press(CADRE_ID, "P — perempuan")
    birth = bot.runtime.today() - dt.timedelta(days=400)
    await bot.say(CADRE_ID, f"{birth.day}/{birth.month}/{birth.year}")
    await bot.say(CADRE_ID, GUARDIAN)
    await bot.say(CADRE_ID, PHONE_TYPED)
    await bot.say(CADRE_ID, NIK)
    await bot.say(CADRE_ID, "Jl. Kenanga 3 RT 2/RW 5")
    replies = await bot.press(CADRE_ID, "Daftarkan")
    assert CHILD in texts(replies)
    await bot.press(CADRE_ID, "Ukur sekarang")
    await bot.press(CADRE_ID, "Hari ini")
    await bot.say(CADRE_ID, "9,1")
    await bot.say(CADRE_ID, "74")
    await bot.press(CADRE_ID, "Tidak ada ukuran lain")
    await bot.press(CADRE_ID, "Simpan")
    await bot.say(CADRE_ID, f"/riwayat {CHILD.split()[0]}")

    await bot.say(parent, "/hubungkan")
    replies = await bot.press(parent, "Kirim nomor HP saya")
    assert "Kembang" in texts(replies)
    await bot.say(parent, "/anakku")
    await bot.press(parent, "grafik")
    await bot.say(parent, f"anak saya {CHILD} susah makan, nomor saya {PHONE_TYPED}, NIK {NIK}")
    await bot.say(parent, f"/kode {NIK}")

    records = everything_at_debug.records
    assert any(r.levelno == logging.DEBUG and r.name.startswith("telegram") for r in records)  # it was on
    assert any("sendMessage" in r.getMessage() for r in records)
    logged = "\n".join([everything_at_debug.text, *(r.getMessage() for r in records),
                        *(r.exc_text or "" for r in records)])
    found = sorted({s for s in SECRETS if re.search(re.escape(s), logged, re.IGNORECASE)})
    assert found == []
