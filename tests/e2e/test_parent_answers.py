"""Answers about the parent's own child, end to end: the next posyandu, the child's age, how the last weighing
went (the status service's words), vaccines due, what a child of an age should measure, numbers typed in the
question scored with the growth engine, which child when there are several, and small talk."""

from __future__ import annotations

import datetime as dt

from bot.sim.fake_api import FakeBotAPI
from storage.models import Position, Sex
from tests.e2e.harness import BotHarness, buttons, texts
from tests.e2e.test_parent_anakku import linked_parent
from tests.e2e.test_parent_link import add_child, measure, next_session_on, parent_code, pbot

__all__ = ["pbot"]  # the fixture (clock: Wednesday 15 January 2025, 09.00 WIB)


async def test_kapan_jadwal_posyandu_gives_the_date_and_place(pbot: BotHarness, api: FakeBotAPI) -> None:
    pos, _child = await linked_parent(pbot, api, 6001, "Budi Santoso", dt.date(2023, 6, 1))
    await next_session_on(pbot.runtime.repos, pos, dt.date(2025, 2, 11))
    replies = await pbot.say(6001, "kapan jadwal posyandu?")
    text = texts(replies)
    assert "Posyandu berikutnya di Melati 1: Selasa, 11 Februari 2025, pukul 08.00–11.00" in text
    assert "Tempat: Balai RW 03" in text
    assert "Apa itu" not in text  # not the general "what is a posyandu"


async def test_umur_anak_saya_berapa_in_plain_words(pbot: BotHarness, api: FakeBotAPI) -> None:
    await linked_parent(pbot, api, 6002, "Sari Dewi", dt.date(2023, 5, 10), sex=Sex.FEMALE)
    text = texts(await pbot.say(6002, "umur anak saya berapa ya bu"))
    assert "Umur Sari hari ini 1 tahun 8 bulan" in text
    assert "Rabu, 10 Mei 2023" in text


async def test_berat_anak_saya_normal_gk_answers_from_the_last_weighing(pbot: BotHarness, api: FakeBotAPI) -> None:
    """The status function's answer for the counted visit: a boy of 2 years at 80 cm is short (pendek)."""
    _pos, child = await linked_parent(pbot, api, 6003, "Rudi", dt.date(2023, 1, 10))
    await measure(pbot.runtime.repos, child, dt.date(2025, 1, 14), "10.2", "80.0", position=Position.STANDING)
    replies = await pbot.say(6003, "berat anak saya normal gk")
    text = texts(replies)
    assert "Di posyandu pada Selasa, 14 Januari 2025: berat 10,2 kg, tinggi 80,0 cm" in text
    assert "Tinggi badan kurang untuk umurnya (pendek)" in text
    assert "puskesmas minggu ini" in text  # stunted: a refer reason
    labels = buttons(replies[-1])
    assert "📖 Apa arti pendek dan sangat pendek?" in labels and "🙋 Tanya kader/bidan" in labels


async def test_tinggi_anak_2_tahun_harusnya_berapa_gives_the_normal_range(pbot: BotHarness, api: FakeBotAPI) -> None:
    """PMK 2/2020 TB/U normal from -2 SD; WHO median: boys 87,1 cm, girls 85,7 cm at 2 years."""
    api.user(6004, "Ibu")
    text = texts(await pbot.say(6004, "tinggi anak 2 tahun harusnya berapa"))
    assert "Laki-laki" in text and "Perempuan" in text
    assert "normal mulai 81,0 cm" in text and "Rata-rata 87,1 cm" in text
    assert "Rata-rata 85,7 cm" in text


async def test_numbers_typed_are_scored_with_a_line_that_it_is_not_a_diagnosis(pbot: BotHarness,
                                                                                 api: FakeBotAPI) -> None:
    """A boy of 2 years weighing 9 kg: BB/U below -2 SD (berat badan kurang), WHO/PMK 2/2020."""
    await linked_parent(pbot, api, 6005, "Agus", dt.date(2023, 1, 10))
    text = texts(await pbot.say(6005, "anak sy 2 thn beratnya 9 kilo normal gk?"))
    assert "Anak laki-laki umur 2 tahun, berat 9,0 kg" in text
    assert "Berat badan kurang untuk umurnya" in text
    assert "bukan diagnosis" in text and "puskesmas" in text


