"""Survey CSV in chunks: records read and written exactly as csv.DictReader / csv.DictWriter would, but fast.

The reference is `bot.growth.survey.process_rows` over a `csv.DictReader` into a `csv.DictWriter` (excel dialect).
Most survey files hold no quote characters: then a chunk's fields are found by numpy in its bytes (delimiters
and line breaks), which is what the csv module would do with it (no quoting to undo, no line break inside a
field), the input values are read from those bytes, and each input line goes out as it came (re-delimited with
commas when the file used ';' or tabs). A chunk with a quote character, a lone carriage return, ragged or blank
lines, a header naming a column twice, or a dialect with skipinitialspace goes through the csv module itself,
which pulls more lines from the stream when its last record goes on (a quoted line break). Output fields are
quoted as csv.writer's QUOTE_MINIMAL does: a field holding a comma, a quote, a carriage return or a line feed is
put in quotes, with quotes doubled. Chunks can be scored by worker processes (`process_stream(jobs=...)`).
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import chain, islice
from typing import TextIO

import numpy as np
import numpy.typing as npt

from bot.growth import survey, survey_bulk
from bot.growth.survey_bulk import Column, distinct

BLOCK_CHARS = 1024 * 1024  # ~20k rows of a typical survey file: ~130 MB peak, fixed costs per chunk negligible
_LINE_BREAK = re.compile(r"\r\n?|\n")
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
OUT_DELIMITER = ","
OUT_TERMINATOR = "\r\n"


def quote(field: str) -> str:
    """A field as csv.writer (excel dialect, QUOTE_MINIMAL) writes it."""
    if _NEEDS_QUOTES.search(field):
        return '"' + field.replace('"', '""') + '"'
    return field


def _quoted_column(values: list[str]) -> list[str]:
    # One C-level search over the whole column first: nearly every column needs no quotes at all.
    if _NEEDS_QUOTES.search("\x00".join(values)):
        return [quote(v) for v in values]
    return values


class TextBlocks:
    """A text stream in blocks that end on a line break, plus single lines for a record that goes on."""

    def __init__(self, fin: TextIO, block_chars: int = BLOCK_CHARS) -> None:
        self._fin = fin
        self._block = block_chars
        self._buf = ""
        self._eof = False
        self.chars_read = 0

    def _more(self) -> None:
        data = self._fin.read(self._block)
        self.chars_read += len(data)
        if data:
            self._buf += data
        else:
            self._eof = True

    def block(self) -> str:
        """About `block_chars` of whole lines; the rest of the stream at its end; "" when nothing is left."""
        while not self._eof and len(self._buf) < self._block:
            self._more()
        while True:
            if self._eof:
                text, self._buf = self._buf, ""
                return text
            cut = self._buf.rfind("\n") + 1
            if not cut:  # a file with lone \r line breaks; one not at the end (a \n may follow it)
                cut = self._buf.rfind("\r", 0, len(self._buf) - 1) + 1
            if cut:
                text, self._buf = self._buf[:cut], self._buf[cut:]
                return text
            self._more()  # a line longer than a block

    def line(self) -> str:
        """One line with its break (\\n, \\r\\n or \\r, as a text file with newline="" splits); "" at the end."""
        while True:
            match = _LINE_BREAK.search(self._buf)
            if match and (match.end() < len(self._buf) or match.group() == "\r\n" or self._eof):
                text, self._buf = self._buf[: match.end()], self._buf[match.end() :]
                return text
            if self._eof:
                text, self._buf = self._buf, ""
                return text
            self._more()


@dataclass
class Chunk:
    """Rows of one block: plain text (no quoting anywhere, one field per delimiter) or records parsed by csv."""

    text: str | None = None  # plain chunks: lines ending in \n (\r\n already made \n)
    records: list[list[str]] | None = None  # csv-module chunks: the records, blank ones dropped

    def lines(self) -> list[str] | None:
        """The lines of a plain chunk without their breaks, blank ones dropped (DictReader skips them)."""
        if self.text is None:
            return None
        lines = self.text.split("\n")
        if lines[-1] == "":
            lines.pop()
        if "" in lines:
            lines = [line for line in lines if line]
        return lines


class SurveyReader:
    """csv.DictReader's view of a survey file (header, then records), read in chunks of whole records."""

    def __init__(self, fin: TextIO, dialect: type[csv.Dialect] | str, block_chars: int = BLOCK_CHARS) -> None:
        self.text = TextBlocks(fin, block_chars)
        self.dialect = csv.get_dialect(dialect) if isinstance(dialect, str) else dialect
        self.fieldnames: list[str] | None = None
        first = self.text.line()
        if first:
            header = self._records(first, whole=False)
            self.fieldnames = header[0] if header else None

    def _records(self, text: str, whole: bool = True) -> list[list[str]]:
        """Records of `text` by the csv module; a record still open at its end takes more lines from the stream.
        With whole=False, the first record as DictReader takes its header (blank or not)."""
        lines = io.StringIO(text, newline="").readlines()
        reader = csv.reader(chain(lines, iter(self.text.line, "")), self.dialect)
        records = []
        while reader.line_num < len(lines):
            try:
                record = next(reader)
            except StopIteration:
                break
            if not whole:
                return [record]
            if record:  # DictReader skips blank lines
                records.append(record)
        return records

    def chunks(self) -> Iterator[Chunk]:
        quotechar = self.dialect.quotechar or '"'
        while text := self.text.block():
            plain = (
                quotechar not in text
                and '"' not in text
                and not self.dialect.skipinitialspace
                and text.count("\r") == text.count("\r\n")
            )
            if not plain:
                yield Chunk(records=self._records(text))
                continue
            yield Chunk(text=text.replace("\r\n", "\n") if "\r" in text else text)


