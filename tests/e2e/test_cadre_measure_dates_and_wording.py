"""`/ukur` and `/anak_baru`: year-less dates, impossible suggestions, wording, skipping, paging,
fuzzy names and English examples — through the real Application and the Bot API stand-in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.clock import ManualClock
from bot.demo import CADRE_ID, SECOND_CADRE_ID, DemoPersonas, seed_demo
from bot.services import measurement as svc
from bot.sim.fake_api import FakeBotAPI
from storage.models import ChildCreate, Position, Sex
from tests.e2e.harness import BotHarness, buttons, texts

CADRE = CADRE_ID
# 10:00 WIB on Monday 23 November 2026: "3/12" is still to come this year.
NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, "Sari")
    api.user(SECOND_CADRE_ID, "Rina")
    return personas


def _callback_data(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row if "callback_data" in b]


async def _at_weight(bot: BotHarness, code: str = "A1") -> None:
    await bot.say(CADRE, f"/ukur {code}")
    await bot.press(CADRE, "Hari ini")


# ------------------------------------------------------------------ 1. dates


async def test_date_prompt_example_is_a_past_date(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    assert "misalnya 22/11" in bot.last_text(CADRE)  # yesterday, not "3/12" (still to come)


async def test_yearless_future_date_is_questioned_before_it_is_used(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    replies = await bot.say(CADRE, "3/12")
    assert "3 Desember 2026 belum terjadi. Maksudnya 3 Desember 2025?" in texts(replies)
    assert {"Ya", "Ketik ulang"} <= set(buttons(replies[-1]))
    replies = await bot.press(CADRE, "Ya")
    assert "Berat badan" in texts(replies)
    await bot.say(CADRE, "8,5")
    await bot.say(CADRE, "72")
    replies = await bot.press(CADRE, "Tidak ada ukuran lain")
    assert "3 Desember 2025" in texts(replies)  # the date the cadre agreed to, shown on the card


async def test_yearless_future_date_can_be_typed_again(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.say(CADRE, "3/12")
    replies = await bot.press(CADRE, "Ketik ulang")
    assert "Kapan anak diukur" in texts(replies)
    replies = await bot.say(CADRE, "20/11")  # a past date without a year: taken at once
    assert "Berat badan" in texts(replies)


async def test_impossible_day_of_month_is_named(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    replies = await bot.say(CADRE, "30/2/2025")
    assert "30 Februari tidak ada" in texts(replies)
    assert "tidak bisa saya baca" not in texts(replies)


# ------------------------------------------------------------------ 2./3. suggestions and wording


async def test_muac_without_a_plausible_correction_gets_no_suggestion(bot: BotHarness, demo: DemoPersonas) -> None:
    await _at_weight(bot)
    await bot.say(CADRE, "10,9")
    await bot.say(CADRE, "81,5")
    replies = await bot.say(CADRE, "802")  # 8,0 cm would be impossible too at 1 y 8 m
    text = texts(replies)
    assert "8,0" not in text and "Mungkin maksudnya" not in text
    assert not any(b.startswith("Pakai") for b in buttons(replies[-1]))
    replies = await bot.say(CADRE, "14,5")  # still at the LiLA step
    assert "Lingkar kepala" in texts(replies)


async def test_length_without_a_plausible_correction_gets_no_suggestion(bot: BotHarness,
                                                                        demo: DemoPersonas) -> None:
    await _at_weight(bot, demo.child_codes["Putri"])  # 11 months
    await bot.say(CADRE, "8,1")
    replies = await bot.say(CADRE, "10500")
    text = texts(replies)
    assert "105" not in text.replace("10500", "").replace("10.500", "")
    assert not any(b.startswith("Pakai") for b in buttons(replies[-1]))


async def test_suggestion_text_and_button_match_and_the_value_is_plausible(bot: BotHarness,
                                                                           demo: DemoPersonas) -> None:
    await _at_weight(bot)
    await bot.say(CADRE, "10,9")
    await bot.say(CADRE, "81,5")
    replies = await bot.say(CADRE, "135")  # LiLA: a missing decimal point
    assert "Mungkin maksudnya 13,5 cm?" in texts(replies)
    assert "Pakai 13,5 cm" in buttons(replies[-1])
    replies = await bot.press(CADRE, "Pakai 13,5 cm")
    assert "Lingkar kepala" in texts(replies) and "⚠️" not in texts(replies)


async def test_a_value_who_calls_implausible_can_only_be_kept_as_remeasure(bot: BotHarness,
                                                                          demo: DemoPersonas) -> None:
    """WHO anthro flags (WAZ > +5): 25 kg at 1 y 8 m cannot be confirmed as right (issue 13)."""
    await _at_weight(bot)
    replies = await bot.say(CADRE, "25")
    assert "tidak mungkin untuk anak 1 th 8 bln" in texts(replies) and "Mohon ukur ulang anak" in texts(replies)
    assert not any("benar" in b for b in buttons(replies[-1]))
    await bot.press(CADRE, "perlu ukur ulang")
    await bot.say(CADRE, "81,5")
    replies = await bot.press(CADRE, "Tidak ada ukuran lain")
    assert "perlu ukur ulang" in texts(replies)
    assert "⚠️ Simpan sebagai perlu ukur ulang" in buttons(replies[-1])


async def test_hard_refusal_keeps_not_possible_and_offers_no_confirmation(bot: BotHarness,
                                                                          demo: DemoPersonas) -> None:
    await _at_weight(bot)
    replies = await bot.say(CADRE, "105")
    assert "tidak mungkin" in texts(replies)
    assert not any("sudah benar" in b for b in buttons(replies[-1]))


# ------------------------------------------------------------------ 4. /anak_baru skipping


async def _to_phone(bot: BotHarness) -> None:
    await bot.say(CADRE, "/anak_baru")
    await bot.say(CADRE, "Dewa Putra")
    await bot.say(CADRE, "L")
    await bot.say(CADRE, "1 Jan 2024")
    await bot.say(CADRE, "Made")


async def test_wrong_phone_keeps_the_skip_button(bot: BotHarness, demo: DemoPersonas) -> None:
    await _to_phone(bot)
    replies = await bot.say(CADRE, "08123")
    assert "Lewati" in buttons(replies[-1])
    replies = await bot.press(CADRE, "Lewati")
    assert "NIK" in texts(replies)


@pytest.mark.parametrize("word", ["lewati", "Skip", "-"])
async def test_skip_can_be_typed_at_optional_steps(bot: BotHarness, demo: DemoPersonas, word: str) -> None:
    await _to_phone(bot)
    await bot.say(CADRE, "08123")
    replies = await bot.say(CADRE, word)  # after an error, at the phone step
    assert "NIK" in texts(replies)
    replies = await bot.say(CADRE, "12345")
    assert "Lewati" in buttons(replies[-1])  # a wrong NIK keeps [Lewati] too
    replies = await bot.say(CADRE, word)
    assert "RT/RW" in texts(replies)
    replies = await bot.say(CADRE, word)
    card = texts(replies)
    assert "Dewa Putra" in card and "Daftarkan" in buttons(replies[-1])[0]


# ------------------------------------------------------------------ 5. child picker


async def test_child_picker_pages_through_every_unmeasured_child(bot: BotHarness, demo: DemoPersonas) -> None:
    repos = bot.runtime.repos
    melati = demo.posyandu_ids[0]
    for name in ("Zaki Anwar", "Zahra Ayu", "Zulfa Amalia"):
        await repos.children.create(ChildCreate(name=name, sex=Sex.MALE, birth_date=TODAY - dt.timedelta(days=400),
                                                posyandu_id=melati))
    budi = await repos.children.get_by_code("A1")
    await svc.save(repos, budi, svc.Draft(child_id=budi.id, measured_on=TODAY, weight_kg=Decimal("10.9"),
                                          length_cm=Decimal("81.5"), position=Position.LYING), entered_by=CADRE)
    replies = await bot.say(CADRE, "/ukur")
    first = [b for b in buttons(replies[-1]) if "(" in b]
    assert len(first) == 8 and "➡️ Lainnya" in buttons(replies[-1])
    assert all(len(d.encode()) <= 64 for d in _callback_data(replies[-1]))
    replies = await bot.press(CADRE, "➡️ Lainnya")
    second = [b for b in buttons(replies[-1]) if "(" in b]
    assert "➡️ Lainnya" not in buttons(replies[-1])
    names = [b.split(" (")[0] for b in first + second]
    assert len(names) == 10 and len(set(names)) == 10  # 11 children, Budi measured this month
    assert "Budi Santoso" not in names and {"Zaki Anwar", "Zahra Ayu", "Zulfa Amalia"} <= set(names)
    replies = await bot.press(CADRE, "Zulfa Amalia")
    assert "Kapan anak diukur" in texts(replies)


async def test_misspelt_name_finds_the_child(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur")
    replies = await bot.say(CADRE, "budy")
    assert "Budi Santoso" in texts(replies) and "Kapan anak diukur" in texts(replies)


async def test_fuzzy_search_stays_inside_the_cadres_posyandu(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(SECOND_CADRE_ID, "/ukur")  # Posyandu Mawar: Budi is at Melati
    replies = await bot.say(SECOND_CADRE_ID, "budy")
    assert "Budi" not in texts(replies).replace("“budy”", "")
    assert "Tidak ada anak" in texts(replies)


# ------------------------------------------------------------------ 6./7. examples and units


async def test_english_prompts_use_english_number_and_date_conventions(bot: BotHarness, api: FakeBotAPI,
                                                                       demo: DemoPersonas) -> None:
    api.user(CADRE, "Sari", language_code="en")
    await bot.runtime.repos.users.set_language(CADRE, "en")
    replies = await bot.say(CADRE, "/ukur A1")
    assert "for example 22/11" in texts(replies)
    replies = await bot.say(CADRE, "abc")
    assert "22/11/2026 or 22 Nov" in texts(replies)
    replies = await bot.press(CADRE, "Today")
    assert "for example 10.5" in texts(replies) and "10,5" not in texts(replies)
    replies = await bot.say(CADRE, "10.9")
    assert "for example 82.5" in texts(replies)
    await bot.say(CADRE, "81.5")
    assert "for example 13.5" in bot.last_text(CADRE)


async def test_indonesian_prompts_use_indonesian_conventions(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    replies = await bot.say(CADRE, "abc")
    assert "22/11/2026 atau 22 Nov" in texts(replies)
    replies = await bot.press(CADRE, "Hari ini")
    assert "misalnya 10,5" in texts(replies)


async def test_weight_step_mentions_only_kg_and_length_step_only_cm(bot: BotHarness, demo: DemoPersonas) -> None:
    await _at_weight(bot)
    replies = await bot.say(CADRE, "sepuluh koma 5 kilo")
    assert "kg atau g" in texts(replies) and "cm" not in texts(replies)
    await bot.say(CADRE, "10,9")
    replies = await bot.say(CADRE, "delapan puluh 1 senti")
    assert "boleh dengan cm" in texts(replies) and "kg" not in texts(replies)


async def test_kemarin_is_taken_without_a_year_question(bot: BotHarness, demo: DemoPersonas) -> None:
    """'kemarin' is yesterday, never a date rolled back a year."""
    await bot.say(CADRE_ID, "/ukur A1")
    replies = await bot.say(CADRE_ID, "kemarin")
    assert "belum terjadi" not in texts(replies)
    assert "Berat badan" in texts(replies)
