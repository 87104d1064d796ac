"""View collections: the pure SQL-text half of PocketBase's ``core/view.go``.

A view collection stores a single ``SELECT`` (``viewQuery``); its ``fields`` are
never taken from input but recomputed from the query on every save.

Two entry points, both pure apart from the database seams they are given:

* :func:`create_view_fields` — PocketBase's ``CreateViewFields``: the field list
  stored on save (and recomputed when a source collection changes).
* :func:`dry_run_view` — PocketBase's ``DryRunView(query, 10)``, which is what the
  ``viewQuery`` validator runs in v0.40 on every create/update; its error text
  becomes ``validation_invalid_view_query`` via :func:`invalid_view_query_error`
  (``"Invalid query - " + text[:500]``).

Steps and the order their errors surface (``dry_run_view``):

1. :func:`normalize_view_query`: trim whitespace, then leading/trailing ``;``;
   several statements → ``multiple statements are not supported``.
2. :func:`infer_view_fields` parses the SELECT with a deliberately small tokenizer
   (:func:`parse_select`; same rules and limits as PocketBase: an output column is
   ``expr``, ``expr alias`` or ``expr AS alias`` where ``expr`` has no spaces
   outside parentheses/quotes) and suggests one field per output column.  Parse
   errors and ``*`` columns raise :class:`ViewQueryError`.
3. **Seam** ``table_columns(sql)`` — given the normalized SELECT, return the names
   of the columns it yields, in order, or raise (the exception text becomes the
   error).  PocketBase creates a temporary view
   ``CREATE VIEW `_temp_<6 random chars>` AS SELECT * FROM (<sql>)``, reads
   ``PRAGMA table_info`` and drops it, inside a transaction/savepoint so nothing
   is left behind.  A real view also gives SQLite's column naming (duplicates
   become ``name:1``), which the field names must match.
4. Every column gets its suggested field (exact name) or the default one (``id`` →
   text PK, anything else → ``json`` ``maxSize:1``); no ``id`` column →
   :data:`MISSING_ID_MESSAGE`.
5. (dry run only) optional ``field_error(field) -> str | None``: the field-settings
   validation of each generated field → ``invalid field "<name>" (<i>): <err>``.
6. (dry run only) **seam** ``sample_ids(sql)`` — run the (id-wrapped, see below)
   query as ``SELECT * FROM (SELECT * FROM (<sql>)) LIMIT 10`` and return the
   ``id`` values; a failure → ``failed to retrieve query records: <err>``.  Then
   :func:`check_view_sample_ids`: empty/NULL id or duplicates in the sample are
   rejected.

DDL (owned by the SQL dialect, documented here for reference):

* the view is (re)created as ``CREATE VIEW `<name>` AS SELECT * FROM (<query>)``
  after ``DROP VIEW IF EXISTS `<name>```, where ``<query>`` is the normalized query;
* if the query's ``id`` column is not declared ``TEXT`` (per ``PRAGMA table_info``
  of the temporary view; compared case-insensitively), the query is first wrapped
  as ``SELECT CAST(`id` as TEXT) `id`,`col2`,`col3` FROM (<query>)`` — the column
  list is the parsed aliases (:attr:`ParsedSelect.columns`, in order), every one
  quoted, only ``id`` cast.  The same wrapping is applied before sampling in a
  dry run (a failure there is ``failed to normalize view query id: <err>``).

Fields are plain ``dict`` objects in PocketBase's v0.40 JSON shape with sorted
keys; turning them into field objects is the caller's business.
"""

from __future__ import annotations

import copy
import random
import re
import string
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from satchel.errors import ValidationError, sentenize
from satchel.tools.dbutils.index import TokenizerError, scan_tokens
from satchel.tools.lazy_re import LazyPattern

__all__ = [
    "MISSING_ID_MESSAGE",
    "MULTIPLE_STATEMENTS_MESSAGE",
    "WILDCARD_MESSAGE",
    "CollectionFieldsInfo",
    "Identifier",
    "InferredField",
    "ParsedSelect",
    "ViewQueryError",
    "check_view_sample_ids",
    "create_view_fields",
    "default_view_field",
    "dry_run_view",
    "field_id_for",
    "infer_view_fields",
    "invalid_view_query_error",
    "normalize_view_query",
    "parse_select",
]

