"""``CREATE INDEX`` statements: parsing, normalized rebuilding and collection checks.

PocketBase keeps a collection's indexes as raw SQL strings (``collection.indexes``).
This module understands them the way PocketBase v0.40 does, quirks included:

* :func:`parse_index` is a *loose* regex parse.  Anything it cannot make sense of
  yields an :class:`Index` whose :meth:`Index.is_valid` is ``False`` (never an
  exception), which the collection validator reports as
  ``validation_invalid_index_expression``.  The column list runs up to the **last**
  ``)`` of the statement, so a ``WHERE`` clause that itself contains parentheses
  makes the statement invalid, exactly as in PocketBase.
* :meth:`Index.build` renders the normalized backtick form, e.g.
  ``CREATE UNIQUE INDEX `idx_x` ON `tags` (`name` COLLATE NOCASE)``; multi-column
  indexes put every column on its own line (``(\\n  `a`,\\n  `b`\\n)``).
* :func:`normalize_index_for_table` implements the save-time rule: an index whose
  table is exactly the collection name is stored as given, otherwise it is
  rewritten to the collection's table and rebuilt (re-quoted).
* :func:`validate_indexes` is the pure part of PocketBase's ``checkIndexes``; the
  only database fact it needs (which index names other tables already use) is
  passed in.

The small quote/parenthesis aware splitter PocketBase uses everywhere
(``tools/tokenizer``) is exposed as :func:`scan_tokens`; the view query parser
(:mod:`satchel.core.collections.view_query`) builds on it.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace

from satchel.errors import ErrorTree, ValidationError
from satchel.tools.lazy_re import LazyPattern

__all__ = [
    "AUTH_UNIQUE_INDEX_FIELDS",
    "COLLECTION_TYPE_AUTH",
    "COLLECTION_TYPE_BASE",
    "COLLECTION_TYPE_VIEW",
    "Index",
    "IndexColumn",
    "TokenizerError",
    "auth_field_index_name",
    "default_auth_indexes",
    "ensure_auth_unique_indexes",
    "find_single_column_unique_index",
    "has_single_column_unique_index",
    "normalize_index_for_table",
    "parse_index",
    "rename_collection_id_in_indexes",
    "scan_tokens",
    "validate_indexes",
]

COLLECTION_TYPE_BASE = "base"
COLLECTION_TYPE_AUTH = "auth"
COLLECTION_TYPE_VIEW = "view"

#: Auth collection fields that must always have a single-column unique index
#: (checked in this order).
AUTH_UNIQUE_INDEX_FIELDS: tuple[str, ...] = ("tokenKey", "email")

# Go's RE2 ``\s`` is only ASCII ``[\t\n\f\r ]`` (no ``\v``, no Unicode spaces).
_WS = r"[\t\n\f\r ]"
_NWS = r"[^\t\n\f\r ]"

_INDEX_RE = LazyPattern(
    rf"create{_WS}+(unique{_WS}+)?{_WS}*index{_WS}*(if{_WS}+not{_WS}+exists{_WS}+)?"
    rf"({_NWS}*){_WS}+on{_WS}+({_NWS}*){_WS}*\(([\s\S]*)\)(?:{_WS}*where{_WS}+([\s\S]*))?",
    re.IGNORECASE | re.MULTILINE,
)
# Multiline on purpose: an expression column spanning several lines is cut at the
# first line end, as PocketBase does.
_INDEX_COLUMN_RE = LazyPattern(
    rf"^([\s\S]+?)(?:{_WS}+collate{_WS}+(\w+))?(?:{_WS}+(asc|desc))?$",
    re.IGNORECASE | re.MULTILINE,
)

_TRIM_CHARS = "`\"'[]\r\n\t\f\v "
_GO_SPACE = " \t\n\v\f\r\x85\xa0"  # Go strings.TrimSpace (ASCII + NEL/NBSP)

# ---------------------------------------------------------------------------
# tokenizer
# ---------------------------------------------------------------------------

_WHITESPACE_CHARS = ("\t", "\n", "\v", "\f", "\r", " ", "\x85", "\xa0")
_QUOTES = frozenset("'\"`")


class TokenizerError(ValueError):
    """Unbalanced parenthesis or quotes (message mirrors PocketBase's)."""


def _go_quote(text: str) -> str:
    """Approximation of Go's ``%q`` used in error messages."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{out}"'


def scan_tokens(
    text: str,
    separators: str = ",",
    *,
    keep_separator: bool = False,
    keep_empty: bool = False,
) -> list[str]:
    """Split ``text`` on ``separators`` outside quotes (``'`` ``"`` `````) and parentheses.

    Each token is trimmed of whitespace characters that are not themselves
    separators; a separator is kept at the token's end when ``keep_separator``.
    A backslash escapes the following quote/parenthesis.  Raises
    :class:`TokenizerError` on unbalanced parentheses or quotes.

    >>> scan_tokens("a, b, (c, d)")
    ['a', 'b', '(c, d)']
    """
    seps = frozenset(separators)
    cutset = "".join(ch for ch in _WHITESPACE_CHARS if ch not in seps)
    tokens: list[str] = []
    pos = 0
    n = len(text)
    while pos < n:
        buf: list[str] = []
        depth = 0
        quote = ""
        prev = ""
        while pos < n:
            ch = text[pos]
            pos += 1
            if prev != "\\":
                if ch == "(" and not quote:
                    depth += 1
                elif ch == ")" and depth > 0 and not quote:
                    depth -= 1
                elif ch in _QUOTES:
                    if quote == ch:
                        quote = ""
                    elif not quote:
                        quote = ch
            if ch in seps and depth == 0 and not quote:
                if keep_separator:
                    buf.append(ch)
                break
            prev = ch
            buf.append(ch)
        raw = "".join(buf)
        if depth > 0 or quote:
            raise TokenizerError(f"unbalanced parenthesis or quoted expression: {_go_quote(raw)}")
        token = raw.strip(cutset)
        if token or keep_empty:
            tokens.append(token)
    return tokens


# ---------------------------------------------------------------------------
# Index model
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexColumn:
    """One indexed column: an identifier or an expression, plus COLLATE / ASC|DESC."""

    name: str
    collate: str = ""
    sort: str = ""


@dataclass(frozen=True, slots=True)
class Index:
    """A parsed ``CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name ON table (cols) [WHERE …]``."""

    unique: bool = False
    optional: bool = False  # IF NOT EXISTS
    schema_name: str = ""
    index_name: str = ""
    table_name: str = ""
    columns: tuple[IndexColumn, ...] = field(default_factory=tuple)
    where: str = ""

    def is_valid(self) -> bool:
        """True when it has an index name, a table name and at least one column."""
        return bool(self.index_name) and bool(self.table_name) and len(self.columns) > 0

    def build(self) -> str:
        """The normalized backtick SQL; ``""`` when :meth:`is_valid` is false."""
        if not self.is_valid():
            return ""
        out = ["CREATE "]
        if self.unique:
            out.append("UNIQUE ")
        out.append("INDEX ")
        if self.optional:
            out.append("IF NOT EXISTS ")
        if self.schema_name:
            out.append(f"`{self.schema_name}`.")
        out.append(f"`{self.index_name}` ON `{self.table_name}` (")
        multi = len(self.columns) > 1
        if multi:
            out.append("\n  ")
        has_col = False
        for col in self.columns:
            name = col.name.strip(_GO_SPACE)
            if not name:
                continue
            if has_col:
                out.append(",\n  ")
            if "(" in col.name or " " in col.name:
                out.append(name)  # most likely an expression
            else:
                out.append(f"`{name}`")
            if col.collate:
                out.append(f" COLLATE {col.collate}")
            if col.sort:
                out.append(f" {col.sort.upper()}")
            has_col = True
        if has_col and multi:
            out.append("\n")
        out.append(")")
        if self.where:
            out.append(f" WHERE {self.where}")
        return "".join(out)

    def with_table(self, table_name: str) -> Index:
        return replace(self, table_name=table_name)

    def without_collate_and_sort(self) -> Index:
        return replace(self, columns=tuple(IndexColumn(c.name) for c in self.columns))


def parse_index(sql: str) -> Index:
    """Loosely parse a ``CREATE INDEX`` statement (never raises; see :meth:`Index.is_valid`)."""
    m = _INDEX_RE.search(sql)
    if m is None:
        return Index()

    unique = (m.group(1) or "").strip() != ""
    optional = (m.group(2) or "").strip() != ""

    schema_name = ""
    try:
        name_parts = scan_tokens(m.group(3), ".")
    except TokenizerError:
        name_parts = []
    if len(name_parts) == 2:
        schema_name = name_parts[0].strip(_TRIM_CHARS)
        index_name = name_parts[1].strip(_TRIM_CHARS)
    elif name_parts:
        index_name = name_parts[0].strip(_TRIM_CHARS)
    else:
        index_name = ""

    table_name = m.group(4).strip(_TRIM_CHARS)

    try:
        raw_columns = scan_tokens(m.group(5), ",")
    except TokenizerError:
        raw_columns = []
    columns: list[IndexColumn] = []
    for raw in raw_columns:
        cm = _INDEX_COLUMN_RE.search(raw)
        if cm is None:
            continue
        name = cm.group(1).strip(_TRIM_CHARS)
        if not name:
            continue
        columns.append(
            IndexColumn(
                name=name,
                collate=(cm.group(2) or "").strip(),
                sort=(cm.group(3) or "").upper(),
            )
        )

    return Index(
        unique=unique,
        optional=optional,
        schema_name=schema_name,
        index_name=index_name,
        table_name=table_name,
        columns=tuple(columns),
        where=(m.group(6) or "").strip(),
    )


def find_single_column_unique_index(indexes: Iterable[str], column: str) -> Index | None:
    """First UNIQUE index over exactly ``column`` (case-insensitive; WHERE ignored)."""
    wanted = column.casefold()
    for raw in indexes:
        parsed = parse_index(raw)
        if parsed.unique and len(parsed.columns) == 1 and parsed.columns[0].name.casefold() == wanted:
            return parsed
    return None


def has_single_column_unique_index(indexes: Iterable[str], column: str) -> bool:
    return find_single_column_unique_index(indexes, column) is not None


def normalize_index_for_table(sql: str, table: str) -> str:
    """Save-time rewrite: stored as given when its table is exactly ``table``,
    otherwise retargeted to ``table`` and rebuilt; unparseable input is returned
    unchanged (the validator reports it)."""
    parsed = parse_index(sql)
    if parsed.table_name == table:
        return sql
    rebuilt = parsed.with_table(table).build()
    return rebuilt or sql


def rename_collection_id_in_indexes(indexes: Sequence[str], old_id: str, new_id: str) -> list[str]:
    """When a new collection's generated id changes, PocketBase replaces the old
    id inside index names (e.g. ``idx_email_<id>``) and rebuilds those indexes."""
    out: list[str] = []
    for raw in indexes:
        parsed = parse_index(raw)
        renamed = parsed.index_name.replace(old_id, new_id) if old_id else parsed.index_name
        if renamed != parsed.index_name:
            out.append(replace(parsed, index_name=renamed).build() or raw)
        else:
            out.append(raw)
    return out


# ---------------------------------------------------------------------------
# auth defaults
# ---------------------------------------------------------------------------


def auth_field_index_name(field_name: str, collection_id: str = "", collection_name: str = "") -> str:
    """``idx_<field>_<collectionId>`` (falls back to the name, then 10 random
    ``[a-z0-9]`` chars), truncated to 64 characters."""
    name = f"idx_{field_name}_"
    if collection_id:
        name += collection_id
    elif collection_name:
        name += collection_name
    else:
        alphabet = string.ascii_lowercase + string.digits
        name += "".join(random.choice(alphabet) for _ in range(10))
    return name[:64]


def default_auth_indexes(collection_id: str, collection_name: str) -> dict[str, str]:
    """``{"tokenKey": sql, "email": sql}``: the unique indexes PocketBase adds to an
    auth collection lacking a single-column unique index on that field."""
    token_name = auth_field_index_name("tokenKey", collection_id, collection_name)
    email_name = auth_field_index_name("email", collection_id, collection_name)
    return {
        "tokenKey": f"CREATE UNIQUE INDEX `{token_name}` ON `{collection_name}` (`tokenKey`)",
        "email": f"CREATE UNIQUE INDEX `{email_name}` ON `{collection_name}` (`email`) WHERE `email` != ''",
    }


def ensure_auth_unique_indexes(collection_id: str, collection_name: str, indexes: Sequence[str]) -> list[str]:
    """Append the default auth unique indexes that are missing (no single-column
    unique index on ``tokenKey`` / ``email`` yet), in PocketBase's order."""
    out = list(indexes)
    for column, sql in default_auth_indexes(collection_id, collection_name).items():
        if not has_single_column_unique_index(out, column):
            out.append(sql)
    return out


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def _indexed(i: int, err: ValidationError) -> ErrorTree:
    return {"indexes": {str(i): err}}


def validate_indexes(
    collection_name: str,
    collection_type: str,
    indexes: Sequence[str],
    field_names: AbstractSet[str],
    other_index_names: Mapping[str, str],
    *,
    old_name: str = "",
    old_indexes: Sequence[str] | None = None,
    system_field_names: Iterable[str] = (),
) -> ErrorTree:
    """PocketBase's ``checkIndexes``: ``{}`` when fine, else ``{"indexes": …}`` with
    the **first** problem found (PocketBase stops at the first one).

    * ``other_index_names``: ``lower(index name) -> table`` for indexes that already
      exist in the database (``sqlite_master``).  Entries whose table is this
      collection's current or original name are ignored here, so the map may
      simply contain every index.
    * ``old_name`` / ``old_indexes`` / ``system_field_names``: the stored state for
      an update (leave empty/``None`` for a create).  Every unique index of the old
      collection covering one of its system fields (``system_field_names`` = names
      of the *old* collection's system fields) must survive, ignoring its name,
      WHERE, COLLATE and sort (``validation_invalid_unique_system_field_index``).
    * ``field_names`` is accepted for the caller's convenience but, like
      PocketBase, no column-existence check happens here: SQLite rejects an index
      on an unknown column when the table schema is synced.
    """
    del field_names  # see docstring

    if collection_type == COLLECTION_TYPE_VIEW and len(indexes) > 0:
        return {
            "indexes": ValidationError(
                "validation_indexes_not_supported", "View collections don't support indexes."
            )
        }

    own_tables = {collection_name.lower(), old_name.lower()}
    seen_names: set[str] = set()
    seen_definitions: set[str] = set()

    for i, raw in enumerate(indexes):
        # the table is always overwritten on save, so it doesn't matter here
        parsed = parse_index(raw).with_table("validator")
        if not parsed.is_valid():
            return _indexed(
                i,
                ValidationError("validation_invalid_index_expression", "Invalid CREATE INDEX expression."),
            )

        lname = parsed.index_name.lower()
        if lname in seen_names:
            return _indexed(
                i, ValidationError("validation_duplicated_index_name", "The index name already exists.")
            )
        seen_names.add(lname)

        used_table = other_index_names.get(lname, "")
        if used_table and used_table.lower() not in own_tables:
            return _indexed(
                i,
                ValidationError(
                    "validation_existing_index_name",
                    f"The index name is already used in {used_table} collection.",
                    {"usedTableName": used_table},
                ),
            )

        definition = replace(parsed, schema_name="validator", index_name="validator").build()
        if definition in seen_definitions:
            return _indexed(
                i,
                ValidationError(
                    "validation_duplicated_index_definition", "The index definition already exists."
                ),
            )
        seen_definitions.add(definition)

    err = _check_system_unique_indexes(indexes, old_indexes or (), list(system_field_names))
    if err is not None:
        return {"indexes": err}

    if collection_type == COLLECTION_TYPE_AUTH:
        for name in AUTH_UNIQUE_INDEX_FIELDS:
            if not has_single_column_unique_index(indexes, name):
                return {
                    "indexes": ValidationError(
                        "validation_missing_required_unique_index",
                        f'Missing required unique index for field "{name}".',
                        {"fieldName": name},
                    )
                }

    return {}


def _check_system_unique_indexes(
    indexes: Sequence[str], original_indexes: Sequence[str], system_fields: list[str]
) -> ValidationError | None:
    """Every original unique index touching a system field must still exist
    (ignoring name, schema, table, WHERE, COLLATE and sort)."""
    for old_raw in original_indexes:
        old = parse_index(old_raw)
        if not old.unique:
            continue
        old = old.without_collate_and_sort()
        old_sql = old.build()
        system_field = _first_system_column(old, system_fields)
        if system_field is None:
            continue
        found = False
        for new_raw in indexes:
            new = replace(
                parse_index(new_raw).without_collate_and_sort(),
                schema_name=old.schema_name,
                index_name=old.index_name,
                table_name=old.table_name,
                where=old.where,
            )
            if new.build() == old_sql:
                found = True
                break
        if not found:
            return ValidationError(
                "validation_invalid_unique_system_field_index",
                f"Unique index definition on system fields ({system_field}) is invalid or missing.",
                {"fieldName": system_field},
            )
    return None


def _first_system_column(index: Index, system_fields: list[str]) -> str | None:
    for column in index.columns:
        for name in system_fields:
            if column.name.casefold() == name.casefold():
                return name
    return None
