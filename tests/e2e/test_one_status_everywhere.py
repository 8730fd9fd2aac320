"""Issue 13, end to end through the local Bot API stand-in: one child, one status on every screen, impossible values
never counted, a second weighing in a month asked about, open work never dropped, numbers as typed, Indonesian
words in Indonesian output."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.clock import ManualClock
from bot.demo import CADRE_ID, COORDINATOR_ID, PARENT_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts

CADRE = CADRE_ID
# 10:00 WIB on Monday 16 November 2026: a day and a week back are in the same month, and the demo's last visits (a
# month back) in the month before (on the first days of a month the real clock would put them together).
NOW = dt.datetime(2026, 11, 16, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, "Sari")
    api.user(PARENT_ID, "Siti")
    api.user(COORDINATOR_ID, "Dewi")
    return personas


async def test_impossible_weight_kept_is_not_bgm_in_the_recap(bot: BotHarness, demo: DemoPersonas) -> None:
    """`/catat A1 1,05 82` used to be saved as BGM: counted in /rekap, missing from /tindak_lanjut."""
    replies = await bot.say(CADRE, "/catat A1 1,05 82")
    assert "tidak mungkin" in texts(replies) and "Mungkin maksudnya 10,5 kg" in texts(replies)
    replies = await bot.press(CADRE, "Simpan sebagai perlu ukur ulang")
    assert "perlu ukur ulang" in texts(replies)
    recap = texts(await bot.say(COORDINATOR_ID, "/rekap"))
    assert "BGM 0" in recap and "1 anak diukur dengan nilai yang tidak mungkin" in recap
    assert "ditimbang (D) 0" in recap
    follow = texts(await bot.say(COORDINATOR_ID, "/tindak_lanjut"))
    assert "Budi" not in follow


async def test_half_a_kilo_for_a_two_year_old_is_never_data(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A7")  # Fajar, 2 years 2 months
    await bot.press(CADRE, "Hari ini")
    replies = await bot.say(CADRE, "0,5")
    assert "tidak mungkin" in texts(replies) and not any("benar" in b for b in buttons(replies[-1]))


async def test_card_history_and_follow_up_list_say_the_same(bot: BotHarness, demo: DemoPersonas) -> None:
    """Dimas: the card, /riwayat and /tindak_lanjut give the same reasons (the history said "2T, gizi kurang"
    where the card said "Gizi buruk")."""
    card = texts(await bot.say(CADRE, "/catat A3 7,8 78,5"))
    assert "🔴 Gizi buruk" in card and "Rujuk ke puskesmas hari ini" in card
    history = texts(await bot.say(CADRE, "/riwayat A3"))
    newest = history.split("\n")[2]
    assert "2T" in newest and "gizi buruk" in newest and "rujuk hari ini" in newest
    follow = texts(await bot.say(COORDINATOR_ID, "/tindak_lanjut"))
    line = next(x for x in follow.split("\n") if "Dimas" in x)
    assert line.lstrip("0123456789. ").startswith("🔴") and "gizi buruk" in line and "2T" in line


async def test_a_stunted_child_told_to_refer_is_on_the_follow_up_list(bot: BotHarness, demo: DemoPersonas) -> None:
    """Rina: her card says "Pendek … Rujuk ke puskesmas"; /tindak_lanjut lists her as stunted."""
    card = texts(await bot.say(CADRE, "/catat A2 10,6 81,2"))
    assert "Pendek" in card and "Rujuk ke puskesmas" in card
    follow = texts(await bot.say(COORDINATOR_ID, "/tindak_lanjut"))
    line = next(x for x in follow.split("\n") if "Rina" in x)
    assert "pendek" in line


async def test_two_weighings_a_day_apart_ask_and_the_parent_hears_once(bot: BotHarness, api: FakeBotAPI,
                                                                         demo: DemoPersonas) -> None:
    yesterday = bot.runtime.today() - dt.timedelta(days=1)
    first = texts(await bot.say(CADRE, f"/catat A1 10,6 81 tgl {yesterday.day}/{yesterday.month}/{yesterday.year}"))
    assert "Tersimpan" in first
    notices = len(api.messages(PARENT_ID))
    replies = await bot.say(CADRE, "/catat A1 10,6 81 lila 15 lk 48")
    assert "sudah diukur bulan ini" in texts(replies)
    assert buttons(replies[-1]) == ["Ganti", "Simpan keduanya", "❌ Batal"]
    replies = await bot.press(CADRE, "Simpan keduanya")
    assert "Tersimpan" in texts(replies)
    # Same categories, same weighing, same advice: the parent is not told the same thing twice.
    assert len(api.messages(PARENT_ID)) == notices
    daftar = texts(await bot.say(CADRE, "/daftar"))
    assert "Sudah diukur 1 dari" in daftar  # one child, however many visits


async def test_quick_entry_during_an_unfinished_ukur_asks_first(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "10,6")
    replies = await bot.say(CADRE, "/catat A2 10,6 81")
    assert "Catatan /ukur untuk Budi Santoso (A1) belum disimpan" in texts(replies)
    assert buttons(replies[-1]) == ["▶️ Lanjutkan", "🗑️ Buang"]
    child = await bot.runtime.repos.children.get_by_code("A2")
    assert (await bot.runtime.repos.measurements.latest_for_child(child.id)).measured_on < bot.runtime.today()  # type: ignore[union-attr]
    replies = await bot.press(CADRE, "Lanjutkan")
    assert "Panjang/tinggi badan (cm)?" in texts(replies)  # the /ukur question again, the weight kept
    replies = await bot.say(CADRE, "81")
    assert "Lingkar lengan atas" in texts(replies)


async def test_discarding_unfinished_work_says_so_and_the_other_command_works_after(bot: BotHarness,
                                                                                    demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "10,6")
    replies = await bot.say(CADRE, "/anak_baru")
    assert "belum disimpan" in texts(replies)
    replies = await bot.press(CADRE, "Buang")
    assert "Dibuang" in texts(replies) and "/anak_baru" in texts(replies)
    replies = await bot.say(CADRE, "/anak_baru")
    assert "nama lengkap anak" in texts(replies)


async def test_numbers_are_shown_as_typed_and_no_change_is_said_plainly(bot: BotHarness, api: FakeBotAPI,
                                                                        demo: DemoPersonas) -> None:
    card = texts(await bot.say(CADRE, "/catat A4 8,05 71,55"))  # Putri: 8,05 kg last month too
    assert "BB 8,05 kg" in card and "PB 71,55 cm" in card
    assert "tidak berubah" in card and "naik 0 g" not in card
    history = texts(await bot.say(CADRE, "/riwayat A4"))
    assert "BB 8,05 kg" in history


async def test_a_parent_is_told_how_much_the_weight_went_up_even_when_it_is_t(bot: BotHarness, api: FakeBotAPI,
                                                                             demo: DemoPersonas) -> None:
    """+100 g at 20 months is T (KBM 200 g): the parent hears "naik 100 g, kurang dari 200 g", not "tidak naik"."""
    await bot.say(CADRE, "/catat A1 10,4 81")  # 10,3 kg last month
    notice = texts(api.messages(PARENT_ID))
    assert "naik 100 g, kurang dari 200 g" in notice
    assert re.search(r"tidak naik(?! cukup)", notice) is None  # "did not go up enough", never "did not go up"
    assert "puskesmas minggu ini" in notice  # Buku KIA 2023: T is referred


ENGLISH = re.compile(r"\b(weight|height|length|wasting|wasted|underweight|overweight|stunted|severely|MUAC|the|and|"
                     r"child|please|refer|measure|first|minimum|since|days?|months?|today|not|judged)\b")


async def test_no_english_words_in_indonesian_output(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    """Cards, history, lists, recap, follow-up and the parent's notice in Indonesian use Indonesian terms (LiLA,
    gizi kurang, berat badan kurang): "stunting" is the term of Perpres 72/2021 and stays."""
    yesterday = bot.runtime.today() - dt.timedelta(days=1)
    await bot.say(CADRE, "/catat A3 7,8 78,5 lila 12 lk 45")
    await bot.say(CADRE, "/catat A4 8,05 71,55")
    await bot.say(CADRE, f"/catat A1 10,4 81 tgl {yesterday.day}/{yesterday.month}/{yesterday.year}")
    await bot.say(CADRE, "/catat A1 1,05 82")
    await bot.press(CADRE, "Simpan sebagai perlu ukur ulang")
    for command in ("/riwayat A3", "/riwayat A1", "/daftar"):
        await bot.say(CADRE, command)
    for command in ("/rekap", "/tindak_lanjut"):
        await bot.say(COORDINATOR_ID, command)
    await bot.say(PARENT_ID, "/anakku")
    said = " ".join(texts(api.messages(uid)) for uid in (CADRE, COORDINATOR_ID, PARENT_ID))
    said = re.sub(r"/[a-z_]+", " ", said)  # command names are not words
    assert ENGLISH.findall(said) == []
