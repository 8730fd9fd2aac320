"""The fast survey path (bot.growth.survey_bulk, bot.growth.survey_csv, `zscore`) writes what the reference path
(bot.growth.survey row by row through csv.DictReader / csv.DictWriter) writes, string for string: on WHO's
reference files, on random rows full of bad values, in every CSV shape, in several processes, in bounded memory."""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal, getcontext
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from bot.cli import zscore as cli
from bot.growth import _who, survey, survey_bulk
from bot.growth.models import Sex
from bot.growth.survey_csv import SurveyReader, process_stream
from tests.growth.survey_rows import COLUMNS, random_rows, who_reference_rows, write_csv

ROOT = Path(__file__).resolve().parents[2]
RANDOM_ROWS = 50_000


_score = lru_cache(maxsize=None)(survey.score)  # the reference is slow; the same rows recur across shapes


@pytest.fixture(autouse=True)
def _remembered_reference_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(survey, "score", _score)


def _reference_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [_score(survey.parse_row(row)) for row in rows]


def _bulk_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    columns = {name: [row[name] for row in rows] for name in survey_bulk.INPUT_COLUMNS}
    texts = {name: column.texts() for name, column in survey_bulk.score_chunk(columns, len(rows)).items()}
    return [{name: texts[name][i] for name in survey.ADDED_COLUMNS} for i in range(len(rows))]


def _mismatches(rows: list[dict[str, str]], got: list[dict[str, str]], want: list[dict[str, str]]) -> list[str]:
    return [
        f"{row}: {[(k, g[k], w[k]) for k in w if g[k] != w[k]]}"
        for row, g, w in zip(rows, got, want, strict=True)
        if g != w
    ]


