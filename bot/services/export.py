"""Monthly export of individual measurements (close to e-PPGBM's columns) as CSV or Excel.

One row per child measured in the month: the visit that counts (the status function's answer, stored by
bot.services.status; a visit kept as "perlu ukur ulang" is left out until corrected), with z-scores, categories
and weight-gain status. Excel: one sheet per posyandu plus a summary sheet (SKDN and
prevalences). Used by `python -m bot export` and by the coordinator's /ekspor (via `export_bytes`).
The NIK is masked unless `full_nik=True` (an admin on the server preparing an e-PPGBM upload).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from bot.growth.status import REASON_LABELS
from bot.i18n import N_, get_translator
from bot.services import status as status_svc
from storage import AreaLevel, Child, Measurement, Posyandu, Repositories
from storage import services_queries as services_q
from storage.services_queries import MonthServices
from storage.status_queries import PosyanduCounts, StatusRow
from storage.values import mask_nik

Format = Literal["csv", "xlsx"]
# (indicator, category key) -> label; default: the Permenkes 2/2020 label in Indonesian, as e-PPGBM writes it.
CategoryLabel = Callable[[str, str], str]


@cache
def _permenkes_labels() -> dict[str, str]:
    from bot.growth.classify import all_categories

    return {c.code: c.label_id for c in all_categories()}


def permenkes_label(_indicator: str, key: str) -> str:
    """The exact Indonesian category label for a stored category code (unknown codes pass through)."""
    return _permenkes_labels().get(key, key)


@cache
def _reason_words_id() -> dict[str, str]:
    """The refer reasons in the Indonesian words of the cards (the file is for e-PPGBM: always Indonesian)."""
    tr = get_translator("id")
    return {r.value: tr.gettext(label) for r, label in REASON_LABELS.items()}


COLUMNS: tuple[str, ...] = (
    "Kode", "NIK", "Nama", "JK", "Tgl Lahir", "BB Lahir", "TB Lahir", "Nama Ortu", "Kab/Kota", "Kec", "Desa/Kel",
    "Posyandu", "RT", "RW", "Alamat", "Usia Saat Ukur", "Usia (hari)", "Tanggal Pengukuran", "Berat", "Tinggi",
    "Cara Ukur", "LiLA", "Lingkar Kepala", "Edema", "BB/U", "ZS BB/U", "TB/U", "ZS TB/U", "BB/TB", "ZS BB/TB",
    "IMT/U", "ZS IMT/U", "Naik Berat Badan", "BGM", "Rujuk", "Alasan Rujuk",
    # Services of the month (issue 14): PMT received (Ya/Tidak), vitamin A capsules, doses, deworming.
    "PMT Diterima", "Jml Vit A", "Imunisasi", "Obat Cacing",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "Posyandu", "Desa/Kel", "Kec", "Kab/Kota", "S", "D", "N", "T", "2T", "O", "B", "Belum Dinilai", "BGM",
    "Perlu Ukur Ulang", "Dirujuk", "D/S %", "N/D %", "Stunting %", "Gizi Kurang dan Buruk (BB/TB) %",
    "BB Kurang (BB/U) %", "Gizi Lebih (BB/TB) %",
)
MSG_SUMMARY_SHEET = N_("Summary")
MSG_NO_DATA = N_("No measurements in {month}.")


@dataclass(frozen=True)
class PlaceNames:
    kelurahan: str
    kecamatan: str
    city: str


@dataclass
class ExportData:
    month: dt.date
    posyandu: list[Posyandu]
    places: dict[int, PlaceNames]  # by posyandu id
    rows: dict[int, list[tuple[Child, Measurement, StatusRow]]] = field(default_factory=dict)  # by posyandu id
    counts: dict[int, PosyanduCounts] = field(default_factory=dict)  # by posyandu id
    services: dict[int, MonthServices] = field(default_factory=dict)  # by child id: what it got that month

    @property
    def row_count(self) -> int:
        return sum(len(v) for v in self.rows.values())


async def collect_export(repos: Repositories, month: dt.date, posyandu_ids: Sequence[int] | None = None
                         ) -> ExportData:
    """Load what an export of `month` needs for these posyandu (None: all)."""
    ids = list(posyandu_ids) if posyandu_ids is not None else [p.id for p in await repos.posyandu.list_all(
        active_only=False)]
    posyandu = await repos.posyandu.get_many(ids)
    places: dict[int, PlaceNames] = {}
    area_cache: dict[int, PlaceNames] = {}
    for p in posyandu:
        if p.area_id not in area_cache:
            chain = {a.level: a.name for a in await repos.areas.ancestors(p.area_id)}
            area_cache[p.area_id] = PlaceNames(chain.get(AreaLevel.KELURAHAN, ""), chain.get(AreaLevel.KECAMATAN, ""),
                                               chain.get(AreaLevel.CITY, ""))
        places[p.id] = area_cache[p.area_id]
    counted = await status_svc.counted_in_month(repos, ids, month)
    children = {c.id: c for c in await repos.children.get_many([m.child_id for m, _ in counted])}
    data = ExportData(month=month.replace(day=1), posyandu=posyandu, places=places)
    for m, status in counted:
        child = children[m.child_id]
        data.rows.setdefault(child.posyandu_id, []).append((child, m, status))
    for rows in data.rows.values():
        rows.sort(key=lambda cms: (cms[0].name.casefold(), cms[0].id))
    data.counts = await status_svc.month_counts(repos, ids, month)
    data.services = await services_q.month_services(repos.db, list(children), month)
    return data


def age_text(birth: dt.date, on: dt.date) -> str:
    """e-PPGBM style: `1 Tahun - 8 Bulan - 3 Hari`."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day:
        months -= 1
    anchor_year, anchor_month = birth.year + (birth.month - 1 + months) // 12, (birth.month - 1 + months) % 12 + 1
    day = min(birth.day, _days_in_month(anchor_year, anchor_month))
    days = (on - dt.date(anchor_year, anchor_month, day)).days
    return f"{months // 12} Tahun - {months % 12} Bulan - {days} Hari"


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


