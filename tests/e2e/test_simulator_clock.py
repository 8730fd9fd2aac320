"""The offline simulator for a newcomer (issue 15, item 6): it greets with the personas, the demo children's
codes and three things to try; /jam moves the bot's clock and runs what became due (a weekly tip, an
unanswered question going to the coordinator); /balas answers a parent's question by replying."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import load_settings
from bot.demo_sim import run_simulation
from bot.sim.simulator import parse_clock

WIB = ZoneInfo("Asia/Jakarta")


async def _run(tmp_path: Path, script: str | None, typed: str = "") -> tuple[int, str]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}", telegram_bot_token=None)
    out = io.StringIO()
    path = None
    if script is not None:
        path = tmp_path / "script.txt"
        path.write_text(script, encoding="utf-8")
    code = await run_simulation(settings, script=path, out=out, inp=io.StringIO(typed))
    return code, out.getvalue()


async def test_the_simulator_greets_with_personas_codes_and_three_things_to_try(tmp_path: Path) -> None:
    code, out = await _run(tmp_path, None, "/quit\n")
    assert code == 0
    assert "kader        Kak Sari, kader Posyandu Melati 1" in out
    assert "ortu         Ibu Siti, ibu dari Budi (A1)" in out and "koordinator  Bu Dewi" in out
    assert "A1 Budi" in out and "A3 Dimas (kurus, berat tidak naik)" in out
    assert "Coba tiga hal:" in out and "1. /as ortu" in out and "3. " in out and "/jam +4d" in out


async def test_moving_the_clock_sends_the_weekly_tip_and_escalates_an_unanswered_question(tmp_path: Path) -> None:
    today = dt.datetime.now(WIB).date()
    sunday = today + dt.timedelta(days=(6 - today.weekday()) % 7 or 7)
    code, out = await _run(tmp_path, "\n".join([
        "ortu: /tanya_kader",
        "ortu: Anak saya susah tidur malam, bagaimana?",
        "kader: /jam +4d",
        "koordinator: /balas #1 Buat rutinitas tidur yang sama tiap malam, Bu.",
        f"kader: /jam {sunday + dt.timedelta(days=7)} 10:00",
    ]))
    assert code == 0, out
    assert "bot → kader: 🙋 Pertanyaan orang tua #1" in out
    assert "(jam bot: " in out
    assert "bot → koordinator: ⏰ Belum dijawab selama satu hari kerja" in out
    assert "bot → ortu: 💬 Jawaban dari Bu Dewi (koordinator" in out
    assert "Sudah dijawab oleh Bu Dewi" in out  # the cadre's copy
    assert "bot → ortu: 💡 Tips minggu ini" in out


def test_the_clock_command_reads_shifts_and_local_times() -> None:
    now = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    assert parse_clock("+1d", now, WIB) == now + dt.timedelta(days=1)
    assert parse_clock("+1d6h", now, WIB) == now + dt.timedelta(days=1, hours=6)
    assert parse_clock("+30m", now, WIB) == now + dt.timedelta(minutes=30)
    assert parse_clock("2026-12-08 16:00", now, WIB) == dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)
