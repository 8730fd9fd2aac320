"""Coordinator announcements end to end: /siaran through the real Application and the Bot API stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import handlers.broadcast_send as hb
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts, today_wib
from tests.e2e.test_coordinator_seed import (
    CADRE_A1,
    CADRE_A2,
    CADRE_B1,
    COORD_A,
    COORD_CITY,
    STRANGER,
    World,
    forge_button,
    recipients_got,
    seed_world,
)


@pytest.fixture
async def world(bot: BotHarness, api: FakeBotAPI) -> AsyncIterator[World]:
    yield await seed_world(bot.runtime.repos, api, today_wib(), measurements=False)


async def _compose(bot: BotHarness, uid: int, text: str, audience: str) -> None:
    replies = await bot.say(uid, "/siaran")
    assert "pesan" in texts(replies).lower()
    replies = await bot.say(uid, text)
    assert buttons(replies[-1])[:2] == ["👩‍⚕️ Kader", "👪 Orang tua"]
    await bot.press(uid, audience)


def _is_report(m: dict[str, object]) -> bool:
    return str(m.get("text")).startswith("✅ Siaran")


async def _wait_report(api: FakeBotAPI, uid: int, timeout: float = 10.0) -> str:
    """The final report (a new message starting with ✅), once it has arrived."""
    await api.wait_for(lambda: any(_is_report(m) for m in api.messages(uid)), timeout)
    return next(str(m["text"]) for m in reversed(api.messages(uid)) if _is_report(m))


async def test_kelurahan_coordinator_reaches_every_parent_once_despite_429_and_blocks(
        bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    """429s are waited out, blocked parents are counted and deactivated, everyone else gets exactly one copy."""
    parents = world.parents[world.p_a1] + world.parents[world.p_a2]
    blocked = parents[0]
    api.block_user(blocked)
    api.inject("sendMessage", "429", retry_after=1, times=2, chat_id=parents[3])
    await bot.runtime.repos.users.set_language(parents[2], "en")  # the heading follows the recipient's language
    await _compose(bot, COORD_A, "Posyandu bulan ini <b>pindah</b> ke balai RW 05.", "Orang tua")
    await bot.press(COORD_A, "Seluruh Kelurahan Kampung Bali")
    summary = bot.last_text(COORD_A)
    assert "6 orang" in summary
    await bot.press(COORD_A, "Kirim")
    report = await _wait_report(api, COORD_A)
    assert "Terkirim: 5" in report and "memblokir bot: 1" in report and "gagal: 0" in report
    got = recipients_got(api, parents, "pindah")
    assert got == {p: (0 if p == blocked else 1) for p in parents}
    # A heading says who writes; what the coordinator typed arrives as typed (a literal "<b>" is escaped, not
    # parsed); outsiders got nothing.
    assert api.messages(parents[1])[-1]["text"] == (
        "📢 Pengumuman — Kelurahan Kampung Bali\n\nPosyandu bulan ini <b>pindah</b> ke balai RW 05.")
    assert api.messages(parents[2])[-1]["text"].startswith("📢 Announcement — Kelurahan Kampung Bali")
    assert recipients_got(api, world.parents[world.p_b1] + [CADRE_A1, CADRE_A2], "pindah") == {
        p: 0 for p in world.parents[world.p_b1] + [CADRE_A1, CADRE_A2]}
    user = await bot.runtime.repos.users.find(blocked)
    assert user is not None and not user.active
    # The progress message was edited to the final state (an edit, not a new message).
    edits = [c for c in api.calls if c.method == "editMessageText" and c.params.get("chat_id") == COORD_A]
    assert any("selesai" in str(c.params.get("text")) for c in edits)


async def test_cadres_only_of_one_posyandu(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    await _compose(bot, COORD_A, "Rapat kader Jumat jam 9.", "Kader")
    await bot.press(COORD_A, "Posyandu Mawar")
    assert "1 orang" in bot.last_text(COORD_A)
    await bot.press(COORD_A, "Kirim")
    await _wait_report(api, COORD_A)
    assert recipients_got(api, [CADRE_A1, CADRE_A2, CADRE_B1], "Rapat kader") == {
        CADRE_A1: 0, CADRE_A2: 1, CADRE_B1: 0}


async def test_photo_with_caption_is_broadcast(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    await bot.say(COORD_A, "/siaran")
    api.send_photo(COORD_A, caption="Jadwal imunisasi terbaru")
    await api.wait_idle()
    await bot.press(COORD_A, "Kader dan orang tua")
    await bot.press(COORD_A, "Posyandu Melati 1")
    preview = [m for m in api.messages(COORD_A) if m.get("photo")]
    assert preview and preview[-1].get("caption") == "📢 Pengumuman — Posyandu Melati 1\n\nJadwal imunisasi terbaru"
    await bot.press(COORD_A, "Kirim")
    await _wait_report(api, COORD_A)
    for uid in [*world.parents[world.p_a1], CADRE_A1]:
        photos = [m for m in api.messages(uid) if m.get("photo")]
        assert len(photos) == 1 and photos[0]["caption"].endswith("\n\nJadwal imunisasi terbaru")


async def test_cancel_before_confirmation_sends_nothing(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    await _compose(bot, COORD_A, "Pesan yang dibatalkan", "Orang tua")
    await bot.press(COORD_A, "Seluruh Kelurahan")
    replies = await bot.say(COORD_A, "ya kirim")  # typed instead of pressing: reminded, nothing sent
    assert "pilih dengan tombol" in texts(replies)
    replies = await bot.say(COORD_A, "/batal")
    assert "dibatalkan" in texts(replies).lower()
    await asyncio.sleep(0.3)
    assert sum(recipients_got(api, world.parents[world.p_a1], "dibatalkan").values()) == 0
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0


async def test_cadre_parent_and_stranger_are_refused(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    for uid in (CADRE_A1, world.parents[world.p_a1][0], STRANGER):
        replies = await bot.say(uid, "/siaran")
        assert "koordinator" in texts(replies).lower(), uid
        replies = await bot.say(uid, "Halo semua")  # no conversation was started: no audience question
        assert all("Kader" not in str(buttons(m)) for m in replies)
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0


async def test_empty_and_too_long_messages_are_explained_and_draft_continues(
        bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    await bot.say(COORD_A, "/siaran")
    replies = await bot.say(COORD_A, "x" * 3977)
    assert "3977" in texts(replies) and "3976" in texts(replies)
    replies = await bot.say(COORD_A, "   ")
    assert "kosong" in texts(replies).lower()
    api.send_photo(COORD_A, caption="y" * 905)
    await api.wait_idle()
    assert "904" in bot.last_text(COORD_A)
    # Still in the same conversation: a good message goes on to the audience question.
    replies = await bot.say(COORD_A, "Pesan yang pas")
    assert "Orang tua" in str(buttons(replies[-1]))


async def test_zero_recipients_is_refused(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    """Posyandu Kenanga has parents but no cadre: cadres-only there is refused, nothing is stored."""
    await _compose(bot, COORD_CITY, "Untuk kader Kenanga", "Kader")
    await bot.press(COORD_CITY, "Lemahwungkuk")
    await bot.press(COORD_CITY, "Pegambiran")
    await bot.press(COORD_CITY, "Posyandu Kenanga")
    assert "Tidak ada penerima" in bot.last_text(COORD_CITY)
    assert "Kirim" not in str(buttons(bot.last(COORD_CITY)))
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0
    # Changing the audience to parents then works.
    await bot.press(COORD_CITY, "Ubah penerima")
    await bot.press(COORD_CITY, "Orang tua")
    await bot.press(COORD_CITY, "Lemahwungkuk")
    await bot.press(COORD_CITY, "Seluruh Kecamatan Lemahwungkuk")
    assert "3 orang" in bot.last_text(COORD_CITY)


async def test_forged_scope_outside_area_is_refused(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    """Scope matrix through chat: a Kelurahan A coordinator cannot aim at Kelurahan B, its posyandu, the city."""
    for forged in (f"siaran:s:a:{world.kel_b}", f"siaran:s:p:{world.p_b1}", f"siaran:s:a:{world.city}",
                   "siaran:s:all", f"siaran:s:d:{world.kec}:0", "siaran:s:d::0"):
        await _compose(bot, COORD_A, "Tidak boleh keluar wilayah", "Orang tua")
        forge_button(api, COORD_A, forged)
        await bot.press(COORD_A, "FORGED")
        answers = [a for a in api.callback_answers.values() if a]
        assert "di luar wilayah" in str(answers[-1].get("text")), forged
        await bot.say(COORD_A, "/batal")
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0
    assert sum(recipients_got(api, world.parents[world.p_b1], "keluar wilayah").values()) == 0


async def test_restart_mid_broadcast_resumes_without_duplicates(
        api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop the bot while it is sending; after the restart every parent has exactly one copy."""
    monkeypatch.setattr(hb, "SEND_RATE", 20.0)
    monkeypatch.setattr(hb, "SEND_CONCURRENCY", 2)
    harness = BotHarness(api, tmp_path / "bot.db")
    await harness.start()
    try:
        world = await seed_world(harness.runtime.repos, api, today_wib(), parents_per_posyandu=10,
                                 measurements=False)
        parents = world.parents[world.p_a1] + world.parents[world.p_a2]
        await _compose(harness, COORD_A, "Pengumuman panjang sekali", "Orang tua")
        await harness.press(COORD_A, "Seluruh Kelurahan")
        assert "20 orang" in harness.last_text(COORD_A)
        harness.api.press(COORD_A, "Kirim")
        await api.wait_for(lambda: sum(recipients_got(api, parents, "panjang").values()) >= 5, 5)
        await harness.restart()
        sent_before = sum(recipients_got(api, parents, "panjang").values())
        assert sent_before < len(parents), "the broadcast finished before the restart; slow it down"
        report = await _wait_report(api, COORD_A)
        assert "Terkirim: 20" in report
        assert recipients_got(api, parents, "panjang") == {p: 1 for p in parents}
        assert len([m for m in api.messages(COORD_A) if _is_report(m)]) == 1  # one final report, not one per run
    finally:
        await harness.stop()


