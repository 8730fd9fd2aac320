"""Updates of one chat are handled in order even though different chats run concurrently."""

from __future__ import annotations

from bot.demo import CADRE_ID, SECOND_CADRE_ID, seed_demo
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, texts


async def test_a_burst_from_one_chat_keeps_its_order_in_a_conversation(bot: BotHarness, api: FakeBotAPI) -> None:
    """A cadre on a bad connection: four queued messages arrive at once and the entry is still complete.

    With PTB's plain concurrent_updates the follow-ups overtake each other and the conversation loses them.
    """
    await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, "Sari")
    api.user(SECOND_CADRE_ID, "Rina")
    await bot.say(CADRE_ID, "/ukur A1")
    await bot.press(CADRE_ID, "Hari ini")
    before = len(api.messages(CADRE_ID))
    # No waiting in between: the updates sit in one getUpdates batch, interleaved with another chat.
    api.send_message(CADRE_ID, "10,9")
    api.send_message(SECOND_CADRE_ID, "/help")
    api.send_message(CADRE_ID, "81,5")
    api.send_message(SECOND_CADRE_ID, "/daftar")
    await api.wait_idle(update_queue=bot.app.update_queue if bot.app else None)
    replies = api.messages(CADRE_ID)[before:]
    assert "berbaring" in texts(replies[:1]) and "LiLA" not in texts(replies[:1])  # weight taken: length asked
    assert "LiLA" in texts(replies[1:])  # ... then the length was taken: the optional extras are asked
    await bot.press(CADRE_ID, "Tidak ada ukuran lain")
    card = await bot.press(CADRE_ID, "Simpan")
    assert "10,9 kg" in texts(card) and "81,5 cm" in texts(card)
    assert len(api.messages(SECOND_CADRE_ID)) == 2  # the other cadre was answered too