async def test_a_parent_without_a_child_is_asked_boy_or_girl(pbot: BotHarness, api: FakeBotAPI) -> None:
    """14 months, 70 cm, a girl: length-for-age below -2 SD (pendek), a refer reason (KMK 1928/2022)."""
    api.user(6006, "Ibu")
    replies = await pbot.say(6006, "anak sy 14 bulan tingginya 70 cm")
    assert "laki-laki atau perempuan" in texts(replies)
    scored = texts(await pbot.press(6006, "Perempuan"))
    assert "Anak perempuan umur 1 tahun 2 bulan, panjang 70,0 cm" in scored
    assert "pendek" in scored and "puskesmas minggu ini" in scored and "bukan diagnosis" in scored


async def test_a_parent_with_two_children_is_asked_which(pbot: BotHarness, api: FakeBotAPI) -> None:
    pos, _first = await linked_parent(pbot, api, 6007, "Budi", dt.date(2022, 3, 1))
    second = await add_child(pbot.runtime.repos, pos, "Citra", dt.date(2024, 7, 1), sex=Sex.FEMALE)
    await pbot.say(6007, f"/start {await parent_code(pbot.runtime.repos, second)}")
    replies = await pbot.say(6007, "umur anak saya berapa")
    assert "anak yang mana" in texts(replies)
    assert buttons(replies[-1]) == ["Budi", "Citra"]
    assert "Umur Citra hari ini 6 bulan" in texts(await pbot.press(6007, "Citra"))
    # Naming the child answers at once.
    assert "Umur Budi hari ini 2 tahun 10 bulan" in texts(await pbot.say(6007, "umur budi sekarang berapa ya"))


async def test_vaccines_due_follow_the_national_schedule(pbot: BotHarness, api: FakeBotAPI) -> None:
    """Juknis ILP 2023: at 2 months DPT-HB-Hib 1, polio 2, PCV 1, rotavirus 1."""
    await linked_parent(pbot, api, 6008, "Bayu", dt.date(2024, 11, 10))
    text = texts(await pbot.say(6008, "anak saya imunisasi apa lagi yg belum"))
    assert "Imunisasi untuk Bayu" in text
    assert "Waktunya sekarang: DPT-HB-Hib 1" in text and "PCV 1" in text
    assert "Berikutnya:" in text and "cek Buku KIA" in text


async def test_an_unlinked_parent_gets_the_general_answer_and_how_to_link(pbot: BotHarness, api: FakeBotAPI) -> None:
    api.user(6009, "Ibu")
    text = texts(await pbot.say(6009, "anak saya stunting gak ya?"))
    assert "/hubungkan" in text
    assert "Stunting" in text or "stunting" in text


async def test_thanks_greeting_and_a_reply_to_an_announcement_get_a_kind_answer(pbot: BotHarness,
                                                                                  api: FakeBotAPI) -> None:
    await linked_parent(pbot, api, 6010, "Dimas", dt.date(2024, 1, 1))
    assert "Sama-sama" in texts(await pbot.say(6010, "makasih ya bun infonya 🙏"))
    assert "Sama-sama" in texts(await pbot.say(6010, "matur nuwun sanget"))
    assert "Halo" in texts(await pbot.say(6010, "selamat pagi bu kader"))
    assert "You're welcome" in texts(await pbot.say(6010, "thank you so much"))
    assert pbot.app is not None
    sent = await pbot.app.bot.send_message(6010, "📢 Posyandu besok jam 8, bawa Buku KIA ya Bu")
    await api.wait_idle()
    for answer in ("siap bu insyaallah datang", "baik bu"):
        before = len(api.messages(6010))
        api.send_message(6010, answer, reply_to=sent.message_id)
        await api.wait_idle(update_queue=pbot.app.update_queue)
        new = texts(api.messages(6010)[before:])
        assert "Terima kasih atas balasannya" in new
        assert "belum punya jawaban" not in new
