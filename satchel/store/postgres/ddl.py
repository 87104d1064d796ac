"""PocketBase's index statements made valid PostgreSQL.

Collections carry their indexes as SQLite text (``CREATE UNIQUE INDEX idx_x ON
users (tokenKey) WHERE email != ''``): unquoted camelCase names, which
PostgreSQL would fold to lower case, and ``COLLATE NOCASE``, which it does not
know.  The rewrite quotes every word that names a column of the table (read
from the catalog) and indexes ``lower(column)`` for ``NOCASE``, so the
statement in the collection stays PocketBase's while the one run is valid here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from satchel.tools.dbutils import parse_index

__all__ = ["is_create_index", "rewrite_index"]

_CREATE_INDEX = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s", re.IGNORECASE)
# a quoted string, a quoted identifier, or a bare word
_TOKEN = re.compile(r"'(?:[^']|'')*'|`(?:[^`]|``)*`|\"(?:[^\"]|\"\")*\"|\b[A-Za-z_][A-Za-z0-9_]*\b")


def is_create_index(sql: str) -> bool:
    return _CREATE_INDEX.match(sql) is not None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_columns(expr: str, columns: Iterable[str]) -> str:
    """``expr`` with bare or backticked words that name a column double-quoted with the column's case."""
    by_lower = {c.lower(): c for c in columns}

    def repl(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("'") or token.startswith('"'):
            return token
        word = token[1:-1].replace("``", "`") if token.startswith("`") else token
        found = by_lower.get(word.lower())
        if found is not None:
            return _q(found)
        return _q(word) if token.startswith("`") else token

    return _TOKEN.sub(repl, expr)


def rewrite_index(sql: str, columns: Iterable[str]) -> str:
    """The PostgreSQL statement for a PocketBase ``CREATE INDEX``; ``sql`` itself if it does not parse."""
    idx = parse_index(sql)
    if not idx.is_valid():
        return sql
    cols = list(columns)
    parts = []
    for col in idx.columns:
        expr = quote_columns(col.name, cols)
        if col.collate.upper() == "NOCASE":
            expr = f"lower({expr})"
        elif col.collate:
            expr = f'{expr} COLLATE "{col.collate}"'
        parts.append(f"{expr} {col.sort}".strip())
    head = "CREATE UNIQUE INDEX " if idx.unique else "CREATE INDEX "
    if idx.optional:
        head += "IF NOT EXISTS "
    out = f"{head}{_q(idx.index_name)} ON {_q(idx.table_name)} ({', '.join(parts)})"
    if idx.where:
        out += " WHERE " + quote_columns(idx.where, cols)
    return out
