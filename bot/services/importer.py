"""Import of a children register from CSV or Excel: validation, matching, one transaction, a report.

Columns (header names, any case): kode (optional), nama, jenis_kelamin (L/P), tanggal_lahir, nik, nama_ortu,
hp_ortu, posyandu, kelurahan, kecamatan, kota, alamat (and optionally rt, rw). Missing areas and posyandu are
created when kelurahan, kecamatan and kota are given. Re-importing the same file changes nothing: a row
matches a registered child by kode, else by NIK, else by name + birth date + posyandu. Empty cells never
clear saved data. Either every accepted row is written or none (one transaction), so a crash half-way
leaves the register as it was. The report names rows by number, never by name, NIK or phone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.i18n import N_, ParseError, Translator, get_translator, parse_date
from storage import (
    AreaLevel,
    ChildCreate,
    InvalidInput,
    PosyanduCreate,
    Repositories,
    Sex,
    StorageError,
)
from storage.values import clean_name, name_key, normalise_child_code, normalise_phone, search_key, validate_nik

log = logging.getLogger(__name__)

COLUMNS = ("kode", "nama", "jenis_kelamin", "tanggal_lahir", "nik", "nama_ortu", "hp_ortu", "posyandu",
           "kelurahan", "kecamatan", "kota", "alamat", "rt", "rw")
REQUIRED = ("nama", "jenis_kelamin", "tanggal_lahir", "posyandu")
_ALIASES = {"jk": "jenis_kelamin", "tgl_lahir": "tanggal_lahir", "no_hp": "hp_ortu", "hp": "hp_ortu",
            "nama_anak": "nama", "desa": "kelurahan", "kelurahan/desa": "kelurahan", "desa/kelurahan": "kelurahan",
            "kab/kota": "kota", "kabupaten": "kota", "kabupaten/kota": "kota", "kode_anak": "kode"}
_SEX = {"l": Sex.MALE, "laki-laki": Sex.MALE, "laki laki": Sex.MALE, "lk": Sex.MALE, "m": Sex.MALE,
        "p": Sex.FEMALE, "perempuan": Sex.FEMALE, "pr": Sex.FEMALE, "f": Sex.FEMALE, "w": Sex.FEMALE}

MSG_FILE_UNREADABLE = N_("The file cannot be read: {reason}.")
MSG_FILE_TYPE = N_("Use a .csv or .xlsx file.")
MSG_MISSING_COLUMNS = N_("Missing columns: {columns}.")
MSG_ROW_NO_NAME = N_("the name (nama) is empty")
MSG_ROW_BAD_SEX = N_("jenis_kelamin must be L or P")
MSG_ROW_BAD_DATE = N_("tanggal_lahir is not a date (use e.g. 31/12/2023)")
MSG_ROW_FUTURE = N_("tanggal_lahir is in the future")
MSG_ROW_TOO_OLD = N_("tanggal_lahir is more than 18 years ago")
MSG_ROW_BAD_NIK = N_("the NIK is not a valid 16-digit NIK")
MSG_ROW_BAD_PHONE = N_("hp_ortu is not a valid phone number")
MSG_ROW_BAD_CODE = N_("kode is not a valid child code (a letter and digits, e.g. A12)")
MSG_ROW_NO_POSYANDU = N_("the posyandu column is empty")
MSG_ROW_UNKNOWN_POSYANDU = N_("posyandu not found; fill kelurahan, kecamatan and kota to create it")
MSG_ROW_AMBIGUOUS_POSYANDU = N_("several posyandu have this name; fill kelurahan, kecamatan and kota")
MSG_ROW_DUP_NIK_FILE = N_("the same NIK is already on row {row}")
MSG_ROW_DUP_CODE_FILE = N_("the same kode is already on row {row}")
MSG_ROW_DUP_CHILD_FILE = N_("the same child (name, birth date, posyandu) is already on row {row}")
MSG_ROW_NIK_TAKEN = N_("this NIK already belongs to child {code}")
MSG_ROW_CODE_CONFLICT = N_("kode {code} belongs to a child with a different NIK")
MSG_ROW_INVALID = N_("invalid value in column {column}")
MSG_REPORT_TITLE = N_("Import of {file}")
MSG_REPORT_COUNTS = N_("Rows read: {total}. New: {created}. Updated: {updated}. Unchanged: {unchanged}. "
                       "Rejected: {rejected}.")
MSG_REPORT_PLACES = N_("Created {areas} new areas and {posyandu} new posyandu.")
MSG_REPORT_REJECTED = N_("Rejected rows:")
MSG_REPORT_ROW = N_("row {row}: {reason}")
MSG_REPORT_DRY_RUN = N_("Trial run: nothing was saved.")


class ImportFileError(StorageError):
    """The whole file is unusable (wrong type, unreadable, required columns missing)."""


@dataclass
class Rejection:
    row: int
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, tr: Translator) -> str:
        return tr.gettext(self.msgid).format(**self.params)


@dataclass
class ImportReport:
    file_name: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    areas_created: int = 0
    posyandu_created: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    created_codes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def format(self, tr: Translator | None = None, max_rows: int = 200) -> str:
        tr = tr or get_translator("id")
        lines = [
            tr.gettext(MSG_REPORT_TITLE).format(file=self.file_name),
            tr.gettext(MSG_REPORT_COUNTS).format(total=self.total, created=self.created, updated=self.updated,
                                                 unchanged=self.unchanged, rejected=len(self.rejected)),
        ]
        if self.areas_created or self.posyandu_created:
            lines.append(tr.gettext(MSG_REPORT_PLACES).format(areas=self.areas_created,
                                                              posyandu=self.posyandu_created))
        if self.rejected:
            lines.append(tr.gettext(MSG_REPORT_REJECTED))
            for r in self.rejected[:max_rows]:
                lines.append("  " + tr.gettext(MSG_REPORT_ROW).format(row=r.row, reason=r.text(tr)))
            if len(self.rejected) > max_rows:
                lines.append(f"  … (+{len(self.rejected) - max_rows})")
        if self.dry_run:
            lines.append(tr.gettext(MSG_REPORT_DRY_RUN))
        return "\n".join(lines)


# ------------------------------------------------------------------ reading files


def _header_key(text: object) -> str:
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
        return str(int(value))  # Excel turns a NIK or phone typed as a number into a float
    return str(value).strip()


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str | dt.date]]]]:
    """Header keys and (row number, cells) of a .csv (comma or semicolon, UTF-8) or .xlsx file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
            try:
                dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(io.StringIO(text), dialect)
            header = next(reader, [])
            rows: Iterable[tuple[int, list[str | dt.date]]] = (
                (i, [_cell(c) for c in r]) for i, r in enumerate(reader, start=2))
        elif suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            it = wb.worksheets[0].iter_rows(values_only=True)
            header = [str(c or "") for c in next(it, ())]
            rows = ((i, [_cell(c) for c in r]) for i, r in enumerate(it, start=2))
        else:
            raise ImportFileError(MSG_FILE_TYPE)
    except ImportFileError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError, csv.Error) as exc:
        raise ImportFileError(MSG_FILE_UNREADABLE, reason=type(exc).__name__) from exc
    keys = [_header_key(h) for h in header]
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        raise ImportFileError(MSG_MISSING_COLUMNS, columns=", ".join(missing))
    return keys, iter(rows)