async def test_siaran_status_lists_past_broadcasts(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    await _compose(bot, COORD_A, "Status test satu", "Kader")
    await bot.press(COORD_A, "Seluruh Kelurahan")
    await bot.press(COORD_A, "Kirim")
    await _wait_report(api, COORD_A)
    replies = await bot.say(COORD_A, "/siaran_status")
    out = texts(replies)
    assert "#1" in out and "terkirim 2/2" in out and "Status test satu" in out
    # Another kelurahan's coordinator does not see it; the city coordinator does.
    from tests.e2e.test_coordinator_seed import COORD_B

    assert "Status test satu" not in texts(await bot.say(COORD_B, "/siaran_status"))
    assert "Status test satu" in texts(await bot.say(COORD_CITY, "/siaran_status"))


async def test_draft_survives_a_restart(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    """The coordinator wrote the message, the bot restarted: the audience buttons still lead on."""
    await bot.say(COORD_A, "/siaran")
    await bot.say(COORD_A, "Pesan sebelum restart")
    await bot.restart()
    await bot.press(COORD_A, "Kader")
    await bot.press(COORD_A, "Seluruh Kelurahan")
    assert "2 orang" in bot.last_text(COORD_A)
    preview = [m for m in api.messages(COORD_A) if str(m.get("text")).endswith("\n\nPesan sebelum restart")]
    assert preview  # the preview shows the text written before the restart


async def test_double_tap_on_send_broadcasts_once(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    await _compose(bot, COORD_A, "Sekali saja", "Kader")
    await bot.press(COORD_A, "Seluruh Kelurahan")
    api.press(COORD_A, "Kirim")
    api.press(COORD_A, "Kirim")  # the second tap arrives before the first is handled
    await _wait_report(api, COORD_A)
    await api.wait_idle()
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 1
    assert recipients_got(api, [CADRE_A1, CADRE_A2], "Sekali saja") == {CADRE_A1: 1, CADRE_A2: 1}
    assert not api.unanswered_callback_queries()


async def test_a_written_announcement_is_not_dropped_by_starting_again(bot: BotHarness, api: FakeBotAPI,
                                                                       world: World) -> None:
    await _compose(bot, COORD_A, "Besok posyandu buka jam 8", "Orang tua")
    replies = await bot.say(COORD_A, "/siaran")  # would start an empty draft: asked first
    assert "Pengumuman yang sedang Anda tulis belum disimpan" in texts(replies)
    assert buttons(replies[-1]) == ["▶️ Lanjutkan", "🗑️ Buang"]
    replies = await bot.press(COORD_A, "Lanjutkan")
    assert "pilih dengan tombol" in texts(replies)
    await bot.press(COORD_A, "Seluruh Kelurahan")
    replies = await bot.say(COORD_A, "/siaran")
    replies = await bot.press(COORD_A, "Buang")
    assert "Dibuang" in texts(replies) and "/siaran" in texts(replies)
    replies = await bot.say(COORD_A, "/siaran")
    assert "pesan" in texts(replies).lower()
    assert await bot.runtime.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0
