"""Forged callback data (issue 19, item 6): 20-digit ids, missing and non-numeric parts, impossible dates, on
every prefix the bot uses and inside open conversations. Each is answered once, politely, with no
traceback and no Bot API error; and every button the bot itself sends still parses."""

from __future__ import annotations

import logging

import pytest

from bot import callbacks
from bot.demo import CADRE_ID, COORDINATOR_ID, PARENT_ID
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.hardening_support import Personas, buttons_sent_to, seed_personas, violations
from tests.e2e.harness import BotHarness

HUGE = "9" * 20
FORGED = [
    f"ukur:child:{HUGE}", "ukur:child:", "ukur:child:abc", f"ukur:start:{HUGE}", f"ukur:fix:{HUGE}", "ukur:fix:-1",
    f"ukur:page:{HUGE}", "ukur:page:x", "ukur:edit:9", "ukur:date:2", f"ukur:chart:{HUGE}:wfa", "ukur:chart:1:zz",
    "ukur:pchart:", "ukur:chart", f"riwayat:{HUGE}", "riwayat:", "daftar:p:", "daftar:p:-1", f"daftar:p:{HUGE}",
    "anak:pos:", f"anak:pos:{HUGE}", "anak:sex:X", "catat:date:maybe", "catat:", f"jadwal:p:{HUGE}", "jadwal:p:",
    "jadwal:wd:9", "jadwal:wk:7", "jadwal:st:2599", "jadwal:st:", "jadwal:en:0", "jadwal:d:2024-02-31",
    "jadwal:d:x", "jadwal:opt:maybe", "undang:r:admin", "undang:k:d:", f"undang:k:d:{HUGE}:0", "undang:k:d:1:x",
    f"undang:k:p:{HUGE}", "undang:k:p:", "undang:x:p:1", "undang:", "siaran:aud:everyone", "siaran:s:",
    f"siaran:s:a:{HUGE}", "siaran:s:d::-3", "siaran:back:", "rekap:chart:2024-13", "rekap:xlsx:", "rekap:tl:x",
    f"tl:page:{HUGE}", "tl:page:", "ortu:grafik:1", "ortu:grafik:x:wfa", f"ortu:grafik:{HUGE}:wfa",
    "ortu:grafik:1:bmi", f"ortu:tip:{HUGE}", "ortu:tip:x", "ortu:hapus:", "tanya:q:", "tanya:t:", "tanya:t:no_such",
    "tanya:q:no_such_entry", "tanya:q:stunting_what:fr", "tanya:", "lang:xx", "lang:", ":", "x", "🙂", "%s%n",
    "<b>", "ukur:child:1 OR 1=1", "ukur:child:1\n2", "ukur:child:1\n", "ukur:page:０",
]


@pytest.fixture
async def people(bot: BotHarness, api: FakeBotAPI) -> Personas:
    return await seed_personas(bot, api)


async def _forge_all(bot: BotHarness, api: FakeBotAPI, uid: int) -> None:
    message = api.last_message(uid)
    for data in FORGED:
        api.forge_callback(uid, message["message_id"], data)
    await bot._settle(30)


async def test_forged_callback_data_is_answered_politely_everywhere(
        bot: BotHarness, api: FakeBotAPI, people: Personas, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    mark = len(api.calls)
    # Outside any conversation, inside each one, for each role.
    await bot.say(CADRE_ID, "/help")
    await _forge_all(bot, api, CADRE_ID)
    for command in ("/ukur", "/anak_baru", "/jadwal"):
        await bot.say(CADRE_ID, command)
        await _forge_all(bot, api, CADRE_ID)
        await bot.say(CADRE_ID, "/batal")
    await bot.say(COORDINATOR_ID, "/siaran")
    await bot.say(COORDINATOR_ID, "Pengumuman uji")
    await _forge_all(bot, api, COORDINATOR_ID)
    await bot.say(PARENT_ID, "/anakku")
    await _forge_all(bot, api, PARENT_ID)

    assert violations(api, mark) == []
    assert api.unanswered_callback_queries() == []
    forged_answers = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
    assert len(forged_answers) == 6 * len(FORGED)
    assert all("tidak aktif" in str(c.params.get("text") or "") for c in forged_answers)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_every_button_the_bot_sends_parses_with_a_schema(bot: BotHarness, api: FakeBotAPI,
                                                               people: Personas) -> None:
    """The schemas keep the formats unchanged: the buttons of a busy session all fit one."""
    budi = people.demo.child_codes["Budi"]
    for text in ("/ukur", budi, "/batal", "/anak_baru", "/batal", "/jadwal", "/daftar", f"/riwayat {budi}",
                 f"/catat {budi} 10,9 81", "/bahasa", "/koreksi"):
        await bot.say(CADRE_ID, text)
    for text in ("/undang", "/undang kader", "/rekap", "/tindak_lanjut", "/siaran", "Halo semua"):
        await bot.say(COORDINATOR_ID, text)
    await bot.press(COORDINATOR_ID, "Orang tua")
    for text in ("/anakku", "/tips", "/tanya", "kapan mulai MPASI?", "/hapus_saya", "/jadwal"):
        await bot.say(PARENT_ID, text)
    sent = {data for uid in (CADRE_ID, COORDINATOR_ID, PARENT_ID) for _, data in buttons_sent_to(api, uid)}
    assert len(sent) > 40
    assert [data for data in sent if not callbacks.known(data)] == []
