"""Import of past services from a spreadsheet (CSV or Excel): the doses, capsules, tablets and PMT deliveries a
Buku KIA or a puskesmas register already holds, checked by the same rules as a cadre's entry, in one transaction.

Columns (header names, any case): kode (the child's code; or nik), layanan (imunisasi, vitamin a, obat cacing,
pmt; may be left out when vaksin is filled), vaksin (e.g. BCG, Polio 2, MR1, campak 1), tanggal, program (the
program number, for PMT), jumlah (days or packages of a PMT delivery), pengecualian (only where a guideline allows
an exception: 4hari, klb, bencana). A child's rows are checked in date order against its records and the rows
before them. Re-importing the same file changes nothing (a row already recorded counts as unchanged). The report
names rows by number, never by name, NIK or phone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.growth.child_services import Given, Override, ServiceKind, read_vaccine
from bot.i18n import N_, ParseError, parse_date
from bot.services.child_services import Refused, Wish, check, given_of
from storage import Repositories, StorageError
from storage import services_queries as sq
from storage.models import Child
from storage.services_queries import ServiceCreate
from storage.values import normalise_child_code, validate_nik

log = logging.getLogger(__name__)

KINDS = {"imunisasi": ServiceKind.IMMUNISATION, "imun": ServiceKind.IMMUNISATION, "vaksin": ServiceKind.IMMUNISATION,
         "immunisation": ServiceKind.IMMUNISATION, "vitamin a": ServiceKind.VITAMIN_A, "vit a": ServiceKind.VITAMIN_A,
         "vita": ServiceKind.VITAMIN_A, "vitamin_a": ServiceKind.VITAMIN_A, "kapsul vitamin a": ServiceKind.VITAMIN_A,
         "obat cacing": ServiceKind.DEWORMING, "cacing": ServiceKind.DEWORMING, "deworming": ServiceKind.DEWORMING,
         "albendazol": ServiceKind.DEWORMING, "pmt": ServiceKind.PMT, "pmt lokal": ServiceKind.PMT,
         "pmt pabrikan": ServiceKind.PMT, "bantuan": ServiceKind.PMT}
OVERRIDES = {"4hari": Override.GRACE, "4 hari": Override.GRACE, "grace": Override.GRACE,
             "klb": Override.MEASLES_OUTBREAK, "klb campak": Override.MEASLES_OUTBREAK, "bencana": Override.DISASTER}
_ALIASES = {"kode_anak": "kode", "tgl": "tanggal", "tanggal_pemberian": "tanggal", "jenis": "layanan",
            "jenis_layanan": "layanan", "imunisasi": "vaksin", "antigen": "vaksin", "program_id": "program",
            "jumlah_hari": "jumlah", "jumlah_paket": "jumlah"}

MSG_FILE_TYPE = N_("Use a .csv or .xlsx file.")
MSG_FILE_UNREADABLE = N_("The file cannot be read: {reason}.")
MSG_NEEDS_COLUMNS = N_("The file needs the columns kode (or nik), tanggal, and layanan or vaksin.")
MSG_ROW_NO_CHILD = N_("no child has this kode or NIK")
MSG_ROW_BAD_DATE = N_("tanggal is not a date (use e.g. 31/12/2024)")
MSG_ROW_BAD_KIND = N_("layanan must be imunisasi, vitamin a, obat cacing or pmt")
MSG_ROW_BAD_VACCINE = N_("vaksin is not a vaccine of the schedule (e.g. BCG, Polio 2, MR1)")
MSG_ROW_BAD_PROGRAM = N_("program must be the program's number")
MSG_ROW_BAD_AMOUNT = N_("jumlah must be a whole number of days or packages")
MSG_ROW_BAD_OVERRIDE = N_("pengecualian must be 4hari, klb or bencana")


class ServicesFileError(StorageError):
    """The whole file is unusable."""


@dataclass
class RowRejection:
    row: int
    msgid: str | None = None  # a reading problem
    refused: Refused | None = None  # a rule said no (bot.render.services.problem_text says why)


@dataclass
class ServicesImportReport:
    file_name: str
    total: int = 0
    recorded: int = 0
    unchanged: int = 0
    rejected: list[RowRejection] = field(default_factory=list)
    dry_run: bool = False


def _key(text: object) -> str:
    key = "_".join(str(text or "").strip().lower().split())
    return _ALIASES.get(key, key)


def _cell(value: object) -> str | dt.date:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str | dt.date]]]:
    """(row number, cells by column key) of a .csv or .xlsx file; ServicesFileError for an unusable file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
            try:
                dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            table = list(csv.reader(io.StringIO(text), dialect))
        elif suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            table = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        else:
            raise ServicesFileError(MSG_FILE_TYPE)
    except ServicesFileError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError, csv.Error) as exc:
        raise ServicesFileError(MSG_FILE_UNREADABLE, reason=type(exc).__name__) from exc
    if not table:
        raise ServicesFileError(MSG_NEEDS_COLUMNS)
    keys = [_key(h) for h in table[0]]
    if not ({"kode", "nik"} & set(keys)) or "tanggal" not in keys or not ({"layanan", "vaksin"} & set(keys)):
        raise ServicesFileError(MSG_NEEDS_COLUMNS)
    for number, row in enumerate(table[1:], start=2):
        cells = [_cell(c) for c in row]
        if any(str(c).strip() for c in cells):
            yield number, {k: cells[i] if i < len(cells) else "" for i, k in reversed(list(enumerate(keys)))}