# ------------------------------------------------------------------ import


@dataclass
class _Accepted:
    row: int
    data: ChildCreate
    match_id: int | None


class _Places:
    """Finds or creates areas and posyandu, cached, inside the import's transaction."""

    def __init__(self, repos: Repositories, actor_id: int | None, create: bool) -> None:
        self.repos = repos
        self.actor_id = actor_id
        self.create = create
        self.areas: dict[tuple[str, str, int | None], int] = {}
        self.posyandu_by_key: dict[tuple[str, int], int] = {}
        self.posyandu_by_name: dict[str, list[int]] = {}
        self.areas_created = 0
        self.posyandu_created = 0
        self._fake_id = -1

    async def load(self) -> None:
        for a in await self.repos.areas.list_all():
            self.areas[(a.level.value, name_key(a.name), a.parent_id)] = a.id
        for p in await self.repos.posyandu.list_all(active_only=False):
            self.posyandu_by_key[(name_key(p.name), p.area_id)] = p.id
            self.posyandu_by_name.setdefault(name_key(p.name), []).append(p.id)

    async def _area(self, level: AreaLevel, name: str, parent_id: int | None) -> int:
        key = (level.value, name_key(name), parent_id)
        if key not in self.areas:
            if self.create:
                area = await self.repos.areas.create(level, name, parent_id, self.actor_id)
                self.areas[key] = area.id
            else:  # dry run: pretend
                self.areas[key] = self._fake_id
                self._fake_id -= 1
            self.areas_created += 1
        return self.areas[key]

    async def posyandu(self, name: str, kelurahan: str, kecamatan: str, kota: str) -> int | str:
        """The posyandu id, or a msgid saying why there is none."""
        if not name:
            return MSG_ROW_NO_POSYANDU
        if kelurahan and kecamatan and kota:
            city = await self._area(AreaLevel.CITY, kota, None)
            kec = await self._area(AreaLevel.KECAMATAN, kecamatan, city)
            kel = await self._area(AreaLevel.KELURAHAN, kelurahan, kec)
            key = (name_key(name), kel)
            if key not in self.posyandu_by_key:
                if self.create:
                    p = await self.repos.posyandu.create(PosyanduCreate(name=name, area_id=kel), self.actor_id)
                    pid = p.id
                else:
                    pid = self._fake_id
                    self._fake_id -= 1
                self.posyandu_by_key[key] = pid
                self.posyandu_by_name.setdefault(name_key(name), []).append(pid)
                self.posyandu_created += 1
            return self.posyandu_by_key[key]
        found = self.posyandu_by_name.get(name_key(name), [])
        if len(found) == 1:
            return found[0]
        return MSG_ROW_AMBIGUOUS_POSYANDU if found else MSG_ROW_UNKNOWN_POSYANDU