WILDCARD_MESSAGE = (
    "wildcard columns (*) are not supported - manually type the collection field names "
    "you want the view query to have"
)
MISSING_ID_MESSAGE = (
    "missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one)"
)
MULTIPLE_STATEMENTS_MESSAGE = "multiple statements are not supported"

_ID = "id"
_CLONE_ALPHABET = string.ascii_letters + string.digits


class ViewQueryError(ValueError):
    """A view query PocketBase would reject; ``message`` is its raw error text."""

    partial_fields: list[dict[str, Any]] | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invalid_view_query_error(error: BaseException | str) -> ValidationError:
    """The ``viewQuery`` entry of the collection error tree (raw text cut at 500 bytes)."""
    text = error.message if isinstance(error, ViewQueryError) else str(error)
    raw = text.encode("utf-8")
    if len(raw) > 500:
        text = raw[:500].decode("utf-8", errors="ignore")
    return ValidationError("validation_invalid_view_query", sentenize(f"Invalid query - {text}"))


class CollectionFieldsInfo(NamedTuple):
    """What the inference needs to know about a source collection."""

    id: str
    name: str
    type: str
    fields: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class InferredField:
    """One suggested view field.

    ``collection``/``original`` are set when the column comes from a known
    collection (``original`` only for a real field clone); PocketBase uses them
    to find the source record of a view file field.
    """

    name: str
    field: dict[str, Any]
    collection: CollectionFieldsInfo | None = None
    original: dict[str, Any] | None = None


# ---------------------------------------------------------------------------
# field dict constructors (PocketBase v0.40 JSON shapes, sorted keys)
# ---------------------------------------------------------------------------


def field_id_for(field_type: str, name: str) -> str:
    """PocketBase's default field id: ``<type><crc32(name)>``."""
    return f"{field_type}{zlib.crc32(name.encode('utf-8'))}"


def _sorted(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in sorted(d)}


def _base(field_type: str, name: str, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "help": "",
        "hidden": False,
        "id": field_id_for(field_type, name),
        "name": name,
        "presentable": False,
        "required": False,
        "system": False,
        "type": field_type,
    }
    d.update(extra)
    return _sorted(d)


def _text_field(name: str, **extra: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "autogeneratePattern": "",
        "max": 0,
        "min": 0,
        "pattern": "",
        "primaryKey": False,
    }
    opts.update(extra)
    return _base("text", name, **opts)


def _number_field(name: str, only_int: bool = False) -> dict[str, Any]:
    return _base("number", name, max=None, min=None, onlyInt=only_int)


def _bool_field(name: str) -> dict[str, Any]:
    return _base("bool", name)


def _json_field(name: str) -> dict[str, Any]:
    return _base("json", name, maxSize=1)  # maxSize is unused for views


def _relation_field(name: str, collection_id: str) -> dict[str, Any]:
    return _base("relation", name, cascadeDelete=False, collectionId=collection_id, maxSelect=1, minSelect=0)


def _view_id_field() -> dict[str, Any]:
    return _text_field(_ID, pattern="^[a-z0-9]+$", primaryKey=True, required=True, system=True)


def default_view_field(name: str) -> dict[str, Any]:
    """Field for a column nothing is known about: the text PK for ``id``, else ``json``."""
    return _view_id_field() if name == _ID else _json_field(name)


def _random_clone_suffix() -> str:
    return "".join(random.choice(_CLONE_ALPHABET) for _ in range(4))


# ---------------------------------------------------------------------------
# query normalization & parsing
# ---------------------------------------------------------------------------


def normalize_view_query(query: str) -> str:
    """Trim whitespace then leading/trailing ``;``; reject several statements."""
    normalized = query.strip().strip(";")
    try:
        parts = scan_tokens(normalized, ";")
    except TokenizerError:
        parts = []  # PocketBase ignores tokenizer errors here (SQLite will complain)
    if len(parts) > 1:
        raise ViewQueryError(MULTIPLE_STATEMENTS_MESSAGE)
    return normalized


