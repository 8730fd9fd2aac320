"""The offline simulator with demo data: a throw-away database, the stand-in, the real bot."""

from __future__ import annotations

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
        demo = await seed_demo(Repositories(db), settings)
    finally:
        await db.close()

    async def build_app(base_url: str, base_file_url: str) -> PosyanduApplication:
        sim_settings = settings.model_copy(update={
            "telegram_api_base_url": base_url,
            "telegram_api_base_file_url": base_file_url,
            "database_url": f"sqlite:///{db_path}",
            "telegram_bot_token": None,
        })
        return await create_application(sim_settings)

    personas: dict[str, Persona] = {}
    for names, (user_id, first_name) in demo.personas.items():
        for name in names:
            personas[name] = Persona(user_id, first_name, "id")
    return await simulate(build_app, personas, script, out, inp)