def _fingerprint(data: ChildCreate) -> tuple[object, ...]:
    return (data.name, data.sex.value, data.birth_date.isoformat(), data.nik, data.guardian_name,
            data.guardian_phone, data.posyandu_id, data.address, data.rt, data.rw)


async def import_children(repos: Repositories, path: Path, *, actor_id: int | None = None,
                          today: dt.date | None = None, dry_run: bool = False) -> ImportReport:
    """Import the file; returns the report (raises ImportFileError for an unusable file)."""
    keys, rows = read_table(path)
    today = today or repos.db.now().date()
    report = ImportReport(file_name=path.name, dry_run=dry_run)
    col = {k: i for i, k in reversed(list(enumerate(keys)))}  # first occurrence wins

    async with repos.db.transaction():
        places = _Places(repos, actor_id, create=not dry_run)
        await places.load()
        index = await repos.children.match_index()
        existing = await _existing_fingerprints(repos)
        seen_nik: dict[str, int] = {}
        seen_code: dict[str, int] = {}
        seen_identity: dict[tuple[str, dt.date, int], int] = {}
        accepted: list[_Accepted] = []
        for row_no, cells in rows:
            if not any(str(c).strip() for c in cells):
                continue  # blank line
            report.total += 1
            get = _getter(cells, col)
            result = await _parse_row(row_no, get, places, today)
            if isinstance(result, Rejection):
                report.rejected.append(result)
                continue
            data = result
            # duplicates inside the file
            if data.code and data.code in seen_code:
                report.rejected.append(Rejection(row_no, MSG_ROW_DUP_CODE_FILE, {"row": seen_code[data.code]}))
                continue
            if data.nik and data.nik in seen_nik:
                report.rejected.append(Rejection(row_no, MSG_ROW_DUP_NIK_FILE, {"row": seen_nik[data.nik]}))
                continue
            identity = (search_key(data.name), data.birth_date, data.posyandu_id)
            if identity in seen_identity:
                report.rejected.append(Rejection(row_no, MSG_ROW_DUP_CHILD_FILE, {"row": seen_identity[identity]}))
                continue
            # match a registered child: kode, else NIK, else name + birth date + posyandu
            match_id = None
            if data.code:
                match_id = index.by_code.get(data.code)
            if match_id is None and data.nik:
                match_id = index.by_nik.get(data.nik)
            if match_id is None:
                match_id = index.by_identity.get(identity)
            if data.nik:
                owner = index.by_nik.get(data.nik)
                if owner is not None and owner != match_id:
                    report.rejected.append(Rejection(row_no, MSG_ROW_NIK_TAKEN, {"code": existing[owner][0]}))
                    continue
            if data.code and match_id is not None and index.by_code.get(data.code) not in (None, match_id):
                report.rejected.append(Rejection(row_no, MSG_ROW_CODE_CONFLICT, {"code": data.code}))
                continue
            if data.code:
                seen_code[data.code] = row_no
            if data.nik:
                seen_nik[data.nik] = row_no
            seen_identity[identity] = row_no
            accepted.append(_Accepted(row_no, data, match_id))

        creates: list[ChildCreate] = []
        updates: list[tuple[int, ChildCreate]] = []
        for item in accepted:
            if item.match_id is None:
                creates.append(item.data)
                continue
            old_fp = existing[item.match_id][1]
            # empty cells keep saved values
            new_fp = tuple(n if n is not None else o for n, o in zip(_fingerprint(item.data), old_fp, strict=True))
            if new_fp == old_fp:
                report.unchanged += 1
            else:
                updates.append((item.match_id, item.data))
        report.created = len(creates)
        report.updated = len(updates)
        report.areas_created = places.areas_created
        report.posyandu_created = places.posyandu_created
        if not dry_run:
            report.created_codes = await repos.children.bulk_write(creates, updates, actor_id)
        else:
            raise _DryRun(report)
    log.info("import of %d rows: %d new, %d updated, %d unchanged, %d rejected", report.total, report.created,
             report.updated, report.unchanged, len(report.rejected))
    return report


