"""Children import (CSV/XLSX, idempotent, bad rows, one transaction) and the monthly export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.i18n import get_translator
from bot.services.export import COLUMNS, collect_export, export_bytes, write_csv, write_xlsx
from bot.services.importer import ImportFileError, dry_run_import, import_children
from storage import MeasurementCreate, Repositories, open_database

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2024, 12, 3)
HEADER = ["kode", "nama", "jenis_kelamin", "tanggal_lahir", "nik", "nama_ortu", "hp_ortu", "posyandu",
          "kelurahan", "kecamatan", "kota", "alamat"]
GOOD = [
    ["", "Budi Santoso", "L", "03/04/2023", "3273010304230001", "Siti", "0812-3456-7890", "Melati 1", "Dago",
     "Coblong", "Kota Bandung", "RT 01/RW 02"],
    ["", "Ani", "P", "2022-11-20", "", "Rina", "", "Melati 1", "Dago", "Coblong", "Kota Bandung", ""],
    ["", "Cici", "perempuan", "1 Januari 2024", "", "", "+62 813 1111 2222", "Mawar", "Lebakgede", "Coblong",
     "Kota Bandung", ""],
]


def write_csv_file(path: Path, rows: list[list[str]], header: list[str] = HEADER, sep: str = ";") -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
async def repos(tmp_path: Path) -> Repositories:
    db = await open_database(tmp_path / "i.db")
    yield Repositories(db)  # type: ignore[misc]
    await db.close()


async def test_import_creates_places_and_children(repos: Repositories, tmp_path: Path) -> None:
    report = await import_children(repos, write_csv_file(tmp_path / "a.csv", GOOD), today=TODAY)
    assert (report.created, report.updated, report.rejected) == (3, 0, [])
    assert (report.areas_created, report.posyandu_created) == (4, 2)
    budi = await repos.children.find_by_nik("3273010304230001")
    assert budi is not None and budi.guardian_phone == "+6281234567890" and budi.birth_date == dt.date(2023, 4, 3)
    assert "Baru: 3" in report.format()


async def test_reimport_is_idempotent(repos: Repositories, tmp_path: Path) -> None:
    f = write_csv_file(tmp_path / "a.csv", GOOD, sep=",")
    await import_children(repos, f, today=TODAY)
    again = await import_children(repos, f, today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert await repos.db.fetchval("SELECT COUNT(*) FROM children") == 3


async def test_reimport_updates_and_empty_cells_keep_data(repos: Repositories, tmp_path: Path) -> None:
    await import_children(repos, write_csv_file(tmp_path / "a.csv", GOOD), today=TODAY)
    budi = await repos.children.find_by_nik("3273010304230001")
    assert budi is not None
    changed = [[budi.code, "Budi Santoso", "L", "03/04/2023", "", "Siti Aminah", "", "Melati 1", "Dago", "Coblong",
                "Kota Bandung", ""]]
    report = await import_children(repos, write_csv_file(tmp_path / "b.csv", changed), today=TODAY)
    assert report.updated == 1
    after = await repos.children.get(budi.id)
    assert after.guardian_name == "Siti Aminah" and after.nik == budi.nik and after.guardian_phone is not None


async def test_bad_rows_are_rejected_with_reasons(repos: Repositories, tmp_path: Path) -> None:
    rows = [
        GOOD[0],
        ["", "", "L", "01/01/2023", "", "", "", "Melati 1", "Dago", "Coblong", "Kota Bandung", ""],
        ["", "X", "Q", "01/01/2023", "", "", "", "Melati 1", "Dago", "Coblong", "Kota Bandung", ""],
        ["", "Y", "L", "31/02/2023", "", "", "", "Melati 1", "Dago", "Coblong", "Kota Bandung", ""],
        ["", "Z", "L", "01/01/2030", "", "", "", "Melati 1", "Dago", "Coblong", "Kota Bandung", ""],
        ["", "W", "L", "01/01/2023", "1234", "", "", "Melati 1", "Dago", "Coblong", "Kota Bandung", ""],
        ["", "V", "L", "01/01/2023", "3273010304230001", "", "", "Melati 1", "Dago", "Coblong", "Kota Bandung", ""],
        ["", "U", "L", "01/01/2023", "", "", "12", "Melati 1", "Dago", "Coblong", "Kota Bandung", ""],
        ["", "T", "L", "01/01/2023", "", "", "", "Tidak Ada", "", "", "", ""],
        ["", "S", "L"],  # short row
    ]
    report = await import_children(repos, write_csv_file(tmp_path / "bad.csv", rows), today=TODAY)
    assert report.created == 1
    reasons = {r.row: r.text(get_translator("id")) for r in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "NIK yang sama" in reasons[8] and "baris 2" in reasons[8]
    assert "masa depan" in reasons[6]
    assert "posyandu tidak ditemukan" in reasons[10]
    text = report.format()
    assert "Siti" not in text and "3273010304230001" not in text and "0812" not in text  # no personal data


async def test_nik_of_another_registered_child_is_rejected(repos: Repositories, tmp_path: Path) -> None:
    """Ani's row (matched by kode A2) carries Budi's NIK (A1): rejected, nothing changes."""
    await import_children(repos, write_csv_file(tmp_path / "a.csv", GOOD[:2]), today=TODAY)
    other = [["A2", "Ani", "P", "2022-11-20", "3273010304230001", "", "", "Melati 1", "Dago", "Coblong",
              "Kota Bandung", ""]]
    report = await import_children(repos, write_csv_file(tmp_path / "b.csv", other), today=TODAY)
    assert report.updated == 0 and "A1" in report.rejected[0].text(get_translator("id"))


async def test_same_nik_matches_the_registered_child(repos: Repositories, tmp_path: Path) -> None:
    await import_children(repos, write_csv_file(tmp_path / "a.csv", GOOD[:1]), today=TODAY)
    renamed = [["", "Budi S.", "L", "03/04/2023", "3273010304230001", "", "", "Melati 1", "Dago", "Coblong",
                "Kota Bandung", ""]]
    report = await import_children(repos, write_csv_file(tmp_path / "b.csv", renamed), today=TODAY)
    assert (report.created, report.updated) == (0, 1)


async def test_missing_columns_fail_the_file(repos: Repositories, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as err:
        await import_children(repos, write_csv_file(tmp_path / "x.csv", [["a"]], header=["nama"]), today=TODAY)
    assert "Kolom tidak ada" in err.value.message()


async def test_wrong_file_type(repos: Repositories, tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_text("nama")
    with pytest.raises(ImportFileError):
        await import_children(repos, p, today=TODAY)


async def test_xlsx_import_with_date_cells_and_numeric_nik(repos: Repositories, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["", "Dedi", "L", dt.datetime(2023, 5, 6), 3273010605230002, "", 81234567890, "Melati 1", "Dago",
               "Coblong", "Kota Bandung", ""])
    wb.save(tmp_path / "a.xlsx")
    report = await import_children(repos, tmp_path / "a.xlsx", today=TODAY)
    assert report.created == 1, report.format()
    dedi = await repos.children.find_by_nik("3273010605230002")
    assert dedi is not None and dedi.birth_date == dt.date(2023, 5, 6) and dedi.guardian_phone == "+6281234567890"


async def test_dry_run_saves_nothing(repos: Repositories, tmp_path: Path) -> None:
    report = await dry_run_import(repos, write_csv_file(tmp_path / "a.csv", GOOD), today=TODAY)
    assert report.created == 3 and report.dry_run
    assert await repos.db.fetchval("SELECT COUNT(*) FROM children") == 0
    assert await repos.db.fetchval("SELECT COUNT(*) FROM areas") == 0


def test_kill_during_import_leaves_all_or_nothing(tmp_path: Path) -> None:
    """A kill -9 in the middle of a big import: the register is as before or fully imported."""
    rows = [["", f"Anak {i}", "L" if i % 2 else "P", "01/01/2023", "", "", "", f"Pos {i % 50}", f"Kel {i % 50}",
             "Kec", "Kota", ""] for i in range(30000)]
    f = write_csv_file(tmp_path / "big.csv", rows)
    db_path = tmp_path / "k.db"
    code = ("import asyncio, sys\nfrom pathlib import Path\nfrom storage import open_database, Repositories\n"
            "from bot.services.importer import import_children\n"
            "async def main():\n db = await open_database(Path(sys.argv[1]))\n print('go', flush=True)\n"
            " await import_children(Repositories(db), Path(sys.argv[2]))\n"
            "asyncio.run(main())\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db_path), str(f)], cwd=ROOT, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"go"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert raw.execute("SELECT COUNT(*) FROM children").fetchone()[0] in (0, 30000)
    raw.close()


async def _measured(repos: Repositories, tmp_path: Path) -> None:
    await import_children(repos, write_csv_file(tmp_path / "a.csv", GOOD), today=TODAY)
    for child in await repos.children.search_by_name(None, "i"):  # Budi, Ani, Cici
        await repos.measurements.add(MeasurementCreate(
            child_id=child.id, measured_on=dt.date(2024, 11, 5), weight_kg=10.5, length_cm=80.2, position="lying",
            waz=-1.12, haz=-2.35, whz=0.21, categories={"haz": "stunted"}, faltering="T"))


async def test_export_csv_has_a_row_per_measured_child(repos: Repositories, tmp_path: Path) -> None:
    await _measured(repos, tmp_path)
    data = await collect_export(repos, dt.date(2024, 11, 1))
    out = tmp_path / "e.csv"
    write_csv(data, out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == list(COLUMNS) and len(rows) == 4
    budi = next(r for r in rows if r[2] == "Budi Santoso")
    assert budi[1] == "3273••••••••0001"  # masked by default
    assert budi[COLUMNS.index("ZS TB/U")] == "-2.35" and budi[COLUMNS.index("TB/U")] == "Pendek"
    assert budi[COLUMNS.index("Usia Saat Ukur")] == "1 Tahun - 7 Bulan - 2 Hari"
    assert budi[COLUMNS.index("Kec")] == "Coblong"


async def test_export_xlsx_has_summary_and_sheet_per_posyandu(repos: Repositories, tmp_path: Path) -> None:
    await _measured(repos, tmp_path)
    data = await collect_export(repos, dt.date(2024, 11, 1))
    out = tmp_path / "e.xlsx"
    write_xlsx(data, out, full_nik=True)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Ringkasan", "Mawar", "Melati 1"]
    assert wb["Melati 1"].max_row == 3
    assert any(c.value == "3273010304230001" for c in wb["Melati 1"]["B"])
    summary = [[c.value for c in r] for r in wb["Ringkasan"].iter_rows(min_row=3)]
    assert {r[0]: r[5] for r in summary} == {"Mawar": 1, "Melati 1": 2}  # D


async def test_export_bytes_for_telegram(repos: Repositories, tmp_path: Path) -> None:
    await _measured(repos, tmp_path)
    data = await collect_export(repos, dt.date(2024, 11, 1))
    assert load_workbook(io.BytesIO(export_bytes(data, "xlsx"))).sheetnames[0] == "Ringkasan"
    assert export_bytes(data, "csv").startswith(b"\xef\xbb\xbfKode;NIK")