@dataclass(frozen=True, slots=True)
class Identifier:
    """``original`` is the expression/table (quotes trimmed), ``alias`` its output name."""

    original: str
    alias: str


@dataclass(frozen=True, slots=True)
class ParsedSelect:
    columns: tuple[Identifier, ...]
    from_tables: tuple[Identifier, ...]
    join_tables: tuple[Identifier, ...]

    @property
    def tables(self) -> tuple[Identifier, ...]:
        """FROM tables followed by JOINed ones (the first one is the main table)."""
        return self.from_tables + self.join_tables


_S = r"[\t\n\f\r ]"  # Go RE2 \s
_JOIN_RE = LazyPattern(
    rf"{_S}+(full{_S}+outer{_S}+join|left{_S}+outer{_S}+join|right{_S}+outer{_S}+join|full{_S}+join"
    rf"|cross{_S}+join|inner{_S}+join|outer{_S}+join|left{_S}+join|right{_S}+join|join){_S}+?",
    re.IGNORECASE | re.MULTILINE,
)
_DISCARD_RE = LazyPattern(
    rf"{_S}+(where|group{_S}+by|having|order|limit|with){_S}+?", re.IGNORECASE | re.MULTILINE
)
_COMMENTS_RE = LazyPattern(r"(/\*[\s\S]*?\*/)|(--.+$)", re.MULTILINE)
_CAST_RE = LazyPattern(rf"^cast{_S}*\(.*{_S}+as{_S}+(\w+){_S}*\)\Z", re.IGNORECASE | re.DOTALL)

_JOIN_MARK = "__pb_join__"
_DISCARD_MARK = "__pb_discard__"


def _trim_identifier(raw: str, extra: str = "") -> str:
    chars = '`"[];' + extra
    return ".".join(part.strip(chars) for part in raw.split("."))


def _identifier_from_parts(parts: list[str]) -> Identifier:
    if len(parts) == 3:
        if parts[1].lower() != "as":
            raise ViewQueryError(f'invalid identifier part - expected "as", got {parts[1]}')
        original, alias = parts[0], parts[2]
    elif len(parts) == 2:
        original, alias = parts
    elif len(parts) == 1:
        original = parts[0]
        alias = parts[0].split(".")[-1]
    else:
        raise ViewQueryError(f"invalid identifier parts [{' '.join(parts)}]")
    # single quotes are trimmed from aliases: SQLite accepts them where an identifier is expected
    return Identifier(_trim_identifier(original), _trim_identifier(alias, "'"))


def _extract_identifiers(raw: str) -> tuple[Identifier, ...]:
    out: list[Identifier] = []
    for item in _scan(raw, ","):
        out.append(_identifier_from_parts(_scan(item, " \n\t")))
    return tuple(out)


def _scan(text: str, separators: str, keep_separator: bool = False) -> list[str]:
    try:
        return scan_tokens(text, separators, keep_separator=keep_separator)
    except TokenizerError as exc:
        raise ViewQueryError(str(exc)) from exc


def parse_select(query: str) -> ParsedSelect:
    """Split a SELECT into output columns and FROM/JOIN tables (PocketBase rules).

    Comments are dropped; ``DISTINCT`` is ignored; anything after ``WHERE``,
    ``GROUP BY``, ``HAVING``, ``ORDER``, ``LIMIT``, ``WITH`` and a join's ``ON`` is
    skipped until the next ``SELECT``/``FROM``/``JOIN`` keyword.  Sub-queries and
    function calls stay whole because the tokenizer respects parentheses.
    Raises :class:`ViewQueryError` for column/table items it can't read.
    """
    text = query.strip().strip(";")
    text = _COMMENTS_RE.compiled.sub(" ", text)
    text = _JOIN_RE.compiled.sub(f" {_JOIN_MARK} ", text)
    text = _DISCARD_RE.compiled.sub(f" {_DISCARD_MARK} ", text)

    parts: dict[str, list[str]] = {"select": [], "from": [], "join": []}
    active: list[str] | None = None
    part_type = ""
    skip = False
    for token in _scan(text, ", \n\t", keep_separator=True):
        word = token.strip().lower()
        if word == "select":
            skip, part_type, active = False, "select", parts["select"]
        elif word == "distinct":
            continue
        elif word == "from":
            skip, part_type, active = False, "from", parts["from"]
        elif word == _JOIN_MARK:
            skip = False
            if part_type == "join":
                parts["join"].append(",")  # the previous part was also a join
            part_type, active = "join", parts["join"]
        elif word == _DISCARD_MARK:
            skip = True
        else:
            if part_type == "join" and word == "on":
                skip = True
            if not skip and active is not None:
                active.append(" ")
                active.append(token)

    return ParsedSelect(
        columns=_extract_identifiers("".join(parts["select"])),
        from_tables=_extract_identifiers("".join(parts["from"])),
        join_tables=_extract_identifiers("".join(parts["join"])),
    )


