"""`python -m bot zscore IN.csv [-o OUT.csv]`: WHO z-scores and Permenkes categories for a survey file."""

from __future__ import annotations

import argparse
import csv
import sys
from contextlib import ExitStack
from typing import TextIO

from bot.growth.survey import missing_columns, output_fieldnames, process_rows

PROGRESS_EVERY = 5000


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


def run(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        try:
            fin = _open_input(args.input, stack)
        except OSError as exc:
            print(f"zscore: cannot read {args.input}: {exc.strerror}", file=sys.stderr)
            return 2
        reader = csv.DictReader(fin, dialect=_dialect(fin))
        fields = reader.fieldnames or []
        missing = missing_columns(fields)
        if missing:
            print(f"zscore: missing column(s): {', '.join(missing)}", file=sys.stderr)
            return 2
        fout: TextIO = (
            stack.enter_context(open(args.output, "w", newline="", encoding="utf-8")) if args.output else sys.stdout
        )
        writer = csv.DictWriter(fout, fieldnames=output_fieldnames(fields), extrasaction="ignore")
        writer.writeheader()
        n = errors = 0
        for out in process_rows(reader):
            writer.writerow(out)
            n += 1
            errors += bool(out["error"])
            if n % PROGRESS_EVERY == 0:
                print(f"zscore: {n} rows...", file=sys.stderr, flush=True)
        print(f"zscore: {n} rows, {errors} with an error (see the 'error' column)", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "zscore",
        help="WHO z-scores and Permenkes categories for a survey CSV",
        description=(
            "Columns: sex (M/F, L/P, 1/2), birth_date and visit_date (YYYY-MM-DD) or age_days, weight_kg, "
            "lenhei_cm, measure (l/h/empty), oedema (y/n/empty), headc_cm, muac_cm. Other columns are kept."
        ),
    )
    p.add_argument("input", help="input CSV file ('-' for standard input)")
    p.add_argument("-o", "--output", help="output CSV file (default: standard output)")
    p.set_defaults(func=run)