def _reference_csv(path: Path) -> str:
    """What `zscore --reference` writes: csv.DictReader -> survey.process_row -> csv.DictWriter."""
    out = io.StringIO()
    with path.open(newline="", encoding="utf-8-sig") as fin:
        reader = csv.DictReader(fin, dialect=cli._dialect(fin))
        writer = csv.DictWriter(out, survey.output_fieldnames(reader.fieldnames or []), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(survey.process_rows(reader))
    return out.getvalue()


def _fast_csv(path: Path, block_chars: int, jobs: int = 1) -> str:
    out = io.StringIO()
    with path.open(newline="", encoding="utf-8-sig") as fin:
        reader = SurveyReader(fin, cli._dialect(fin), block_chars=block_chars)
        process_stream(reader, out.write, jobs)
    return out.getvalue()


def _first_difference(got: str, want: str) -> str:
    for i, (g, w) in enumerate(zip(got.split("\r\n"), want.split("\r\n"), strict=False)):
        if g != w:
            return f"line {i}:\n fast      {g!r}\n reference {w!r}"
    return f"lengths differ: {len(got)} vs {len(want)}"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return random_rows(RANDOM_ROWS, seed=2024)


@pytest.fixture(scope="module")
def reference(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return _reference_rows(rows)


# --- the scores ----------------------------------------------------------------------------------------------------


def test_who_reference_files_score_exactly_as_the_reference_path() -> None:
    rows = who_reference_rows()
    assert len(rows) > 6000
    assert not _mismatches(rows, _bulk_rows(rows), _reference_rows(rows))


def test_random_rows_with_bad_values_score_exactly_as_the_reference_path(
    rows: list[dict[str, str]], reference: list[dict[str, str]]
) -> None:
    assert sum(bool(r["error"]) for r in reference) > RANDOM_ROWS // 10  # the awkward cases are really there
    assert not _mismatches(rows, _bulk_rows(rows), reference)


def test_a_value_equal_to_the_median_keeps_the_sign_decimal_gives_its_zero() -> None:
    # pygrowup: (y/M)**L - 1 is exactly 0, divided by S*L: -0 where L < 0 (this MUAC row), written "-0.00".
    row = _who.lms("acfa", Sex.F, 400)
    assert row["l"] < 0
    rows = [{"sex": "F", "age_days": "400", "muac_cm": str(row["m"])}]
    for name in survey_bulk.INPUT_COLUMNS:
        rows[0].setdefault(name, "")
    assert _bulk_rows(rows)[0]["zac"] == _reference_rows(rows)[0]["zac"] == "-0.00"


def test_a_bmi_on_a_rounding_tie_is_rounded_as_the_reference() -> None:
    # 14.8 kg at 80 cm: BMI 23.125 exactly, a float that rounds half to even.
    rows = [dict.fromkeys(survey_bulk.INPUT_COLUMNS, "") | {"sex": "M", "age_days": "700", "weight_kg": "14.8"}]
    rows[0]["lenhei_cm"] = "80"
    assert _bulk_rows(rows)[0]["cbmi"] == _reference_rows(rows)[0]["cbmi"] == "23.12"


def test_float_z_error_is_far_below_the_tie_tolerance() -> None:
    """The tie tolerance rests on float z (cents) being within ~1e-12 of Decimal's: measured here on every
    age-based table, 1-3 decimal values, z up to +-7."""
    context = getcontext()
    rnd = random.Random(7)
    worst = 0.0
    for table in ("wfa", "lfa", "bmifa", "hcfa", "acfa"):
        values, lms, exact = [], [], []
        for _ in range(2000):
            sex, age = rnd.choice([Sex.M, Sex.F]), rnd.randint(91, 1826)
            row = _who.lms(table, sex, age)
            y = round(_who.value_at_z(row, rnd.gauss(0, 2.5)), rnd.choice([1, 2, 3]))
            if y <= 0:
                continue
            z = (context.divide(Decimal(repr(y)), row["m"]) ** row["l"] - 1) / (row["s"] * row["l"])
            values.append(y)
            lms.append(survey_bulk.age_table(table)[0 if sex is Sex.M else 1, age])
            exact.append(float(z * 100))
        cents, _ = survey_bulk.z_cents(np.array(values), np.array(lms), False, np.zeros(len(values), dtype=bool))
        lv, mv, sv = np.array(lms).T
        v = np.expm1(lv * np.log(np.array(values) / mv)) / (sv * lv) * 100
        worst = max(worst, float(np.max(np.abs(v - np.array(exact)) / np.maximum(1, np.abs(exact)))))
        assert np.array_equal(cents, np.rint(v))
    assert worst < survey_bulk.TIE_TOLERANCE_CENTS / 1000


# --- the CSV -------------------------------------------------------------------------------------------------------


def _quirky(rows: list[dict[str, str]], delimiter: str) -> Iterator[str]:
    """Lines as hand-edited files have them: blank lines, short and long rows, quoted fields with the delimiter,
    quotes and line breaks, a line of spaces."""
    rnd = random.Random(5)
    yield delimiter.join(COLUMNS)
    for row in rows:
        values = [row[c] for c in COLUMNS]
        pick = rnd.random()
        if pick < 0.01:
            yield ""
        elif pick < 0.02:
            values = values[:-3]
        elif pick < 0.03:
            values.append("extra")
        elif pick < 0.035:
            values[-1] = f'"Kemuning{delimiter} Blok B"'
        elif pick < 0.04:
            values[-1] = '"Suka\nmaju"'
        elif pick < 0.045:
            values[-1] = 'Suka"maju'
        elif pick < 0.046:
            yield "   "
            continue
        if delimiter == ",":
            values = [f'"{v}"' if "," in v and not v.startswith('"') else v for v in values]
        yield delimiter.join(values)


@pytest.mark.parametrize(
    ("shape", "delimiter", "newline", "bom"),
    [
        ("comma", ",", "\n", False),
        ("comma-crlf-bom", ",", "\r\n", True),
        ("comma-cr", ",", "\r", False),
        ("semicolon-decimal-commas", ";", "\r\n", False),
        ("tab", "\t", "\n", False),
    ],
)
@pytest.mark.parametrize("block_chars", [997, 65536])
def test_csv_fast_path_writes_what_the_dictwriter_writes(
    tmp_path: Path, rows: list[dict[str, str]], shape: str, delimiter: str, newline: str, bom: bool, block_chars: int
) -> None:
    path = tmp_path / f"{shape}.csv"
    write_csv(path, rows[:4000], delimiter=delimiter, newline=newline)
    if bom:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    got, want = _fast_csv(path, block_chars), _reference_csv(path)
    assert got == want, _first_difference(got, want)


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("block_chars", [307, 65536])
def test_csv_quirks_quotes_blank_and_ragged_lines_across_chunk_edges(
    tmp_path: Path, rows: list[dict[str, str]], delimiter: str, block_chars: int
) -> None:
    path = tmp_path / "quirky.csv"
    path.write_text("\n".join(_quirky(rows[:3000], delimiter)) + "\n", encoding="utf-8")
    got, want = _fast_csv(path, block_chars), _reference_csv(path)
    assert got == want, _first_difference(got, want)


@pytest.mark.parametrize(
    "header",
    [
        ["id", "sex", "age_days", "weight_kg", "lenhei_cm", "sex", "zwei", "measure", "error", "village"],
        ["sex", "age_days", "weight_kg", "lenhei_cm"],
        ["sex", "birth_date", "visit_date", "weight_kg", "lenhei_cm", "muac_cm", "oedema"],
    ],
    ids=["repeated-and-output-names", "few-columns", "dates-only"],
)
def test_csv_headers_with_repeated_output_or_missing_columns(
    tmp_path: Path, rows: list[dict[str, str]], header: list[str]
) -> None:
    path = tmp_path / "header.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([[row.get(name, "x") for name in header] for row in rows[:2000]])
    got, want = _fast_csv(path, 4096), _reference_csv(path)
    assert got == want, _first_difference(got, want)


def test_who_reference_files_through_the_csv_path(tmp_path: Path) -> None:
    path = tmp_path / "who.csv"
    write_csv(path, who_reference_rows())
    got, want = _fast_csv(path, 16384), _reference_csv(path)
    assert got == want, _first_difference(got, want)


def test_worker_processes_write_the_same_as_one_process(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    path = tmp_path / "many-chunks.csv"
    write_csv(path, rows[:6000], delimiter=";")
    assert _fast_csv(path, 8192, jobs=2) == _fast_csv(path, 8192, jobs=1) == _reference_csv(path)


def cli_args(src: Path, out: Path, reference: bool = False, jobs: int | None = 1) -> argparse.Namespace:
    return argparse.Namespace(input=str(src), output=str(out), reference=reference, jobs=jobs)


def test_cli_reference_flag_and_fast_path_write_the_same_file(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    src = tmp_path / "in.csv"
    write_csv(src, rows[:1500])
    fast, slow = tmp_path / "fast.csv", tmp_path / "slow.csv"
    assert cli.run(cli_args(src, fast)) == 0
    assert cli.run(cli_args(src, slow, reference=True)) == 0
    assert fast.read_bytes() == slow.read_bytes()


# --- streaming --------------------------------------------------------------------------------------------------


MILLION_ROWS_SCRIPT = textwrap.dedent(
    """
    import resource, subprocess, sys
    src, out = sys.argv[1], sys.argv[2]
    with open(src, "w") as fh:
        fh.write("id,sex,age_days,weight_kg,lenhei_cm,measure,oedema,headc_cm,muac_cm\\n")
        block = "".join(
            f"{i},{'MF'[i % 2]},{i % 1827},{6 + i % 140 / 10:.1f},{60 + i % 500 / 10:.1f},{'lh'[i % 1827 > 730]},"
            f"n,{40 + i % 90 / 10:.1f},{12 + i % 60 / 10:.1f}\\n"
            for i in range(10_000)
        )
        for _ in range(100):
            fh.write(block)
    done = subprocess.run([sys.executable, "-m", "bot", "zscore", src, "-o", out], capture_output=True, text=True)
    print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.stderr.strip()[-80:])
    """
)
PEAK_RSS_BOUND_KB = 300_000  # measured ~130 MB per process with 1 MiB chunks; all in memory would be > 2 GB


def test_cli_streams_a_million_rows_in_bounded_memory(tmp_path: Path) -> None:
    src, out = tmp_path / "million.csv", tmp_path / "million.out.csv"
    done = subprocess.run(
        [sys.executable, "-c", MILLION_ROWS_SCRIPT, str(src), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    code, peak_kb, summary = done.stdout.split(" ", 2)
    assert code == "0", done.stdout
    assert "1000000 rows, 0 with an error" in summary
    assert int(peak_kb) < PEAK_RSS_BOUND_KB
    with out.open("rb") as fh:
        assert sum(1 for _ in fh) == 1_000_001


# --- progress ------------------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_on_a_terminal_is_one_bar_line_redrawn_and_cleared_at_the_end() -> None:
    stream, clock = _Terminal(), _Clock()
    progress = cli.Progress(stream, total_chars=1000, clock=clock)
    clock.now = 1.0
    progress.update(50_000, 500)
    clock.now = 1.1  # redrawn at most every 0.2 s
    progress.update(60_000, 600)
    progress.close()
    text = stream.getvalue()
    assert text.count("\rzscore: [") == 1 and " 50% " in text and "50,000 rows" in text and "\n" not in text
    assert text.endswith("\r\033[K")


def test_progress_off_a_terminal_is_a_plain_line_every_few_seconds() -> None:
    stream, clock = io.StringIO(), _Clock()
    progress = cli.Progress(stream, total_chars=1000, clock=clock)
    clock.now = 1.0
    progress.update(50_000, 500)  # too soon for a line
    clock.now = 6.0
    progress.update(300_000, 900)
    progress.close()
    assert stream.getvalue() == "zscore: 300000 rows (50,000 rows/s)...\n"


def test_default_jobs_is_one_worker_per_usable_core_at_most_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert cli.default_jobs() == cli.MAX_DEFAULT_JOBS
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert cli.default_jobs() == 1
