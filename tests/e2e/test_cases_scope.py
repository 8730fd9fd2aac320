"""Who sees and records what (issue 16), for every role, end to end: a cadre sees her posyandu's children's cases and
never a woman's; TPK, health workers and coordinators only their area; only a health worker enters the puskesmas
outcome; parents, sponsors and strangers get nothing. Typed links and forged buttons are checked again."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.services import access
from bot.services import families as fam
from bot.sim.fake_api import FakeBotAPI
from storage import Role
from storage import case_queries as cq
from tests.e2e.cases_support import (
    BIDAN,
    BIDAN_OTHER,
    CADRE,
    CADRE_OTHER,
    COORD,
    COORD_OTHER,
    PARENT,
    SPONSOR,
    STRANGER,
    TPK,
    TPK_OTHER,
    Area,
    at,
    child,
    seed,
    weigh_z,
)
from tests.e2e.harness import BotHarness, buttons, texts

REFUSED_CARD = "tidak ada atau bukan di wilayah Anda"
OUTSIDERS = (PARENT, SPONSOR, STRANGER)


@dataclass
class Cases:
    melati_child: int
    kenanga_child: int
    woman_case: int
    woman: int


@pytest.fixture
async def sbot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "scope.db", clock=ManualClock(at(2025, 3, 4)))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def world(sbot: BotHarness, api: FakeBotAPI) -> tuple[Area, Cases]:
    repos = sbot.runtime.repos
    area = await seed(repos, api)
    budi = await child(repos, area.melati, "Budi Melati", dt.date(2023, 3, 1))
    tono = await child(repos, area.kenanga, "Tono Kenanga", dt.date(2023, 3, 1))
    for kid in (budi, tono):
        await weigh_z(repos, kid, dt.date(2025, 3, 3), whz=-3.5)
    tpk = access.Principal(user_id=TPK, role=Role.TPK, area_id=area.kel_a)
    woman = await fam.register(repos, tpk, fam.Registration(
        name="Siti Hamil", birth_date=dt.date(2000, 1, 1), posyandu_id=area.melati, group=fam.PREGNANT,
        lmp=dt.date(2024, 12, 1)), dt.date(2025, 3, 4))
    recorded = await fam.record_visit(repos, tpk, woman.id, fam.VisitInput(kind="anc", on=dt.date(2025, 3, 4),
                                                                            hb=Decimal("9.5")), dt.date(2025, 3, 4))
    assert recorded.case is not None
    cases = await cq.open_cases_of_children(repos.db, [budi, tono])
    return area, Cases(cases[budi].id, cases[tono].id, recorded.case.id, woman.id)


async def _forge(bot: BotHarness, api: FakeBotAPI, uid: int, data: str) -> str:
    """Press a button carrying `data` that the bot never gave this user; the answer's text."""
    if not api.messages(uid):
        await bot.say(uid, "/help")
    mark = len(api.calls)
    api.forge_callback(uid, api.messages(uid)[-1]["message_id"], data)
    await bot._settle(10)
    answers = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
    assert len(answers) == 1, data
    return str(answers[0].params.get("text") or "")


async def test_a_cadre_sees_her_posyandus_children_and_never_a_woman(sbot: BotHarness, api: FakeBotAPI,
                                                                     world: tuple[Area, Cases]) -> None:
    _, c = world
    listed = texts(await sbot.say(CADRE, "/tindak_lanjut"))
    assert "Budi Melati" in listed and "Tono Kenanga" not in listed and "Siti Hamil" not in listed
    card = texts(await sbot.say(CADRE, f"/kasus_{c.melati_child}"))
    assert "Budi Melati" in card and "Hasil puskesmas" not in buttons(api.last_message(CADRE))
    for other in (c.kenanga_child, c.woman_case):
        assert REFUSED_CARD in texts(await sbot.say(CADRE, f"/kasus_{other}"))
    assert "hanya untuk TPK, bidan dan koordinator" in texts(await sbot.say(CADRE, "/keluarga"))
    assert "untuk koordinator, bidan dan TPK" in texts(await sbot.say(CADRE, "/laporan_tpk"))
    assert "bukan di wilayah Anda" in await _forge(sbot, api, CADRE, f"ibu:w:{c.woman}")
    before = len(await cq.events(sbot.runtime.repos.db, c.melati_child))
    await _forge(sbot, api, CADRE, f"kf:outcome:{c.melati_child}")
    assert "untuk peran lain" in sbot.last_text(CADRE)  # only a health worker enters the outcome
    assert len(await cq.events(sbot.runtime.repos.db, c.melati_child)) == before
    assert REFUSED_CARD in texts(await sbot.say(CADRE_OTHER, f"/kasus_{c.melati_child}"))


