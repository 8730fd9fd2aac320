"""Intervention programs and their sponsors (issue 14), through the real Application and the stand-in: a
coordinator defines a program step by step, the stunted children are proposed and enrolled, a sponsor member is
invited like staff, sees the children anonymised, gets the report, the Excel file and the monthly report, and
writes to the cadres. Every message the sponsor receives is searched for names, NIK, phone numbers and addresses:
the test fails if any reaches the sponsor (UU PDP 27/2022)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from openpyxl import load_workbook

from bot.services.reminders import run_due
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage.models import Child, MeasurementCreate, Position, Sex
from tests.e2e.harness import BotHarness, buttons, texts
from tests.e2e.services_support import CADRE, COORDINATOR, NOW, OTHER_CADRE, World, add_child, make_world, sbot

__all__ = ["sbot"]
SPONSOR = 4100
STRANGER = 4101
JULY = dt.datetime(2025, 7, 20, 2, 0, tzinfo=dt.UTC)


async def weigh(repos: Repositories, child: Child, on: dt.date, *, waz: float, haz: float, kg: float = 9.0,
                cm: float = 76.0) -> None:
    """A visit with the z-scores given (the status service keeps the engine's numbers of a stored row)."""
    await repos.measurements.add(MeasurementCreate(child_id=child.id, measured_on=on, weight_kg=kg, length_cm=cm,
                                                   position=Position.LYING, waz=waz, haz=haz))


async def _world(bot: BotHarness, api: FakeBotAPI) -> tuple[World, list[Child]]:
    repos = bot.runtime.repos
    world = await make_world(repos, api)
    personal = [
        await add_child(repos, world, "siti", "Siti Rahmawati", dt.date(2024, 1, 15), nik="3171015501240003",
                        phone="081234567890", guardian="Maryam Hasanah", address="Jl. Kebon Kacang 5"),
        await add_child(repos, world, "joko", "Joko Susilo", dt.date(2023, 11, 2), sex=Sex.MALE,
                        nik="3171010211230004", phone="0813-9876-5432", guardian="Bambang Irawan",
                        address="Gang Melati 12"),
        await add_child(repos, world, "lina", "Lina Marlina", dt.date(2024, 2, 20), phone="+6285711112222",
                        guardian="Dewi Kartika", address="RT 04 Kampung Bali"),
    ]
    await weigh(repos, personal[0], dt.date(2025, 7, 8), waz=-1.8, haz=-2.5)
    await weigh(repos, personal[1], dt.date(2025, 7, 8), waz=-2.1, haz=-2.4, kg=9.5, cm=80.0)
    await weigh(repos, personal[2], dt.date(2025, 7, 8), waz=-0.5, haz=-0.4)  # not stunted: not proposed
    return world, personal


def _sensitive(children: list[Child]) -> list[str]:
    """Every piece of personal data of these children, in the shapes a message could carry it."""
    out: list[str] = []
    for c in children:
        out += [c.name, *c.name.split(), c.guardian_name or "", *(c.guardian_name or "").split(), c.address or ""]
        if c.nik:
            out += [c.nik, c.nik[:6], c.nik[-6:]]
        if c.guardian_phone:
            digits = re.sub(r"\D", "", c.guardian_phone)
            out += [digits, digits[2:], "0" + digits[2:], digits[-8:]]
    return [s for s in out if len(s) >= 4 and s not in {"Gang", "Kampung", "Bali", "Kebon"}]


def _xlsx_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None)


def _everything(api: FakeBotAPI, chat: int) -> str:
    """Every text, caption, button and file the bot sent to a chat."""
    parts: list[str] = []
    for m in api.messages(chat):
        parts += [str(m.get("text") or ""), str(m.get("caption") or ""), *buttons(m)]
        doc: dict[str, Any] | None = m.get("document")
        if doc is not None:
            parts.append(_xlsx_text(api.files[doc["file_id"]]))
    return "\n".join(parts)


async def _define_program(bot: BotHarness, world: World) -> None:
    await bot.say(COORDINATOR, "/program_baru")
    await bot.say(COORDINATOR, "Orang Tua Asuh Kampung Bali")
    await bot.say(COORDINATOR, "PAM Jaya")
    await bot.press(COORDINATOR, "Seluruh Kelurahan Kampung Bali")
    await bot.press(COORDINATOR, "PMT lokal")
    await bot.say(COORDINATOR, "1/7/2025 - 31/12/2025")
    await bot.press(COORDINATOR, "pendek (PB/U")
    await bot.press(COORDINATOR, "Selesai")
    replies = await bot.press(COORDINATOR, "Simpan")
    card = texts(replies)
    assert "Orang Tua Asuh Kampung Bali" in card and "Sponsor: PAM Jaya" in card
    assert "pendek (PB/U atau TB/U di bawah −2 SD)" in card


