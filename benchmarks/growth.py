"""Growth engine benchmark: z-scores per second (all indicators), overhead vs pygrowup, chart render time.

Run: .venv/bin/python benchmarks/growth.py [N]   (default 10,000 children, seeded, one core)
"""

from __future__ import annotations

import contextlib
import gettext
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from pygrowup import Observation
from pygrowup.exceptions import PyGrowUpException

from bot.growth import _who
from bot.growth.chart import render_growth_chart
from bot.growth.models import Indicator, MeasurementInput, Position, Sex
from bot.growth.zscores import compute

EPOCH = date(2000, 1, 1)


def make_children(n: int, seed: int = 2024) -> list[dict[str, Any]]:
    """Realistic rows: each measurement drawn at a random z-score around the WHO median for the age."""
    rnd = random.Random(seed)
    rows = []
    for _ in range(n):
        sex = rnd.choice([Sex.M, Sex.F])
        age = rnd.randint(0, 1826)
        weight = _who.value_at_z(_who.lms("wfa", sex, age), rnd.gauss(-0.6, 1.1))
        length = _who.value_at_z(_who.lms("lfa", sex, age), rnd.gauss(-1.0, 1.1))
        head = _who.value_at_z(_who.lms("hcfa", sex, age), rnd.gauss(0, 1))
        muac = _who.value_at_z(_who.lms("acfa", sex, max(age, 91)), rnd.gauss(0, 1)) if age >= 91 else None
        rows.append(
            {
                "sex": sex,
                "age_days": age,
                "weight_kg": round(weight, 1),
                "length_cm": round(length, 1),
                "position": Position.LYING if age < 731 else Position.STANDING,
                "head_cm": round(head, 1),
                "muac_cm": round(muac, 1) if muac is not None else None,
            }
        )
    return rows


def _try(method: Any, *args: object) -> None:
    with contextlib.suppress(PyGrowUpException):  # outside pygrowup's ranges
        method(*args)


def run_pygrowup(rows: list[dict[str, Any]]) -> float:
    """The same indicators with pygrowup's public API (as a user of the library would call it)."""
    t0 = time.perf_counter()
    for r in rows:
        sex = Observation.MALE if r["sex"] is Sex.M else Observation.FEMALE
        age = r["age_days"]
        obs = Observation(sex, dob=EPOCH, date_of_observation=EPOCH + timedelta(days=age))  # age 0 works so
        w, h = r["weight_kg"], r["length_cm"]
        _try(obs.wfa, w)
        _try(obs.lhfa, h, age < 731)
        _try(obs.wfl if age < 731 else obs.wfh, w, h)
        _try(obs.bmifa, w / (h / 100) ** 2)
        _try(obs.hcfa, r["head_cm"])
        if r["muac_cm"] is not None:
            _try(obs.acfa, r["muac_cm"])
    return time.perf_counter() - t0


def run_engine(rows: list[dict[str, Any]]) -> float:
    t0 = time.perf_counter()
    for r in rows:
        compute(MeasurementInput(**r))
    return time.perf_counter() - t0


def run_charts(k: int = 21) -> list[float]:
    tr = gettext.NullTranslations()
    history = [
        compute(MeasurementInput(sex="F", age_days=d, weight_kg=w, length_cm=length))
        for d, w, length in [(30, 4.0, 53.0), (120, 6.0, 61.0), (300, 7.8, 69.0), (500, 9.0, 76.0), (800, 11.0, 85)]
    ]
    render_growth_chart(Indicator.WFA, Sex.F, history, tr)  # warm-up: imports, font cache, tables
    times = []
    for i in range(k):
        ind = (Indicator.WFA, Indicator.LHFA, Indicator.WFLH)[i % 3]
        t0 = time.perf_counter()
        render_growth_chart(ind, Sex.F, history, tr)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rows = make_children(n)
    run_engine(rows[:200])  # warm-up: load the tables once
    run_pygrowup(rows[:200])
    best_pg = min(run_pygrowup(rows) for _ in range(3))
    best_engine = min(run_engine(rows) for _ in range(3))
    print(f"children: {n} (all indicators: wfa, lhfa, wfl/wfh, bmi, hc, muac from 91 days), best of 3")
    print(f"pygrowup direct: {n / best_pg:,.0f} children/s ({best_pg:.2f} s)")
    print(f"bot.growth.compute: {n / best_engine:,.0f} children/s ({best_engine:.2f} s)")
    print(f"wrapper overhead: {best_engine / best_pg:.2f}x pygrowup (target <= 1.2x)")
    times = run_charts()
    print(f"chart: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms per picture")


if __name__ == "__main__":
    main()