def _padded_columns(records: Sequence[list[str]], width: int) -> list[list[str]]:
    """Columns of records as DictReader sees them: a short record reads "" (its restval None, written as ""),
    the fields of a long one beyond the header are dropped (its restkey None is not written)."""
    if not records:
        return [[] for _ in range(width)]
    fitted = [r if len(r) == width else (r + [""] * (width - len(r)))[:width] for r in records]
    return [list(column) for column in zip(*fitted, strict=True)]


def _requoted(line: str, delimiter: str) -> str:
    # A plain line (no quotes, no line breaks) from a ';' or tab file: only fields with a comma need quotes.
    return OUT_DELIMITER.join('"' + f + '"' if OUT_DELIMITER in f else f for f in line.split(delimiter))


@dataclass
class ChunkResult:
    text: str  # output CSV lines of the chunk, each ending in \r\n
    rows: int
    errors: int  # rows with a non-empty `error`


def process_chunk(chunk: Chunk, fieldnames: Sequence[str], delimiter: str) -> ChunkResult:
    """Output lines of a chunk: input fields (by header name, as DictReader/DictWriter keep them), then the
    columns of `survey.ADDED_COLUMNS`, computed by `survey_bulk`."""
    width = len(fieldnames)
    last = {name: j for j, name in enumerate(fieldnames)}  # DictReader: a repeated name keeps its last value
    lines = chunk.lines()
    n = len(lines) if lines is not None else len(chunk.records or [])
    if n == 0:
        return ChunkResult("", 0, 0)
    out_names = survey.output_fieldnames(fieldnames)
    plain_header = len(last) == width and not set(fieldnames) & set(survey.ADDED_COLUMNS)
    fields = _field_bytes(chunk, delimiter, width, n) if lines is not None and plain_header else None
    if lines is not None and fields is not None:
        # Every line has one field per column and the header names each once: the input fields go out as they
        # came (the line itself, or re-delimited with commas, quoting fields that hold one), the added columns
        # follow; the input values are read from the bytes (numpy), not split into strings.
        wanted = {name: last[name] for name in survey_bulk.INPUT_COLUMNS if name in last}
        added = survey_bulk.score_values(fields.parse(wanted), n, fields.row_texts(wanted))
        if delimiter == OUT_DELIMITER:
            prefix = lines
        else:
            prefix = [
                line.replace(delimiter, OUT_DELIMITER) if OUT_DELIMITER not in line else _requoted(line, delimiter)
                for line in lines
            ]
        errors = n - _rows_without_error(added)
        return ChunkResult(_joined_rows(prefix, _merged_texts([added[name] for name in out_names[width:]])), n, errors)
    else:
        if lines is not None:
            columns = _padded_columns([line.split(delimiter) for line in lines], width)
        else:
            columns = _padded_columns(chunk.records or [], width)
        inputs = {name: columns[last[name]] for name in survey_bulk.INPUT_COLUMNS if name in last}
        added = survey_bulk.score_chunk(inputs, n)
        out_columns = [
            _quoted(added[name]).texts() if name in added else _quoted_column(columns[last[name]]) for name in out_names
        ]
    errors = n - _rows_without_error(added)
    body = OUT_TERMINATOR.join(map(OUT_DELIMITER.join, zip(*out_columns, strict=True)))
    return ChunkResult(body + OUT_TERMINATOR, n, errors)


