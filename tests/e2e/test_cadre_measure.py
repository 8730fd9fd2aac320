"""The guided measurement `/ukur` through the real Application and the Bot API stand-in."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.demo import CADRE_ID, PARENT_ID, SECOND_CADRE_ID, STRANGER_ID, DemoPersonas, seed_demo
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts

CADRE = CADRE_ID


@pytest.fixture
async def demo(bot: BotHarness, api: FakeBotAPI) -> DemoPersonas:
    personas = await seed_demo(bot.runtime.repos, bot.runtime.today())
    api.user(CADRE_ID, "Sari")
    api.user(SECOND_CADRE_ID, "Rina")
    api.user(PARENT_ID, "Siti")
    api.user(STRANGER_ID, "Tamu")
    return personas


async def _measure_budi(bot: BotHarness, user: int = CADRE) -> list[dict[str, object]]:
    """The whole guided flow for Budi (A1): today, 10,9 kg, 81,5 cm lying, no extras."""
    await bot.say(user, "/ukur")
    await bot.say(user, "budi")
    await bot.press(user, "Hari ini")
    await bot.say(user, "10,9")
    await bot.say(user, "81,5")
    await bot.press(user, "Tidak ada ukuran lain")
    return await bot.press(user, "Simpan")


async def test_full_guided_flow_saves_and_shows_the_result_card(bot: BotHarness, demo: DemoPersonas) -> None:
    """Child by name, today's date, weight, length: the card has categories, z-scores and N/T."""
    replies = await bot.say(CADRE, "/ukur")
    assert "Anak yang mana" in texts(replies)
    assert any("Budi Santoso" in b for b in buttons(replies[-1]))  # not yet measured this month
    replies = await bot.say(CADRE, "budi")
    assert "Budi Santoso" in texts(replies) and "Hari ini" in buttons(replies[-1])[0]
    replies = await bot.press(CADRE, "Hari ini")
    assert "Berat badan" in texts(replies)
    replies = await bot.say(CADRE, "10,9 kg")
    assert "Panjang" in texts(replies)
    assert "berbaring" in texts(replies)  # suggested for a child under 2
    replies = await bot.say(CADRE, "81.5")
    assert "LiLA" in texts(replies)
    replies = await bot.press(CADRE, "Tidak ada ukuran lain")
    card = texts(replies)
    assert "10,9 kg" in card and "81,5 cm" in card and "Simpan" in buttons(replies[-1])[0]
    replies = await bot.press(CADRE, "Simpan")
    result = texts(replies)
    assert "✅ Tersimpan" in result
    assert "BB/U" in result and "PB/U" in result and "BB/PB" in result
    assert "Berat badan normal" in result
    assert "Berat: N" in result  # 10,3 kg last month -> +600 g
    assert "−" in result or "+" in result  # signed z-scores with the typographic minus
    assert {"📈 Grafik", "✏️ Koreksi", "➕ Anak berikutnya"} <= set(buttons(replies[0]))
    child = await bot.runtime.repos.children.get_by_code(demo.parent_child_code)
    latest = await bot.runtime.repos.measurements.latest_for_child(child.id)
    assert latest.weight_kg == 10.9 and latest.length_cm == 81.5 and latest.entered_by == CADRE
    assert latest.faltering.value == "N"


async def test_double_tap_on_save_saves_once(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "10,9")
    await bot.say(CADRE, "81,5")
    await bot.press(CADRE, "Tidak ada ukuran lain")
    confirm = api.last_message(CADRE)
    save_data = "ukur:save"
    api.press_button(CADRE, confirm["message_id"], save_data)
    api.press_button(CADRE, confirm["message_id"], save_data)
    await api.wait_idle()
    child = await bot.runtime.repos.children.get_by_code("A1")
    history = await bot.runtime.repos.measurements.history_for_child(child.id, include_superseded=True)
    assert sum(1 for m in history if m.measured_on == bot.runtime.today()) == 1
    assert api.unanswered_callback_queries() == []


async def test_restart_in_the_middle_resumes_at_the_same_step(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur")
    await bot.say(CADRE, "A1")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "10,9")
    await bot.restart()
    replies = await bot.say(CADRE, "81,5")  # the length step survived, weight kept
    assert "LiLA" in texts(replies)
    await bot.press(CADRE, "Tidak ada ukuran lain")
    replies = await bot.press(CADRE, "Simpan")
    assert "10,9 kg" in texts(replies)


