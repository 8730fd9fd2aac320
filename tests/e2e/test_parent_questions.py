"""Parent journey, end to end: questions in free text (Indonesian, slang, Javanese, English), choices when
unsure, an honest answer when nothing fits, /tanya topics, and non-text messages."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.services.faq import load_catalog
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts

HELD_OUT = Path(__file__).resolve().parents[1] / "data" / "faq_paraphrases.toml"


async def test_a_clear_question_gets_the_answer_with_its_source(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(801, "Siti")
    replies = await bot.say(801, "jadwal imunisasi bayi apa aja ya bu")
    text = texts(replies)
    assert "BCG" in text and "campak-rubela" in text
    assert "Sumber: Kemenkes RI, KMK HK.01.07/MENKES/2015/2023" in text
    assert "kader, bidan, atau puskesmas" in text


async def test_slang_and_javanese_are_understood(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(802, "Sri")
    replies = await bot.say(802, "anakku mencret wis 3 dino, piye iki")
    assert "oralit" in texts(replies)


async def test_an_english_question_is_answered_in_english(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(803, "Maya", language_code="id")
    replies = await bot.say(803, "my baby has a fever, what should I do?")
    text = texts(replies)
    assert "lukewarm water" in text
    assert "Source:" in text


async def test_a_vague_question_is_answered_and_the_next_choices_are_a_tap_away(bot: BotHarness,
                                                                                api: FakeBotAPI) -> None:
    api.user(804, "Rina")
    replies = await bot.say(804, "anak makan")
    labels = buttons(replies[-1])
    others = [label for label in labels if label.startswith("🔎 ")]
    assert 1 <= len(others) <= 2 and "🙋 Tanya kader/bidan" in labels
    entry = next(e for e in load_catalog().entries if e.question("id") == others[0].removeprefix("🔎 "))
    replies = await bot.press(804, others[0])
    assert entry.answer("id").splitlines()[0] in texts(replies)


async def test_a_weak_match_offers_choices_and_a_person(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(811, "Rina")
    replies = await bot.say(811, "bayi rewel")
    labels = buttons(replies[-1])
    assert "Maksud Ibu/Bapak" in texts(replies)
    assert labels[-2:] == ["Tidak ada yang cocok", "🙋 Tanya kader/bidan"]
    entry = next(e for e in load_catalog().entries if e.question("id") == labels[0])
    replies = await bot.press(811, labels[0])
    assert entry.answer("id").splitlines()[0] in texts(replies)


async def test_none_of_these_is_answered_honestly(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(805, "Tuti")
    await bot.say(805, "bayi rewel")
    replies = await bot.press(805, "Tidak ada yang cocok")
    assert "puskesmas" in texts(replies)
    assert "🙋 Tanya kader/bidan" in buttons(replies[-1])


async def test_an_unrelated_question_gets_an_honest_no(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(806, "Wati")
    replies = await bot.say(806, "jadwal kereta ke surabaya besok jam berapa")
    text = texts(replies)
    assert "belum punya jawaban" in text
    assert "kader posyandu" in text and "puskesmas" in text


async def test_thanks_and_greetings_are_answered_politely(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(807, "Ani")
    assert "Sama-sama" in texts(await bot.say(807, "makasih bu 🙏"))
    assert "Halo" in texts(await bot.say(807, "halo"))


async def test_topics_menu_leads_to_an_answer(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(808, "Eni")
    replies = await bot.say(808, "/tanya")
    assert "💉 Imunisasi" in buttons(replies[-1])
    replies = await bot.press(808, "Imunisasi")
    assert "Apa saja jadwal imunisasi bayi?" in buttons(replies[-1])
    replies = await bot.press(808, "Apa saja jadwal imunisasi bayi?")
    assert "HB0" in texts(replies)


async def test_a_voice_note_gets_the_text_only_answer(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(809, "Yanti")
    api.send_voice(809)
    await api.wait_idle()
    assert "teks" in bot.last_text(809)


async def test_held_out_paraphrases_through_the_bot(bot: BotHarness, api: FakeBotAPI) -> None:
    """The held-out set through the real Application: the expected answer is the reply, or the first choice."""
    with HELD_OUT.open("rb") as fh:
        cases = tomllib.load(fh)["case"]
    catalog = load_catalog()
    api.user(810, "Ibu")
    hits = 0
    for case in cases:
        replies = await bot.say(810, case["text"])
        want = catalog.get(case["expect"])
        assert want is not None
        text = texts(replies)
        # On topic at once, or one tap away (a "did you mean" button under the answer, or a choice).
        labels = [label.removeprefix("🔎 ") for label in buttons(replies[-1])] if replies else []
        if want.question("id") in text or want.question("en") in text or {
                want.question("id"), want.question("en")} & set(labels):
            hits += 1
    assert hits / len(cases) >= 0.8, hits


async def test_a_question_about_one_vaccine_gets_its_lines_first(bot: BotHarness, api: FakeBotAPI) -> None:
    api.user(802, "Rina")
    [reply] = await bot.say(802, "kapan imunisasi campak?")
    head, _, rest = reply["text"].partition("Jadwal imunisasi rutin")
    assert "👉 9 bulan: campak-rubela (MR 1), IPV 2" in head and "👉 18 bulan: DPT-HB-Hib 4, MR 2" in head
    assert "• 1 bulan: BCG, polio tetes 1" in rest  # the whole schedule still follows
    [general] = await bot.say(802, "jadwal imunisasi bayi apa saja?")
    assert "👉" not in general["text"]
