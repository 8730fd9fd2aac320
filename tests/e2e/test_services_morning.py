"""A posyandu morning at the service table (issue 14), through the real Application and the Bot API stand-in: the
buttons under the result card for what each child is due (one tap, ✅ to take back), the quick entry with
services, the refusals a guideline demands (with the exceptions it allows, marked), a date correction that keeps
the history, and /daftar showing who is due what. Rules: docs/clinical-rules.md §7-§8."""

from __future__ import annotations

import datetime as dt

from bot.sim.fake_api import FakeBotAPI
from storage import program_queries as pq
from storage import services_queries as sq
from storage.models import Sex
from storage.program_queries import ProgramCreate
from tests.e2e.harness import BotHarness, buttons, texts
from tests.e2e.services_support import CADRE, TODAY, World, add_child, doses, give, make_world, sbot

__all__ = ["sbot"]


async def _world(bot: BotHarness, api: FakeBotAPI) -> World:
    repos = bot.runtime.repos
    world = await make_world(repos, api)
    # Ani, 9 months: every dose up to 4 months recorded; MR 1 and IPV 2 due now, the blue capsule this round.
    ani = await add_child(repos, world, "ani", "Ani Lestari", dt.date(2024, 11, 5))
    await give(repos, ani, doses(dt.date(2024, 11, 5), "HB0") + doses(dt.date(2024, 12, 5), "BCG", "OPV1")
               + doses(dt.date(2025, 1, 6), "DPT1", "OPV2", "PCV1", "RV1")
               + doses(dt.date(2025, 2, 5), "DPT2", "OPV3", "PCV2", "RV2")
               + doses(dt.date(2025, 3, 5), "DPT3", "OPV4", "IPV1", "RV3"))
    # Budi, 26 months, enrolled in a PMT program: MR 1 and PCV 3 recorded, MR 2 and DPT-HB-Hib 4 overdue.
    budi = await add_child(repos, world, "budi", "Budi Santoso", dt.date(2023, 6, 10), sex=Sex.MALE)
    await give(repos, budi, doses(dt.date(2023, 7, 10), "BCG", "OPV1")
               + doses(dt.date(2023, 8, 10), "DPT1", "OPV2", "PCV1", "RV1")
               + doses(dt.date(2023, 9, 11), "DPT2", "OPV3", "PCV2", "RV2")
               + doses(dt.date(2023, 10, 10), "DPT3", "OPV4", "IPV1", "RV3")
               + doses(dt.date(2024, 3, 11), "MR1", "IPV2") + doses(dt.date(2024, 6, 10), "PCV3"))
    program = await pq.create(repos.db, ProgramCreate(
        name="Asuh Kampung Bali", sponsor="PAM Jaya", posyandu_id=world.posyandu_id, kind="pmt_lokal",
        starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 12, 31), criteria=("stunted",)))
    await pq.enrol(repos.db, program.id, [budi.id], dt.date(2025, 7, 1), None)
    await add_child(repos, world, "citra", "Citra Dewi", dt.date(2025, 3, 1))  # 5 months: no vitamin A yet
    await add_child(repos, world, "dodi", "Dodi Pratama", dt.date(2023, 2, 1), sex=Sex.MALE)  # not enrolled
    await add_child(repos, world, "eka", "Eka Putri", dt.date(2024, 12, 1))  # rotavirus window closed 30 June
    fajar = await add_child(repos, world, "fajar", "Fajar Nugroho", dt.date(2022, 5, 20), sex=Sex.MALE)
    await give(repos, fajar, [("vitamin_a", "red", dt.date(2025, 8, 1))])  # this round's capsule at a sweeping
    return world


async def _current(bot: BotHarness, world: World, label: str) -> list[sq.ServiceRecord]:
    child = world.children[label]
    return (await sq.current_for(bot.runtime.repos.db, [child.id]))[child.id]


