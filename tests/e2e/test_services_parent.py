"""The parent's view of the services (issue 14): /anakku shows the immunisation and vitamin A record like the Buku
KIA page (given, due, overdue with its catch-up limit, missed) and sends a picture of it; another family's child
is refused. Through the real Application and the stand-in."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.sim.fake_api import FakeBotAPI
from storage import Repositories
from storage.models import Child, Role
from tests.e2e.harness import BotHarness, buttons, texts
from tests.e2e.services_support import World, add_child, doses, give, make_world, sbot

__all__ = ["sbot"]
PARENT, OTHER_PARENT = 4200, 4201


async def _link(repos: Repositories, api: FakeBotAPI, world: World, uid: int, child: Child) -> None:
    await repos.users.upsert(uid, f"Ortu {uid}", "id")
    await repos.users.set_role(uid, Role.PARENT, posyandu_id=world.posyandu_id)
    await repos.guardians.link(child.id, uid)
    api.user(uid, f"Ortu{uid}")


async def test_anakku_shows_the_record_like_the_buku_kia_and_its_picture(sbot: BotHarness, api: FakeBotAPI) -> None:
    repos = sbot.runtime.repos
    world = await make_world(repos, api)
    # Gita, 14 months: her book was copied in up to 2 months, without rotavirus (its window closed at 6 months
    # 29 days: missed); the 3- and 4-month doses and MR 1 are late but can still be caught up.
    gita = await add_child(repos, world, "gita", "Gita Permata", dt.date(2024, 6, 1))
    await give(repos, gita, doses(dt.date(2024, 6, 1), "HB0") + doses(dt.date(2024, 7, 1), "BCG", "OPV1")
               + doses(dt.date(2024, 8, 1), "DPT1", "OPV2", "PCV1") + [("vitamin_a", "blue", dt.date(2025, 2, 11))])
    other = await add_child(repos, world, "lain", "Anak Lain", dt.date(2024, 6, 1))
    await _link(repos, api, world, PARENT, gita)
    await _link(repos, api, world, OTHER_PARENT, other)

    replies = await sbot.say(PARENT, "/anakku")
    text = texts(replies)
    assert "Imunisasi (catatan posyandu)" in text
    assert "Sudah: HB0, BCG, Polio 1, DPT-HB-Hib 1, Polio 2, PCV 1" in text
    assert "Terlambat, masih bisa dikejar: DPT-HB-Hib 2 (sampai 31 Mei 2029)" in text
    assert "MR 1 (sampai 31 Mei 2029)" in text
    assert "PCV 2 (sampai 31 Mei 2026)" in text  # PCV until 24 months
    assert "Terlewat (lewat batas umur): Rota 1, Rota 2, Rota 3" in text
    assert "Vitamin A: Feb 2025 (biru) · bulan ini: kapsul merah (200.000 IU)" in text
    assert "📒 Buku KIA Gita" in buttons(replies[-1])

    await sbot.press(PARENT, "Buku KIA Gita")
    for _ in range(50):  # drawn in a worker thread
        photos = [m for m in api.messages(PARENT) if m.get("photo")]
        if photos:
            break
        await asyncio.sleep(0.1)
    assert photos and "Imunisasi, vitamin A dan obat cacing Gita" in photos[-1]["caption"]
    png = api.files[photos[-1]["photo"][-1]["file_id"]]
    assert png.startswith(b"\x89PNG") and len(png) > 10_000

    message = sbot.last(OTHER_PARENT) if api.messages(OTHER_PARENT) else None
    if message is None:
        await sbot.say(OTHER_PARENT, "/anakku")
        message = sbot.last(OTHER_PARENT)
    api.forge_callback(OTHER_PARENT, message["message_id"], f"lay:kia:{gita.id}")
    await api.wait_idle()
    assert not any(m.get("photo") for m in api.messages(OTHER_PARENT))
    assert api.unanswered_callback_queries() == []


async def test_a_child_without_records_is_not_called_late(sbot: BotHarness, api: FakeBotAPI) -> None:
    """No dose recorded here: past doses are "not recorded", never "late" or "missed" (the book may have them)."""
    repos = sbot.runtime.repos
    world = await make_world(repos, api)
    hana = await add_child(repos, world, "hana", "Hana Putri", dt.date(2024, 6, 1))
    await _link(repos, api, world, PARENT, hana)
    text = texts(await sbot.say(PARENT, "/anakku"))
    assert "Belum ada imunisasi yang tercatat di posyandu" in text
    assert "Terlambat" not in text and "Terlewat" not in text
