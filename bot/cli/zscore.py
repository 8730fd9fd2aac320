"""`python -m bot zscore IN.csv [-o OUT.csv]`: WHO z-scores and Permenkes categories for a survey file."""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from stat import S_ISREG
from typing import TextIO

from bot.growth.survey import missing_columns, output_fieldnames, process_rows
from bot.growth.survey_csv import SurveyReader, process_stream

PROGRESS_LINE_SECONDS = 5.0  # plain progress lines (stderr not a terminal): one every few seconds
PROGRESS_BAR_SECONDS = 0.2
BAR_WIDTH = 30


MAX_DEFAULT_JOBS = 4  # this process reads and writes ~1M rows/s: more workers than this would wait on it


def default_jobs() -> int:
    """Worker processes for scoring: one per core this process may use, at most MAX_DEFAULT_JOBS (each worker
    holds a chunk, ~130 MB at its peak)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_JOBS))


def _open_input(path: str, stack: ExitStack) -> TextIO:
    if path == "-":
        return sys.stdin
    # utf-8-sig: spreadsheets often write a byte-order mark.
    return stack.enter_context(open(path, newline="", encoding="utf-8-sig"))


def _dialect(fh: TextIO) -> type[csv.Dialect] | str:
    """Comma by default; semicolon or tab files (Excel in Indonesian locale writes ';') are recognised."""
    if not fh.seekable():
        return "excel"
    sample = fh.read(8192)
    fh.seek(0)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return "excel"


def _input_size(fh: TextIO) -> int | None:
    """Size of a regular input file (for the bar's percentage); None for a pipe or stdin."""
    try:
        stat = os.fstat(fh.fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation (no file descriptor) is both
        return None
    return stat.st_size if stat.st_size and S_ISREG(stat.st_mode) else None


class Progress:
    """A progress bar when stderr is a terminal; otherwise a plain line every few seconds (logs, pipes)."""

    def __init__(self, stream: TextIO, total_chars: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.total = total_chars
        self.tty = stream.isatty()
        self.clock = clock
        self.start = self.last = clock()
        self.shown = False

    def update(self, rows: int, chars_read: int) -> None:
        now = self.clock()
        if now - self.last < (PROGRESS_BAR_SECONDS if self.tty else PROGRESS_LINE_SECONDS):
            return
        self.last = now
        rate = rows / max(now - self.start, 1e-9)
        if not self.tty:
            print(f"zscore: {rows} rows ({rate:,.0f} rows/s)...", file=self.stream, flush=True)
            return
        if self.total:
            done = min(chars_read / self.total, 1.0)
            filled = round(done * BAR_WIDTH)
            bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:4.0%} "
        else:
            bar = ""
        self.stream.write(f"\rzscore: {bar}{rows:,} rows, {rate:,.0f} rows/s ")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")  # clear the bar's line for the summary
            self.stream.flush()


def _run_reference(fin: TextIO, dialect: type[csv.Dialect] | str, fout_path: str | None, stack: ExitStack) -> int:
    """The row-by-row reference path (bot.growth.survey.process_rows), for checking the fast one."""
    reader = csv.DictReader(fin, dialect=dialect)
    fields = reader.fieldnames or []
    missing = missing_columns(fields)
    if missing:
        print(f"zscore: missing column(s): {', '.join(missing)}", file=sys.stderr)
        return 2
    fout = _open_output(fout_path, stack)
    writer = csv.DictWriter(fout, fieldnames=output_fieldnames(fields), extrasaction="ignore")
    writer.writeheader()
    n = errors = 0
    for out in process_rows(reader):
        writer.writerow(out)
        n += 1
        errors += bool(out["error"])
    print(f"zscore: {n} rows, {errors} with an error (see the 'error' column)", file=sys.stderr)
    return 0


def _open_output(path: str | None, stack: ExitStack) -> TextIO:
    return stack.enter_context(open(path, "w", newline="", encoding="utf-8")) if path else sys.stdout


def run(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        try:
            fin = _open_input(args.input, stack)
        except OSError as exc:
            print(f"zscore: cannot read {args.input}: {exc.strerror}", file=sys.stderr)
            return 2
        dialect = _dialect(fin)
        if getattr(args, "reference", False):
            return _run_reference(fin, dialect, args.output, stack)
        reader = SurveyReader(fin, dialect)
        fields = reader.fieldnames or []
        missing = missing_columns(fields)
        if missing:
            print(f"zscore: missing column(s): {', '.join(missing)}", file=sys.stderr)
            return 2
        fout = _open_output(args.output, stack)
        progress = Progress(sys.stderr, _input_size(fin))
        jobs = args.jobs if getattr(args, "jobs", None) else default_jobs()
        n, errors = process_stream(reader, fout.write, jobs, lambda rows: progress.update(rows, reader.text.chars_read))
        progress.close()
        print(f"zscore: {n} rows, {errors} with an error (see the 'error' column)", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "zscore",
        help="WHO z-scores and Permenkes categories for a survey CSV",
        description=(
            "Columns: sex (M/F, L/P, 1/2), birth_date and visit_date (YYYY-MM-DD) or age_days, weight_kg, "
            "lenhei_cm, measure (l/h/empty), oedema (y/n/empty), headc_cm, muac_cm. Other columns are kept. "
            "Each indicator is computed on its own (WHO anthro rules); a row without an age gets only "
            "weight-for-length/height (by measure; without one, under 87 cm is a length). Streams any size."
        ),
    )
    p.add_argument("input", help="input CSV file ('-' for standard input)")
    p.add_argument("-o", "--output", help="output CSV file (default: standard output)")
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        help=f"worker processes (default: one per core, at most {MAX_DEFAULT_JOBS}; 1 = all in this process)",
    )
    p.add_argument(
        "--reference",
        action="store_true",
        help="score row by row with the reference engine (same output, over 100 times slower; for checking)",
    )
    p.set_defaults(func=run)