async def test_back_and_cancel_at_a_step(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "10,9")
    replies = await bot.press(CADRE, "Kembali")
    assert "Berat badan" in texts(replies)
    assert "10,9" in " ".join(buttons(replies[-1]))  # the typed weight is offered to keep
    replies = await bot.say(CADRE, "/batal")
    assert "Dibatalkan" in texts(replies)
    replies = await bot.say(CADRE, "11")
    assert "Berat badan" not in texts(replies)  # the conversation is over


async def test_implausible_weight_is_questioned_with_a_suggestion(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    replies = await bot.say(CADRE, "105")
    text = texts(replies)
    assert "⚠️ Berat 105 kg tidak mungkin untuk anak 1 th 8 bln" in text
    assert "10,5 kg" in text
    replies = await bot.press(CADRE, "Pakai 10,5 kg")
    assert "Panjang" in texts(replies)
    await bot.say(CADRE, "81")
    replies = await bot.press(CADRE, "Tidak ada ukuran lain")
    assert "10,5 kg" in texts(replies)


async def test_implausible_value_kept_is_saved_as_remeasure_and_counted_nowhere(bot: BotHarness,
                                                                               demo: DemoPersonas) -> None:
    """Issue 13: 30 cm at 3 y 4 m (HAZ -17) is never "right": kept, it is "perlu ukur ulang" on the card, in
    /riwayat and /daftar, and the recap does not count it."""
    await bot.say(CADRE, "/ukur A5")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "14,4")
    replies = await bot.say(CADRE, "30")
    assert "tidak mungkin" in texts(replies) and not any("benar" in b for b in buttons(replies[-1]))
    await bot.press(CADRE, "perlu ukur ulang")
    await bot.press(CADRE, "Tidak ada ukuran lain")
    replies = await bot.press(CADRE, "Simpan sebagai perlu ukur ulang")
    card = texts(replies)
    assert "perlu ukur ulang" in card and "Pendek" not in card and "Rujuk" not in card
    assert "perlu ukur ulang" in texts(await bot.say(CADRE, "/riwayat A5"))
    daftar = texts(await bot.say(CADRE, "/daftar"))
    assert "⚠️ Ahmad Fauzi (A5)" in daftar and "1 anak perlu ukur ulang" in daftar


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sepuluh", "angka"),
        ("abc", "bukan angka"),
        ("😀😀", "angka"),
        ("0", "lebih dari 0"),
        ("x" * 300, "terlalu panjang"),
    ],
)
async def test_bad_weight_is_explained_and_nothing_is_lost(bot: BotHarness, demo: DemoPersonas, typed: str,
                                                           expected: str) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    replies = await bot.say(CADRE, typed)
    assert expected in texts(replies)
    replies = await bot.say(CADRE, "10,5 kg")  # still at the weight step, the child and date kept
    assert "Panjang" in texts(replies)