class _DryRun(Exception):
    """Raised to roll the transaction back after a trial run."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


async def dry_run_import(repos: Repositories, path: Path, **kw: Any) -> ImportReport:
    """Validate and match without saving anything."""
    try:
        return await import_children(repos, path, dry_run=True, **kw)
    except _DryRun as done:
        return done.report


async def _existing_fingerprints(repos: Repositories) -> dict[int, tuple[str, tuple[object, ...]]]:
    rows = await repos.db.fetchall(
        "SELECT id, code, name, sex, birth_date, nik, guardian_name, guardian_phone, posyandu_id, address, rt, rw"
        " FROM children")
    return {r["id"]: (r["code"], (r["name"], r["sex"], r["birth_date"], r["nik"], r["guardian_name"],
                                  r["guardian_phone"], r["posyandu_id"], r["address"], r["rt"], r["rw"]))
            for r in rows}


def _getter(cells: list[str | dt.date], col: dict[str, int]) -> Any:
    def get(name: str) -> str | dt.date:
        i = col.get(name)
        if i is None or i >= len(cells):
            return ""
        return cells[i]
    return get


async def _parse_row(row_no: int, get: Any, places: _Places, today: dt.date) -> ChildCreate | Rejection:
    name = clean_name(str(get("nama")))
    if not name:
        return Rejection(row_no, MSG_ROW_NO_NAME)
    sex = _SEX.get(str(get("jenis_kelamin")).strip().lower())
    if sex is None:
        return Rejection(row_no, MSG_ROW_BAD_SEX)
    raw_date = get("tanggal_lahir")
    birth: dt.date | None = raw_date if isinstance(raw_date, dt.date) else None
    if birth is None:
        try:
            birth = parse_date(str(raw_date), today) if str(raw_date).strip() else None
        except ParseError:
            birth = None
    if birth is None:
        return Rejection(row_no, MSG_ROW_BAD_DATE)
    if birth > today:
        return Rejection(row_no, MSG_ROW_FUTURE)
    if birth < today - dt.timedelta(days=18 * 366):
        return Rejection(row_no, MSG_ROW_TOO_OLD)
    nik_raw = str(get("nik")).strip()
    nik = None
    if nik_raw and nik_raw not in ("-", "0"):
        try:
            nik = validate_nik(nik_raw)
        except InvalidInput:
            return Rejection(row_no, MSG_ROW_BAD_NIK)
    phone_raw = str(get("hp_ortu")).strip()
    phone = None
    if phone_raw and phone_raw != "-":
        try:
            phone = normalise_phone(phone_raw)
        except InvalidInput:
            return Rejection(row_no, MSG_ROW_BAD_PHONE)
    code_raw = str(get("kode")).strip()
    code = None
    if code_raw:
        code = normalise_child_code(code_raw)
        if code is None:
            return Rejection(row_no, MSG_ROW_BAD_CODE)
    posyandu = await places.posyandu(clean_name(str(get("posyandu"))), clean_name(str(get("kelurahan"))),
                                     clean_name(str(get("kecamatan"))), clean_name(str(get("kota"))))
    if isinstance(posyandu, str):
        return Rejection(row_no, posyandu)
    try:
        return ChildCreate(
            name=name, sex=sex, birth_date=birth, posyandu_id=posyandu, nik=nik,
            guardian_name=clean_name(str(get("nama_ortu"))) or None, guardian_phone=phone,
            address=clean_name(str(get("alamat"))) or None, rt=clean_name(str(get("rt"))) or None,
            rw=clean_name(str(get("rw"))) or None, code=code,
        )
    except ValidationError as exc:
        errors = exc.errors()
        column = str(errors[0]["loc"][0]) if errors and errors[0]["loc"] else "?"
        return Rejection(row_no, MSG_ROW_INVALID, {"column": column})
