"""A child's follow-up case end to end (issue 16): the cadre's measurement that opens it, the case list and card,
a visit and a referral by the cadre, the puskesmas outcome by the midwife, and the two months back in range that
close it (docs/cases.md §3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services import status as status_svc
from bot.services.reminders import run_due
from bot.sim.fake_api import FakeBotAPI
from storage import ChildStatus
from storage import case_queries as cq
from tests.e2e.cases_support import BIDAN, CADRE, COORD, Area, at, child, seed, weigh_real
from tests.e2e.harness import BotHarness, buttons, texts


@pytest.fixture
async def cbot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "cases.db", clock=ManualClock(at(2025, 3, 4)))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def area(cbot: BotHarness, api: FakeBotAPI) -> Area:
    return await seed(cbot.runtime.repos, api)


async def _move(bot: BotHarness, when: dt.datetime) -> None:
    assert isinstance(bot.clock, ManualClock)
    bot.clock.set(when)


async def test_a_case_from_the_measurement_that_opens_it_to_the_recovery_that_closes_it(
        cbot: BotHarness, api: FakeBotAPI, area: Area) -> None:
    """Buku KIA 2023, p. 54: a weight that did not go up (T) is referred; the case closes itself only after two
    consecutive counted months without a refer reason."""
    repos = cbot.runtime.repos
    kid = await child(repos, area.melati, "Budi Santoso", dt.date(2023, 3, 1))
    code = (await repos.children.get(kid)).code
    await weigh_real(repos, kid, dt.date(2025, 2, 4), "11", "85")
    assert await cq.open_cases_of_children(repos.db, [kid]) == {}

    # The cadre's entry: no gain in a month (T). The case opens from the status function's answer.
    card = texts(await cbot.say(CADRE, f"/catat {code} 11 85,5"))
    assert "Berat: T" in card
    case = (await cq.open_cases_of_children(repos.db, [kid]))[kid]
    assert case.reasons == ("t",) and case.state == "open"

    # The coordinator's follow-up list is the case list: the reason, the case link and a button to the case.
    replies = await cbot.say(COORD, "/tindak_lanjut")
    listed = texts(replies)
    assert "1 anak perlu ditindaklanjuti" in listed and "Budi Santoso" in listed
    assert "T (berat tidak naik)" in listed and f"/kasus_{case.id}" in listed
    assert buttons(replies[-1]) == ["1. Budi Santoso"]
    opened = texts(await cbot.press(COORD, "1. Budi Santoso"))
    assert f"Kasus {case.id}" in opened and "terbuka, belum ada tindakan" in opened
    assert "dibuka: T (berat tidak naik) (dari hasil pengukuran)" in opened
    assert "Hasil puskesmas" not in buttons(api.last_message(COORD))  # a coordinator cannot enter it

    # The cadre records a home visit with its checklist and a note.
    await cbot.say(CADRE, f"/kasus_{case.id}")
    await cbot.press(CADRE, "Catat kunjungan")
    asked = texts(await cbot.press(CADRE, "Hari ini"))
    assert "Apa yang dilakukan?" in asked
    await cbot.press(CADRE, "Buku KIA dilihat")
    assert "✅ Buku KIA dilihat" in buttons(api.last_message(CADRE))
    await cbot.press(CADRE, "✅ Selesai")
    summary = texts(await cbot.say(CADRE, "Ibu bersedia ke puskesmas <Senin>"))
    assert "Mohon periksa" in summary and "Catatan: Ibu bersedia ke puskesmas <Senin>" in summary  # escaped HTML
    saved = texts(await cbot.press(CADRE, "Simpan"))
    assert "Tercatat pada kasus Budi Santoso" in saved

    # ... and a referral to the puskesmas.
    await cbot.say(CADRE, f"/kasus_{case.id}")
    await cbot.press(CADRE, "Rujukan")
    await cbot.press(CADRE, "Hari ini")
    await cbot.press(CADRE, "Puskesmas")
    await cbot.press(CADRE, "Lewati")
    await cbot.press(CADRE, "Simpan")
    card = texts(await cbot.say(CADRE, f"/kasus_{case.id}"))
    assert "Status: sudah dirujuk" in card and "kunjungan rumah: Buku KIA dilihat — Kak Sari (kader)" in card
    assert "dirujuk ke Puskesmas — Kak Sari (kader)" in card and "“Ibu bersedia ke puskesmas <Senin>”" in card
    assert "Hasil puskesmas" not in buttons(api.last_message(CADRE))

    # The midwife enters what the puskesmas found: confirmed, treatment started. The case stays open.
    await cbot.say(BIDAN, f"/kasus_{case.id}")
    await cbot.press(BIDAN, "Hasil puskesmas")
    await cbot.press(BIDAN, "Hari ini")
    await cbot.press(BIDAN, "Terkonfirmasi")
    await cbot.say(BIDAN, "PMT lokal 28 hari")
    await cbot.press(BIDAN, "Simpan")
    card = texts(await cbot.say(BIDAN, f"/kasus_{case.id}"))
    assert "Status: dalam penanganan" in card
    assert "hasil puskesmas: Terkonfirmasi: penanganan/PMT dimulai — Bidan Ani (bidan/puskesmas)" in card

    # One month back in range (N) is not enough ...
    await _move(cbot, at(2025, 4, 3))
    assert "Berat: N" in texts(await cbot.say(CADRE, f"/catat {code} 11,4 86"))
    assert (await cq.get_case(repos.db, case.id)).is_open  # type: ignore[union-attr]
    # ... two consecutive months close it: recovered.
    await _move(cbot, at(2025, 5, 6))
    assert "Berat: N" in texts(await cbot.say(CADRE, f"/catat {code} 11,7 86,6"))
    closed = await cq.get_case(repos.db, case.id)
    assert closed is not None and not closed.is_open and closed.closed_reason == "recovered"
    card = texts(await cbot.say(COORD, f"/kasus_{case.id}"))
    assert "Status: selesai" in card and "selesai: dua bulan kembali normal" in card
    assert not any("Catat kunjungan" in b for b in buttons(api.last_message(COORD)))
    assert "Budi Santoso" not in texts(await cbot.say(COORD, "/tindak_lanjut"))
    # Every change of the case is in the audit log (ids only).
    actions = [a.action for a in await repos.audit.list_for("case", case.id)]
    assert sorted(set(actions)) == ["case_outcome", "case_recovered", "case_referral", "case_visit", "open"]


async def test_new_reasons_join_the_open_case_and_tighten_its_deadline(cbot: BotHarness, area: Area) -> None:
    """One open case per child: a later month's new reason is added to its timeline (no second case); a more
    urgent reason brings the deadline forward (docs/cases.md §2)."""
    repos = cbot.runtime.repos
    kid = await child(repos, area.melati, "Rina Lestari", dt.date(2023, 3, 1))
    code = (await repos.children.get(kid)).code
    await weigh_real(repos, kid, dt.date(2025, 2, 4), "11", "78")  # severely stunted (PB/U < -3 SD)
    first = (await cq.open_cases_of_children(repos.db, [kid]))[kid]
    assert first.reasons == ("severely_stunted",) and first.remind_at == at(2025, 3, 18)  # two weeks
    await cbot.say(CADRE, f"/catat {code} 11 78,3")  # stunted now, and T
    cases = await cq.cases_in(repos.db, [area.melati], women=False)
    assert len(cases) == 1 and cases[0].reasons == ("t", "severely_stunted", "stunted")
    events = await cq.events(repos.db, cases[0].id)
    assert [(e.kind, e.reasons) for e in events] == [("opened", ("severely_stunted",)), ("reason", ("t", "stunted"))]
    assert cases[0].remind_at == at(2025, 3, 11)  # T: one week, earlier than the stunting's two


async def test_stale_and_forged_case_buttons_are_answered_politely(cbot: BotHarness, api: FakeBotAPI,
                                                                     area: Area) -> None:
    repos = cbot.runtime.repos
    kid = await child(repos, area.melati, "Dimas", dt.date(2023, 3, 1))
    code = (await repos.children.get(kid)).code
    await weigh_real(repos, kid, dt.date(2025, 2, 4), "11", "85")
    await cbot.say(CADRE, f"/catat {code} 11 85,5")
    case = (await cq.open_cases_of_children(repos.db, [kid]))[kid]
    await cbot.say(CADRE, f"/kasus_{case.id}")
    await cbot.say(CADRE, f"/kasus_{case.id + 50}")
    assert "tidak ada atau bukan di wilayah Anda" in cbot.last_text(CADRE)
    await cbot.press(CADRE, "Catat kunjungan")
    await cbot.say(CADRE, "/batal")
    assert "Dibatalkan" in cbot.last_text(CADRE)
    before = len(await cq.events(repos.db, case.id))
    await cbot.press(CADRE, "Hari ini")  # a button of the cancelled form
    assert len(await cq.events(repos.db, case.id)) == before
    assert api.unanswered_callback_queries() == []


async def test_a_form_survives_a_restart_and_an_outcome_that_closes_the_case_settles_the_list(
        cbot: BotHarness, api: FakeBotAPI, area: Area) -> None:
    """The conversation is persistent (user_data): after a restart the midwife answers the next question. "Not
    confirmed" closes the case; the visit it knew neither reopens it nor keeps the child on the list."""
    repos = cbot.runtime.repos
    kid = await child(repos, area.melati, "Rina Lestari", dt.date(2023, 3, 1))
    await weigh_real(repos, kid, dt.date(2025, 3, 3), "11.2", "79")  # stunted: a doctor confirms (KMK 1928/2022)
    case = (await cq.open_cases_of_children(repos.db, [kid]))[kid]
    await cbot.say(BIDAN, f"/kasus_{case.id}")
    await cbot.press(BIDAN, "Hasil puskesmas")
    await cbot.press(BIDAN, "Hari ini")
    await cbot.restart()
    await cbot.press(BIDAN, "Tidak terkonfirmasi")
    await cbot.say(BIDAN, "Panjang diukur ulang oleh dokter: normal")
    assert "Tercatat pada kasus Rina Lestari" in texts(await cbot.press(BIDAN, "Simpan"))
    repos = cbot.runtime.repos
    closed = await cq.get_case(repos.db, case.id)
    assert closed is not None and closed.closed_reason == "not_confirmed" and closed.state == "closed"
    assert "Rina Lestari" not in texts(await cbot.say(COORD, "/tindak_lanjut"))
    await status_svc.decide(repos, await repos.children.get(kid), await repos.measurements.history_for_child(kid),
                            version=None)
    assert await cq.open_cases_of_children(repos.db, [kid]) == {}


async def test_a_child_marked_moved_closes_its_case_instead_of_reminding(cbot: BotHarness, api: FakeBotAPI,
                                                                          area: Area) -> None:
    repos = cbot.runtime.repos
    kid = await child(repos, area.melati, "Fajar", dt.date(2023, 3, 1))
    await weigh_real(repos, kid, dt.date(2025, 2, 4), "11", "85")
    await weigh_real(repos, kid, dt.date(2025, 3, 4), "11", "85.5")  # T
    case = (await cq.open_cases_of_children(repos.db, [kid]))[kid]
    await repos.children.set_status(kid, ChildStatus.MOVED, actor_id=CADRE)
    await _move(cbot, at(2025, 3, 12))
    assert cbot.app is not None
    await run_due(cbot.runtime, cbot.app.bot)
    closed = await cq.get_case(repos.db, case.id)
    assert closed is not None and closed.state == "moved" and closed.closed_reason == "moved"
    assert not any("Fajar" in str(m.get("text")) for m in api.messages(CADRE))
