"""`python -m bot import-services FILE` and `python -m bot deworming` (issue 14): a report in Indonesian naming
rejected rows by number, and the deworming months of a year."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main
from storage import AreaLevel, ChildCreate, PosyanduCreate, Repositories, Sex, open_database


async def _seed(db_path: Path) -> str:
    db = await open_database(db_path)
    try:
        repos = Repositories(db)
        city = (await repos.areas.get_or_create(AreaLevel.CITY, "Kota Jambi"))[0]
        kec = (await repos.areas.get_or_create(AreaLevel.KECAMATAN, "Telanaipura", city.id))[0]
        kel = (await repos.areas.get_or_create(AreaLevel.KELURAHAN, "Simpang IV Sipin", kec.id))[0]
        p = await repos.posyandu.create(PosyanduCreate(name="Posyandu Kenanga", area_id=kel.id))
        child = await repos.children.create(ChildCreate(name="Rudi", sex=Sex.MALE, birth_date=dt.date(2024, 1, 10),
                                                        posyandu_id=p.id))
        return child.code
    finally:
        await db.close()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return path


def test_import_services_from_excel_reports_each_rejected_row(database: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = asyncio.run(_seed(database))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Kode", "Layanan", "Vaksin", "Tanggal"])
    ws.append([code, "imunisasi", "BCG", dt.datetime(2024, 2, 10)])
    ws.append([code, "imunisasi", "BCG", dt.datetime(2025, 2, 10)])  # a second BCG
    ws.append([code, "obat cacing", None, "5/8/2024"])  # 6 months old: too young
    xlsx = tmp_path / "riwayat.xlsx"
    wb.save(xlsx)
    assert main(["import-services", str(xlsx), "--dry-run"]) == 3
    out = capsys.readouterr().out
    assert "baris dibaca 3, dicatat 1" in out and "Uji coba: tidak ada yang disimpan" in out
    assert main(["import-services", str(xlsx)]) == 3
    out = capsys.readouterr().out
    assert "baris 3: BCG sudah tercatat pada Sabtu, 10 Februari 2024" in out
    assert "baris 4: Obat cacing di posyandu untuk anak umur 12–59 bulan" in out
    assert main(["import-services", str(tmp_path / "tidak-ada.xlsx")]) == 2


def test_deworming_months_of_a_year_for_a_city(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_seed(database))
    assert main(["deworming", "--year", "2025"]) == 0
    assert capsys.readouterr().out.strip() == "deworming 2025: months 8"
    assert main(["deworming", "--year", "2025", "--area", "Kota Jambi", "--months", "feb,agu"]) == 0
    assert "months 2, 8" in capsys.readouterr().out
    assert main(["deworming", "--year", "2025", "--area", "Kota Lain", "--months", "2"]) == 2
    assert main(["deworming", "--year", "2025", "--months", "13"]) == 2