async def test_future_date_is_refused(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    tomorrow = bot.runtime.today() + dt.timedelta(days=1)
    replies = await bot.say(CADRE, f"{tomorrow.day}/{tomorrow.month}/{tomorrow.year}")
    assert "masa depan" in texts(replies)
    replies = await bot.press(CADRE, "Kemarin")
    assert "Berat badan" in texts(replies)


async def test_date_before_birth_is_refused(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A8")  # Bayu, 5 months old
    replies = await bot.say(CADRE, "1/1/2020")
    assert "sebelum tanggal lahir" in texts(replies)


async def test_child_over_five_is_explained(bot: BotHarness, demo: DemoPersonas) -> None:
    repos = bot.runtime.repos
    child = await repos.children.get_by_code("A1")
    from storage.models import ChildUpdate

    await repos.children.update(child.id, ChildUpdate(birth_date=bot.runtime.today() - dt.timedelta(days=2000)))
    replies = await bot.say(CADRE, "/ukur A1")
    text = texts(replies)
    assert "60 bulan" in text and "WHO Reference 2007" in text


async def test_child_of_another_posyandu_is_refused(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(CADRE, "/ukur B1")  # Rizki, Posyandu Mawar
    assert "posyandu lain" in texts(replies)


async def test_stranger_cannot_measure(bot: BotHarness, demo: DemoPersonas) -> None:
    replies = await bot.say(STRANGER_ID, "/ukur")
    assert "kader" in texts(replies)
    assert "/start" in texts(replies)


async def test_two_cadres_interleaved(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    """Two posyandu, two cadres typing at the same time: each conversation keeps its own child and values."""
    steps_a = ["/ukur A1", "Hari ini", "10,9", "81,5", "Tidak ada ukuran lain", "Simpan"]
    steps_b = ["/ukur B1", "Hari ini", "10,6", "80,4", "Tidak ada ukuran lain", "Simpan"]
    for a, b in zip(steps_a, steps_b, strict=True):
        for user, step in ((CADRE, a), (SECOND_CADRE_ID, b)):
            if step.startswith("/") or step[0].isdigit():
                api.send_message(user, step)
            else:
                await api.wait_idle()
                api.press(user, step)
        await api.wait_idle()
    assert "10,9 kg" in bot.last_text(CADRE) or "10,9 kg" in texts(api.messages(CADRE)[-3:])
    repos = bot.runtime.repos
    budi = await repos.measurements.latest_for_child((await repos.children.get_by_code("A1")).id)
    rizki = await repos.measurements.latest_for_child((await repos.children.get_by_code("B1")).id)
    assert (budi.weight_kg, budi.entered_by) == (10.9, CADRE)
    assert (rizki.weight_kg, rizki.entered_by) == (10.6, SECOND_CADRE_ID)


async def test_parent_is_notified_after_the_cadre(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    replies = await _measure_budi(bot)
    assert "Tersimpan" in texts(replies)
    notes = api.messages(PARENT_ID)
    assert notes, "the linked parent got nothing"
    note = str(notes[-1]["text"])
    assert "Halo Ibu Siti" in note and "Budi" in note and "Posyandu Melati 1" in note
    assert "grafik" in " ".join(buttons(notes[-1])).lower()
    order = [str(c.params.get("chat_id")) for c in api.calls if c.method == "sendMessage"]
    assert order.index(str(PARENT_ID)) > max(i for i, v in enumerate(order) if v == str(CADRE))


async def test_parent_in_english_gets_english(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    await bot.runtime.repos.users.set_language(PARENT_ID, "en")
    await _measure_budi(bot)
    assert "Hello Ibu Siti" in str(api.messages(PARENT_ID)[-1]["text"])


async def test_blocked_parent_is_marked_inactive_and_cadre_not_disturbed(bot: BotHarness, api: FakeBotAPI,
                                                                         demo: DemoPersonas) -> None:
    api.block_user(PARENT_ID)
    replies = await _measure_budi(bot)
    assert "Tersimpan" in texts(replies)
    assert "Maaf" not in texts(api.messages(CADRE)[-2:])
    parent = await bot.runtime.repos.users.find(PARENT_ID)
    assert parent is not None and not parent.active


async def test_opted_out_parent_gets_nothing(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    await bot.runtime.repos.users.set_opt_out(PARENT_ID, True)
    await _measure_budi(bot)
    assert api.messages(PARENT_ID) == []


async def test_chart_button_sends_a_picture(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    def photos_to(chat: int) -> list[object]:
        return [c for c in api.calls if c.method == "sendPhoto" and str(c.params.get("chat_id")) == str(chat)]

    await _measure_budi(bot)
    await bot.press(CADRE, "Grafik")
    await api.wait_for(lambda: bool(photos_to(CADRE)), timeout=15)  # the first drawing loads matplotlib
    assert "BB/U" not in buttons(api.last_message(CADRE))  # the other two charts are offered
    await bot.press(PARENT_ID, "grafik")
    await api.wait_for(lambda: bool(photos_to(PARENT_ID)), timeout=15)


async def test_correction_from_the_card_supersedes(bot: BotHarness, demo: DemoPersonas) -> None:
    await _measure_budi(bot)
    replies = await bot.press(CADRE, "Koreksi")
    assert "menggantikan" in texts(replies)
    await bot.press(CADRE, "✏️ Berat")
    replies = await bot.say(CADRE, "10,7")
    assert "10,7 kg" in texts(replies)  # straight back to the confirmation
    replies = await bot.press(CADRE, "Simpan")
    assert "Dikoreksi" in texts(replies)
    repos = bot.runtime.repos
    child = await repos.children.get_by_code("A1")
    history = await repos.measurements.history_for_child(child.id, include_superseded=True)
    today = [m for m in history if m.measured_on == bot.runtime.today()]
    assert len(today) == 2 and today[0].superseded_by == today[1].id and today[1].weight_kg == 10.7


async def test_started_enrolment_ends_an_open_measurement(bot: BotHarness, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    await bot.press(CADRE, "Hari ini")
    await bot.say(CADRE, "/anak_baru")
    replies = await bot.say(CADRE, "Citra Kirana")
    assert "Laki-laki atau perempuan" in texts(replies)


async def test_many_quick_taps_do_not_hang(bot: BotHarness, api: FakeBotAPI, demo: DemoPersonas) -> None:
    await bot.say(CADRE, "/ukur A1")
    msg = api.last_message(CADRE)
    for _ in range(3):
        api.press_button(CADRE, msg["message_id"], "ukur:cancel")
    await asyncio.sleep(0)
    await api.wait_idle()
    assert api.unanswered_callback_queries() == []