def _num(value: float | None, digits: int = 2) -> float | str:
    return round(value, digits) if value is not None else ""


def _service_cells(got: MonthServices | None) -> list[object]:
    """PMT Diterima, Jml Vit A, Imunisasi, Obat Cacing (the month's current service records)."""
    if got is None:
        return ["Tidak", 0, "", ""]
    return ["Ya" if got.pmt_deliveries else "Tidak", got.vitamin_a, ", ".join(got.doses),
            "Ya" if got.deworming else ""]


def _row(child: Child, m: Measurement, status: StatusRow, place: PlaceNames, posyandu: str, full_nik: bool,
         label: CategoryLabel, services: MonthServices | None = None) -> list[object]:
    def cat(ind: str) -> str:
        key = m.categories.get(ind)  # type: ignore[call-overload]
        return label(ind, key) if key else ""

    position = {"lying": "Terlentang", "standing": "Berdiri"}.get(m.position.value if m.position else "", "")
    return [
        child.code, (child.nik or "") if full_nik else mask_nik(child.nik), child.name,
        "L" if child.sex.value == "M" else "P", child.birth_date.isoformat(), _num(child.birth_weight_kg),
        _num(child.birth_length_cm, 1), child.guardian_name or "", place.city, place.kecamatan, place.kelurahan,
        posyandu, child.rt or "", child.rw or "", child.address or "", age_text(child.birth_date, m.measured_on),
        m.age_days, m.measured_on.isoformat(), _num(m.weight_kg), _num(m.length_cm, 1), position,
        _num(m.muac_cm, 1), _num(m.head_cm, 1), "Ya" if m.oedema else "Tidak",
        cat("waz"), _num(m.waz), cat("haz"), _num(m.haz), cat("whz"), _num(m.whz), cat("bmiz"), _num(m.bmiz),
        _weighing(status.weighing), "Ya" if status.bgm else "", "Ya" if status.refer else "Tidak",
        ", ".join(_reason_words_id().get(r, r) for r in status.reasons), *_service_cells(services),
    ]


