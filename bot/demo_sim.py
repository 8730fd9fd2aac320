"""The offline simulator with demo data: a throw-away database, the stand-in, the real bot."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import TextIO

from bot.app import PosyanduApplication, create_application
from bot.config import Settings


async def run_simulation(settings: Settings, *, script: Path | None, out: TextIO, inp: TextIO) -> int:
    from bot.demo import seed_demo
    from bot.sim.simulator import Persona, simulate
    from storage import Repositories, open_database

    tmp = Path(tempfile.mkdtemp(prefix="posyandu-sim-"))
    db_path = tmp / "simulator.db"
    db = await open_database(db_path)
    try:
        demo = await seed_demo(Repositories(db), dt.datetime.now(settings.timezone).date())
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
        return await create_application(sim_settings)

    # Indonesian names first (what a newcomer sees), English aliases for scripts such as `cadre: /ukur`.
    kader = Persona(demo.cadre_id, demo.cadre_name, "id")
    ortu = Persona(demo.parent_id, demo.parent_name, "id")
    koordinator = Persona(demo.coordinator_id, demo.coordinator_name, "id")
    tamu = Persona(demo.stranger_id, "Tamu", "id")
    personas = {"kader": kader, "ortu": ortu, "koordinator": koordinator, "tamu": tamu,
                "cadre": kader, "parent": ortu, "coordinator": koordinator, "guest": tamu}
    return await simulate(build_app, personas, script, out, inp)