# ---------------------------------------------------------------------------
# inference
# ---------------------------------------------------------------------------

_IDENT_RE = re.compile(r"^\w+$", re.ASCII)


def _find_collections(
    tables: Sequence[Identifier],
    lookup_collection: Callable[[str], CollectionFieldsInfo | None],
) -> dict[str, CollectionFieldsInfo]:
    """table alias -> collection, for tables that are (exactly) collection names."""
    cache: dict[str, CollectionFieldsInfo | None] = {}
    result: dict[str, CollectionFieldsInfo] = {}
    for table in tables:
        if "(" in table.alias:
            continue  # expression
        name = table.original
        if not _IDENT_RE.match(name):
            continue  # sub-query, schema-qualified name…: never a collection name
        if name not in cache:
            cache[name] = lookup_collection(name)
        info = cache[name]
        if info is not None and info.name == name:
            result[table.alias] = info
    return result


def _infer_column(
    col: Identifier,
    collections: dict[str, CollectionFieldsInfo],
    main_alias: str,
    clone_suffix: Callable[[], str],
) -> InferredField:
    alias = col.alias
    if alias == _ID:  # the pk is always assumed to be text
        return InferredField(alias, _view_id_field())

    lower = col.original.lower()
    if lower.startswith("count("):
        return InferredField(alias, _number_field(alias, only_int=True))
    if lower.startswith("total("):
        return InferredField(alias, _number_field(alias))

    cast = _CAST_RE.match(lower)
    if cast is not None:
        kind = cast.group(1)
        if kind in ("real", "decimal", "numeric"):
            return InferredField(alias, _number_field(alias))
        if kind in ("int", "integer"):
            return InferredField(alias, _number_field(alias, only_int=True))
        if kind == "text":
            return InferredField(alias, _text_field(alias))
        if kind in ("boolean", "bool"):
            return InferredField(alias, _bool_field(alias))

    parts = col.original.split(".")
    if len(parts) == 2:
        field_name = parts[1]
        collection = collections.get(parts[0])
    else:
        field_name = parts[0]
        collection = collections.get(main_alias)

    if collection is None:
        return InferredField(alias, default_view_field(alias))

    wanted = field_name.casefold()
    source = next((f for f in collection.fields if str(f.get("name", "")).casefold() == wanted), None)
    if source is None:
        return InferredField(alias, default_view_field(alias), collection=collection)

    if field_name.casefold() == _ID:  # an id reference -> single relation
        return InferredField(alias, _relation_field(alias, collection.id), collection=collection)

    clone = copy.deepcopy(source)
    clone["id"] = "_clone_" + clone_suffix()
    clone["name"] = alias
    return InferredField(alias, _sorted(clone), collection=collection, original=source)


def infer_view_fields(
    query: str,
    lookup_collection: Callable[[str], CollectionFieldsInfo | None],
    *,
    clone_suffix: Callable[[], str] | None = None,
) -> list[InferredField]:
    """Suggested field per output column, in SELECT order (a repeated alias keeps
    its first position but the last column's field, like PocketBase's map).

    ``lookup_collection(name)`` returns the collection with exactly that name (or
    ``None``); it is called once per distinct FROM/JOIN table name.
    ``clone_suffix`` generates the 4 chars after ``_clone_`` (random by default).
    Raises :class:`ViewQueryError` for unparseable queries and ``*`` columns.
    """
    parsed = parse_select(query)
    collections = _find_collections(parsed.tables, lookup_collection)
    main_alias = parsed.tables[0].alias if parsed.tables else ""
    suffix = clone_suffix or _random_clone_suffix

    result: dict[str, InferredField] = {}
    for col in parsed.columns:
        # no valid SQL can alias a * column, so the parsed alias is enough
        if col.alias == "*":
            raise ViewQueryError(WILDCARD_MESSAGE)
        result[col.alias] = _infer_column(col, collections, main_alias, suffix)
    return list(result.values())


