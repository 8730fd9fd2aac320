"""The terminal simulator, driving a tiny echo application through the stand-in."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.sim.fake_api import tiny_png
from bot.sim.simulator import Persona, simulate
from tests.sim.conftest import build_echo_app

PERSONAS: dict[str, Any] = {"kader": Persona(11, "Sari"), "parent": (22, "Ani", "id")}


async def _build(base_url: str, base_file_url: str) -> Application:
    app = build_echo_app(base_url, base_file_url)

    async def grafik(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_photo(tiny_png(40, 30), caption="Grafik BB/U")
        await update.effective_message.reply_document(b"a;b\n", filename="rekap.csv")

    async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("simulated bug")

    app.add_handler(CommandHandler("grafik", grafik))
    app.add_handler(CommandHandler("boom", boom))
    return app


async def _run_script(tmp_path: Path, script: str) -> tuple[int, str]:
    path = tmp_path / "demo.txt"
    path.write_text(script, encoding="utf-8")
    out = io.StringIO()
    code = await simulate(_build, PERSONAS, path, out, io.StringIO(), save_dir=tmp_path)
    return code, out.getvalue()


async def test_script_prints_inputs_replies_buttons_and_edits(tmp_path: Path) -> None:
    code, out = await _run_script(tmp_path, "# demo\nkader: halo\n\nkader: [ulang]\nparent: /start\n")
    assert code == 0, out
    assert out.splitlines() == [
        "kader> halo",
        "bot: Kamu bilang: halo",
        "     [1: 🔁 Ulang] [2: Selesai]",
        "kader> [ulang]",
        "bot (notifikasi): oke",
        "bot (ubah #2): Ditekan: again",
        "parent> /start",
        "bot: Halo!",
    ]


async def test_script_with_a_missing_button_exits_1_and_continues(tmp_path: Path) -> None:
    code, out = await _run_script(tmp_path, "kader: halo\nkader: [Grafik]\nkader: /start\n")
    assert code == 1
    assert "! tombol 'Grafik' tidak ditemukan (ada: 🔁 Ulang, Selesai)" in out
    assert out.rstrip().endswith("bot: Halo!")


async def test_script_reports_an_exception_in_the_bot(tmp_path: Path) -> None:
    code, out = await _run_script(tmp_path, "kader: /boom\n")
    assert code == 1
    assert "! galat di bot: RuntimeError: simulated bug" in out


async def test_script_rejects_an_unknown_persona(tmp_path: Path) -> None:
    code, out = await _run_script(tmp_path, "bidan: halo\n")
    assert code == 1
    assert "baris 1" in out


async def test_photos_and_documents_are_saved_and_described(tmp_path: Path) -> None:
    code, out = await _run_script(tmp_path, "kader: /grafik\n")
    assert code == 0, out
    photo = re.search(r"bot: \[foto: \d+ B, disimpan di (\S+)\]", out)
    assert photo, out
    assert (await asyncio.to_thread(Path(photo.group(1)).read_bytes))[:4] == b"\x89PNG"
    assert "     Grafik BB/U" in out
    assert re.search(r"bot: \[dokumen: rekap\.csv, 4 B, disimpan di \S+rekap\.csv\]", out), out


async def test_interactive_numbers_press_buttons_and_personas_switch(tmp_path: Path) -> None:
    inp = io.StringIO("halo\n2\n/as parent\n/start\n@kader\n/users\n")
    out = io.StringIO()
    code = await simulate(_build, PERSONAS, None, out, inp, save_dir=tmp_path)
    text = out.getvalue()
    assert code == 0
    assert "[kader] > halo\nbot: Kamu bilang: halo\n     [1: 🔁 Ulang] [2: Selesai]\n" in text
    assert "[kader] > 2\nbot (notifikasi): oke\nbot (ubah #2): Ditekan: done\n" in text
    assert "(sekarang sebagai parent: Ani)" in text
    assert "[parent] > /start\nbot: Halo!" in text
    assert "* kader: Sari (id 11, id)" in text


async def test_input_without_any_reply_says_so(tmp_path: Path) -> None:
    code, out = await _run_script(tmp_path, "kader: /photo\n")
    assert code == 0
    assert out.splitlines() == ["kader> /photo", "(tidak ada balasan)"]


async def test_messages_to_other_personas_are_marked(tmp_path: Path) -> None:
    async def build(base_url: str, base_file_url: str) -> Application:
        app = await _build(base_url, base_file_url)

        async def kabari(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await context.bot.send_message(22, "Anak Anda sudah ditimbang")

        app.add_handler(CommandHandler("kabari", kabari))
        return app

    path = tmp_path / "s.txt"
    path.write_text("kader: /kabari\n", encoding="utf-8")
    out = io.StringIO()
    assert await simulate(build, PERSONAS, path, out, io.StringIO()) == 0
    assert "bot → parent: Anak Anda sudah ditimbang" in out.getvalue()


async def test_interactive_label_presses_the_button_on_the_last_message(tmp_path: Path) -> None:
    out = io.StringIO()
    await simulate(_build, PERSONAS, None, out, io.StringIO("halo\nselesai\n/quit\nhalo lagi\n"),
                   save_dir=tmp_path)
    assert "Ditekan: done" in out.getvalue()
    assert "halo lagi" not in out.getvalue()  # /quit stopped reading