def _rows_without_error(added: Mapping[str, Column]) -> int:
    """Rows with an empty `error` (code 0 is "", and put_texts keeps each text at one code)."""
    return int(np.count_nonzero(added[survey.ERROR_COLUMN].codes == 0))


# --- input values straight from the bytes of a plain chunk ------------------------------------------------------

U8Array = npt.NDArray[np.uint8]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_DIGITS = 15  # up to 15 significant digits the integer mantissa is exact in a float
_POW10 = np.array([float(10**k) for k in range(MAX_DIGITS + 1)])  # exact powers of ten
_CODE_COLUMNS = {"sex", "measure", "oedema"}
_DATE_COLUMNS = {"birth_date", "visit_date"}
_MEASUREMENT_COLUMNS = {"weight_kg", "lenhei_cm", "headc_cm", "muac_cm"}
_DAYS_BEFORE_MONTH = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


class FieldBytes:
    """A plain chunk as bytes with the offsets of every field ([rows, columns] starts and ends)."""

    def __init__(self, data: bytes, starts: IntArray, ends: IntArray) -> None:
        self.data = data
        self.bytes: U8Array = np.frombuffer(data, dtype=np.uint8)
        self.starts = starts
        self.ends = ends

    def text(self, row: int, column: int) -> str:
        return self.data[self.starts[row, column] : self.ends[row, column]].decode("utf-8")

    def row_texts(self, wanted: Mapping[str, int]) -> survey_bulk.RowTexts:
        def texts(rows: Sequence[int]) -> list[dict[str, str]]:
            return [{name: self.text(row, column) for name, column in wanted.items()} for row in rows]

        return texts

    def parse(self, wanted: Mapping[str, int]) -> dict[str, FloatArray]:
        """survey_bulk.PARSERS of each input column: simple values (decimals such as 10.5 or 10,5, one-character
        codes, YYYY-MM-DD dates) read by numpy, any other value by the parser itself."""
        n = self.starts.shape[0]
        out = {}
        for name, parse in survey_bulk.PARSERS.items():
            column = wanted.get(name)
            if column is None:
                out[name] = np.full(n, parse(""))
                continue
            starts, ends = self.starts[:, column], self.ends[:, column]
            if name in _CODE_COLUMNS:
                values, simple = self._codes(starts, ends, parse)
            elif name in _DATE_COLUMNS:
                values, simple = self._dates(starts, ends)
            else:
                values, simple = self._decimals(starts, ends)
                if name in _MEASUREMENT_COLUMNS:
                    values[values == 0] = survey_bulk.BAD  # "must be greater than 0"
            for row in np.flatnonzero(~simple).tolist():
                values[row] = parse(self.text(row, column))
            out[name] = values
        return out

    def _char(self, starts: IntArray, offset: int) -> U8Array:
        """The byte at start + offset of each field (past the end of the data: the last byte; callers mask it).
        One position at a time over all rows: numpy is slow along short rows of a 2-D array."""
        return self.bytes[np.minimum(starts + offset, self.bytes.size - 1)]

    def _codes(self, starts: IntArray, ends: IntArray, parse: Callable[[str], float]) -> tuple[FloatArray, BoolArray]:
        lengths = ends - starts
        values = np.where(lengths == 0, parse(""), _by_byte(parse)[self._char(starts, 0)])
        return values, lengths <= 1

    def _decimals(self, starts: IntArray, ends: IntArray) -> tuple[FloatArray, BoolArray]:
        """float() of digits with at most one '.' or ',' (the reference reads 10,5 as 10.5): the digits as an exact
        integer over an exact power of ten, so the division rounds the same decimal as float() does."""
        lengths = ends - starts
        n = lengths.size
        mantissa = np.zeros(n)
        digits = np.zeros(n, dtype=np.int64)
        decimals = np.zeros(n, dtype=np.int64)
        points = np.zeros(n, dtype=np.int64)
        other = lengths > MAX_DIGITS + 1
        for offset in range(min(int(lengths.max(initial=0)), MAX_DIGITS + 1)):
            inside = lengths > offset
            char = self._char(starts, offset)
            is_digit = inside & (char >= 48) & (char <= 57)
            is_point = inside & ((char == 46) | (char == 44))
            other |= inside & ~is_digit & ~is_point
            mantissa = np.where(is_digit, mantissa * 10 + (char.astype(np.float64) - 48), mantissa)
            decimals += is_digit & (points > 0)
            points += is_point
            digits += is_digit
        empty = lengths == 0
        values = mantissa / _POW10[np.minimum(decimals, MAX_DIGITS)]
        values[empty] = np.nan
        simple = ~other & (points <= 1) & (digits >= 1) & (digits <= MAX_DIGITS)
        return values, simple | empty

    def _dates(self, starts: IntArray, ends: IntArray) -> tuple[FloatArray, BoolArray]:
        """date.fromisoformat(...).toordinal() of YYYY-MM-DD dates that exist; empty: no date."""
        lengths = ends - starts
        empty = lengths == 0
        if empty.all():  # no dates in this file (it gives age_days)
            return np.full(lengths.size, float(survey_bulk.NO_DATE)), empty
        shaped = lengths == 10
        number = {}
        for offset in (0, 1, 2, 3, 5, 6, 8, 9):
            digit = self._char(starts, offset).astype(np.int64) - 48
            shaped &= (digit >= 0) & (digit <= 9)
            number[offset] = digit
        for offset in (4, 7):
            shaped &= self._char(starts, offset) == ord("-")
        year = number[0] * 1000 + number[1] * 100 + number[2] * 10 + number[3]
        month = number[5] * 10 + number[6]
        day = number[8] * 10 + number[9]
        month_ok = shaped & (month >= 1) & (month <= 12)
        month = np.where(month_ok, month, 1)
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        days_in_month = _DAYS_IN_MONTH[month] + (leap & (month == 2))
        valid = month_ok & (year >= 1) & (day >= 1) & (day <= days_in_month)
        before = year - 1
        ordinal = before * 365 + before // 4 - before // 100 + before // 400
        ordinal += _DAYS_BEFORE_MONTH[month] + (leap & (month > 2)) + day
        values = np.where(empty, float(survey_bulk.NO_DATE), ordinal.astype(np.float64))
        return values, valid | empty


