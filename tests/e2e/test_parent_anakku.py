"""Parent journey, end to end: /anakku with 0, 1 and 3 measurements, the chart picture, /tips, /berhenti and
/mulai, /hapus_saya, and that a parent never reaches another family's child."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.services import parent as parent_svc
from bot.sim.fake_api import FakeBotAPI, _public
from storage.models import Position, Role, Sex
from tests.e2e.harness import BotHarness, buttons, texts
from tests.e2e.test_parent_link import (
    add_child,
    measure,
    next_session_on,
    parent_code,
    pbot,
    seed_posyandu,
)

__all__ = ["pbot"]  # the fixture, imported for the tests below


async def linked_parent(bot: BotHarness, api: FakeBotAPI, uid: int, name: str, birth: dt.date, *,
                        sex: Sex = Sex.MALE, posyandu_name: str = "Melati 1", kel: str = "Kampung Bali") -> Any:
    repos = bot.runtime.repos
    pos = await seed_posyandu(repos, posyandu_name, kel)
    child = await add_child(repos, pos, name, birth, sex=sex)
    api.user(uid, "Ibu")
    await bot.say(uid, f"/start {await parent_code(repos, child)}")
    return pos, child


def forge_callback(api: FakeBotAPI, user_id: int, data: str) -> None:
    """A callback with data the bot never put on a button (a modified client could send it)."""
    message = api.last_message(user_id)
    api.callback_answers["forged-" + data] = None
    api._queue({"callback_query": {"id": "forged-" + data, "from": api.user(user_id), "message": _public(message),
                                   "chat_instance": f"ci{user_id}", "data": data}})


async def wait_photo(api: FakeBotAPI, user_id: int, count: int = 1) -> list[dict[str, Any]]:
    await api.wait_for(lambda: len([m for m in api.messages(user_id) if "photo" in m]) >= count, timeout=20)
    return [m for m in api.messages(user_id) if "photo" in m]


# ------------------------------------------------------------------ /anakku


async def test_anakku_without_a_linked_child_explains_how_to_link(pbot: BotHarness, api: FakeBotAPI) -> None:
    api.user(720, "Ibu")
    replies = await pbot.say(720, "/anakku")
    assert "Belum ada anak" in texts(replies)
    assert "📱 Kirim nomor HP saya" in buttons(replies[-1])


async def test_anakku_with_no_measurement_gives_the_next_posyandu(pbot: BotHarness, api: FakeBotAPI) -> None:
    pos, _child = await linked_parent(pbot, api, 721, "Sari", dt.date(2024, 11, 20), sex=Sex.FEMALE)
    await next_session_on(pbot.runtime.repos, pos, dt.date(2025, 2, 11))
    replies = await pbot.say(721, "/anakku")
    text = texts(replies)
    assert "Sari belum pernah ditimbang" in text
    assert "Posyandu berikutnya: Selasa, 11 Februari 2025" in text
    assert not any("Grafik" in b for b in buttons(replies[-1]))  # nothing to draw yet


async def test_anakku_without_a_schedule_says_to_ask_the_cadre(pbot: BotHarness, api: FakeBotAPI) -> None:
    await linked_parent(pbot, api, 722, "Tono", dt.date(2024, 11, 20))
    replies = await pbot.say(722, "/anakku")
    assert "Tanyakan tanggal posyandu berikutnya ke kader" in texts(replies)


async def test_anakku_with_one_measurement_in_plain_words(pbot: BotHarness, api: FakeBotAPI) -> None:
    """A boy of 2 years at 80 cm is short for his age: the parent reads "pendek", not a z-score."""
    _pos, child = await linked_parent(pbot, api, 723, "Budi Santoso", dt.date(2023, 1, 10))
    await measure(pbot.runtime.repos, child, dt.date(2025, 1, 14), "10.2", "80.0", position=Position.STANDING)
    replies = await pbot.say(723, "/anakku")
    text = texts(replies)
    assert "Budi Santoso" in text
    assert "Selasa, 14 Januari 2025" in text
    assert "10,2 kg" in text and "80,0 cm" in text  # decimal comma
    assert "pendek" in text.lower()
    assert "pengukuran pertama" in text
    assert "−" not in text.split("Yang bisa")[0]  # no z-scores in the parent's summary
    assert any("Grafik Budi" in b for b in buttons(replies[-1]))


async def test_anakku_with_three_measurements_shows_the_trend_and_a_chart(pbot: BotHarness, api: FakeBotAPI) -> None:
    _pos, child = await linked_parent(pbot, api, 724, "Rudi", dt.date(2024, 1, 10))
    repos = pbot.runtime.repos
    await measure(repos, child, dt.date(2024, 11, 12), "8.6", "72.0")
    await measure(repos, child, dt.date(2024, 12, 10), "8.9", "73.2")
    await measure(repos, child, dt.date(2025, 1, 14), "9.3", "74.5")
    replies = await pbot.say(724, "/anakku")
    text = texts(replies)
    assert "Sejak Selasa, 10 Desember 2024: berat naik 400 g. Bagus!" in text
    assert "Tinggi bertambah 1,3 cm" in text
    await pbot.press(724, "Grafik Rudi")
    photos = await wait_photo(api, 724)
    assert "Rudi" in photos[-1]["caption"]
    png = api.files[photos[-1]["photo"][-1]["file_id"]]
    assert png.startswith(b"\x89PNG") and len(png) > 10_000  # a real chart, not a placeholder
    await api.wait_idle()
    await pbot.press(724, "Tinggi")
    photos = await wait_photo(api, 724, 2)
    assert "Panjang/tinggi" in photos[-1]["caption"]


async def test_weight_not_going_up_is_said_kindly_with_what_to_do(pbot: BotHarness, api: FakeBotAPI) -> None:
    _pos, child = await linked_parent(pbot, api, 725, "Dina", dt.date(2024, 3, 5), sex=Sex.FEMALE)
    repos = pbot.runtime.repos
    await measure(repos, child, dt.date(2024, 12, 10), "8.0", "72.0")
    await measure(repos, child, dt.date(2025, 1, 14), "8.1", "72.8")
    replies = await pbot.say(725, "/anakku")
    text = texts(replies)
    assert "berat hanya naik 100 g" in text and "paling sedikit 300 g" in text
    assert "Yang bisa Ibu/Bapak lakukan" in text


async def test_a_parent_with_two_children_gets_one_card_each(pbot: BotHarness, api: FakeBotAPI) -> None:
    repos = pbot.runtime.repos
    pos = await seed_posyandu(repos)
    a = await add_child(repos, pos, "Kakak", dt.date(2022, 1, 1), phone="081299990000")
    b = await add_child(repos, pos, "Adik", dt.date(2024, 8, 1), phone="081299990000")
    await measure(repos, a, dt.date(2025, 1, 14), "12.0", "88.0", position=Position.STANDING)
    api.user(726, "Ibu")
    api.phone_numbers[726] = "+6281299990000"
    await pbot.say(726, "/hubungkan")
    await pbot.press(726, "Kirim nomor HP")
    replies = await pbot.say(726, "/anakku")
    assert len(replies) == 2
    assert "Kakak" in texts(replies[:1]) and "Adik" in texts(replies[1:])
    assert b.id in await repos.guardians.child_ids_of(726)


# ------------------------------------------------------------------ access between families


async def test_a_parent_cannot_get_another_familys_chart(pbot: BotHarness, api: FakeBotAPI) -> None:
    _p1, mine = await linked_parent(pbot, api, 730, "Anakku", dt.date(2024, 1, 1))
    _p2, theirs = await linked_parent(pbot, api, 731, "Anaklain", dt.date(2024, 1, 1), posyandu_name="Mawar",
                                      kel="Sei Rengas")
    repos = pbot.runtime.repos
    await measure(repos, theirs, dt.date(2025, 1, 10), "9.0", "74.0")
    await measure(repos, mine, dt.date(2025, 1, 10), "9.0", "74.0")
    replies = await pbot.say(730, "/anakku")
    assert "Anaklain" not in texts(replies)
    forge_callback(api, 730, f"ortu:grafik:{theirs.id}:wfa")
    await api.wait_idle()
    answers = [c for c in api.calls if c.method == "answerCallbackQuery" and c.params.get("callback_query_id")
               == f"forged-ortu:grafik:{theirs.id}:wfa"]
    assert answers and "hanya bisa melihat anak" in str(answers[-1].params.get("text"))
    assert not any("photo" in m for m in api.messages(730))
    forge_callback(api, 730, f"ortu:tip:{theirs.id}")
    await api.wait_idle()
    assert "hanya bisa melihat anak" in pbot.last_text(730)


# ------------------------------------------------------------------ /tips


async def test_tips_gives_an_age_tip_and_does_not_repeat_it(pbot: BotHarness, api: FakeBotAPI) -> None:
    await linked_parent(pbot, api, 740, "Bayu", dt.date(2024, 8, 1))  # 5 months
    first = texts(await pbot.say(740, "/tips"))
    assert "Tips untuk Bayu (5 bln)" in first
    assert "Sumber:" in first
    second = texts(await pbot.press(740, "Tips lain"))
    assert second and second.splitlines()[1] != first.splitlines()[1]


async def test_tips_without_a_child_gives_a_general_tip(pbot: BotHarness, api: FakeBotAPI) -> None:
    api.user(741, "Ibu")
    text = texts(await pbot.say(741, "/tips"))
    assert "Tips:" in text and "/hubungkan" in text


# ------------------------------------------------------------------ /berhenti, /mulai, /hapus_saya


async def test_berhenti_stops_pushes_and_mulai_turns_them_back_on(pbot: BotHarness, api: FakeBotAPI) -> None:
    """After /berhenti the cadre's new measurement reaches no one; after /mulai it reaches the parent again."""
    pos, child = await linked_parent(pbot, api, 750, "Gita", dt.date(2024, 2, 1), sex=Sex.FEMALE)
    repos = pbot.runtime.repos
    await repos.users.set_role(760, Role.CADRE, posyandu_id=pos.id)
    api.user(760, "Kader Ani")
    replies = await pbot.say(750, "/berhenti")
    assert "/mulai" in texts(replies)
    assert (await repos.users.get(750)).opted_out
    assert await parent_svc.guardians_to_notify(repos, child.id) == []
    before = len(api.messages(750))
    await pbot.say(760, f"/catat {child.code} 9,1 76")
    await api.wait_idle()
    assert len(api.messages(750)) == before  # no notice while opted out
    await pbot.say(750, "/mulai")
    assert not (await repos.users.get(750)).opted_out
    await pbot.say(760, f"/catat {child.code} 9,2 76,5")
    await pbot.press(760, "Ganti")  # the same day: the cadre confirms replacing the first entry
    await api.wait_for(lambda: len(api.messages(750)) > before + 1, timeout=10)
    assert "Gita" in pbot.last_text(750)