async def test_buttons_under_the_card_record_what_is_due_and_take_it_back(sbot: BotHarness, api: FakeBotAPI) -> None:
    """Ani (9 months): MR 1, IPV 2 and the blue capsule are offered; one tap records each, ✅ takes it back, and the
    history keeps the record that was taken back."""
    world = await _world(sbot, api)
    ani = world.children["ani"]
    replies = await sbot.say(CADRE, f"/catat {ani.code} 8,2 70")
    card = replies[0]
    assert "Tersimpan" in card["text"]
    labels = buttons(card)
    assert {"💉 MR 1", "💉 IPV 2", "💊 Vit A biru"} <= set(labels)
    assert not any("cacing" in b for b in labels)  # deworming from 12 months (Juknis ILP 2023)
    await sbot.press(CADRE, "💉 MR 1")
    await sbot.press(CADRE, "Vit A biru")
    assert {"✅ MR 1", "✅ Vit A biru", "💉 IPV 2"} <= set(buttons(sbot.last(CADRE)))
    got = {(r.kind, r.code, r.given_on) for r in await _current(sbot, world, "ani")}
    assert {("immunisation", "MR1", TODAY), ("vitamin_a", "blue", TODAY)} <= got
    await sbot.press(CADRE, "✅ MR 1")  # a slip of the finger: taken back
    assert "💉 MR 1" in buttons(sbot.last(CADRE))
    assert ("immunisation", "MR1", TODAY) not in {(r.kind, r.code, r.given_on)
                                                  for r in await _current(sbot, world, "ani")}
    history = await sq.history_for(sbot.runtime.repos.db, ani.id)
    assert [(r.code, r.removed) for r in history if r.code == "MR1"] == [("MR1", False), ("MR1", True)]
    assert api.unanswered_callback_queries() == []


async def test_the_quick_entry_records_the_services_of_the_line(sbot: BotHarness, api: FakeBotAPI) -> None:
    """`/catat B 12,1 86 vita cacing pmt imun:mr2`: the red capsule (26 months), one tablet of albendazole (from
    24 months), the program's PMT delivery and MR 2, then the card offers only what is still due (DPT-HB-Hib 4)."""
    world = await _world(sbot, api)
    budi = world.children["budi"]
    replies = await sbot.say(CADRE, f"/catat {budi.code} 12,1 86 vita cacing pmt imun:mr2")
    text = texts(replies)
    assert "Tersimpan" in text
    assert "Vitamin A, kapsul merah (200.000 IU)" in text
    assert "Obat cacing, 1 tablet albendazol (400 mg)" in text
    assert "PMT lokal «Asuh Kampung Bali» · 7 hari" in text
    assert "MR 2 (lanjutan)" in text or "MR 2" in text
    card = next(m for m in replies if "Tersimpan" in (m.get("text") or ""))
    labels = buttons(card)
    assert "⏰ DPT-HB-Hib 4" in labels  # overdue, still within its limit (catch-up until 59 months)
    assert not any(b.startswith(("💊", "🪱", "🍲")) or "MR 2" in b for b in labels)
    got = {(r.kind, r.code) for r in await _current(sbot, world, "budi") if r.given_on == TODAY}
    assert got == {("vitamin_a", "red"), ("deworming", "whole"), ("pmt", "lokal"), ("immunisation", "MR2")}


async def test_services_without_a_measurement_and_what_the_rules_refuse(sbot: BotHarness, api: FakeBotAPI) -> None:
    """Refused, clearly and with nothing saved: vitamin A before 6 months, a rotavirus dose after 6 months 29 days
    (Surat Dirjen P2P IM.02.02/C/3052/2023), a PMT delivery to a child outside the program, a dose already
    recorded, an unknown vaccine."""
    world = await _world(sbot, api)
    c = world.children
    cases = [
        (f"/catat {c['citra'].code} vita", "Vitamin A untuk anak umur 6–59 bulan"),
        (f"/catat {c['eka'].code} imun:rota", "hanya bisa diberikan sampai Senin, 30 Juni 2025"),
        (f"/catat {c['dodi'].code} pmt", "tidak terdaftar di program"),
        (f"/catat {c['ani'].code} imun:bcg", "sudah tercatat pada Kamis, 5 Desember 2024"),
        (f"/catat {c['ani'].code} imun:flu", "bukan vaksin dalam jadwal"),
    ]
    for line, expected in cases:
        replies = await sbot.say(CADRE, line)
        assert expected in texts(replies), (line, texts(replies))
    for label in ("citra", "dodi", "eka"):
        assert await _current(sbot, world, label) == []