def create_view_fields(
    query: str,
    lookup_collection: Callable[[str], CollectionFieldsInfo | None],
    table_columns: Callable[[str], Sequence[str]],
    *,
    clone_suffix: Callable[[], str] | None = None,
) -> list[dict[str, Any]]:
    """The full ``CreateViewFields``: the final field list of a view collection.

    ``table_columns(sql)`` is the database seam (module docstring, step 3): given
    the normalized SELECT it returns the names of the columns it yields, or
    raises; a :class:`ViewQueryError` passes through unchanged, any other
    exception is wrapped into one with ``str(exc)`` as message.
    Field ids: clones keep ``_clone_xxxx``; the others get ``<type><crc32(name)>``
    (``+2``, ``+3``… on a clash).
    """
    suggested = {
        f.name: f.field for f in infer_view_fields(query, lookup_collection, clone_suffix=clone_suffix)
    }
    normalized = normalize_view_query(query)
    try:
        columns = list(table_columns(normalized))
    except ViewQueryError:
        raise
    except Exception as exc:  # the seam reports SQLite errors however it likes
        raise ViewQueryError(str(exc)) from exc

    fields: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    has_id = False
    for name in columns:
        if name == _ID:
            has_id = True
        field = copy.deepcopy(suggested[name]) if name in suggested else default_view_field(name)
        if not str(field["id"]).startswith("_clone_"):
            base_id = field_id_for(str(field["type"]), name)
            field_id = base_id
            counter = 2
            while field_id in used_ids and counter < 1000:
                field_id = f"{base_id}{counter}"
                counter += 1
            field["id"] = field_id
        used_ids.add(str(field["id"]))
        fields.append(field)

    if not has_id:
        # PocketBase keeps the fields it built; callers may still want them
        error = ViewQueryError(MISSING_ID_MESSAGE)
        error.partial_fields = fields
        raise error
    return fields


def check_view_sample_ids(ids: Iterable[object]) -> None:
    """Dry-run check on sample rows: ids must be non-empty and unique."""
    seen: set[str] = set()
    for raw in ids:
        value = "" if raw is None else str(raw)
        if value == "":
            raise ViewQueryError("the query could return records with empty or invalid ids")
        if value in seen:
            raise ViewQueryError("the query could return records with non-unique ids")
        seen.add(value)


def dry_run_view(
    query: str,
    lookup_collection: Callable[[str], CollectionFieldsInfo | None],
    table_columns: Callable[[str], Sequence[str]],
    sample_ids: Callable[[str], Iterable[object]],
    *,
    field_error: Callable[[dict[str, Any]], str | None] | None = None,
    clone_suffix: Callable[[], str] | None = None,
) -> list[dict[str, Any]]:
    """PocketBase's ``DryRunView``: the checks the ``viewQuery`` validator runs.

    Returns the generated fields; raises :class:`ViewQueryError` with PocketBase's
    error text (module docstring, steps 1-6).  Exceptions other than
    :class:`ViewQueryError` raised by ``sample_ids`` are reported as
    ``failed to retrieve query records: <err>``.
    """
    normalized = normalize_view_query(query)
    fields = create_view_fields(normalized, lookup_collection, table_columns, clone_suffix=clone_suffix)

    if field_error is not None:
        for i, field in enumerate(fields):
            problem = field_error(field)
            if problem:
                raise ViewQueryError(f'invalid field "{field["name"]}" ({i}): {problem}')

    try:
        ids = list(sample_ids(normalized))
    except ViewQueryError:
        raise
    except Exception as exc:
        raise ViewQueryError(f"failed to retrieve query records: {exc}") from exc

    check_view_sample_ids(ids)
    return fields