@cache
def _by_byte(parse: Callable[[str], float]) -> FloatArray:
    """parse() of each one-byte text (a one-byte UTF-8 field is ASCII; the rest is never looked up)."""
    return np.array([parse(chr(c)) if c < 128 else np.nan for c in range(256)])


def _field_bytes(chunk: Chunk, delimiter: str, width: int, n: int) -> FieldBytes | None:
    """FieldBytes of a plain chunk whose n lines each have `width` fields; None otherwise (blank or ragged lines,
    which the string path handles). Delimiters and line breaks are ASCII, so byte offsets split UTF-8 safely."""
    text = chunk.text or ""
    data = (text if text.endswith("\n") else text + "\n").encode("utf-8")
    raw = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero((raw == ord(delimiter)) | (raw == ord("\n")))
    if breaks.size != n * width:
        return None
    ends = breaks.reshape(n, width)
    if not (raw[ends[:, -1]] == ord("\n")).all() or not (raw[ends[:, :-1]] == ord(delimiter)).all():
        return None
    starts = np.empty_like(ends)
    starts[:, 1:] = ends[:, :-1] + 1
    starts[0, 0] = 0
    starts[1:, 0] = ends[:-1, -1] + 1
    return FieldBytes(data, starts, ends)


def _quoted(column: Column) -> Column:
    if _NEEDS_QUOTES.search("\x00".join(column.palette)):  # labels with a decimal comma, error texts
        column.palette = [quote(text) for text in column.palette]
    return column


