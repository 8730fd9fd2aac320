"""The README's own example works (issue 19, item 10): `posyandu add --schedule "Selasa minggu ke-2
08.00-11.00"` gives the posyandu a schedule the reminders read, and they go out through the stand-in; a
schedule nobody can read is refused with a clear message; one stored as typed by an older version is read."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import ManualClock
from bot.services.reminders import run_due
from bot.services.schedule import Rule, load_rule
from bot.sim.fake_api import FakeBotAPI
from storage import Repositories, open_database
from storage.models import ChildCreate, Role, Sex
from tests.e2e.harness import BotHarness
from tests.e2e.test_reminders_support import sends

README_EXAMPLE = ["posyandu", "add", "--name", "Posyandu Melati 1", "--kelurahan", "Kampung Bali",
                  "--kecamatan", "Ratu Samban", "--kota", "Kota Bengkulu", "--timezone", "Asia/Jakarta",
                  "--schedule", "Selasa minggu ke-2 08.00-11.00"]
EVE = dt.datetime(2024, 3, 11, 9, 5, tzinfo=dt.UTC)  # Monday 16.05 WIB; the 2nd Tuesday is 12 March
PARENT = 4242


@pytest.fixture
def db_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "data" / "posyandu.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return path


async def _add_family(db_path: Path) -> None:
    db = await open_database(db_path)
    try:
        repos = Repositories(db)
        posyandu = (await repos.posyandu.find("Posyandu Melati 1"))[0]
        child = await repos.children.create(ChildCreate(name="Anak Uji", sex=Sex.MALE,
                                                        birth_date=dt.date(2021, 4, 4), posyandu_id=posyandu.id))
        await repos.users.upsert(PARENT, "Ortu", "id")
        await repos.users.set_role(PARENT, Role.PARENT, posyandu_id=posyandu.id)
        await repos.guardians.link(child.id, PARENT)
    finally:
        await db.close()


async def _reminders_at_the_eve(api: FakeBotAPI, db_path: Path) -> list[str]:
    api.user(PARENT, "Ortu")
    bot = BotHarness(api, db_path, clock=ManualClock(EVE))
    await bot.start()
    try:
        assert bot.app is not None
        await run_due(bot.runtime, bot.app.bot)
    finally:
        await bot.stop()
    return [str(c.params["text"]) for c in sends(api) if c.params["chat_id"] == PARENT]


async def test_the_readme_schedule_example_reminds_parents(db_path: Path, api: FakeBotAPI,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert await asyncio.to_thread(main, README_EXAMPLE) == 0
    assert await asyncio.to_thread(main, ["posyandu", "list"]) == 0
    assert "Selasa minggu ke-2 setiap bulan" in capsys.readouterr().out
    await _add_family(db_path)
    texts = await _reminders_at_the_eve(api, db_path)
    assert len(texts) == 1 and "Besok hari posyandu" in texts[0] and "12 Maret 2024" in texts[0]


async def test_a_schedule_nobody_can_read_is_refused_and_nothing_is_saved(
        db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*README_EXAMPLE[:-1], "Selasa jam sembilan pagi"]
    assert await asyncio.to_thread(main, args) == 2
    err = capsys.readouterr().err
    assert "Selasa jam sembilan pagi" in err and "tidak terbaca" in err and "minggu ke-2" in err
    assert await asyncio.to_thread(main, ["posyandu", "list"]) == 0
    assert "Melati" not in capsys.readouterr().out


async def test_a_schedule_stored_as_typed_by_an_older_version_still_reminds(db_path: Path,
                                                                            api: FakeBotAPI) -> None:
    assert await asyncio.to_thread(main, README_EXAMPLE) == 0
    db = await open_database(db_path)
    try:
        await db.execute("UPDATE posyandu SET schedule_rule = ?", ("Selasa minggu ke-2 08.00-11.00",))
    finally:
        await db.close()
    assert load_rule("Selasa minggu ke-2 08.00-11.00") == Rule("weekday", dt.time(8), dt.time(11), weekday=1,
                                                                week=2)
    await _add_family(db_path)
    assert len(await _reminders_at_the_eve(api, db_path)) == 1
