"""Monthly recap of a coordinator's area: SKDN, prevalence, cases to follow up, by the level below, with a chart.

Counting happens in SQL over the children's stored monthly status (bot.services.status.month_counts: what the
status function decided, the same answer the card and the follow-up list give); this module picks the scope's
posyandu, groups them by the level below the coordinator's own (city -> kecamatan -> kelurahan -> posyandu),
compares with the previous month, and renders text and a bar chart.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from dataclasses import dataclass, fields
from functools import cache

from babel.dates import get_month_names

from bot.i18n import Translator, fmt_month
from bot.services import status as status_svc
from bot.services.team import StaffScope, area_label
from storage import Repositories
from storage import status_queries as q

MAX_BREAKDOWN_LINES = 30  # keeps the message far below 4096 characters; the Excel file has everything
MAX_CHART_BARS = 40


# ------------------------------------------------------------------ month argument


class MonthParseError(ValueError):
    pass


@cache
def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for lang in ("id", "en"):
        for width in ("wide", "abbreviated"):
            for num, name in get_month_names(width, locale=lang).items():
                names[name.casefold().rstrip(".")] = num
    # Spellings people type that CLDR does not list.
    names.update({"agt": 8, "ags": 8, "agu": 8, "sept": 9, "nop": 11, "nopember": 11, "pebruari": 2, "peb": 2,
                  "des": 12, "okt": 10, "mei": 5})
    return names


_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{4}|\d{2})$")
_WORDS = re.compile(r"^([^\W\d_]+)\.?(?:\s+(\d{4}|\d{2}))?$")
_THIS = {"ini", "bulan ini", "sekarang", "this month", "now"}
_LAST = {"lalu", "bulan lalu", "kemarin", "last month", "previous"}


def previous_month(month: dt.date) -> dt.date:
    first = month.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def parse_month_arg(text: str, today: dt.date) -> dt.date:
    """`2024-11`, `11/2024`, `11-24`, `November 2024`, `nov`, `Nop 2024`, `bulan lalu` -> first day of the month.

    A month name without a year means the latest such month not after this one (typing `des` in January
    means last December). Months after the current one are refused: there is nothing to count yet.
    """
    s = " ".join(text.strip().casefold().split())
    this_month = today.replace(day=1)
    if not s or s in _THIS:
        return this_month
    if s in _LAST:
        return previous_month(this_month)
    year: int | None
    if m := _ISO.match(s):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _DMY.match(s):
        month, y = int(m.group(1)), m.group(2)
        year = 2000 + int(y) if len(y) == 2 else int(y)
    elif (m := _WORDS.match(s)) and m.group(1).rstrip(".") in _month_names():
        month = _month_names()[m.group(1).rstrip(".")]
        y = m.group(2)
        year = None if y is None else (2000 + int(y) if len(y) == 2 else int(y))
    else:
        raise MonthParseError(text)
    if not 1 <= month <= 12 or (year is not None and not 2000 <= year <= 2100):
        raise MonthParseError(text)
    if year is None:
        result = dt.date(today.year, month, 1)
        if result > this_month:
            result = result.replace(year=today.year - 1)
        return result
    result = dt.date(year, month, 1)
    if result > this_month:
        raise MonthParseError(text)
    return result


# ------------------------------------------------------------------ aggregation


@dataclass
class Totals:
    """Summed counts of any group of posyandu (same fields as storage's PosyanduCounts)."""

    s: int = 0
    d: int = 0
    n: int = 0
    t: int = 0
    t2: int = 0
    o: int = 0
    b: int = 0
    too_soon: int = 0
    bgm: int = 0
    remeasure: int = 0
    with_waz: int = 0
    with_haz: int = 0
    with_whz: int = 0
    underweight: int = 0
    stunted: int = 0
    severe_stunted: int = 0
    wasted: int = 0
    severe_wasted: int = 0
    overweight: int = 0
    refer: int = 0
    urgent: int = 0

    def add(self, c: q.PosyanduCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(c, f.name))

    @staticmethod
    def pct(part: int, whole: int) -> float | None:
        return 100.0 * part / whole if whole else None

    @property
    def d_s(self) -> float | None:
        return self.pct(self.d, self.s)

    @property
    def n_d(self) -> float | None:
        return self.pct(self.n, self.d)

    @property
    def stunting(self) -> float | None:
        return self.pct(self.stunted, self.with_haz)

    @property
    def wasting(self) -> float | None:
        return self.pct(self.wasted, self.with_whz)

    @property
    def underweight_pct(self) -> float | None:
        return self.pct(self.underweight, self.with_waz)

    @property
    def overweight_pct(self) -> float | None:
        return self.pct(self.overweight, self.with_whz)


@dataclass
class RecapGroup:
    key: int  # area id, or posyandu id when the breakdown is per posyandu
    label: str
    totals: Totals


@dataclass
class Recap:
    title: str  # "Kelurahan Kampung Bali"
    month: dt.date
    total: Totals
    previous: Totals
    groups: list[RecapGroup]  # by the level below the coordinator's
    by_posyandu: list[RecapGroup]  # always per posyandu (the chart)
    breakdown_is_posyandu: bool


async def build_recap(repos: Repositories, scope: StaffScope, month: dt.date, tr: Translator) -> Recap:
    """Counts for the scope's posyandu in `month` and the month before, grouped one level below the scope."""
    tree = scope.tree
    pids = scope.posyandu_ids
    counts = await status_svc.month_counts(repos, pids, month)
    # The month before is only compared as a whole: summed in the database, not read per posyandu.
    total, previous = Totals(), Totals()
    for c in counts.values():
        total.add(c)
    previous.add(await status_svc.month_total(repos, pids, previous_month(month)))
    by_posyandu: list[RecapGroup] = []
    for pid in pids:
        t = Totals()
        t.add(counts[pid])
        by_posyandu.append(RecapGroup(pid, tree.posyandu[pid].name, t))
    level = scope.breakdown_level()
    groups: list[RecapGroup]
    if level is None:
        groups = by_posyandu
    else:
        by_area: dict[int, RecapGroup] = {}
        for pid in pids:
            chain = tree.chain(tree.posyandu[pid].area_id)
            target = next((a for a in chain if tree.areas[a].level == level), None)
            if target is None:
                continue
            group = by_area.setdefault(target, RecapGroup(target, tree.areas[target].name, Totals()))
            group.totals.add(counts[pid])
        groups = sorted(by_area.values(), key=lambda g: (g.label.casefold(), g.key))
    return Recap(area_label(scope.area, tr), month.replace(day=1), total, previous, groups, by_posyandu,
                 level is None)


# ------------------------------------------------------------------ text


def _pct(value: float | None, tr: Translator) -> str:
    return "—" if value is None else tr.decimal(value, 1) + "%"


def format_recap(recap: Recap, tr: Translator) -> str:
    """The recap message (HTML), shaped like ux.md's "Coordinator: monthly recap"."""
    t, p = recap.total, recap.previous
    lines = [
        "<b>" + html.escape(tr.gettext("Recap {area} — {month}").format(
            area=recap.title, month=fmt_month(recap.month, tr.lang))) + "</b>",
        tr.gettext("Under-fives registered (S) {s} · weighed (D) {d} · gained (N) {n}").format(s=t.s, d=t.d, n=t.n),
        tr.gettext("D/S {ds} · N/D {nd}").format(ds=_pct(t.d_s, tr), nd=_pct(t.n_d, tr)),
        tr.gettext("N {n} · T {t} (2T {t2}) · O {o} · B {b} · not judged yet {soon}").format(
            n=t.n, t=t.t, t2=t.t2, o=t.o, b=t.b, soon=t.too_soon),
        tr.gettext("Stunting {st} ({stn}) · wasting {wa} ({wan}) · underweight {uw} ({uwn}) · "
                   "overweight {ow} ({own})").format(
            st=_pct(t.stunting, tr), stn=t.stunted, wa=_pct(t.wasting, tr), wan=t.wasted,
            uw=_pct(t.underweight_pct, tr), uwn=t.underweight, ow=_pct(t.overweight_pct, tr), own=t.overweight),
        tr.gettext("Refer to the puskesmas: {refer} children ({urgent} today) · BGM {bgm} · severely wasted {sw} · "
                   "severely stunted {ss}").format(refer=t.refer, urgent=t.urgent, bgm=t.bgm, sw=t.severe_wasted,
                                                   ss=t.severe_stunted),
    ]
    if t.remeasure:
        lines.append(tr.ngettext("⚠️ {n} child measured with impossible values: needs re-measuring, not counted",
                                 "⚠️ {n} children measured with impossible values: need re-measuring, not counted",
                                 t.remeasure).format(n=t.remeasure))
    if t.s == 0:
        lines.append(tr.gettext("No children are registered in this area yet."))
    elif t.d == 0:
        lines.append(tr.gettext("No child has been weighed in this month yet."))
        if p.d:
            # Early in a month the useful recap is last month's: say how to get it.
            prev = previous_month(recap.month)
            lines.append(tr.gettext("Last month's recap: /rekap {month}").format(month=f"{prev:%Y-%m}"))
    prev_month = fmt_month(previous_month(recap.month), tr.lang)
    if p.d:
        lines.append(tr.gettext("Compared with {month}: D/S {ds_before} → {ds_now} · stunting {st_before} → "
                                "{st_now}").format(month=prev_month, ds_before=_pct(p.d_s, tr),
                                                   ds_now=_pct(t.d_s, tr), st_before=_pct(p.stunting, tr),
                                                   st_now=_pct(t.stunting, tr)))
    else:
        lines.append(tr.gettext("No weighings in {month} to compare with.").format(month=prev_month))
    if recap.groups:
        lines.append("")
        lines.append("<b>" + html.escape(tr.gettext("Per posyandu:") if recap.breakdown_is_posyandu
                                         else tr.gettext("Per area:")) + "</b>")
        for g in recap.groups[:MAX_BREAKDOWN_LINES]:
            gt = g.totals
            lines.append(tr.gettext("• {name}: S {s} · D {d} ({ds}) · stunting {st} · 2T {t2} · BGM {bgm}").format(
                name=html.escape(g.label), s=gt.s, d=gt.d, ds=_pct(gt.d_s, tr), st=_pct(gt.stunting, tr),
                t2=gt.t2, bgm=gt.bgm))
        hidden = len(recap.groups) - MAX_BREAKDOWN_LINES
        if hidden > 0:
            lines.append(tr.ngettext("… and {n} more (see the Excel file, /ekspor)",
                                     "… and {n} more (see the Excel file, /ekspor)", hidden).format(n=hidden))
    return "\n".join(lines)


# ------------------------------------------------------------------ chart


def render_stunting_chart(recap: Recap, tr: Translator) -> bytes:
    """PNG bar chart of stunting prevalence per posyandu (highest first), with the area's average line.

    matplotlib's object-oriented API on the Agg canvas: no pyplot global state, safe in a server process.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [(g.label, g.totals.stunting, g.totals.with_haz) for g in recap.by_posyandu]
    measured = sorted(((lbl, v, n) for lbl, v, n in rows if v is not None), key=lambda r: (-r[1], r[0]))
    unmeasured = [lbl for lbl, v, _ in rows if v is None]
    shown = measured[:MAX_CHART_BARS]
    height = 1.6 + 0.38 * max(len(shown), 1)
    fig = Figure(figsize=(7.0, height), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    labels = [lbl if len(lbl) <= 28 else lbl[:27] + "…" for lbl, _, _ in shown]
    values = [v for _, v, _ in shown]
    colours = ["#c0392b" if v >= 20 else "#e67e22" if v >= 14 else "#27ae60" for v in values]
    ypos = list(range(len(shown)))
    ax.barh(ypos, values, color=colours)
    ax.set_yticks(ypos, labels)
    ax.invert_yaxis()
    for y, (_, v, n) in zip(ypos, shown, strict=True):
        ax.text(v + 0.3, y, f"{tr.decimal(v, 1)}% (n={n})", va="center", fontsize=8)
    average = recap.total.stunting
    if average is not None:
        ax.axvline(average, color="#34495e", linestyle="--", linewidth=1,
                   label=tr.gettext("average {pct}%").format(pct=tr.decimal(average, 1)))
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    top = max([*values, average or 0, 10.0])
    # Room on the right for the value labels; ticks stop at 100 % (a share cannot go beyond it).
    ax.set_xlim(0, top * 1.3)
    step = 20 if top > 40 else 10 if top > 15 else 5
    ax.set_xticks([x for x in range(0, 101, step) if x <= top * 1.3])
    ax.set_xlabel(tr.gettext("Stunting prevalence (% of children measured, HAZ < −2)"))
    ax.set_title(tr.gettext("Stunting by posyandu — {area}, {month}").format(
        area=recap.title, month=fmt_month(recap.month, tr.lang)), fontsize=10)
    if not shown:
        ax.text(0.5, 0.5, tr.gettext("No length/height measurements this month"), transform=ax.transAxes,
                ha="center", va="center")
        ax.set_yticks([])
    if unmeasured:
        fig.text(0.01, 0.01, tr.ngettext("{n} posyandu without measurements", "{n} posyandu without measurements",
                                         len(unmeasured)).format(n=len(unmeasured)), fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


__all__ = [
    "MonthParseError", "Recap", "RecapGroup", "Totals", "build_recap", "format_recap", "parse_month_arg",
    "previous_month", "render_stunting_chart",
]