async def test_a_program_proposes_enrols_and_its_sponsor_sees_no_personal_data(sbot: BotHarness,
                                                                               api: FakeBotAPI) -> None:
    sbot.runtime.clock.set(JULY)  # the program is set up after July's posyandu
    world, personal = await _world(sbot, api)
    repos = sbot.runtime.repos
    await _define_program(sbot, world)

    replies = await sbot.press(COORDINATOR, "Anak yang diusulkan")
    proposed = texts(replies)
    assert "Siti Rahmawati" in proposed and "Joko Susilo" in proposed  # stunted in their latest weighing
    assert "Lina Marlina" not in proposed
    await sbot.press(COORDINATOR, "Daftarkan semua")
    # A month in the program: Siti is weighed again and is not stunted any more.
    sbot.runtime.clock.set(NOW)
    await weigh(repos, personal[0], dt.date(2025, 8, 5), waz=-1.5, haz=-1.9, kg=9.4, cm=77.5)
    replies = await sbot.say(COORDINATOR, "/program")
    await sbot.press(COORDINATOR, "Orang Tua Asuh Kampung Bali")
    replies = await sbot.press(COORDINATOR, "Terdaftar")
    enrolled = texts(replies)
    assert "Siti Rahmawati" in enrolled and "pendek → normal" in enrolled  # -2.5 in July, -1.9 in August

    replies = await sbot.press(COORDINATOR, "Undang anggota sponsor")
    code = re.search(r"/start ([A-Z0-9]{6,})", texts(replies))
    assert code is not None
    api.user(SPONSOR, "Sponsor")
    replies = await sbot.say(SPONSOR, f"/start {code.group(1)}")
    assert "sebagai sponsor" in texts(replies)
    assert (await repos.users.get(SPONSOR)).role == "sponsor"

    replies = await sbot.say(SPONSOR, "/asuh")
    view = texts(replies)
    siti, joko = world.children["siti"], world.children["joko"]
    assert f"{siti.code} · 1 th 6 bln · perempuan: pendek → normal · ZS TB/U −2,50 → −1,90" in view
    assert joko.code in view and world.children["lina"].code not in view
    await sbot.press(SPONSOR, "Laporan")
    await sbot.press(SPONSOR, "Excel")
    await sbot.press(SPONSOR, "Kirim pesan ke kader")
    replies = await sbot.say(SPONSOR, "/pesan_kader Terima kasih atas kerja bulan ini!")
    assert "Terkirim ke 2 kader" in texts(replies)
    for cadre in (CADRE, OTHER_CADRE):
        assert "Pesan dari sponsor program Orang Tua Asuh Kampung Bali" in sbot.last_text(cadre)
    await sbot.say(SPONSOR, "/daftar")  # staff commands give a sponsor nothing
    await sbot.say(SPONSOR, f"/riwayat {siti.code}")
    await sbot.say(SPONSOR, f"/layanan {siti.code}")

    # The monthly report arrives by itself on 1 September, once.
    sbot.runtime.clock.set(dt.datetime(2025, 9, 1, 2, 0, tzinfo=dt.UTC))
    assert sbot.app is not None
    for hours in (0, 3, 6):
        sbot.runtime.clock.set(dt.datetime(2025, 9, 1, 2 + hours, 0, tzinfo=dt.UTC))
        await run_due(sbot.runtime, sbot.app.bot)
    monthly = [m for m in api.messages(SPONSOR) if "Laporan: Orang Tua Asuh" in (m.get("text") or "")]
    assert len(monthly) == 2  # the one asked for, and the monthly one
    assert "Agustus 2025" in monthly[-1]["text"]

    everything = _everything(api, SPONSOR)
    assert any(m.get("document") for m in api.messages(SPONSOR))
    leaked = [s for s in _sensitive(personal) if s.casefold() in everything.casefold()]
    assert leaked == [], f"personal data reached the sponsor: {leaked}"
    assert api.unanswered_callback_queries() == []


async def test_a_sponsor_reaches_no_other_program_and_a_stranger_no_program(sbot: BotHarness,
                                                                            api: FakeBotAPI) -> None:
    world, personal = await _world(sbot, api)
    await _define_program(sbot, world)
    await sbot.press(COORDINATOR, "Undang anggota sponsor")
    code = re.search(r"/start ([A-Z0-9]{6,})", sbot.last_text(COORDINATOR))
    assert code is not None
    api.user(SPONSOR, "Sponsor")
    api.user(STRANGER, "Tamu")
    await sbot.say(SPONSOR, f"/start {code.group(1)}")
    replies = await sbot.say(STRANGER, f"/start {code.group(1)}")  # single use
    assert "sudah dipakai" in texts(replies)
    replies = await sbot.say(STRANGER, "/asuh")
    assert "untuk sponsor" in texts(replies)
    message = sbot.last(SPONSOR)
    api.forge_callback(SPONSOR, message["message_id"], "asuh:r:999")
    api.forge_callback(SPONSOR, message["message_id"], "prog:f:1")  # the coordinator's list, with names
    await api.wait_idle()
    leaked = [s for s in _sensitive(personal) if s.casefold() in _everything(api, SPONSOR).casefold()]
    assert leaked == []
    assert api.unanswered_callback_queries() == []


async def test_a_staff_member_opening_a_sponsor_link_keeps_the_staff_role(sbot: BotHarness, api: FakeBotAPI) -> None:
    world, _ = await _world(sbot, api)
    await _define_program(sbot, world)
    await sbot.press(COORDINATOR, "Undang anggota sponsor")
    code = re.search(r"/start ([A-Z0-9]{6,})", sbot.last_text(COORDINATOR))
    assert code is not None
    replies = await sbot.say(CADRE, f"/start {code.group(1)}")
    assert "akun petugas" in texts(replies)
    assert (await sbot.runtime.repos.users.get(CADRE)).role == "cadre"
