"""`/catat` and `/anak_baru`, in line with `/ukur`: year-less dates that have not come yet, impossible
dates, "unusual" versus "not possible", plausible suggestions only, and examples in the user's conventions —
through the real Application and the Bot API stand-in."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import ManualClock
from bot.demo import CADRE_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI
from storage.models import Measurement
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
    return personas


async def _history(bot: BotHarness, code: str) -> list[Measurement]:
    child = await bot.runtime.repos.children.get_by_code(code)
    assert child is not None
    return list(await bot.runtime.repos.measurements.history_for_child(child.id))


# ------------------------------------------------------------------ 1. /catat: a year-less date still to come


async def test_catat_yearless_future_date_is_asked_before_saving(bot: BotHarness, demo: DemoPersonas) -> None:
    before = await _history(bot, "A1")
    replies = await bot.say(CADRE, "/catat A1 10,9 81,5 tgl 3/12")
    assert "3 Desember 2026 belum terjadi. Maksudnya 3 Desember 2025?" in texts(replies)
    assert {"Ya", "Ketik ulang"} <= set(buttons(replies[-1]))
    assert await _history(bot, "A1") == before  # nothing saved while the question is open


async def test_catat_yearless_future_date_is_saved_after_yes(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/catat A1 10,9 81,5 tgl 3/12")
    await bot.restart()  # the parsed line waits in user_data, which survives a restart
    replies = await bot.press(CADRE, "Ya")
    assert "Tersimpan" in texts(replies)
    saved = [m for m in await _history(bot, "A1") if m.measured_on == dt.date(2025, 12, 3)]
    assert [(m.weight_kg, m.length_cm) for m in saved] == [(10.9, 81.5)]
    assert bot.api.unanswered_callback_queries() == []


async def test_catat_yearless_future_date_type_again_saves_nothing(bot: BotHarness, demo: DemoPersonas) -> None:
    before = await _history(bot, "A1")
    await bot.say(CADRE, "/catat A1 10,9 81,5 tgl 3/12")
    replies = await bot.press(CADRE, "Ketik ulang")
    text = texts(replies)
    assert "Kirim /catat lagi" in text and "tgl 22/11" in text
    assert await _history(bot, "A1") == before


async def test_catat_date_buttons_work_once(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/catat A1 10,9 81,5 tgl 3/12")
    question = bot.api.last_message(CADRE)
    bot.api.press_button(CADRE, question["message_id"], "catat:date:yes")
    bot.api.press_button(CADRE, question["message_id"], "catat:date:yes")  # a double tap
    await bot.say(CADRE, "/catat A1 10,9")  # let the updates settle
    saved = [m for m in await _history(bot, "A1") if m.measured_on == dt.date(2025, 12, 3)]
    assert len(saved) == 1


async def test_catat_past_yearless_date_and_kemarin_are_not_questioned(bot: BotHarness,
                                                                      demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 10,9 81,5 tgl 20/11")
    assert "Tersimpan" in texts(replies) and "belum terjadi" not in texts(replies)
    replies = await bot.say(CADRE, "/catat A5 14,4 97 kemarin")
    assert "Tersimpan" in texts(replies) and "belum terjadi" not in texts(replies)
    assert [m.measured_on for m in await _history(bot, "A5")][-1] == TODAY - dt.timedelta(days=1)


async def test_catat_date_with_a_year_is_not_questioned(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 10,9 81,5 tgl 3/12/2025")
    assert "Tersimpan" in texts(replies) and "belum terjadi" not in texts(replies)


async def test_catat_asks_about_the_code_before_the_date(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A99 10,9 tgl 3/12")
    assert "Tidak ada anak dengan kode A99" in texts(replies) and "belum terjadi" not in texts(replies)


# ------------------------------------------------------------------ 2. /catat: date errors


@pytest.mark.parametrize("line", ["/catat A1 10,9 30/2/2025", "/catat A1 10,9 tgl 30/2/2025",
                                  "/catat A1 10,9 tgl 30 Feb 2025"])
async def test_catat_impossible_date_is_named(bot: BotHarness, demo: DemoPersonas, line: str) -> None:
    replies = await bot.say(CADRE, line)
    assert "30 Februari tidak ada" in texts(replies)
    assert "misalnya 22/11" in texts(replies)  # a past example, never "3/12"


async def test_catat_future_date_example_is_a_past_date(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 10,9 tgl 2026-12-03")
    assert "masa depan" in texts(replies) and "misalnya 22/11" in texts(replies)


# ------------------------------------------------------------------ 3./4. wording and suggestions


async def test_catat_implausible_value_is_impossible_and_only_kept_as_remeasure(bot: BotHarness,
                                                                              demo: DemoPersonas) -> None:
    """WHO anthro flags: never "save as typed" for 25 kg at 1 y 8 m; kept, it is "perlu ukur ulang"."""
    replies = await bot.say(CADRE, "/catat A1 25 81")
    text = texts(replies)
    assert "tidak mungkin untuk anak 1 th 8 bln" in text and "tidak biasa" not in text
    assert "⚠️ Simpan sebagai perlu ukur ulang" in buttons(replies[-1])
    assert "Sudah diukur ulang, benar" not in buttons(replies[-1])


async def test_catat_change_warning_is_unusual_and_confirmable(bot: BotHarness, demo: DemoPersonas) -> None:
    """A drop of more than 1 kg may be right (the earlier weighing may be wrong): confirmable after re-weighing."""
    replies = await bot.say(CADRE, "/catat A1 9,0 81")  # 10,3 kg last month
    text = texts(replies)
    assert "turun lebih dari 1 kg" in text and "tidak mungkin" not in text
    assert "Sudah diukur ulang, benar" in buttons(replies[-1])


async def test_catat_hard_refusal_stays_not_possible(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 105 81")
    text = texts(replies)
    assert "tidak mungkin untuk anak 1 th 8 bln" in text and "10,5 kg" in text and "tidak biasa" not in text
    assert "Simpan apa adanya" not in buttons(replies[-1])


async def test_catat_implausible_correction_is_not_suggested(bot: BotHarness, demo: DemoPersonas) -> None:
    # LiLA 802 cm: 80,2 is out of range and 8,0 cm impossible at 1 y 8 m, so there is nothing to suggest.
    replies = await bot.say(CADRE, "/catat A1 10,9 81,5 lila 802")
    text = texts(replies)
    assert "8,0" not in text and "Mungkin maksudnya" not in text
    assert not any(b.startswith("Pakai") for m in replies for b in buttons(m))
    assert "di luar ukuran balita" in text


# ------------------------------------------------------------------ 5. /anak_baru: birth date without a year


async def _at_birth_date(bot: BotHarness) -> None:
    await bot.say(CADRE, "/anak_baru")
    await bot.say(CADRE, "Citra Kirana")
    await bot.press(CADRE, "P — perempuan")


async def test_birth_date_without_a_year_asks_for_the_year(bot: BotHarness, demo: DemoPersonas) -> None:
    await _at_birth_date(bot)
    replies = await bot.say(CADRE, "3/12")  # would silently have become 3 December 2025
    assert "Tulis tahunnya juga, misalnya 3/12/2025." in texts(replies)
    replies = await bot.say(CADRE, "3/12/2025")
    assert "Nama ibu" in texts(replies) or "ibu" in texts(replies).lower()


async def test_birth_date_word_month_without_a_year_asks_for_the_year(bot: BotHarness,
                                                                      demo: DemoPersonas) -> None:
    await _at_birth_date(bot)
    replies = await bot.say(CADRE, "15 Nov")
    assert "Tulis tahunnya juga, misalnya 15/11/2026." in texts(replies)


# ------------------------------------------------------------------ 6. examples in the user's conventions


async def test_catat_example_uses_english_numbers_in_english(bot: BotHarness, api: FakeBotAPI,
                                                           demo: DemoPersonas) -> None:
    api.user(CADRE_ID, "Sari", language_code="en")
    await bot.runtime.repos.users.set_language(CADRE_ID, "en")
    replies = await bot.say(CADRE, "/catat A1 sepuluh")
    text = texts(replies)
    assert "/catat A12 10.5 82" in text and "10,5" not in text and "tgl 22/11" in text


async def test_catat_example_uses_indonesian_numbers_in_indonesian(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/catat A1 sepuluh")
    text = texts(replies)
    assert "Contoh: /catat A12 10,5 82" in text and "tgl 22/11" in text and "tgl 3/12" not in text