@dataclass
class _Row:
    number: int
    child: Child
    on: dt.date
    wish: Wish
    override: Override | None


def _text(value: str | dt.date) -> str:
    return value.isoformat() if isinstance(value, dt.date) else value.strip()


async def _parse(repos: Repositories, number: int, cells: dict[str, str | dt.date], today: dt.date,
                 children: dict[str, Child | None]) -> _Row | RowRejection:
    code, nik = _text(cells.get("kode", "")), _text(cells.get("nik", ""))
    key = code or nik
    if key not in children:
        child = None
        if code and (normalised := normalise_child_code(code)) is not None:
            child = await repos.children.get_by_code(normalised)
        if child is None and nik:
            try:
                child = await repos.children.find_by_nik(validate_nik(nik))
            except StorageError:
                child = None
        children[key] = child
    child = children[key]
    if child is None:
        return RowRejection(number, MSG_ROW_NO_CHILD)
    raw = cells.get("tanggal", "")
    try:
        on = raw if isinstance(raw, dt.date) else parse_date(raw, today)
    except ParseError:
        return RowRejection(number, MSG_ROW_BAD_DATE)
    kind_text = " ".join(_text(cells.get("layanan", "")).casefold().split())
    vaccine = _text(cells.get("vaksin", ""))
    kind = KINDS.get(kind_text) if kind_text else (ServiceKind.IMMUNISATION if vaccine else None)
    if kind is None:
        return RowRejection(number, MSG_ROW_BAD_KIND)
    override = None
    if (o := _text(cells.get("pengecualian", "")).casefold()):
        if o not in OVERRIDES:
            return RowRejection(number, MSG_ROW_BAD_OVERRIDE)
        override = OVERRIDES[o]
    if kind is ServiceKind.IMMUNISATION:
        found = read_vaccine(vaccine.replace(" ", ""))
        if found is None:
            return RowRejection(number, MSG_ROW_BAD_VACCINE)
        return _Row(number, child, on, Wish(kind, antigen=found[0], number=found[1]), override)
    if kind is ServiceKind.PMT:
        program, amount = _text(cells.get("program", "")), _text(cells.get("jumlah", ""))
        if not program.isdigit():
            return RowRejection(number, MSG_ROW_BAD_PROGRAM)
        if amount and not amount.isdigit():
            return RowRejection(number, MSG_ROW_BAD_AMOUNT)
        return _Row(number, child, on, Wish(kind, program_id=int(program), quantity=int(amount) if amount else None),
                    None)
    return _Row(number, child, on, Wish(kind), override)


def _same(item: ServiceCreate, given: list[Given]) -> bool:
    """The row is already recorded (a re-import): same service, code and day (and program)."""
    return any(g.kind.value == item.kind and g.code == item.code and g.given_on == item.given_on
               and g.program_id == item.program_id for g in given)


async def import_services(repos: Repositories, path: Path, *, actor_id: int | None = None,
                          today: dt.date | None = None, dry_run: bool = False) -> ServicesImportReport:
    """Check every row and record the accepted ones together (or, with `dry_run`, nothing)."""
    today = today or repos.db.now().date()
    report = ServicesImportReport(file_name=path.name, dry_run=dry_run)
    children: dict[str, Child | None] = {}
    parsed: list[_Row] = []
    for number, cells in read_rows(path):
        report.total += 1
        result = await _parse(repos, number, cells, today, children)
        if isinstance(result, RowRejection):
            report.rejected.append(result)
        else:
            parsed.append(result)
    by_child: dict[int, list[_Row]] = {}
    for row in parsed:
        by_child.setdefault(row.child.id, []).append(row)
    records = await sq.current_for(repos.db, list(by_child))
    accepted: list[ServiceCreate] = []
    for child_id, rows in by_child.items():
        given = given_of(records.get(child_id, []))
        for row in sorted(rows, key=lambda r: (r.on, r.number)):
            if row.on > today:
                report.rejected.append(RowRejection(row.number, MSG_ROW_BAD_DATE))
                continue
            item, refused = await check(repos, row.child, row.wish, row.on, given, row.override)
            if refused is not None:
                # "Already recorded" on that very day is a re-import of the same row, not a mistake.
                code = refused.code or ""
                if refused.problem.code in ("already_given", "same_day") and refused.problem.on == row.on and any(
                        g.given_on == row.on and (g.code == code or row.wish.kind is not ServiceKind.IMMUNISATION)
                        and g.kind is row.wish.kind for g in given):
                    report.unchanged += 1
                else:
                    report.rejected.append(RowRejection(row.number, refused=refused))
                continue
            assert item is not None
            if _same(item, given):
                report.unchanged += 1
                continue
            accepted.append(item.model_copy(update={"source": "import", "given_by": actor_id}))
            given.append(Given(ServiceKind(item.kind), item.code, item.given_on, item.program_id))
    report.recorded = len(accepted)
    report.rejected.sort(key=lambda r: r.row)
    if accepted and not dry_run:
        await sq.add_many(repos.db, accepted, actor_id)
    log.info("services import of %d rows: %d recorded, %d unchanged, %d rejected", report.total, report.recorded,
             report.unchanged, len(report.rejected))
    return report


__all__ = ["RowRejection", "ServicesFileError", "ServicesImportReport", "import_services", "read_rows"]
