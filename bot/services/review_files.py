"""The annual review as files for the review meeting: XLSX (openpyxl) and a PDF ready to print (fpdf2).

fpdf2 over reportlab: pure Python (no compiler, no network at run time), actively maintained, a table API that
breaks long tables over pages by itself, and small; it embeds a TrueType font for any name's letters, and the
DejaVu Sans that matplotlib already ships is used, so no system font is needed. Both files hold only what the
Review holds, which was built from the caller's scope.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.i18n import N_, Translator, fmt_month
from bot.services.annual_review import Review, ReviewRow
from bot.services.recap import Totals

PCT = "0.0"

# (column msgid, value of a row) of the per-area tables; percentages as numbers, None where nothing was measured.
_COLUMNS: list[tuple[str, Callable[[ReviewRow], Any], bool]] = [
    (N_("S (under-fives)"), lambda r: r.now.s, False),
    (N_("D (weighed)"), lambda r: r.now.d, False),
    (N_("D/S %"), lambda r: r.now.d_s, True),
    (N_("D/S % last year"), lambda r: r.before.d_s, True),
    (N_("Stunting % last year"), lambda r: r.before.stunting, True),
    (N_("Stunting %"), lambda r: r.now.stunting, True),
    (N_("Change (points)"), lambda r: None if r.now.stunting is None or r.before.stunting is None
     else r.now.stunting - r.before.stunting, True),
    (N_("Wasting % last year"), lambda r: r.before.wasting, True),
    (N_("Wasting %"), lambda r: r.now.wasting, True),
    (N_("Underweight % last year"), lambda r: r.before.underweight_pct, True),
    (N_("Underweight %"), lambda r: r.now.underweight_pct, True),
    (N_("Overweight % last year"), lambda r: r.before.overweight_pct, True),
    (N_("Overweight %"), lambda r: r.now.overweight_pct, True),
    (N_("Moved out of stunting"), lambda r: r.year.moved_out, False),
    (N_("Stunted in latest month"), lambda r: r.year.stunted_latest, False),
]
NOTE_LABELS = (("achievements", N_("Achievements")), ("obstacles", N_("Obstacles")),
               ("recommendations", N_("Recommendations for next year")))


def title(review: Review, tr: Translator) -> str:
    return tr.gettext("Annual review {year} — {area}").format(year=review.year, area=review.area_label)


def subtitle(review: Review, tr: Translator) -> str:
    return tr.gettext("Review month {month}, compared with {before}. Counts from the children's stored monthly "
                      "status, as in /rekap.").format(month=fmt_month(review.month, tr.lang),
                                                      before=fmt_month(review.month_before, tr.lang))


def _summary(review: Review, tr: Translator) -> list[tuple[str, Any, bool]]:
    t, b, y = review.total.now, review.total.before, review.total.year
    return [
        (tr.gettext("Under-fives registered (S)"), t.s, False),
        (tr.gettext("Weighed (D)"), t.d, False),
        (tr.gettext("Coverage D/S %"), t.d_s, True),
        (tr.gettext("Coverage D/S % last year"), b.d_s, True),
        (tr.gettext("Stunting %"), t.stunting, True),
        (tr.gettext("Stunting % last year"), b.stunting, True),
        (tr.gettext("Wasting %"), t.wasting, True),
        (tr.gettext("Wasting % last year"), b.wasting, True),
        (tr.gettext("Underweight %"), t.underweight_pct, True),
        (tr.gettext("Underweight % last year"), b.underweight_pct, True),
        (tr.gettext("Overweight %"), t.overweight_pct, True),
        (tr.gettext("Overweight % last year"), b.overweight_pct, True),
        (tr.gettext("Children measured this year (length/height)"), y.measured, False),
        (tr.gettext("Stunted at some point this year"), y.ever_stunted, False),
        (tr.gettext("Moved out of stunting"), y.moved_out, False),
    ]


# ------------------------------------------------------------------ XLSX

_NOT_IN_SHEET_TITLES = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(text: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    return " ".join(text.translate(_NOT_IN_SHEET_TITLES).split())[:31] or "-"


def review_xlsx(review: Review, tr: Translator) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(tr.gettext("Summary"))
    bold = Font(bold=True)
    ws.append([title(review, tr)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([subtitle(review, tr)])
    ws.append([])
    for label, value, pct in _summary(review, tr):
        ws.append([label, value])
        if pct:
            ws.cell(ws.max_row, 2).number_format = PCT
    ws.append([])
    for key, label in NOTE_LABELS:
        ws.append([tr.gettext(label), getattr(review.notes, key)])
        ws.cell(ws.max_row, 1).font = bold
        ws.cell(ws.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 80
    for name, rows in ((tr.gettext("Per kelurahan"), review.kelurahan),
                              (tr.gettext("Per posyandu"), review.posyandu)):
        sheet = wb.create_sheet(sheet_title(name))
        header = [tr.gettext("Name"), tr.gettext("Kelurahan")] + [tr.gettext(c) for c, _, _ in _COLUMNS]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
        # Row numbers counted here: openpyxl's max_row walks every cell (quadratic over 500 posyandu).
        for n, r in enumerate([*rows, review.total], start=2):
            sheet.append([r.name, r.parent] + [fn(r) for _, fn, _ in _COLUMNS])
            for i, (_, _, pct) in enumerate(_COLUMNS, start=3):
                if pct:
                    sheet.cell(n, i).number_format = PCT
        for cell in sheet[len(rows) + 2]:
            cell.font = bold
        sheet.column_dimensions["A"].width = 28
        sheet.column_dimensions["B"].width = 20
        sheet.freeze_panes = "B2"
    cov = wb.create_sheet(sheet_title(tr.gettext("Coverage D/S")))
    cov.append([tr.gettext("Month"), "S", "D", tr.gettext("D/S %")])
    for cell in cov[1]:
        cell.font = bold
    for m, t in review.coverage:
        cov.append([fmt_month(m, tr.lang), t.s, t.d, t.d_s])
        cov.cell(cov.max_row, 4).number_format = PCT
    cov.column_dimensions["A"].width = 18
    for section in review.sections:
        sheet = wb.create_sheet(sheet_title(section.title))
        sheet.append([section.title])
        sheet["A1"].font = bold
        if section.note:
            sheet.append([section.note])
        for label, value, unit in section.figures:
            sheet.append([label, value, unit])
        for t_title, columns, cells in section.tables:
            sheet.append([])
            sheet.append([t_title])
            sheet.append(columns)
            for values in cells:
                sheet.append(values)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ PDF


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _fmt(value: Any, pct: bool, tr: Translator) -> str:
    if value is None:
        return "—"
    if pct or isinstance(value, float):
        return tr.decimal(float(value), 1)
    return str(value)


def _fit(pdf: Any, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _grid(pdf: Any, widths: tuple[float, ...], header: list[str], rows: list[list[str]]) -> None:
    """A table of one-line cells, its heading repeated on every page. fpdf2's table API lays out every cell as a
    paragraph (about 1 ms a cell: 7 s for a city's 500 posyandu); plain cells take a fraction of that."""
    line, head_h = 4.0, 10.5

    def heading() -> None:
        pdf.set_font("DejaVu", "B", 5.8)
        pdf.set_fill_color(225, 235, 245)
        x, y = pdf.l_margin, pdf.get_y()
        for w, text in zip(widths, header, strict=True):
            pdf.rect(x, y, w, head_h, style="DF")
            pdf.set_xy(x + 0.4, y + 0.6)
            pdf.multi_cell(w - 0.8, 2.5, text, align="C", new_x="RIGHT", new_y="TOP", max_line_height=2.5)
            x += w
        pdf.set_xy(pdf.l_margin, y + head_h)
        pdf.set_font("DejaVu", "", 6.5)

    heading()
    last = len(rows) - 1
    for i, values in enumerate(rows):
        if pdf.will_page_break(line):
            pdf.add_page()
            heading()
        if i == last:
            pdf.set_font("DejaVu", "B", 6.5)
        for j, (w, text) in enumerate(zip(widths, values, strict=True)):
            pdf.cell(w, line, _fit(pdf, str(text), w - 1.2), border=1, align="L" if j < 2 else "R")
        pdf.ln(line)
    pdf.set_font("DejaVu", "", 9)


def review_pdf(review: Review, tr: Translator) -> bytes:
    from fpdf import FPDF, FontFace

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title(review, tr))
    footer = tr.gettext("Page")

    def page_footer() -> None:
        pdf.set_y(-10)
        pdf.set_font("DejaVu", "", 7)
        pdf.cell(0, 5, f"{title(review, tr)} · {footer} {pdf.page_no()}", align="R")

    pdf.footer = page_footer  # type: ignore[method-assign,unused-ignore]

    def para(height: float, text: str) -> None:
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    para(8, title(review, tr))
    pdf.set_font("DejaVu", "", 9)
    para(5, subtitle(review, tr))
    pdf.ln(3)
    head = FontFace(emphasis="BOLD", fill_color=(225, 235, 245))
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(70, 30), width=150, align="LEFT", headings_style=head,
                   text_align=("LEFT", "RIGHT")) as table:
        table.row([tr.gettext("Summary"), ""])
        for label, value, pct in _summary(review, tr):
            table.row([label, _fmt(value, pct, tr)])
    for key, label in NOTE_LABELS:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 10)
        para(6, tr.gettext(label))
        pdf.set_font("DejaVu", "", 9)
        para(5, getattr(review.notes, key) or "—")
    for heading, rows in ((tr.gettext("Per kelurahan"), review.kelurahan),
                          (tr.gettext("Per posyandu"), review.posyandu)):
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 12)
        para(7, heading)
        _grid(pdf, (37, 25, *([14.5] * len(_COLUMNS))),
              [tr.gettext("Name"), tr.gettext("Kelurahan"), *(tr.gettext(c) for c, _, _ in _COLUMNS)],
              [[r.name, r.parent, *(_fmt(fn(r), pct, tr) for _, fn, pct in _COLUMNS)]
               for r in [*rows, review.total]])
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    para(7, tr.gettext("Coverage D/S"))
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(40, 25, 25, 25), width=115, align="LEFT", headings_style=head,
                   text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")) as table:
        table.row([tr.gettext("Month"), "S", "D", tr.gettext("D/S %")])
        for m, t in review.coverage:
            table.row([fmt_month(m, tr.lang), str(t.s), str(t.d), _fmt(Totals.pct(t.d, t.s), True, tr)])
    for section in review.sections:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11)
        para(6, section.title)
        pdf.set_font("DejaVu", "", 9)
        if section.note:
            para(5, section.note)
        for label, value, unit in section.figures:
            para(5, f"{label}: {_fmt(value, False, tr)}{unit}")
        for t_title, columns, cells in section.tables:
            pdf.set_font("DejaVu", "B", 9)
            para(5, t_title)
            pdf.set_font("DejaVu", "", 8)
            with pdf.table(headings_style=head) as table:
                table.row([str(c) for c in columns])
                for values in cells:
                    table.row([_fmt(x, False, tr) for x in values])
    return bytes(pdf.output())


__all__ = ["review_pdf", "review_xlsx", "sheet_title", "subtitle", "title"]