async def test_a_second_capsule_in_a_round_only_as_an_exception_the_guideline_allows(sbot: BotHarness,
                                                                                     api: FakeBotAPI) -> None:
    """Fajar had this round's capsule on 1 August. A second one is refused unless there is a measles outbreak or a
    disaster (Juknis ILP 2023); the cadre's choice is stored with the record and shown."""
    world = await _world(sbot, api)
    fajar = world.children["fajar"]
    replies = await sbot.say(CADRE, f"/catat {fajar.code} vita")
    assert "sudah diberikan pada putaran ini" in texts(replies)
    assert "⚠️ KLB campak" in buttons(replies[-1]) and "⚠️ situasi bencana" in buttons(replies[-1])
    assert len(await _current(sbot, world, "fajar")) == 1
    replies = await sbot.press(CADRE, "KLB campak")
    assert "pengecualian: KLB campak" in texts(replies)
    capsules = [r for r in await _current(sbot, world, "fajar") if r.kind == "vitamin_a"]
    assert [(r.given_on, r.override) for r in capsules] == [(dt.date(2025, 8, 1), None), (TODAY, "klb")]
    replies = await sbot.say(CADRE, f"/layanan {fajar.code}")
    assert "pengecualian: KLB campak" in texts(replies)


async def test_a_dose_recorded_on_the_wrong_day_is_corrected_and_the_history_kept(sbot: BotHarness,
                                                                                  api: FakeBotAPI) -> None:
    world = await _world(sbot, api)
    ani = world.children["ani"]
    await sbot.say(CADRE, f"/catat {ani.code} imun:mr")
    replies = await sbot.say(CADRE, f"/catat {ani.code} imun:mr1 tgl 11/8/2025")
    assert "sudah tercatat pada Selasa, 12 Agustus 2025" in texts(replies)
    replies = await sbot.press(CADRE, "ganti tanggal jadi 11 Agu 2025")
    assert "Dikoreksi" in texts(replies)
    mr1 = [r for r in await _current(sbot, world, "ani") if r.code == "MR1"]
    assert [r.given_on for r in mr1] == [dt.date(2025, 8, 11)]
    history = [r for r in await sq.history_for(sbot.runtime.repos.db, ani.id) if r.code == "MR1"]
    assert len(history) == 2 and history[1].supersedes_id == history[0].id


async def test_daftar_shows_who_is_due_what_today(sbot: BotHarness, api: FakeBotAPI) -> None:
    world = await _world(sbot, api)
    replies = await sbot.say(CADRE, "/daftar")
    text = texts(replies)
    ani_line = next(line for line in text.splitlines() if world.children["ani"].code in line)
    assert "💉MR1 IPV2" in ani_line and "💊A" in ani_line
    budi_line = next(line for line in text.splitlines() if world.children["budi"].code in line)
    assert "DPT4" in budi_line and "🪱" in budi_line and "🍲" in budi_line
    assert "Jatuh tempo hari ini" in text


async def test_a_dose_days_before_its_minimum_age_only_with_the_grace_exception(sbot: BotHarness,
                                                                               api: FakeBotAPI) -> None:
    """MR 1 from 270 days (9 months). 3 days early: the cadre may record it marked as given up to 4 days early (CDC
    ACIP grace period); 6 days early: refused, the dose does not count and is given again."""
    world = await _world(sbot, api)
    repos = sbot.runtime.repos
    early = await add_child(repos, world, "galih", "Galih Saputra", TODAY - dt.timedelta(days=267), sex=Sex.MALE)
    too_early = await add_child(repos, world, "hadi", "Hadi Kusuma", TODAY - dt.timedelta(days=264), sex=Sex.MALE)
    replies = await sbot.say(CADRE, f"/catat {too_early.code} imun:mr")
    assert "boleh diberikan mulai" in texts(replies) and not any("4 hari" in b for b in buttons(replies[-1]))
    replies = await sbot.say(CADRE, f"/catat {early.code} imun:mr")
    assert "boleh diberikan mulai Jumat, 15 Agustus 2025" in texts(replies)
    replies = await sbot.press(CADRE, "paling lama 4 hari lebih awal")
    assert "pengecualian: diberikan paling lama 4 hari lebih awal (tetap sah)" in texts(replies)
    assert [(r.code, r.override) for r in await _current(sbot, world, "galih")] == [("MR1", "grace")]
    assert await _current(sbot, world, "hadi") == []