def _weighing(code: str | None) -> str:
    """N, T, 2T, O, B as on the KMS; a re-weighing fewer than 21 days after the last: "Belum dinilai"."""
    return "Belum dinilai" if code == "-" else (code or "")


def _summary_row(name: str, r: PosyanduCounts, place: PlaceNames) -> list[object]:
    def pct(part: int, whole: int) -> float | str:
        return round(100.0 * part / whole, 1) if whole else ""

    return [name, place.kelurahan, place.kecamatan, place.city, r.s, r.d, r.n, r.t, r.t2, r.o, r.b, r.too_soon,
            r.bgm, r.remeasure, r.refer, pct(r.d, r.s), pct(r.n, r.d), pct(r.stunted, r.with_haz),
            pct(r.wasted, r.with_whz), pct(r.underweight, r.with_waz), pct(r.overweight, r.with_whz)]


def table_rows(data: ExportData, *, full_nik: bool = False, label: CategoryLabel | None = None
               ) -> list[list[object]]:
    """All rows (without header), posyandu by posyandu."""
    lab = label or permenkes_label
    out: list[list[object]] = []
    for p in data.posyandu:
        for child, m, status in data.rows.get(p.id, []):
            out.append(_row(child, m, status, data.places[p.id], p.name, full_nik, lab, data.services.get(child.id)))
    return out


def write_csv(data: ExportData, target: io.TextIOBase | Path, *, full_nik: bool = False,
              label: CategoryLabel | None = None) -> None:
    """Semicolon-separated UTF-8 with BOM: what Excel in an Indonesian locale opens correctly."""
    if isinstance(target, Path):
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            _write_csv(data, fh, full_nik, label)
    else:
        _write_csv(data, target, full_nik, label)


def _write_csv(data: ExportData, fh: io.TextIOBase, full_nik: bool, label: CategoryLabel | None) -> None:
    w = csv.writer(fh, delimiter=";")
    w.writerow(COLUMNS)
    w.writerows(table_rows(data, full_nik=full_nik, label=label))


def write_xlsx(data: ExportData, target: io.BufferedIOBase | io.BytesIO | Path, *, full_nik: bool = False,
               label: CategoryLabel | None = None, lang: str = "id") -> None:
    """A summary sheet, then one sheet per posyandu that has children measured."""
    from openpyxl import Workbook

    tr = get_translator(lang)
    lab = label or permenkes_label
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(_sheet_title(tr.gettext(MSG_SUMMARY_SHEET), set()))
    summary.append([f"{data.month:%Y-%m}"])
    summary.append(list(SUMMARY_COLUMNS))
    for p in sorted(data.posyandu, key=lambda p: (p.name.casefold(), p.id)):
        counts = data.counts.get(p.id, PosyanduCounts(posyandu_id=p.id))
        summary.append(_summary_row(p.name, counts, data.places[p.id]))
    used: set[str] = {summary.title}
    for p in data.posyandu:
        rows = data.rows.get(p.id)
        if not rows:
            continue
        ws = wb.create_sheet(_sheet_title(p.name, used))
        used.add(ws.title)
        ws.append(list(COLUMNS))
        for child, m, status in rows:
            ws.append(_row(child, m, status, data.places[p.id], p.name, full_nik, lab, data.services.get(child.id)))
    wb.save(target)


def _sheet_title(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in name if ch not in '[]:*?/\\')[:31] or "Posyandu"
    title, n = base, 2
    while title in used:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    return title


def export_bytes(data: ExportData, fmt: Format = "xlsx", *, full_nik: bool = False,
                 label: CategoryLabel | None = None) -> bytes:
    """The file's content, for sending as a Telegram document."""
    if fmt == "csv":
        text = io.StringIO()
        _write_csv(data, text, full_nik, label)
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    buf = io.BytesIO()
    write_xlsx(data, buf, full_nik=full_nik, label=label)
    return buf.getvalue()
