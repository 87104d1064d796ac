"""SQLite-flavoured statement text -> psycopg statement text.

The domain code writes named parameters as ``:name`` (apsw's style), positional
ones as ``?`` and may quote identifiers with backticks (PocketBase's habit).
psycopg wants ``%(name)s`` / ``%s``, a doubled ``%`` for a literal one, and
PostgreSQL quotes identifiers with double quotes; a bare ``rowid`` becomes the
``_rowid_`` column that PostgreSQL tables get in its place, and a bare
camelCase word (``recordRef``: an identifier, never a keyword) is quoted so
that PostgreSQL does not fold it to lower case.  One pass over the text,
skipping string literals, does all of it; results are cached by text because
the same statements come back on every request.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["translate"]

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _quoted_end(sql: str, start: int, quote: str) -> int:
    """Index just past the literal/identifier opened at ``start`` (a doubled quote escapes)."""
    i = start + 1
    n = len(sql)
    while i < n:
        if sql[i] == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'":
            end = _quoted_end(sql, i, "'")
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif c == '"':
            end = _quoted_end(sql, i, '"')
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif c == "`":
            end = _quoted_end(sql, i, "`")
            body = sql[i + 1 : end - 1].replace("``", "`")
            out.append('"' + body.replace('"', '""').replace("%", "%%") + '"')
            i = end
        elif c == ":":
            if i + 1 < n and sql[i + 1] == ":":  # a PostgreSQL cast
                out.append("::")
                i += 2
                continue
            j = i + 1
            while j < n and sql[j] in _NAME_CHARS:
                j += 1
            if j > i + 1:
                out.append(f"%({sql[i + 1 : j]})s")
            else:
                out.append(":")
            i = j
        elif c == "?":
            out.append("%s")
            i += 1
        elif c == "%":
            out.append("%%")
            i += 1
        elif c in _NAME_CHARS:
            j = i + 1
            while j < n and sql[j] in _NAME_CHARS:
                j += 1
            word = sql[i:j]
            # SQLite's implicit rowid is the "_rowid_" identity column of PostgreSQL tables
            if word.lower() == "rowid":
                out.append("_rowid_")
            elif not word.islower() and not word.isupper() and not word[0].isdigit():
                out.append(f'"{word}"')  # camelCase: an identifier, which PostgreSQL would fold
            else:
                out.append(word)
            i = j
        elif c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)
