"""A sticker in the middle of an entry, and /start with an entry still open — the pending question is
asked again and nothing typed so far is lost (through the real Application and the Bot API stand-in)."""

from __future__ import annotations

import pytest

from bot.demo import CADRE_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts

CADRE = CADRE_ID
NOT_TEXT = "bukan stiker, foto, atau pesan suara"


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, "Sari")
    return personas


async def test_sticker_mid_ukur_repeats_the_question_and_keeps_the_answers(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "10,9")
    replies = await bot.sticker(CADRE)
    assert NOT_TEXT in texts(replies)
    assert "panjang" in texts(replies).lower()  # the length question again, not the start
    await bot.say(CADRE, "81,5")
    await bot.press(CADRE, "Tidak ada ukuran lain")
    assert "BB 10,9 kg" in bot.last_text(CADRE)  # the weight typed before the sticker is still there
    assert "Tersimpan" in texts(await bot.press(CADRE, "Simpan"))


async def test_sticker_on_the_confirmation_shows_the_card_again(bot: BotHarness, demo: DemoPersonas) -> None:
    for step in ("/ukur A1", "@Hari ini", "10,9", "81,5", "@Tidak ada ukuran lain"):
        await (bot.press(CADRE, step[1:]) if step.startswith("@") else bot.say(CADRE, step))
    replies = await bot.sticker(CADRE)
    assert NOT_TEXT in texts(replies)
    assert "Simpan" in " ".join(buttons(replies[-1]))


async def test_sticker_mid_anak_baru_repeats_the_question(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/anak_baru")
    await bot.say(CADRE, "Dewi Lestari")
    replies = await bot.sticker(CADRE)
    assert NOT_TEXT in texts(replies)
    assert "Laki-laki atau perempuan?" in texts(replies) or any("laki" in b.lower() for b in buttons(replies[-1]))


async def test_start_mid_ukur_names_the_open_entry_and_asks_again(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    await bot.restart()  # also after a restart of the bot
    replies = await bot.say(CADRE, "/start")
    text = texts(replies)
    assert "Selamat datang kembali" in text
    assert "Ada isian yang belum selesai untuk Budi Santoso (A1)" in text
    assert "berat" in replies[-1]["text"].lower()  # the weight question, where the cadre left off
    await bot.say(CADRE, "10,9")
    assert "panjang" in bot.last_text(CADRE).lower()


async def test_start_without_open_entry_says_nothing_more(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/start")
    assert len(replies) == 1 and "belum selesai" not in texts(replies)
    await bot.say(CADRE, "/ukur A1")
    await bot.say(CADRE, "/batal")
    replies = await bot.say(CADRE, "/start")
    assert len(replies) == 1


async def test_a_locked_database_at_the_flush_loses_no_step(bot: BotHarness, demo: DemoPersonas,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The flush after an update fails once (database locked): the cadre still gets the next question, no
    apology, and the step reaches the database with the next flush (so it survives a restart)."""
    from storage.errors import DatabaseLocked

    db = bot.runtime.db
    real_atomic = db.atomic
    failures = []

    async def locked_once(work: object) -> object:
        if not failures:
            failures.append(1)
            raise DatabaseLocked()
        return await real_atomic(work)  # type: ignore[arg-type]

    await bot.say(CADRE, "/ukur A1")
    monkeypatch.setattr(db, "atomic", locked_once)
    replies = await bot.press(CADRE, "Hari ini")
    assert failures and "berat" in replies[-1]["text"].lower()
    assert "Maaf" not in texts(replies)
    await bot.say(CADRE, "10,9")  # this update's flush also writes the refused one
    monkeypatch.setattr(db, "atomic", real_atomic)
    await bot.restart()
    replies = await bot.sticker(CADRE)  # the open entry is still at the length question
    assert "panjang" in texts(replies).lower()


async def test_sticker_while_a_suggestion_is_open_keeps_the_suggestion(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "109")  # 109 kg: a decimal point missing, "Pakai 10,9 kg?"
    assert any("Pakai 10,9 kg" in b for b in buttons(bot.last(CADRE)))
    replies = await bot.sticker(CADRE)
    assert NOT_TEXT in texts(replies) and "tombol di atas" in texts(replies)
    replies = await bot.press(CADRE, "Pakai 10,9 kg")  # the suggestion still works
    assert "panjang" in texts(replies).lower()


async def test_starting_siaran_ends_an_open_ukur_so_the_photo_goes_to_the_announcement(
        bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    from bot.demo import COORDINATOR_ID

    api.user(COORDINATOR_ID, "Koordinator")
    await bot.say(COORDINATOR_ID, "/ukur A1")
    await bot.say(COORDINATOR_ID, "/siaran")
    api.send_photo(COORDINATOR_ID, caption="Posyandu pindah ke balai RW")
    await api.wait_idle()
    reply = bot.last(COORDINATOR_ID)
    assert NOT_TEXT not in reply.get("text", "")
    assert any("orang tua" in b.lower() for b in buttons(reply))  # the announcement asks for its audience
