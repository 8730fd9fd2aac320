"""Growth-chart picture (PNG): a child's measurements over the WHO curves (-3, -2, 0, +2, +3 SD).

Curves come from pygrowup's LMS tables (value at z = M * (1 + L*S*z) ** (1/L)); matplotlib's object API with
the Agg canvas is used, never pyplot, so there is no global state and rendering is thread-safe.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.growth import _who
from bot.growth._i18n import N_, Translator
from bot.growth.models import DAYS_PER_MONTH, HEIGHT_FROM_DAYS, MAX_AGE_DAYS, GrowthResult, Indicator, Sex

CHARTABLE = (Indicator.WFA, Indicator.LHFA, Indicator.WFLH)
Z_LINES = (-3.0, -2.0, 0.0, 2.0, 3.0)

# Colours follow the WHO chart convention (median green, +-2 red, +-3 black), bands in soft tints.
LINE_COLOURS = {0.0: "#1a9641", 2.0: "#d7191c", 3.0: "#222222"}
BAND_NORMAL = "#d9f0d3"
BAND_WARNING = "#fee8c8"
BAND_DANGER = "#fde0dd"
SEX_COLOURS = {Sex.M: "#2c7fb8", Sex.F: "#dd3497"}
POINT_COLOUR = "#08306b"
FIGSIZE_IN = (6.4, 6.4)
DPI = 150  # 960 x 960 px: sharp on phones, about 60-90 kB

TITLE = {
    Indicator.WFA: N_("Weight-for-age (BB/U)"),
    Indicator.LHFA: N_("Length/height-for-age (PB/U, TB/U)"),
}
TITLE_WFL = N_("Weight-for-length (BB/PB)")
TITLE_WFH = N_("Weight-for-height (BB/TB)")
SEX_LABEL = {Sex.M: N_("Boys"), Sex.F: N_("Girls")}
AXIS_AGE = N_("Age (months)")
AXIS_WEIGHT = N_("Weight (kg)")
AXIS_LENHEI = N_("Length/height (cm)")
AXIS_LENGTH = N_("Length (cm)")
AXIS_HEIGHT = N_("Height (cm)")
LEGEND_MEDIAN = N_("Median")
LEGEND_2SD = N_("-2 and +2 SD")
LEGEND_3SD = N_("-3 and +3 SD")
LEGEND_CHILD = N_("Child's measurements")


@cache
def _curve_table(name: str, sex: Sex, x_min: float, x_max: float) -> tuple[np.ndarray, np.ndarray]:
    """x values and the values at each z line (shape 5 x n) for pygrowup table `name` between x_min and x_max."""
    data = _who.table(name)[_who.PG_SEX[sex]]
    keys = sorted(k for k in data if x_min <= float(k) <= x_max)
    x = np.array([float(k) for k in keys])
    lv = np.array([float(data[k]["l"]) for k in keys])
    mv = np.array([float(data[k]["m"]) for k in keys])
    sv = np.array([float(data[k]["s"]) for k in keys])
    values = np.vstack([mv * (1 + lv * sv * z) ** (1 / lv) for z in Z_LINES])
    return x, values


def _series(
    indicator: Indicator, results: Sequence[GrowthResult]
) -> tuple[str, float, float, list[tuple[float, float]], bool]:
    """(table, x_min, x_max, points, uses_height) for the chart; x in months for age-based charts, cm else."""
    if indicator is Indicator.WFLH:
        uses_height = bool(results) and results[-1].uses_height
        name, (low, high) = ("wfh", (65.0, 120.0)) if uses_height else ("wfl", (45.0, 110.0))
        pts = [
            (r.adjusted_length_cm, r.weight_kg)
            for r in results
            if r.adjusted_length_cm is not None
            and r.weight_kg is not None
            and not r.oedema
            and r.uses_height == uses_height
            and low <= r.adjusted_length_cm <= high
        ]
        return name, low, high, pts, uses_height
    usable = [r for r in results if r.age_days <= MAX_AGE_DAYS]
    oldest = max((r.age_days for r in usable), default=0)
    x_max_days = HEIGHT_FROM_DAYS - 1 if oldest < HEIGHT_FROM_DAYS else MAX_AGE_DAYS
    if indicator is Indicator.WFA:
        pts = [(r.age_days / DAYS_PER_MONTH, r.weight_kg) for r in usable if r.weight_kg is not None]
        name = "wfa"
    else:
        pts = [(r.age_days / DAYS_PER_MONTH, r.adjusted_length_cm) for r in usable if r.adjusted_length_cm is not None]
        name = "lfa"
    return name, 0.0, float(x_max_days), pts, oldest >= HEIGHT_FROM_DAYS


def render_growth_chart(
    indicator: Indicator,
    sex: Sex,
    results: Sequence[GrowthResult],
    tr: Translator,
    *,
    title: str | None = None,
) -> bytes:
    """PNG of the child's `results` (oldest first) over the WHO curves for `indicator` (wfa, lhfa or wflh).

    Age-based charts show 0-24 months while the child is under 2, else 0-60 months. The weight-for-length/
    height chart uses the table of the latest result (length under 731 days, height from 731) and plots the
    results of that same period. `title` (e.g. the child's first name) is added under the chart title.
    """
    if indicator not in CHARTABLE:
        raise ValueError(f"no chart for {indicator.value}; use one of {[i.value for i in CHARTABLE]}")
    name, x_min, x_max, points, uses_height = _series(indicator, results)
    x, values = _curve_table(name, sex, x_min, x_max)
    age_based = indicator is not Indicator.WFLH
    if age_based:
        x = x / DAYS_PER_MONTH

    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    lo3, lo2, med, hi2, hi3 = values
    y_low = float(min(lo3.min(), *(p[1] for p in points))) if points else float(lo3.min())
    y_high = float(max(hi3.max(), *(p[1] for p in points))) if points else float(hi3.max())
    pad = (y_high - y_low) * 0.04
    y_low, y_high = max(0.0, y_low - pad), y_high + pad
    ax.fill_between(x, y_low, lo3, color=BAND_DANGER, linewidth=0)
    ax.fill_between(x, lo3, lo2, color=BAND_WARNING, linewidth=0)
    ax.fill_between(x, lo2, hi2, color=BAND_NORMAL, linewidth=0)
    ax.fill_between(x, hi2, hi3, color=BAND_WARNING, linewidth=0)
    ax.fill_between(x, hi3, y_high, color=BAND_DANGER, linewidth=0)
    ax.plot(x, med, color=LINE_COLOURS[0.0], linewidth=2.2, label=tr.gettext(LEGEND_MEDIAN))
    ax.plot(x, lo2, color=LINE_COLOURS[2.0], linewidth=1.6, label=tr.gettext(LEGEND_2SD))
    ax.plot(x, hi2, color=LINE_COLOURS[2.0], linewidth=1.6)
    ax.plot(x, lo3, color=LINE_COLOURS[3.0], linewidth=1.4, label=tr.gettext(LEGEND_3SD))
    ax.plot(x, hi3, color=LINE_COLOURS[3.0], linewidth=1.4)
    if points:
        px, py = zip(*points, strict=True)
        ax.plot(
            px,
            py,
            color=POINT_COLOUR,
            linewidth=2,
            marker="o",
            markersize=7,
            label=tr.gettext(LEGEND_CHILD),
            zorder=5,
        )
    margin = (float(x[-1]) - float(x[0])) * 0.01
    ax.set_xlim(float(x[0]) - margin, float(x[-1]) + margin)
    ax.set_ylim(y_low, y_high)
    if age_based:
        ax.set_xticks(np.arange(0, x[-1] + 0.5, 3 if x[-1] <= 24 else 6))
    ax.grid(True, color="#ffffff", linewidth=0.8, alpha=0.9)
    ax.tick_params(labelsize=12)
    if indicator is Indicator.WFLH:
        heading = tr.gettext(TITLE_WFH if uses_height else TITLE_WFL)
        ax.set_xlabel(tr.gettext(AXIS_HEIGHT if uses_height else AXIS_LENGTH), fontsize=13)
    else:
        heading = tr.gettext(TITLE[indicator])
        ax.set_xlabel(tr.gettext(AXIS_AGE), fontsize=13)
    ax.set_ylabel(tr.gettext(AXIS_LENHEI if indicator is Indicator.LHFA else AXIS_WEIGHT), fontsize=13)
    heading = f"{heading} · {tr.gettext(SEX_LABEL[sex])}"
    if title:
        heading = f"{heading}\n{title}"
    ax.set_title(heading, fontsize=14, color=SEX_COLOURS[sex], fontweight="bold")
    for spine in ax.spines.values():
        spine.set_color(SEX_COLOURS[sex])
        spine.set_linewidth(1.5)
    ax.legend(loc="upper left", fontsize=11, framealpha=0.9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
