"""The foundation through the real Application and the stand-in: greetings, languages, safety net."""

from __future__ import annotations

import time

from telegram.ext import CommandHandler

from bot.context import BotContext
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts


async def test_start_greets_in_indonesian(bot: BotHarness, api: FakeBotAPI) -> None:
    """A new user with an Indonesian Telegram client is greeted in Indonesian."""
    api.user(501, "Sari", language_code="id")
    replies = await bot.say(501, "/start")
    assert "Halo Sari" in texts(replies)
    assert "/bahasa" in texts(replies)


async def test_start_greets_in_english_for_english_clients(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(502, "Anne", language_code="en")
    replies = await bot.say(502, "/start")
    assert "Hello Anne" in texts(replies)


async def test_language_can_be_switched_and_is_remembered(bot: BotHarness, api: FakeBotAPI) -> None:
    """/bahasa offers both languages; the choice sticks across a restart."""
    api.user(503, "Budi", language_code="id")
    replies = await bot.say(503, "/bahasa")
    assert buttons(replies[-1]) == ["🇮🇩 Bahasa Indonesia", "🇬🇧 English"]
    await bot.press(503, "English")
    assert "English" in bot.last_text(503)
    await bot.restart()
    replies = await bot.say(503, "/start")
    assert "Hello Budi" in texts(replies)


async def test_unknown_command_gets_a_hint(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(504, "Tono")
    replies = await bot.say(504, "/terbang")
    assert "/terbang" in texts(replies)
    assert "/help" in texts(replies)


async def test_sticker_gets_a_text_only_answer(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(505, "Rina")
    api.send_sticker(505)
    await api.wait_idle()
    assert "teks" in bot.last_text(505)


async def test_a_crash_in_a_handler_gets_a_polite_reply(bot: BotHarness, api: FakeBotAPI) -> None:
    """The error handler answers instead of leaving the user in silence."""

    async def boom(update: object, context: BotContext) -> None:
        raise RuntimeError("simulated bug")

    assert bot.app is not None
    bot.app.add_handler(CommandHandler("boom", boom), group=-100)  # type: ignore[arg-type]
    api.user(506, "Ani")
    replies = await bot.say(506, "/boom")
    assert "Maaf" in texts(replies)
    assert "/batal" in texts(replies)


async def test_429_on_send_message_is_waited_out(bot: BotHarness, api: FakeBotAPI) -> None:
    """Telegram's flood control answer is honoured (retry_after) and the message still arrives once."""
    api.user(507, "Dedi")
    api.inject("sendMessage", "429", retry_after=1, times=1)
    started = time.monotonic()
    replies = await bot.say(507, "/help")
    assert len(replies) == 1
    assert "/bahasa" in texts(replies)
    assert time.monotonic() - started >= 1.0
    statuses = [c.error["error_code"] if c.error else 200 for c in api.calls if c.method == "sendMessage"]
    assert statuses[-2:] == [429, 200]


async def test_batal_outside_a_conversation(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(508, "Eka")
    replies = await bot.say(508, "/batal")
    assert "Tidak ada" in texts(replies)


async def test_command_menu_is_set_in_both_languages(bot: BotHarness, api: FakeBotAPI) -> None:
    calls = [c for c in api.calls if c.method == "setMyCommands"]
    langs = {c.params.get("language_code") for c in calls}
    assert langs == {None, "en"}


async def test_start_for_a_known_cadre_is_short_and_points_to_the_work(bot: BotHarness, api: FakeBotAPI) -> None:
    from bot.demo import CADRE_ID, seed_demo

    await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, "Sari")
    replies = await bot.say(CADRE_ID, "/start")
    assert "Selamat datang kembali" in texts(replies) and "/ukur" in texts(replies)


async def test_a_cadre_typing_a_measurement_without_command_gets_the_syntax(
        bot: BotHarness, api: FakeBotAPI) -> None:
    from bot.demo import CADRE_ID, seed_demo

    await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, "Sari")
    replies = await bot.say(CADRE_ID, "A2 10,5 80")
    assert "/catat A2 10,5 80" in texts(replies)
