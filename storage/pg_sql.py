"""The SQLite dialect the repositories write, spoken to PostgreSQL: statements and migrations, translated once.

The repositories and migrations are written once, in the SQL both engines share; this module rewrites the few
places where SQLite's spelling differs (placeholders, `INSERT OR IGNORE`, scalar MAX/MIN, `group_concat`,
column types) so that the same text runs on PostgreSQL 15. It is a scanner, not a parser: string literals,
quoted names and comments are kept as they are, and anything it does not know passes through unchanged (a
statement PostgreSQL rejects fails loudly in the test suite, which runs on both engines).

Why not an ORM or a query builder: the project's SQL is plain and hand-tuned (the recap reads a covering index),
the engines differ in a handful of spellings, and a rewrite of ~4,600 lines of repositories would buy nothing a
user sees. Migrations that cannot be translated (a SQLite table rebuild) have a PostgreSQL file of their own in
storage/migrations/postgresql/, used instead.
"""

from __future__ import annotations

import re
from functools import lru_cache

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _split(sql: str) -> list[tuple[str, str]]:
    """The statement as (kind, text) pieces: 'code', 'str' ('...'), 'ident' ("..."), 'comment'."""
    out: list[tuple[str, str]] = []
    i, n, start = 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in "'\"":
            if start < i:
                out.append(("code", sql[start:i]))
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:  # a doubled quote inside the literal
                        j += 2
                        continue
                    break
                j += 1
            out.append(("str" if c == "'" else "ident", sql[i:j + 1]))
            i = start = j + 1
            continue
        if sql.startswith("--", i) or sql.startswith("/*", i):
            if start < i:
                out.append(("code", sql[start:i]))
            end = sql.find("\n", i) if c == "-" else sql.find("*/", i)
            j = n if end < 0 else (end if c == "-" else end + 2)
            out.append(("comment", sql[i:j]))
            i = start = j
            continue
        i += 1
    if start < n:
        out.append(("code", sql[start:]))
    return out


def _close_paren(code: str, open_at: int) -> int:
    """Index of the parenthesis closing the one at `open_at` (-1: not in this piece of code)."""
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "(":
            depth += 1
        elif code[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    return -1


def _top_level_commas(inner: str) -> int:
    depth = commas = 0
    for ch in inner:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            commas += 1
    return commas


def _split_args(inner: str) -> list[str]:
    args, depth, start = [], 0, 0
    for k, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(inner[start:k])
            start = k + 1
    args.append(inner[start:])
    return args


_SCALAR = {"MAX": "GREATEST", "MIN": "LEAST"}


def _functions(code: str) -> str:
    """`MAX(a, b)` -> GREATEST, `MIN(a, b)` -> LEAST (SQLite's scalar forms), `group_concat(x)` -> string_agg."""
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"\b(MAX|MIN|group_concat)\s*\(", code, flags=re.I):
        if m.start() < pos:
            continue
        name = m.group(1).upper()
        open_at = m.end() - 1
        close = _close_paren(code, open_at)
        if close < 0:
            continue
        inner = code[open_at + 1:close]
        if name == "GROUP_CONCAT":
            args = _split_args(inner)
            sep = args[1] if len(args) > 1 else "','"
            out.append(code[pos:m.start()] + f"string_agg(CAST({_functions(args[0])} AS TEXT), {sep})")
            pos = close + 1
        elif _top_level_commas(inner) >= 1:
            out.append(code[pos:m.start()] + f"{_SCALAR[name]}({_functions(inner)})")
            pos = close + 1
    out.append(code[pos:])
    return "".join(out)


@lru_cache(maxsize=4096)
def translate(sql: str, *, params: bool = True) -> str:
    """A statement in the repositories' dialect -> PostgreSQL (psycopg's `%s` / `%(name)s` placeholders)."""
    pieces = _split(sql)
    # The scalar-function rewrite needs whole parenthesised groups, which may span literals: it runs on the code
    # with literals replaced by placeholders of the same length, then the literals are put back.
    masked: list[str] = []
    literals: list[str] = []
    for kind, text in pieces:
        if kind == "code":
            masked.append(text)
        elif kind == "comment":
            masked.append(" ")
        else:
            literals.append(text)
            masked.append(f"\x00{len(literals) - 1}\x00")
    code = "".join(masked)
    code = _functions(code)
    code = re.sub(r"\bAS\s+REAL\b", "AS DOUBLE PRECISION", code, flags=re.I)
    code = re.sub(r"\bIS\s+NOT\s+\?", "IS DISTINCT FROM ?", code, flags=re.I)
    code = re.sub(r"\bIS\s+\?", "IS NOT DISTINCT FROM ?", code, flags=re.I)
    if re.search(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", code, flags=re.I):
        code = re.sub(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", "INSERT INTO", code, flags=re.I)
        ret = re.search(r"\bRETURNING\b", code, flags=re.I)
        stripped = code.rstrip().rstrip(";")
        code = (code[:ret.start()] + "ON CONFLICT DO NOTHING " + code[ret.start():] if ret
                else stripped + " ON CONFLICT DO NOTHING")
    if params:
        code = code.replace("%", "%%")
        code = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", code)
        code = code.replace("?", "%s")

    def put_back(m: re.Match[str]) -> str:
        text = literals[int(m.group(1))]
        return text.replace("%", "%%") if params else text

    return re.sub(r"\x00(\d+)\x00", put_back, code)


_COLUMN_TYPES = [
    (re.compile(r"\bid(\s+)INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?", re.I),
     r"id\1BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bAUTOINCREMENT\b", re.I), ""),
]


def translate_ddl(script: str) -> str:
    """A migration file -> PostgreSQL: column types (INTEGER is 64-bit in SQLite: Telegram ids need BIGINT), `id`
    keys as identity columns, then the statement rewrites. Literals and comments are kept."""
    out: list[str] = []
    for kind, text in _split(script):
        if kind == "code":
            for pattern, repl in _COLUMN_TYPES:
                text = pattern.sub(repl, text)
        out.append(text)
    return translate("".join(out), params=False)
