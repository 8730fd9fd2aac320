"""Recap, follow-up list and Excel export end to end, including who may read what (scope matrix)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from openpyxl import load_workbook

from bot.i18n import fmt_month
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.harness import BotHarness, buttons, texts, today_wib
from tests.e2e.test_coordinator_seed import (
    CADRE_A1,
    COORD_A,
    COORD_B,
    COORD_CITY,
    STRANGER,
    World,
    add_child,
    month_start,
    seed_world,
    weigh,
)


@pytest.fixture
async def world(bot: BotHarness, api: FakeBotAPI) -> AsyncIterator[World]:
    yield await seed_world(bot.runtime.repos, api, today_wib())


async def test_kelurahan_recap_numbers_and_comparison(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    replies = await bot.say(COORD_A, "/rekap")
    out = texts(replies)
    this, last = fmt_month(month_start(world.today), "id"), fmt_month(month_start(world.today, 1), "id")
    assert f"Rekap Kelurahan Kampung Bali — {this}" in out
    # The visit with an implausible HAZ (−7,5) is "perlu ukur ulang": not in D, not in any prevalence.
    assert "Balita terdaftar (S) 6 · ditimbang (D) 4 · naik (N) 1" in out
    assert "D/S 66,7% · N/D 25,0%" in out
    assert "N 1 · T 2 (2T 1) · O 0 · B 1 · belum dinilai 0" in out
    # 2 stunted of 4 valid HAZ; oedema counts as wasted and underweight (WHO anthro prevalence).
    assert ("Stunting 50,0% (2) · gizi kurang dan buruk 25,0% (1) · berat badan kurang 50,0% (2) · "
            "gizi lebih 0,0% (0)") in out
    assert "Dirujuk ke puskesmas: 4 anak (1 hari ini) · BGM 1 · gizi buruk 1 · sangat pendek 1" in out
    assert "1 anak diukur dengan nilai yang tidak mungkin: perlu ukur ulang, tidak dihitung" in out
    assert f"Dibanding {last}: D/S 50,0% → 66,7% · stunting 0,0% → 50,0%" in out
    assert "• Posyandu Melati 1: S 3 · D 3 (100,0%) · stunting 66,7%" in out
    assert "• Posyandu Mawar: S 3 · D 1 (33,3%) · stunting 0,0%" in out
    assert "Anggrek" not in out and "Kenanga" not in out
    assert buttons(replies[-1]) == ["📊 Grafik per posyandu", "📋 Daftar tindak lanjut", "⬇️ Excel"]


async def test_city_recap_breaks_down_by_kecamatan(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    out = texts(await bot.say(COORD_CITY, "/rekap"))
    assert "Rekap Kota Cirebon" in out and "Per wilayah:" in out
    assert "• Kejaksan: S 9 · D 5" in out and "• Lemahwungkuk: S 3 · D 0" in out


@pytest.mark.parametrize("arg", ["{iso}", "{mm}/{yyyy}", "{name} {yyyy}", "{short}"])
async def test_month_argument_forms(bot: BotHarness, api: FakeBotAPI, world: World, arg: str) -> None:
    last = month_start(world.today, 1)
    name = fmt_month(last, "id").split()[0]
    text = arg.format(iso=f"{last:%Y-%m}", mm=last.month, yyyy=last.year, name=name, short=name[:3].lower())
    out = texts(await bot.say(COORD_A, f"/rekap {text}"))
    assert f"Rekap Kelurahan Kampung Bali — {fmt_month(last, 'id')}" in out
    assert "Balita terdaftar (S) 6 · ditimbang (D) 3 · naik (N) 2" in out


async def test_bad_month_is_explained(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    for bad in ("bulan depan", "13/2024", f"{world.today.year + 1}-01"):
        out = texts(await bot.say(COORD_A, f"/rekap {bad}"))
        assert "tidak bisa saya baca" in out and "/rekap 2024-11" in out, bad


async def test_chart_button_sends_a_picture(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    await bot.say(COORD_A, "/rekap")
    await bot.press(COORD_A, "Grafik per posyandu")
    # Drawing takes longer than the harness's idle wait the first time (matplotlib import): wait for it.
    await api.wait_for(lambda: any(m.get("photo") for m in api.messages(COORD_A)), 15)
    photo = [m for m in api.messages(COORD_A) if m.get("photo")]
    assert photo and "Stunting per posyandu — Kelurahan Kampung Bali" in str(photo[0]["caption"])
    content = api.files[photo[0]["photo"][0]["file_id"]]
    assert content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) > 5000


async def test_follow_up_list_with_reasons_and_pages(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    # Kelurahan B has a BGM child too: it must not show for Kelurahan A's coordinator.
    b_child = await add_child(world, "Anak Luar", world.p_b1)
    await weigh(world, b_child, world.today, waz=-3.5)
    out = texts(await bot.say(COORD_A, "/tindak_lanjut"))
    # Every child the card told to refer (Buku KIA 2023: T; PMK 2/2020: stunted), most urgent first.
    assert "4 anak perlu ditindaklanjuti" in out
    order = [out.index(name) for name in ("Anak 2004", "Anak 2002", "Anak 2003", "Anak 2001")]
    assert order == sorted(order)  # oedema, then BGM/2T, then T, then stunted
    assert "🔴 Anak 2004 (A4) — edema" in out and "⚠️ Anak 2002 (A2) — BGM, 2T, sangat pendek" in out
    assert "⚠️ Anak 2003 (A3) — T (berat tidak naik)" in out and "⚠️ Anak 2001 (A1) — pendek" in out
    assert "Anak 2005" not in out  # its only visit needs re-measuring: nothing to act on yet
    assert "kader: Kak Sari" in out and "Posyandu Mawar" in out
    assert "Anak Luar" not in out
    # More cases: a child never weighed since registering 3 months ago, and ten more BGM children -> pages.
    old = await add_child(world, "Anak Lama", world.p_a2)
    await bot.runtime.db.execute("UPDATE children SET created_at = '2000-01-01T00:00:00.000000+00:00'"
                                 " WHERE id = ?", (old,))
    for i in range(10):
        kid = await add_child(world, f"Anak BGM {i:02d}", world.p_a1)
        await weigh(world, kid, world.today, waz=-3.3)
    replies = await bot.say(COORD_A, "/tindak_lanjut")
    assert "15 anak" in texts(replies) and "Halaman 1 dari 2" in texts(replies)
    # Issue 16: the list is the case list, a button per case (a child without a case, like "not weighed", has none).
    assert buttons(replies[-1])[0] == "1. Anak 2004" and buttons(replies[-1])[-1] == "Berikutnya ›"
    await bot.press(COORD_A, "Berikutnya")
    page2 = bot.last_text(COORD_A)
    assert "Halaman 2 dari 2" in page2 and "Anak Lama" in page2 and "tidak ditimbang 2 bulan" in page2
    assert "belum pernah ditimbang" in page2
    assert buttons(bot.last(COORD_A))[-1] == "‹ Sebelumnya" and "Anak Lama" not in buttons(bot.last(COORD_A))


async def test_export_sends_xlsx_of_own_area_only(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    await bot.say(COORD_A, "/ekspor")
    await api.wait_for(lambda: any(m.get("document") for m in api.messages(COORD_A)), 15)
    docs = [m for m in api.messages(COORD_A) if m.get("document")]
    assert docs and docs[0]["document"]["file_name"].endswith(".xlsx")
    wb = load_workbook(io.BytesIO(api.files[docs[0]["document"]["file_id"]]))
    assert "Posyandu Melati 1" in wb.sheetnames and "Posyandu Mawar" in wb.sheetnames
    assert "Posyandu Anggrek" not in wb.sheetnames
    melati = wb["Posyandu Melati 1"]
    header = [c.value for c in melati[1]]
    assert "NIK" in header and "ZS TB/U" in header
    assert melati.max_row == 4  # header + the three children weighed this month
    # The recap's Excel button gives the same file for the chosen month.
    last = month_start(world.today, 1)
    await bot.say(COORD_A, f"/rekap {last:%Y-%m}")
    await bot.press(COORD_A, "Excel")
    await api.wait_for(lambda: len([m for m in api.messages(COORD_A) if m.get("document")]) == 2, 15)
    doc = [m for m in api.messages(COORD_A) if m.get("document")][-1]
    assert f"{last:%Y-%m}" in doc["document"]["file_name"]


async def test_read_access_matrix(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    """Each coordinator sees only their own area; cadres, parents and strangers are refused politely."""
    out_b = texts(await bot.say(COORD_B, "/rekap"))
    assert "Rekap Kelurahan Sukajadi" in out_b and "Melati" not in out_b and "S 3 · D 1" in out_b
    await bot.say(COORD_B, "/rekap")
    await bot.press(COORD_B, "Excel")
    await api.wait_for(lambda: any(m.get("document") for m in api.messages(COORD_B)), 15)
    doc = [m for m in api.messages(COORD_B) if m.get("document")][-1]
    wb = load_workbook(io.BytesIO(api.files[doc["document"]["file_id"]]))
    assert all("Melati" not in name and "Mawar" not in name for name in wb.sheetnames)
    for uid in (CADRE_A1, world.parents[world.p_a1][0], STRANGER):
        for command in ("/rekap", "/ekspor", "/siaran_status"):
            out = texts(await bot.say(uid, command))
            assert "untuk koordinator" in out, (uid, command)
    # Issue 16: the follow-up list is the case list, for the cadre too (her own posyandu only); never for parents
    # or strangers.
    cadre_list = texts(await bot.say(CADRE_A1, "/tindak_lanjut"))
    assert "Anak 2002" in cadre_list and "Mawar" not in cadre_list and "Anak 2004" not in cadre_list
    for uid in (world.parents[world.p_a1][0], STRANGER):
        assert "untuk kader, TPK, bidan dan koordinator" in texts(await bot.say(uid, "/tindak_lanjut"))
    # A stale recap button pressed by someone who lost the role is refused too.
    await bot.runtime.repos.users.set_role(COORD_B, None)
    replies = await bot.press(COORD_B, "Daftar tindak lanjut")
    assert not [m for m in replies if "anak" in str(m.get("text"))]


async def test_empty_area_recap(bot: BotHarness, api: FakeBotAPI, world: World) -> None:
    area = await bot.runtime.repos.areas.create("kelurahan", "Kosong", world.kec2)  # type: ignore[arg-type]
    await bot.runtime.repos.users.set_role(5010, "coordinator", area_id=area.id)  # type: ignore[arg-type]
    api.user(5010, "Bu Kosong")
    out = texts(await bot.say(5010, "/rekap"))
    assert "Belum ada posyandu" in out
