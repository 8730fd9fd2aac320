"""A program report as an Excel file: the months (enrolled, deliveries, outcome against the comparison group), the
enrolled children by posyandu code only (anonymised: the same file may go to the sponsor), and how the comparison
group is built. Column headers in Indonesian, like the e-PPGBM export."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.i18n import get_translator
from bot.services.programs import COMPARISON_NOTE, KINDS, Outcome, ProgramReport, facts_words
from bot.services.sponsor import AnonChild

MONTH_COLUMNS = (
    "Bulan", "Anak terdaftar", "Pengiriman", "Anak menerima", "Jumlah ({unit})",
    "Program: diukur", "Program: rata-rata perubahan ZS BB/U", "Program: rata-rata perubahan ZS TB/U",
    "Program: pendek di awal", "Program: pendek → tidak pendek", "Program: menjadi pendek",
    "Program: BB kurang di awal", "Program: BB kurang → tidak",
    "Pembanding: diukur", "Pembanding: rata-rata perubahan ZS BB/U", "Pembanding: rata-rata perubahan ZS TB/U",
    "Pembanding: pendek di awal", "Pembanding: pendek → tidak pendek", "Pembanding: menjadi pendek",
    "Pembanding: BB kurang di awal", "Pembanding: BB kurang → tidak",
)
CHILD_COLUMNS = ("Kode", "Umur (bulan)", "JK", "Status awal", "ZS TB/U awal", "Status terakhir", "ZS TB/U terakhir",
                 "Diterima ({unit})")
UNIT_WORDS = {"days": "hari", "packages": "paket"}


def _outcome_cells(o: Outcome) -> list[object]:
    def num(v: float | None) -> float | str:
        return round(v, 2) if v is not None else ""

    return [o.children, num(o.waz_change), num(o.haz_change), o.stunted_before, o.stunted_recovered,
            o.became_stunted, o.underweight_before, o.underweight_recovered]


def report_xlsx(report: ProgramReport, children: Sequence[AnonChild]) -> bytes:
    from openpyxl import Workbook

    tr = get_translator("id")
    unit = UNIT_WORDS.get(report.unit, report.unit)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Laporan")
    ws.append([report.name])
    ws.append(["Sponsor", report.sponsor])
    ws.append(["Jenis", tr.gettext(KINDS.get(report.kind, report.kind))])
    ws.append(["Periode", report.starts_on.isoformat(), report.ends_on.isoformat()])
    ws.append(["Anak terdaftar", report.enrolled_total, "dengan data awal", report.enrolled_with_baseline,
               "kelompok pembanding", report.comparison_total])
    ws.append([])
    ws.append([c.format(unit=unit) for c in MONTH_COLUMNS])
    for m in report.months:
        ws.append([f"{m.month:%Y-%m}", m.enrolled, m.deliveries, m.children_reached, m.quantity,
                   *_outcome_cells(m.enrolled_outcome), *_outcome_cells(m.comparison_outcome)])
    sheet = wb.create_sheet("Anak")
    sheet.append([c.format(unit=unit) for c in CHILD_COLUMNS])
    for c in children:
        sheet.append([c.code, int(c.age_days / 30.4375), "L" if c.sex.value == "M" else "P",
                      facts_words(tr, c.base), c.base.haz if c.base and c.base.haz is not None else "",
                      facts_words(tr, c.latest), c.latest.haz if c.latest and c.latest.haz is not None else "",
                      c.received])
    note = wb.create_sheet("Catatan")
    note.append([tr.gettext(COMPARISON_NOTE)])
    note.append(["Strata (umur bulan:status awal)", ", ".join(report.strata)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["CHILD_COLUMNS", "MONTH_COLUMNS", "report_xlsx"]