# Neighbours are merged while their palettes multiply to at most this: flags and categories, not two z columns
# (hundreds of texts each, so nearly every row is its own combination and a merge would only cost time).
MERGE_PALETTE_LIMIT = 1 << 18
MERGE_ROWS_PER_TEXT = 16  # merge only when a merged text serves this many rows: making one costs ~16 join items


def _merged_texts(columns: Sequence[Column]) -> list[list[str]]:
    """Texts of adjacent columns, quoted, each behind its comma, the last followed by the line break; neighbours
    that take few combinations (flags and categories: a few hundred) come already joined: every text fewer is one
    item fewer in the join of the chunk, the dearest step of writing."""
    groups: list[Column] = []
    for column in map(_quoted, columns):
        column.palette = [OUT_DELIMITER + text for text in column.palette]
        left = groups[-1] if groups else None
        if left is not None and len(left.palette) * len(column.palette) <= MERGE_PALETTE_LIMIT:
            width = len(column.palette)
            values, inverse = distinct(left.codes * width + column.codes)
            if values.size * MERGE_ROWS_PER_TEXT <= inverse.size:
                merged = Column([left.palette[v // width] + column.palette[v % width] for v in values.tolist()], 0)
                merged.codes = inverse
                groups[-1] = merged
                continue
        groups.append(column)
    groups[-1].palette = [text + OUT_TERMINATOR for text in groups[-1].palette]
    return [group.texts() for group in groups]


def _joined_rows(prefix: list[str], columns: Sequence[list[str]]) -> str:
    """Rows as one string: the prefix of each row, then its texts (which carry their own commas and line break).
    One join over all the pieces, laid out row after row by slice assignment, costs far less than a join per row."""
    step = 1 + len(columns)
    pieces: list[str] = [""] * (len(prefix) * step)
    pieces[0::step] = prefix
    for offset, texts in enumerate(columns, start=1):
        pieces[offset::step] = texts
    return "".join(pieces)


def _process(job: tuple[Chunk, Sequence[str], str]) -> ChunkResult:
    return process_chunk(*job)


def process_stream(
    reader: SurveyReader,
    write: Callable[[str], object],
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Score every chunk of `reader` and write the output lines in order (header first); (rows, rows with an
    error). With jobs > 1, chunks are scored by that many worker processes (at most 2 chunks each in flight,
    so memory stays bounded), while this process reads and writes; a file of one chunk is scored here."""
    fieldnames = list(reader.fieldnames or [])
    delimiter = reader.dialect.delimiter
    write(header_line(fieldnames))
    rows = errors = 0

    def done(result: ChunkResult) -> None:
        nonlocal rows, errors
        write(result.text)
        rows += result.rows
        errors += result.errors
        if progress is not None:
            progress(rows)

    chunks = reader.chunks()
    head = list(islice(chunks, 2))
    if len(head) < 2 or jobs <= 1:
        for chunk in chain(head, chunks):
            done(process_chunk(chunk, fieldnames, delimiter))
        return rows, errors
    survey_bulk.warm_up()  # forked workers inherit the tables instead of each loading them
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: deque[Future[ChunkResult]] = deque()
        for chunk in chain(head, chunks):
            pending.append(pool.submit(_process, (chunk, fieldnames, delimiter)))
            if len(pending) >= 2 * jobs:
                done(pending.popleft().result())
        while pending:
            done(pending.popleft().result())
    return rows, errors


def header_line(fieldnames: Sequence[str]) -> str:
    """The header as csv.DictWriter.writeheader() writes it."""
    buf = io.StringIO()
    csv.writer(buf).writerow(survey.output_fieldnames(fieldnames))
    return buf.getvalue()
