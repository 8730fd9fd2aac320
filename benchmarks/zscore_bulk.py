"""Survey z-score benchmark: rows/s of `python -m bot zscore` end to end (CSV in, CSV out; one process and one
worker per core), of the row-by-row reference path, and of pygrowup's own Observation methods, on the same rows;
peak memory of the command; and a check that the fast path wrote what the reference path writes.

Run: .venv/bin/python benchmarks/zscore_bulk.py [ROWS]   (default 1,000,000 rows; the reference path and pygrowup
are timed on the first 20,000, as they take ~0.3 ms a row)
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from pygrowup import Observation  # noqa: E402
from pygrowup.exceptions import PyGrowUpException  # noqa: E402

from bot.cli.zscore import _dialect, default_jobs  # noqa: E402
from bot.growth import _who  # noqa: E402
from bot.growth.models import Sex  # noqa: E402
from bot.growth.survey import output_fieldnames, process_rows  # noqa: E402

HEADER = "id,sex,birth_date,visit_date,age_days,weight_kg,lenhei_cm,measure,oedema,headc_cm,muac_cm,village\n"
DISTINCT_ROWS = 100_000  # rows drawn; a larger file repeats them with new ids (drawing is the slow part)
SLOW_ROWS = 20_000
RUNS = 3
EPOCH = date(2000, 1, 1)


def draw_rows(n: int, seed: int = 2024) -> list[list[str]]:
    """Realistic survey rows: each measurement at a random z around the WHO median for the age, one decimal;
    a tenth give dates instead of age_days, a few have no head or arm measurement, or oedema."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        sex = rnd.choice([Sex.M, Sex.F])
        age = rnd.randint(0, 1826)
        weight = _who.value_at_z(_who.lms("wfa", sex, age), rnd.gauss(-0.6, 1.1))
        length = _who.value_at_z(_who.lms("lfa", sex, age), rnd.gauss(-1.0, 1.1))
        head = _who.value_at_z(_who.lms("hcfa", sex, age), rnd.gauss(0, 1))
        muac = _who.value_at_z(_who.lms("acfa", sex, max(age, 91)), rnd.gauss(0, 1))
        measure = ("l" if age < 731 else "h") if rnd.random() < 0.9 else rnd.choice("lh")
        born = visit = ""
        age_days = str(age)
        if rnd.random() < 0.1:
            birth = EPOCH + timedelta(days=rnd.randint(0, 7000))
            born, visit, age_days = birth.isoformat(), (birth + timedelta(days=age)).isoformat(), ""
        rows.append(
            [
                str(i),
                "L" if sex is Sex.M else "P",
                born,
                visit,
                age_days,
                f"{weight:.1f}",
                f"{length:.1f}",
                measure,
                "y" if rnd.random() < 0.002 else "n",
                f"{head:.1f}" if rnd.random() < 0.9 else "",
                f"{muac:.1f}" if age >= 91 and rnd.random() < 0.8 else "",
                f"Desa {rnd.randint(1, 300)}",
            ]
        )
    return rows


def write_file(path: Path, rows: list[list[str]], total: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for start in range(0, total, len(rows)):
            part = rows[: min(len(rows), total - start)]
            fh.write("".join(",".join([str(start + i), *row[1:]]) + "\n" for i, row in enumerate(part)))


def run_cli(src: Path, out: Path, jobs: int) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "zscore", str(src), "-o", str(out), "-j", str(jobs)],
        cwd=ROOT,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def run_reference(src: Path) -> tuple[float, str]:
    """The row-by-row path (`zscore --reference`) in this process: csv.DictReader -> process_row -> DictWriter."""
    out = io.StringIO()
    t0 = time.perf_counter()
    with src.open(newline="", encoding="utf-8-sig") as fin:
        reader = csv.DictReader(fin, dialect=_dialect(fin))
        writer = csv.DictWriter(out, output_fieldnames(reader.fieldnames or []), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(process_rows(reader))
    return time.perf_counter() - t0, out.getvalue()


def _try(method: object, *args: object) -> None:
    with contextlib.suppress(PyGrowUpException, ArithmeticError):
        method(*args)  # type: ignore[operator]


def run_pygrowup(rows: list[list[str]]) -> float:
    """The same indicators through pygrowup's public API, as a user of the library would call it."""
    t0 = time.perf_counter()
    for row in rows:
        sex = Observation.MALE if row[1] == "L" else Observation.FEMALE
        age = int(row[4]) if row[4] else (date.fromisoformat(row[3]) - date.fromisoformat(row[2])).days
        obs = Observation(sex, dob=EPOCH, date_of_observation=EPOCH + timedelta(days=age))
        weight, length = float(row[5]), float(row[6])
        _try(obs.wfa, weight)
        _try(obs.lhfa, length, row[7] == "l")
        _try(obs.wfl if age < 731 else obs.wfh, weight, length)
        _try(obs.bmifa, weight / (length / 100) ** 2)
        if row[9]:
            _try(obs.hcfa, float(row[9]))
        if row[10]:
            _try(obs.acfa, float(row[10]))
    return time.perf_counter() - t0


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rows = draw_rows(min(total, DISTINCT_ROWS))
    jobs = default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "survey.csv", Path(tmp) / "scored.csv"
        write_file(src, rows, total)
        size_mb = src.stat().st_size / 1e6
        print(f"{total:,} rows, {size_mb:.0f} MB, {os.cpu_count()} cores; median of {RUNS} runs")
        for label, j in (("1 process", 1), (f"{jobs} workers", jobs)):
            times = [run_cli(src, out, j) for _ in range(RUNS)]
            median = statistics.median(times)
            print(f"  zscore CLI, {label:10}: {total / median:>9,.0f} rows/s  ({median:.2f} s, start-up included)")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"  peak memory of the command (largest process): {peak_mb:.0f} MB")

        small = Path(tmp) / "small.csv"
        write_file(small, rows[:SLOW_ROWS], min(total, SLOW_ROWS))
        n = min(total, SLOW_ROWS)
        seconds, expected = run_reference(small)
        print(f"  reference path (row by row, Decimal): {n / seconds:>9,.0f} rows/s  ({n:,} rows)")
        seconds = statistics.median(run_pygrowup(rows[:n]) for _ in range(RUNS))
        print(f"  pygrowup Observation methods:          {n / seconds:>9,.0f} rows/s  ({n:,} rows, 6 indicators)")
        run_cli(small, out, 1)
        same = out.read_bytes() == expected.encode("utf-8")
        print(f"  fast path output == reference output on those rows: {same}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
