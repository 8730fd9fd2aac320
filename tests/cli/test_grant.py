"""`python -m bot grant`: every staff role the chat's invites give, with the same scope rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from storage import AreaLevel, PosyanduCreate, Repositories, Role, open_database


async def _seed(path: Path) -> None:
    db = await open_database(path)
    try:
        repos = Repositories(db)
        city = (await repos.areas.get_or_create(AreaLevel.CITY, "Kota Jambi"))[0]
        kec = (await repos.areas.get_or_create(AreaLevel.KECAMATAN, "Telanaipura", city.id))[0]
        kel = (await repos.areas.get_or_create(AreaLevel.KELURAHAN, "Simpang IV Sipin", kec.id))[0]
        await repos.posyandu.create(PosyanduCreate(name="Posyandu Kenanga", area_id=kel.id))
    finally:
        await db.close()


async def _user(path: Path, telegram_id: int) -> tuple[Role | None, int | None]:
    db = await open_database(path)
    try:
        user = await Repositories(db).users.get(telegram_id)
        assert user is not None
        return user.role, user.area_id
    finally:
        await db.close()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env
    path = tmp_path / "grant.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    asyncio.run(_seed(path))
    return path


def test_a_health_worker_is_granted_a_kecamatan(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grant", "--telegram-id", "501", "--role", "health_worker", "--area", "Telanaipura"]) == 0
    assert "501" in capsys.readouterr().out
    role, area = asyncio.run(_user(database, 501))
    assert role == Role.HEALTH_WORKER and area is not None


def test_a_tpk_member_is_granted_a_kelurahan_only(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grant", "--telegram-id", "502", "--role", "tpk", "--area", "Telanaipura"]) == 1
    assert "kelurahan" in capsys.readouterr().err
    assert main(["grant", "--telegram-id", "502", "--role", "tpk", "--area", "Simpang IV Sipin"]) == 0
    assert asyncio.run(_user(database, 502))[0] == Role.TPK


def test_an_area_role_without_an_area_is_refused(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grant", "--telegram-id", "503", "--role", "health_worker"]) == 2
    assert "--area" in capsys.readouterr().err
