"""The Buku KIA immunisation page as a picture (PNG): one row per dose with its date or state, then the vitamin A
capsules and deworming tablets. Matplotlib's object API on the Agg canvas (no pyplot, no global state), so it is
safe to draw in a worker thread, as the growth chart is."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from babel.dates import format_date
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.growth.child_services import KiaState, ServiceKind
from bot.i18n import N_, Translator
from bot.render.services import CAPSULE_SHORT, TABLET_SHORT, short_dose
from bot.services.services_due import KiaPage

FILL = {KiaState.GIVEN: "#d9f0d3", KiaState.DUE: "#fff3bf", KiaState.OVERDUE: "#fdd0a2",
        KiaState.MISSED: "#fcbba1", KiaState.NOT_YET: "#ffffff", KiaState.UNRECORDED: "#eeeeee"}
STATE_WORDS = {KiaState.GIVEN: N_("given"), KiaState.DUE: N_("due now"), KiaState.OVERDUE: N_("late: catch up"),
               KiaState.MISSED: N_("missed"), KiaState.NOT_YET: N_("not yet"),
               KiaState.UNRECORDED: N_("not recorded")}
HEADER = (N_("Age"), N_("Vaccine"), N_("Date"), N_("Status"))
COLUMNS = (0.02, 0.22, 0.50, 0.72)  # left edge of each column, as a fraction of the width
ROW_IN = 0.28
WIDTH_IN = 6.4
DPI = 150


@dataclass(frozen=True)
class Row:
    cells: tuple[str, str, str, str]
    fill: str
    bold: bool = False


def picture_rows(tr: Translator, page: KiaPage) -> list[Row]:
    """The table's rows in the reader's language (dates in the local format)."""
    rows = [Row(tuple(tr.gettext(h) for h in HEADER), "#c6dbef", bold=True)]  # type: ignore[arg-type]
    last_age: int | None = None
    for r in page.rows:
        if r.dose.regional and r.state is not KiaState.GIVEN:
            continue
        age = ""
        if r.dose.due_months != last_age:
            age = tr.gettext("At birth") if r.dose.due_months == 0 else tr.ngettext(
                "{n} month", "{n} months", r.dose.due_months).format(n=r.dose.due_months)
            last_age = r.dose.due_months
        when = tr.short_date(r.given_on) if r.given_on else (
            tr.gettext("until {date}").format(date=tr.short_date(r.last_on)) if r.state is KiaState.OVERDUE
            else tr.gettext("from {date}").format(date=tr.short_date(r.due_on)) if r.state in (
                KiaState.NOT_YET, KiaState.DUE) else "")
        rows.append(Row((age, short_dose(r.dose.code), when, tr.gettext(STATE_WORDS[r.state])), FILL[r.state]))
    for kind, words, title in ((ServiceKind.VITAMIN_A, CAPSULE_SHORT, N_("Vitamin A")),
                               (ServiceKind.DEWORMING, TABLET_SHORT, N_("Deworming"))):
        items = page.of_kind(kind)
        first = len(rows)
        for rec in items:
            rows.append(Row(("", tr.gettext(words.get(rec.code, rec.code)),
                             format_date(rec.given_on, "d MMM y", locale=tr.lang),
                             tr.gettext(STATE_WORDS[KiaState.GIVEN])), FILL[KiaState.GIVEN]))
        if kind is ServiceKind.VITAMIN_A and page.vitamin_a_due is not None:
            rows.append(Row(("", tr.gettext(words[page.vitamin_a_due.value]), "",
                             tr.gettext(STATE_WORDS[KiaState.DUE])), FILL[KiaState.DUE]))
        if len(rows) > first:  # the section's name on its first row
            head = rows[first]
            rows[first] = Row((tr.gettext(title), *head.cells[1:]), head.fill)
    return rows


def draw(title: str, rows: Sequence[Row]) -> bytes:
    """The table as a PNG."""
    height = ROW_IN * (len(rows) + 2)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    total = len(rows) + 1.5
    ax.set_xlim(0, 1)
    ax.set_ylim(0, total)
    ax.text(0.02, total - 0.75, title, fontsize=12, fontweight="bold", va="center")
    for i, row in enumerate(rows):
        y = total - 1.5 - i
        ax.add_patch(Rectangle((0.01, y - 0.5), 0.98, 1.0, facecolor=row.fill, edgecolor="#bbbbbb", linewidth=0.5))
        for x, cell in zip(COLUMNS, row.cells, strict=True):
            ax.text(x, y, cell, fontsize=8.5, va="center", fontweight="bold" if row.bold else "normal",
                    clip_on=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def kia_png(tr: Translator, page: KiaPage, title: str) -> bytes:
    return draw(title, picture_rows(tr, page))


__all__ = ["FILL", "Row", "draw", "kia_png", "picture_rows"]
