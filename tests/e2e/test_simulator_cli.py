"""`python -m bot simulate --script` runs non-interactively on demo data and prints every reply."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _simulate(script: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'unused.db'}"
    return subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--script", str(script)],
        cwd=tmp_path, env=env | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )


def test_script_replays_personas_and_prints_replies(tmp_path: Path) -> None:
    """Each line is sent as its persona; replies, buttons and button presses are printed."""
    script = tmp_path / "demo.txt"
    script.write_text(
        "# a comment line is skipped\n"
        "kader: /start\n"
        "tamu: /ukur\n"
        "ortu: /anakku\n"
        "cadre: /bahasa\n"
        "cadre: [English]\n"
        "koordinator: /rekap\n",
        encoding="utf-8",
    )
    result = _simulate(script, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "kader> /start" in out
    assert "Selamat datang kembali, Kak Sari" in out  # a known cadre is not greeted as a newcomer
    assert "tamu> /ukur" in out and "kader posyandu" in out  # a stranger is refused politely
    assert "Budi" in out  # the demo parent sees her child
    assert "[1: 🇮🇩 Bahasa Indonesia] [2: 🇬🇧 English]" in out
    assert "Language set to English." in out
    # The demo's weighings end last month, so the recap of this month points to last month's.
    assert re.search(r"Rekap bulan lalu: /rekap \d{4}-\d{2}", out)


def test_unknown_button_fails_the_script(tmp_path: Path) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("kader: /start\nkader: [Tombol yang tidak ada]\n", encoding="utf-8")
    result = _simulate(script, tmp_path)
    assert result.returncode == 1


def test_demo_script_in_the_repository_runs(tmp_path: Path) -> None:
    result = _simulate(ROOT / "examples" / "demo.txt", tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "✅" in result.stdout  # a measurement was saved and its result card shown