async def test_hapus_saya_asks_first_then_forgets_the_parent(pbot: BotHarness, api: FakeBotAPI) -> None:
    _pos, child = await linked_parent(pbot, api, 770, "Hana", dt.date(2024, 2, 1), sex=Sex.FEMALE)
    repos = pbot.runtime.repos
    await measure(repos, child, dt.date(2025, 1, 10), "8.5", "72.0")
    await pbot.say(770, "/anakku")
    replies = await pbot.say(770, "/hapus_saya")
    assert buttons(replies[-1]) == ["🗑 Ya, hapus", "Tidak, jangan"]
    await pbot.press(770, "Tidak, jangan")
    assert await repos.guardians.child_ids_of(770) == {child.id}
    await pbot.say(770, "/hapus_saya")
    await pbot.press(770, "Ya, hapus")
    assert "sudah dihapus" in pbot.last_text(770)
    assert await repos.guardians.child_ids_of(770) == set()
    assert await repos.children.find_by_id(child.id) is not None  # the health record stays
    assert len(await repos.measurements.history_for_child(child.id)) == 1
    replies = await pbot.say(770, "/anakku")
    assert "Belum ada anak" in texts(replies)
    # The old chart button of the deleted account no longer opens the child's chart.
    forge_callback(api, 770, f"ortu:grafik:{child.id}:wfa")
    await api.wait_idle()
    assert not any("photo" in m for m in api.messages(770))


async def test_hapus_saya_keeps_a_cadres_account(pbot: BotHarness, api: FakeBotAPI) -> None:
    pos, child = await linked_parent(pbot, api, 771, "Ika", dt.date(2024, 2, 1), sex=Sex.FEMALE)
    repos = pbot.runtime.repos
    await repos.users.set_role(771, Role.CADRE, posyandu_id=pos.id)
    await pbot.say(771, "/hapus_saya")
    await pbot.press(771, "Ya, hapus")
    assert "Akun petugas" in pbot.last_text(771)
    assert (await repos.users.get(771)).role == Role.CADRE
    assert await repos.guardians.child_ids_of(771) == set()
    assert child.id