async def test_tpk_and_health_workers_reach_their_area_only(sbot: BotHarness, api: FakeBotAPI,
                                                            world: tuple[Area, Cases]) -> None:
    _, c = world
    own = texts(await sbot.say(TPK, "/tindak_lanjut"))
    assert "Budi Melati" in own and "Siti Hamil" in own and "Tono Kenanga" not in own
    assert "Siti Hamil" in texts(await sbot.say(TPK, "/keluarga"))
    # A TPK of another village: nothing of kelurahan A, by list, link, card button or form button.
    other = texts(await sbot.say(TPK_OTHER, "/tindak_lanjut"))
    assert "Budi Melati" not in other and "Siti Hamil" not in other
    assert "Siti Hamil" not in texts(await sbot.say(TPK_OTHER, "/keluarga"))
    assert REFUSED_CARD in texts(await sbot.say(TPK_OTHER, f"/kasus_{c.woman_case}"))
    assert "bukan di wilayah Anda" in await _forge(sbot, api, TPK_OTHER, f"ibu:w:{c.woman}")
    await _forge(sbot, api, TPK_OTHER, f"kf:anc:{c.woman}")
    assert "bukan di wilayah Anda" in sbot.last_text(TPK_OTHER)
    # The midwife of kecamatan 1 enters the outcome in kelurahan A; the one of kecamatan 2 cannot.
    await sbot.say(BIDAN, f"/kasus_{c.woman_case}")
    assert "🩺 Hasil puskesmas" in buttons(api.last_message(BIDAN))
    assert "Tono Kenanga" in texts(await sbot.say(BIDAN_OTHER, "/tindak_lanjut"))
    for case_id in (c.melati_child, c.woman_case):
        assert REFUSED_CARD in texts(await sbot.say(BIDAN_OTHER, f"/kasus_{case_id}"))
    await _forge(sbot, api, BIDAN_OTHER, f"kf:outcome:{c.melati_child}")
    assert "bukan di wilayah Anda" in sbot.last_text(BIDAN_OTHER)
    # Coordinators: their own area (her case too), never another's.
    assert "Siti Hamil" in texts(await sbot.say(COORD, "/tindak_lanjut"))
    assert REFUSED_CARD in texts(await sbot.say(COORD_OTHER, f"/kasus_{c.woman_case}"))


async def test_parents_sponsors_and_strangers_get_nothing(sbot: BotHarness, api: FakeBotAPI,
                                                          world: tuple[Area, Cases]) -> None:
    _, c = world
    for uid in OUTSIDERS:
        for command in ("/tindak_lanjut", "/kasus", "/keluarga", "/laporan_tpk", "/ibu_baru",
                        f"/kasus_{c.melati_child}", f"/kasus_{c.woman_case}"):
            out = texts(await sbot.say(uid, command))
            assert "Budi Melati" not in out and "Siti Hamil" not in out, (uid, command)
            assert "Maaf" in out or "bukan di wilayah Anda" in out or "tidak dapat" in out, (uid, command)
        for data in (f"kasus:c:{c.melati_child}", f"ibu:w:{c.woman}", "tl:page:0", "ibu:p:0"):
            answer = await _forge(sbot, api, uid, data)
            assert "Maaf" in answer or "bukan di wilayah Anda" in answer, (uid, data)
        await _forge(sbot, api, uid, f"kf:visit:{c.melati_child}")
        assert "Budi Melati" not in sbot.last_text(uid)
    assert api.unanswered_callback_queries() == []
