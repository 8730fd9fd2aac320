"""Ask a person, end to end: a parent's question reaches the cadres (and health worker) of the child's posyandu
and nobody else, a cadre answers by replying, the first reply wins, an unanswered question goes to the
coordinator after one working day (clock injected), and nothing is lost across a restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services import parent_threads
from bot.sim.fake_api import FakeBotAPI
from storage.models import Role
from tests.e2e.harness import BotHarness, buttons, texts
from tests.e2e.parent_support import (
    CADRE_A,
    CADRE_B,
    CADRE_OTHER,
    COORDINATOR,
    HEALTH_WORKER,
    PARENT,
    Area,
    child_at,
    link,
    question_copies,
    reply,
    run_threads,
    seed_area,
    wib,
)

MONDAY_10 = wib(2026, 12, 7, 10)  # Monday 7 December 2026, 10.00 WIB


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_10.astimezone(dt.UTC))


@pytest.fixture
async def abot(api: FakeBotAPI, tmp_path: Path, clock: ManualClock) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "ask.db", clock=clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def _family(bot: BotHarness, api: FakeBotAPI) -> Area:
    repos = bot.runtime.repos
    area = await seed_area(repos, api)
    budi = await child_at(repos, area.melati, "Budi Santoso", dt.date(2025, 3, 1))
    await link(repos, api, PARENT, budi)
    return area


async def _ask(bot: BotHarness, question: str) -> str:
    await bot.say(PARENT, "/tanya_kader")
    return texts(await bot.say(PARENT, question))


async def test_the_question_reaches_the_posyandu_cadres_and_health_worker_only(abot: BotHarness,
                                                                                api: FakeBotAPI) -> None:
    await _family(abot, api)
    prompt = texts(await abot.say(PARENT, "/tanya_kader"))
    assert "Tulis pertanyaan" in prompt and "Nomor HP Ibu/Bapak tidak ditampilkan" in prompt
    done = texts(await abot.say(PARENT, "Bu, anak saya susah tidur malam, pengaruh ke tumbuhnya?"))
    assert "Terkirim ke kader Posyandu Melati" in done
    for uid in (CADRE_A, CADRE_B, HEALTH_WORKER):
        [copy] = question_copies(api, uid)
        text = copy["text"]
        assert "Pertanyaan orang tua #1 · Posyandu Melati" in text
        assert "Anak: A1 · laki-laki" in text and "Status: belum pernah ditimbang" in text
        assert "susah tidur malam" in text
        assert "0812" not in text and "Siti" not in text and "Budi" not in text  # no phone, no names
    assert question_copies(api, CADRE_OTHER) == []  # another posyandu's cadre never sees it
    assert question_copies(api, COORDINATOR) == []  # the coordinator only after a working day


async def test_a_cadre_reply_reaches_the_parent_and_the_first_reply_wins(abot: BotHarness, api: FakeBotAPI) -> None:
    await _family(abot, api)
    await _ask(abot, "Anak saya susah makan sayur, bagaimana?")
    [copy_a] = question_copies(api, CADRE_A)
    [copy_b] = question_copies(api, CADRE_B)
    thanks = await reply(abot, api, CADRE_A, copy_a["message_id"], "Coba sayur dicampur ke lauk kesukaannya, Bu.")
    assert "sudah dikirim ke orang tua" in texts(thanks)
    answer = abot.last(PARENT)
    assert "Jawaban dari Sari (kader posyandu, Posyandu Melati)" in answer["text"]
    assert "Coba sayur dicampur" in answer["text"] and "susah makan sayur" in answer["text"]
    assert "🙋 Tanya lagi" in buttons(answer)
    edited = next(m for m in api.messages(CADRE_B) if m["message_id"] == copy_b["message_id"])
    assert "Sudah dijawab oleh Sari" in edited["text"]  # the other cadre sees it was answered
    late = await reply(abot, api, CADRE_B, copy_b["message_id"], "Beri buah juga ya Bu")
    assert "sudah dijawab oleh Sari" in texts(late)
    assert "Beri buah" not in texts(api.messages(PARENT))  # only the first answer reaches the parent


async def test_an_unanswered_question_goes_to_the_coordinator_after_one_working_day(
        abot: BotHarness, api: FakeBotAPI, clock: ManualClock) -> None:
    """docs/parents.md: asked Monday 10.00, due Tuesday 16.00 (the end of the next whole working day)."""
    await _family(abot, api)
    await _ask(abot, "Kapan anak boleh makan telur?")
    clock.set(wib(2026, 12, 8, 15, 59).astimezone(dt.UTC))
    assert (await run_threads(abot, api)).escalated == 0
    assert question_copies(api, COORDINATOR) == []
    await abot.restart()  # the deadline is in the database, not in a timer
    clock.set(wib(2026, 12, 8, 16, 0).astimezone(dt.UTC))
    assert (await run_threads(abot, api)).escalated == 1
    [copy] = question_copies(api, COORDINATOR)
    assert copy["text"].startswith("⏰ Belum dijawab selama satu hari kerja")
    assert "Kapan anak boleh makan telur?" in copy["text"]
    assert (await run_threads(abot, api)).escalated == 0  # once only
    assert len(question_copies(api, COORDINATOR)) == 1
    await reply(abot, api, COORDINATOR, copy["message_id"], "Boleh sejak 6 bulan, Bu.")
    assert "Jawaban dari Dewi (koordinator" in abot.last_text(PARENT)
    assert "Boleh sejak 6 bulan" in abot.last_text(PARENT)


async def test_a_friday_evening_question_waits_for_monday(abot: BotHarness, api: FakeBotAPI,
                                                          clock: ManualClock) -> None:
    """docs/parents.md: the weekend is not a working day; due Monday 16.00."""
    await _family(abot, api)
    clock.set(wib(2026, 12, 11, 19).astimezone(dt.UTC))  # Friday 19.00
    await _ask(abot, "Anak demam sejak sore, harus bagaimana?")
    clock.set(wib(2026, 12, 14, 15).astimezone(dt.UTC))  # Monday 15.00
    assert (await run_threads(abot, api)).escalated == 0
    clock.set(wib(2026, 12, 14, 16).astimezone(dt.UTC))
    assert (await run_threads(abot, api)).escalated == 1


async def test_a_cadre_moved_to_another_posyandu_can_no_longer_answer(abot: BotHarness, api: FakeBotAPI) -> None:
    area = await _family(abot, api)
    await _ask(abot, "Anak saya batuk, boleh imunisasi?")
    [copy] = question_copies(api, CADRE_A)
    await abot.runtime.repos.users.set_role(CADRE_A, Role.CADRE, posyandu_id=area.mawar.id)
    refused = await reply(abot, api, CADRE_A, copy["message_id"], "Boleh")
    assert "di luar wilayah" in texts(refused)
    assert "Jawaban dari" not in texts(api.messages(PARENT))


async def test_a_cadre_of_another_posyandu_does_not_see_it_in_her_list(abot: BotHarness, api: FakeBotAPI) -> None:
    await _family(abot, api)
    await _ask(abot, "Berapa kali anak harus makan?")
    assert "Tidak ada pertanyaan orang tua" in texts(await abot.say(CADRE_OTHER, "/pertanyaan"))
    listed = await abot.say(CADRE_B, "/pertanyaan")
    assert "1 pertanyaan orang tua belum dijawab" in texts(listed)
    again = [m for m in listed if str(m.get("text", "")).startswith("🙋")]
    assert again and "Berapa kali anak harus makan?" in again[0]["text"]
    await reply(abot, api, CADRE_B, again[0]["message_id"], "Tiga kali makan dan dua kali selingan.")
    assert "Tiga kali makan" in abot.last_text(PARENT)


async def test_a_question_stored_before_a_crash_is_sent_after_the_restart(abot: BotHarness, api: FakeBotAPI) -> None:
    """Copies are rows: one stored but never sent (the process died) goes out with the next run."""
    await _family(abot, api)
    repos = abot.runtime.repos
    result = await parent_threads.ask(repos, PARENT, "Anak saya pucat, kurang darah?", abot.runtime.clock.now())
    assert result.outcome is parent_threads.AskOutcome.SENT
    assert question_copies(api, CADRE_A) == []
    await abot.restart()
    assert (await run_threads(abot, api)).copies_sent == 3
    assert len(question_copies(api, CADRE_A)) == 1
    assert (await run_threads(abot, api)).copies_sent == 0  # never twice


async def test_the_last_question_typed_can_be_sent_with_one_tap(abot: BotHarness, api: FakeBotAPI) -> None:
    await _family(abot, api)
    await abot.say(PARENT, "jadwal kereta ke surabaya besok jam berapa")  # nothing in the catalog
    offered = await abot.press(PARENT, "Tanya kader/bidan")
    assert any("Kirim: «jadwal kereta" in b for b in buttons(offered[-1]))
    done = await abot.press(PARENT, "Kirim:")
    assert "Terkirim" in texts(done)
    assert "jadwal kereta" in question_copies(api, CADRE_A)[0]["text"]


async def test_a_parent_without_a_linked_child_is_told_to_link_first(abot: BotHarness, api: FakeBotAPI) -> None:
    api.user(5299, "Tamu")
    assert "hubungkan anak dulu" in texts(await abot.say(5299, "/tanya_kader"))


async def test_cancel_sends_nothing(abot: BotHarness, api: FakeBotAPI) -> None:
    await _family(abot, api)
    await abot.say(PARENT, "/tanya_kader")
    assert "tidak ada yang dikirim" in texts(await abot.say(PARENT, "/batal"))
    assert question_copies(api, CADRE_A) == []
