"""kill -9 of the bot process in the middle of `/ukur`: after a restart the cadre continues at the same step.

The bot runs as a real process (`python -m bot run`) against the Bot API stand-in served by this test, so
nothing but the SQLite file carries the conversation across the kill. PosyanduApplication flushes PTB
persistence after every update, which bounds the loss to the update being processed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.app import OFFLINE_TOKEN
from bot.demo import CADRE_ID, seed_demo
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories, open_database
from tests import pg_server
from tests.e2e.harness import buttons

ROOT = Path(__file__).resolve().parents[2]


async def _spawn(api: FakeBotAPI, db_path: Path, log: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": OFFLINE_TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_BASE_FILE_URL": api.base_file_url,
        "DATABASE_URL": pg_server.database_url(db_path),
        "POSYANDU_REMINDER_FIRST": "3600",
        "PYTHONPATH": str(ROOT),
    }
    fh = log.open("ab")
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=str(ROOT), env=env,
                                                stdout=fh, stderr=fh)


async def _say(api: FakeBotAPI, text: str, expect: str, *, press: bool = False, timeout: float = 20) -> str:
    """Send text (or press a button) as the cadre and wait for a bot message containing `expect`."""
    before = len(api.messages(CADRE_ID))
    if press:
        api.press(CADRE_ID, text)
    else:
        api.send_message(CADRE_ID, text)

    def arrived() -> bool:
        # The last message before may have been edited in place (button presses), so look at it too.
        msgs = api.messages(CADRE_ID)[max(before - 1, 0):]
        return any(expect in str(m.get("text") or "") + " ".join(buttons(m)) for m in msgs)

    await api.wait_for(arrived, timeout=timeout)
    return str(api.last_message(CADRE_ID).get("text"))


@pytest.mark.slow
async def test_kill_9_mid_measurement_then_restart_resumes(tmp_path: Path) -> None:
    api = FakeBotAPI(token=OFFLINE_TOKEN)
    await api.start()
    db_path, log = tmp_path / "bot.db", tmp_path / "bot.log"
    db = await open_database(db_path)
    try:
        await seed_demo(Repositories(db), dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date())
    finally:
        await db.close()
    api.user(CADRE_ID, "Sari")
    proc: asyncio.subprocess.Process | None = await _spawn(api, db_path, log)
    try:
        await _say(api, "/ukur A1", "Hari ini", timeout=40)  # first start of the process takes a while
        await _say(api, "Hari ini", "Berat badan", press=True)
        await _say(api, "10,9", "Panjang")
        await asyncio.sleep(0.3)  # the reply went out; the flush follows within the same update
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        await proc.wait()

        proc = await _spawn(api, db_path, log)
        reply = await _say(api, "81,5", "LiLA", timeout=40)  # the length step, with the weight kept
        assert "LiLA" in reply
        await _say(api, "Tidak ada ukuran lain", "Simpan", press=True)
        card = await _say(api, "Simpan", "Tersimpan", press=True)
        assert "10,9 kg" in card and "81,5 cm" in card
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=20)
        proc = None
    except BaseException:
        print(log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)")
        print(api.dump())
        raise
    finally:
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
        await api.stop()
