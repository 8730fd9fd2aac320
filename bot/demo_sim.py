"""The offline simulator with demo data: a throw-away database, the stand-in, the real bot, and a clock the
newcomer can move (/jam) to see reminders, weekly tips and unanswered questions going to the coordinator."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.app import PosyanduApplication, create_application
from bot.clock import ManualClock
from bot.config import Settings

if TYPE_CHECKING:
    from bot.demo import DemoPersonas

# What the demo children show on the cards (bot/demo.py KIDS), for the greeting.
DEMO_NOTES = {"Budi": "anak Ibu Siti", "Rina": "pendek (stunting)", "Dimas": "kurus, berat tidak naik",
              "Putri": "2T (dua kali tidak naik)", "Bayu": "belum pernah ditimbang"}


def greeting(demo: DemoPersonas, script: bool = False) -> str:
    """Who the personas are, the demo children's codes and three things to try."""
    codes = ", ".join(f"{code} {name}" + (f" ({DEMO_NOTES[name]})" if name in DEMO_NOTES else "")
                      for name, code in demo.child_codes.items())
    return "\n".join([
        "Simulator Posyandu Bot — data contoh, tanpa token; tidak ada yang terkirim ke Telegram.",
        "Pengguna (ganti dengan /as <nama>):",
        f"  kader        {demo.cadre_name}, kader Posyandu Melati 1",
        "  kader2       Kak Rina, kader Posyandu Mawar",
        f"  ortu         {demo.parent_name}, ibu dari Budi ({demo.parent_child_code})",
        f"  koordinator  {demo.coordinator_name}, koordinator Kelurahan Kampung Bali",
        "  tamu         orang tanpa peran",
        f"Anak contoh: {codes}.",
        "Coba tiga hal:",
        "  1. /as ortu lalu ketik: kapan jadwal posyandu?   (dijawab dari data Budi; coba juga: berat anak saya "
        "normal gk)",
        "  2. /as ortu → /tanya_kader → tulis pertanyaan; lalu /as kader → /balas Boleh, Bu   (kader menjawab "
        "dengan membalas)",
        "  3. tanya lagi tanpa dijawab, lalu /jam +4d: pertanyaan naik ke koordinator, pengingat dan tips "
        "terkirim",
        "Perintah simulator: /as, /users, /jam [+1d | +3h | 2026-12-08 16:00], /balas [#nomor] teks, /photo, "
        "/contact, /quit. Tombol: ketik nomor atau labelnya.",
    ])


async def run_simulation(settings: Settings, *, script: Path | None, out: TextIO, inp: TextIO) -> int:
    from bot.demo import SECOND_CADRE_ID, seed_demo
    from bot.scheduler import run_due_jobs
    from bot.sim.simulator import Persona, simulate
    from storage import Repositories, open_database

    tmp = Path(tempfile.mkdtemp(prefix="posyandu-sim-"))
    db_path = tmp / "simulator.db"
    # The bot's clock: real time at the start, then only /jam moves it (a script replays the same way).
    clock = ManualClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    db = await open_database(db_path, clock=clock)
    try:
        demo = await seed_demo(Repositories(db), clock.now().astimezone(settings.timezone).date())
    finally:
        await db.close()

    async def build_app(base_url: str, base_file_url: str) -> PosyanduApplication:
        sim_settings = settings.model_copy(update={
            "telegram_api_base_url": base_url,
            "telegram_api_base_file_url": base_file_url,
            "database_url": f"sqlite:///{db_path}",
            "telegram_bot_token": None,
            # Telegram's 1 message a second per chat is not the stand-in's: a replayed script would crawl.
            "telegram_chat_burst": 100,
            "telegram_chat_sends_per_second": 100.0,
        })
        return await create_application(sim_settings, clock=clock)

    async def on_clock(app: object) -> None:
        assert isinstance(app, PosyanduApplication)
        await run_due_jobs(app.runtime, app.bot)

    # Indonesian names first (what a newcomer sees), English aliases for scripts such as `cadre: /ukur`.
    kader = Persona(demo.cadre_id, demo.cadre_name, "id")
    kader2 = Persona(SECOND_CADRE_ID, "Kak Rina", "id")
    ortu = Persona(demo.parent_id, demo.parent_name, "id")
    koordinator = Persona(demo.coordinator_id, demo.coordinator_name, "id")
    tamu = Persona(demo.stranger_id, "Tamu", "id")
    personas = {"kader": kader, "kader2": kader2, "ortu": ortu, "koordinator": koordinator, "tamu": tamu,
                "cadre": kader, "parent": ortu, "coordinator": koordinator, "guest": tamu}
    return await simulate(build_app, personas, script, out, inp, clock=clock, on_clock=on_clock,
                          tz=settings.timezone, greeting=greeting(demo))
