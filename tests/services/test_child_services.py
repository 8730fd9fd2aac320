"""Recording services with the database (issue 14): a double tap records once, a correction supersedes and keeps
the history, the import of past doses checks every row and is idempotent, the e-PPGBM export fills the service
columns, and an area's own deworming months."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.services import format_report
from bot.growth.child_services import ServiceKind
from bot.services import child_services as svc
from bot.services import services_due
from bot.services.child_services import Recorded, Refused, Wish
from bot.services.export import COLUMNS, collect_export, table_rows
from bot.services.services_import import import_services
from storage import (
    AreaLevel,
    Child,
    ChildCreate,
    MeasurementCreate,
    PosyanduCreate,
    Repositories,
    Sex,
    open_database,
)
from storage import services_queries as sq

TODAY = dt.date(2025, 8, 12)


class Clock:
    def now(self) -> dt.datetime:
        return dt.datetime(2025, 8, 12, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "s.db", clock=Clock())
    yield Repositories(db)
    await db.close()


async def _child(repos: Repositories, birth: dt.date = dt.date(2024, 11, 5), city: str = "Kota A") -> Child:
    c = (await repos.areas.get_or_create(AreaLevel.CITY, city))[0]
    k = (await repos.areas.get_or_create(AreaLevel.KECAMATAN, "Kec", c.id))[0]
    kel = (await repos.areas.get_or_create(AreaLevel.KELURAHAN, "Kel", k.id))[0]
    p = (await repos.posyandu.get_or_create(PosyanduCreate(name="Posyandu", area_id=kel.id)))[0]
    return await repos.children.create(ChildCreate(name="Anak", sex=Sex.FEMALE, birth_date=birth, posyandu_id=p.id))


async def test_a_double_tap_records_a_dose_once(repos: Repositories) -> None:
    child = await _child(repos)
    wish = Wish(ServiceKind.IMMUNISATION, code="MR1")
    results = await asyncio.gather(*(svc.record(repos, child, wish, TODAY, by=1, today=TODAY) for _ in range(2)))
    assert sorted(type(r).__name__ for r in results) == ["Recorded", "Refused"]
    refused = next(r for r in results if isinstance(r, Refused))
    assert refused.problem.code == "already_given"
    assert [r.code for r in await svc.records_of(repos, child.id)] == ["MR1"]


async def test_a_correction_supersedes_the_record_and_keeps_the_history(repos: Repositories) -> None:
    child = await _child(repos)
    first = await svc.record(repos, child, Wish(ServiceKind.VITAMIN_A), TODAY, by=1, today=TODAY)
    assert isinstance(first, Recorded)
    moved = await svc.change_date(repos, child, first.record.id, dt.date(2025, 8, 5), by=2, today=TODAY)
    assert isinstance(moved, Recorded) and moved.record.supersedes_id == first.record.id
    stale = await svc.change_date(repos, child, first.record.id, dt.date(2025, 8, 6), by=2, today=TODAY)
    assert isinstance(stale, Refused) and stale.problem.code == "record_changed"
    removed = await svc.remove(repos, moved.record.id, by=3)
    assert removed.removed and await svc.records_of(repos, child.id) == []
    history = await sq.history_for(repos.db, child.id)
    assert [(r.given_on, r.removed, r.superseded_by is None) for r in history] == [
        (TODAY, False, False), (dt.date(2025, 8, 5), False, False), (dt.date(2025, 8, 5), True, True)]
    audit = await repos.db.fetchall("SELECT action FROM audit_log WHERE entity = 'child_service' ORDER BY id")
    assert [a["action"] for a in audit] == ["create", "correct", "remove"]


async def test_the_import_checks_every_row_and_changes_nothing_the_second_time(repos: Repositories,
                                                                              tmp_path: Path) -> None:
    child = await _child(repos)
    path = tmp_path / "layanan.csv"
    path.write_text(
        "kode;layanan;vaksin;tanggal;pengecualian\n"
        f"{child.code};imunisasi;HB0;5/11/2024;\n"
        f"{child.code};;BCG;5/12/2024;\n"
        f"{child.code};;Polio 1;5/12/2024;\n"
        f"{child.code};;polio 2;20/12/2024;\n"  # 15 days after Polio 1: too soon (28 days)
        f"{child.code};;flu;5/1/2025;\n"
        f"Z999;;BCG;5/12/2024;\n"
        f"{child.code};vitamin a;;20/5/2025;\n"  # 6 months 15 days: the blue capsule
        f"{child.code};;MR1;2/8/2025;4hari\n",  # 270 days on 2 August: not even early
        encoding="utf-8")
    report = await import_services(repos, path, today=TODAY)
    assert (report.total, report.recorded, report.unchanged) == (8, 5, 0)
    assert [r.row for r in report.rejected] == [5, 6, 7]
    text = format_report(report)
    assert "baris 5: Polio tetes 2 (OPV 2) boleh diberikan mulai" in text
    assert "baris 6: vaksin bukan vaksin dalam jadwal" in text
    assert "baris 7: tidak ada anak dengan kode atau NIK ini" in text
    codes = {(r.code, r.source, r.override) for r in await svc.records_of(repos, child.id)}
    assert codes == {("HB0", "import", None), ("BCG", "import", None), ("OPV1", "import", None),
                     ("blue", "import", None), ("MR1", "import", None)}  # an exception not needed is not marked
    again = await import_services(repos, path, today=TODAY)
    assert (again.recorded, again.unchanged, len(again.rejected)) == (0, 5, 3)


async def test_the_export_fills_the_e_ppgbm_service_columns(repos: Repositories) -> None:
    child = await _child(repos)
    await repos.measurements.add(MeasurementCreate(child_id=child.id, measured_on=TODAY, weight_kg=8.2,
                                                   length_cm=70.0, position="lying", waz=-0.5, haz=-0.7))
    for wish in (Wish(ServiceKind.VITAMIN_A), Wish(ServiceKind.IMMUNISATION, code="MR1"),
                 Wish(ServiceKind.IMMUNISATION, code="IPV1")):
        assert isinstance(await svc.record(repos, child, wish, TODAY, by=1, today=TODAY), Recorded)
    data = await collect_export(repos, TODAY)
    [row] = table_rows(data)
    cells = dict(zip(COLUMNS, row, strict=True))
    assert (cells["PMT Diterima"], cells["Jml Vit A"], cells["Imunisasi"], cells["Obat Cacing"]) == (
        "Tidak", 1, "MR1, IPV1", "")


async def test_an_area_sets_its_own_deworming_months(repos: Repositories) -> None:
    """POPM twice a year where prevalence is high (Permenkes 15/2017): a city adds February; elsewhere August only
    (Juknis ILP 2023)."""
    here = await _child(repos, dt.date(2023, 1, 5), city="Kota Tinggi")
    there = await _child(repos, dt.date(2023, 1, 5), city="Kota Lain")
    city = (await repos.areas.find("Kota Tinggi"))[0]
    await services_due.set_deworming_months(repos, 2025, city.id, (2, 8))
    feb = dt.date(2025, 2, 11)
    due = await services_due.due_for_children(repos, [here, there], feb)
    assert any(d.kind is ServiceKind.DEWORMING for d in due[here.id])
    assert not any(d.kind is ServiceKind.DEWORMING for d in due[there.id])
    assert await services_due.area_deworming_months(repos, 2025, None) == (8,)
