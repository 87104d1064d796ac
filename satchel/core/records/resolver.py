"""PocketBase's record field resolver: filter/rule identifiers -> SQL over record tables.

:class:`RecordFieldResolver` implements :class:`satchel.tools.search.FieldResolver`
for one collection.  It understands everything PocketBase 0.40 does (spec 04 §5-§7):
plain and system fields, relation paths (single and multiple, up to 6 hops),
back-relations ``comments_via_post.*``, JSON/geoPoint sub-paths, ``@request.*``
(``auth``, ``body``, ``query``, ``headers``, ``method``, ``context``),
``@collection.name[:alias].*`` and the ``:isset :changed :length :each :lower``
modifiers, with PocketBase's raw error texts.

Two modes:

* ``allow_hidden=True`` -- *rule mode*: API rules, ``authRule``/``manageRule``,
  superuser filters.  Hidden fields are allowed.
* ``allow_hidden=False`` -- *client mode* (a non-superuser's ``filter``/``sort``):
  hidden fields are ``non-filterable``, joining a collection whose ``listRule`` is
  null is an error, ``email`` of auth collections gets ``AND alias.emailVisibility
  = TRUE``, and every joined collection's non-empty listRule must be ANDed at the
  top level of the query: call :meth:`RecordFieldResolver.list_rule_constraints`
  once *after* compiling the filter and the sort with the same resolver.
  ``@request.``/``@collection.`` in client params are rejected before compiling
  (403, :func:`superuser_only_filter_error`); the resolver also refuses them.

How rules are evaluated (spec 03 §6), reproducing PocketBase exactly:

* list: ``SELECT DISTINCT t.* FROM t <joins> WHERE (<listRule>) AND (<filter>) AND
  (<list_rule_constraints>)`` (``DISTINCT`` only when there are joins).
* view/update/delete (and ``manageRule`` on an existing record): the rule is
  checked against the **stored** row -- :func:`rule_exists_query` builds
  ``SELECT 1 FROM t <joins> WHERE t.id = :id AND (<rule>) LIMIT 1``; for update,
  ``@request.body.*`` holds the new submitted values and ``:changed`` compares them
  with the stored columns.
* create: like PocketBase, the would-be record (``record=``: API values of every
  field after the body was loaded, defaults included) is materialised as a one-row
  CTE named ``<collection>__pb_create__`` (``verified`` forced false, a temporary
  id ``__temp_id____pb_create__`` when none was given) and the rule runs as
  ``WITH cte AS (SELECT :v AS col, ...) SELECT 1 FROM cte <joins> WHERE <rule>``.
  No row is inserted and no transaction is needed; relation paths from the new
  record (``owner.name``) join the real target tables.  As in PocketBase the CTE
  is a *different* collection for back-relation checks, so ``x_via_y`` paths from
  the base record fail to compile in a createRule (-> "Failed to create record.").
  The CTE name is deterministic (PocketBase appends 6 random chars) so the SQL
  text is stable for the statement cache.

``@request.data.*`` is accepted as an alias of ``@request.body.*`` (a Satchel
extension for the v0.22 rules of the user's guide; PocketBase 0.40 rejects it).

Back-relations have no row limit in filters (PocketBase's 1000-row cap applies
to ``expand`` only).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from satchel.core.collections.model import Collection
from satchel.core.fields import Field
from satchel.core.fields._gocompat import to_unique_string_slice
from satchel.store.dialect import SqliteDialect
from satchel.tools.dbutils import has_single_column_unique_index
from satchel.tools.filter import Expr, parse
from satchel.tools.search import (
    FilterCompileError,
    Join,
    MultiMatch,
    NullFallback,
    ResolveError,
    ResolverResult,
    Sql,
    build_where,
)

__all__ = [
    "CREATE_ALIAS_SUFFIX",
    "MAX_NESTED_RELS",
    "TEMP_ID",
    "Lookup",
    "RecordFieldResolver",
    "RequestInfo",
    "normalize_header_name",
    "rule_exists_query",
    "superuser_only_filter_error",
]

Lookup = Callable[[str], Collection | None]

MAX_NESTED_RELS = 6
CREATE_ALIAS_SUFFIX = "__pb_create__"
TEMP_ID = "__temp_id__" + CREATE_ALIAS_SUFFIX

_MODIFIERS = frozenset({"isset", "each", "length", "lower", "changed"})
_MULTI_VALUERS = frozenset({"select", "file", "relation"})
_JSON_LIKE = frozenset({"json", "geoPoint"})
_PLAIN_AUTH_FIELDS = frozenset(
    {"id", "collectionId", "collectionName", "email", "emailVisibility", "verified"}
)
_ALLOWED_FIELDS = tuple(
    re.compile(p, re.ASCII)
    for p in (
        r"^\w+[\w.:]*$",
        r"^@request\.context$",
        r"^@request\.method$",
        r"^@request\.auth\.[\w.:]*\w+$",
        r"^@request\.body\.[\w.:]*\w+$",
        r"^@request\.query\.[\w.:]*\w+$",
        r"^@request\.headers\.[\w.:]*\w+$",
        r"^@collection\.\w+(:\w+)?\.[\w.:]*\w+$",
    )
)
_VIA = re.compile(r"^(\w+)_via_(\w+)$", re.ASCII)
_COLUMNIFY_STRIP = re.compile(r"[^\w.*\-@#]+", re.ASCII)
_SNAKE_SPLIT = re.compile(r"[\W_]+", re.ASCII)
_SUPERUSER_ONLY = ("@collection.", "@request.")


@dataclass(frozen=True)
class RequestInfo:
    """What ``@request.*`` sees (PocketBase's ``RequestInfo``).

    ``auth`` is the authenticated record as API values with every field (hidden
    ones included) or ``None`` for guests.  ``headers`` may be given raw or
    normalised; the resolver normalises names with :func:`normalize_header_name`
    (``X-Token`` -> ``x_token``).  ``body`` is the submitted body after modifier
    keys were resolved (``tags+`` -> the final ``tags``).
    """

    auth: dict[str, Any] | None = None
    auth_collection: Collection | None = None
    body: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"
    context: str = "default"

    def with_body(self, body: Mapping[str, Any]) -> RequestInfo:
        """A copy with another body (``dataclasses.replace`` costs twice as much: every write)."""
        return RequestInfo(self.auth, self.auth_collection, body, self.query, self.headers, self.method, self.context)


def normalize_header_name(name: str) -> str:
    """Go's canonical header key passed through ``inflector.Snakecase``: words split at
    non-word chars, lowercased, joined with ``_`` (``User-Agent`` -> ``user_agent``)."""
    return "_".join(w for w in _SNAKE_SPLIT.split(name.lower()) if w)


def superuser_only_filter_error(filter_text: str | None, sort_text: str | None) -> str | None:
    """The 403 message PocketBase returns when a non-superuser's ``filter``/``sort``
    contains ``@collection.`` or ``@request.`` (a loose substring check), else None."""
    for text in (filter_text, sort_text):
        if not text:
            continue
        for marker in _SUPERUSER_ONLY:
            if marker in text:
                return f"Only superusers can filter by {marker}"
    return None


@lru_cache(maxsize=4096)
def _columnify(text: str) -> str:
    # collection/field names and rule paths: few distinct texts, a regex sub on every request
    return _COLUMNIFY_STRIP.sub("", text)


def _split_modifier(combined: str) -> tuple[str, str]:
    """PocketBase's ``splitModifier``: exactly one ``:`` splits; anything else is a name."""
    parts = combined.split(":")
    if len(parts) != 2:
        return combined, ""
    if parts[1] in _MODIFIERS:
        return parts[0], parts[1]
    raise ResolveError(f'unknown modifier in "{combined}"')


def _to_slice(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=str)


def _cast_text(value: Any) -> str:
    """``cast.ToString`` for the values a request body holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    return ""


def _param_name(kind: str, value: Any) -> str:
    """A deterministic, content-derived param name: equal values share a name, so two
    resolvers of one request (rule + filter) can feed one statement without clashes."""
    digest = hashlib.sha1(f"{kind}\x00{_json_text(value)}".encode()).hexdigest()[:12]
    return f"rr_{kind}_{digest}"


_MISSING = object()


def _extract(data: Any, keys: list[str]) -> Any:
    """PocketBase's ``extractNestedVal``: maps by key, lists by index; _MISSING if absent."""
    current = data
    for key in keys:
        if isinstance(current, Mapping):
            if key not in current:
                return _MISSING
            current = current[key]
        elif isinstance(current, list | tuple):
            try:
                idx = int(key)
            except ValueError:
                return _MISSING
            if idx < 0 or idx >= len(current):
                return _MISSING
            current = current[idx]
        else:
            return _MISSING
    return current


def _parse_go_float(text: str) -> float | None:
    """``strconv.ParseFloat``: no surrounding spaces, no digit separators."""
    if text != text.strip() or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


_CTE_SHAPES: dict[tuple[int, str, int], tuple[Collection, str, tuple[str, ...]]] = {}


def _cte_shape(c: Collection, alias: str, d: SqliteDialect, keep: bool) -> tuple[str, tuple[str, ...]]:
    """The create rule's CTE text and its param names: the values alone change per request.
    ``keep``: ``c`` is the registry's object, which a schema change replaces rather than
    mutates (a migration's uncommitted collection may change in place: never kept)."""
    key = (id(c), alias, id(d))
    found = _CTE_SHAPES.get(key)
    if found is not None and found[0] is c and keep:
        return found[1], found[2]
    names = tuple(CREATE_ALIAS_SUFFIX + _columnify(f.name) for f in c.fields)
    selects = [f"{d.param(n)} AS {d.q(_columnify(f.name))}" for f, n in zip(c.fields, names, strict=True)]
    text = f"WITH {d.q(alias)} AS (SELECT {', '.join(selects)})"
    if keep:
        if len(_CTE_SHAPES) >= 1024:
            _CTE_SHAPES.clear()
        _CTE_SHAPES[key] = (c, text, names)
    return text, names


class RecordFieldResolver:
    """Resolve filter identifiers of ``base`` records (see the module docstring).

    ``lookup(id_or_name)`` finds other collections; ``table_alias`` is the alias
    the base table has in the query (default: the collection name, or the create
    CTE name when ``record`` is given); ``record`` switches to create-rule mode.
    """

    def __init__(
        self,
        lookup: Lookup,
        base: Collection,
        request: RequestInfo | None,
        dialect: SqliteDialect,
        *,
        allow_hidden: bool,
        table_alias: str | None = None,
        record: Mapping[str, Any] | None = None,
        _alias_suffix: str = "",
    ) -> None:
        self.lookup = lookup
        self.base = base
        self.request = request
        self.d = dialect
        self.allow_hidden = allow_hidden
        self.record = record
        self.is_create = record is not None
        # the base as PocketBase sees it: a renamed dummy collection for create rules
        self._base_name = base.name + CREATE_ALIAS_SUFFIX if self.is_create else base.name
        self._base_id = base.id + CREATE_ALIAS_SUFFIX if self.is_create else base.id
        self.table_alias = table_alias or _columnify(self._base_name)
        # the table multi-match subqueries read the base rows from (the CTE on create)
        self.source_table = self.table_alias if self.is_create else base.name
        self.alias_suffix = _alias_suffix
        self._rule_joins: dict[str, Collection] = {}
        self._static_info: dict[str, Any] | None = None  # made on the first static @request.* path

    # -- public API -------------------------------------------------------------------

    def resolve(self, identifier: str) -> ResolverResult:
        name = identifier
        if name.startswith("@request.data."):  # Satchel extension: v0.22 alias of body
            name = "@request.body." + name[len("@request.data.") :]
        if not any(p.match(name) for p in _ALLOWED_FIELDS):
            raise ResolveError(f'failed to resolve field "{identifier}"')
        if not self.allow_hidden and name.startswith(_SUPERUSER_ONLY):
            marker = _SUPERUSER_ONLY[0] if name.startswith(_SUPERUSER_ONLY[0]) else _SUPERUSER_ONLY[1]
            raise ResolveError(f"Only superusers can filter by {marker}")
        return _Runner(self, name).run()

    def list_rule_constraints(self, *, now: datetime | None = None, param_prefix: str = "lr") -> Sql:
        """Client mode: the listRules of the collections joined so far, to AND at the top
        level (``(alias.id = '' OR alias.id IS NULL OR (<listRule>))`` each, with joins).
        Empty ``Sql`` in rule mode or when nothing was joined."""
        parts: list[str] = []
        params: dict[str, Any] = {}
        joins: dict[str, Join] = {}
        if self.allow_hidden:
            return Sql("")
        for i, (alias, c) in enumerate(self._rule_joins.items()):
            if not c.listRule:
                continue
            sub = RecordFieldResolver(
                self.lookup, c, self.request, self.d, allow_hidden=True, table_alias=alias,
                _alias_suffix=f"_lr{i}",
            )  # fmt: skip
            where = build_where(
                parse("id='' || (\n" + c.listRule + "\n)"),
                sub,
                self.d,
                now=now,
                param_prefix=f"{param_prefix}{i}_",
            )
            parts.append(where.text)
            params.update(where.params)
            for j in where.joins:
                joins.setdefault(j.alias, j)
        return Sql(" AND ".join(self.d.enclose(p) for p in parts), params, tuple(joins.values()))

    def with_clause(self) -> Sql | None:
        """Create mode: ``WITH `<cte>` AS (SELECT :v AS `col`, ...)`` holding the would-be record."""
        if self.record is None:
            return None
        text, names = _cte_shape(self.base, self.table_alias, self.d, self.lookup(self.base.id) is self.base)
        params: dict[str, Any] = {}
        is_auth = self.base.is_auth
        record = self.record
        for f, name in zip(self.base.fields, names, strict=True):
            value = record.get(f.name, _MISSING)
            if value is _MISSING:
                value = f.zero_value()
            if f.name == "id" and not value:
                value = TEMP_ID
            if is_auth and f.name == "verified":
                value = False
            params[name] = f.to_db(value)
        return Sql(text, params)

    # -- helpers used by the runner ---------------------------------------------------

    def load(self, id_or_name: str) -> Collection | None:
        if id_or_name in (self._base_name, self._base_id):
            return self.base
        found = self.lookup(id_or_name)
        if found is None and self.is_create and id_or_name in (self.base.name, self.base.id):
            return self.base  # the real table (the CTE is a different "collection")
        return found

    def join(self, c: Collection | None, table: str, alias: str, on: str | None = None,
             params: Mapping[str, Any] | None = None) -> Join:  # fmt: skip
        """PocketBase's ``registerJoin`` (client mode: listRule checks of joined collections)."""
        if not self.allow_hidden and c is not None:
            if c.listRule is None:
                raise ResolveError(
                    f'"{c.name}" fields can be accessed only when allowHiddenFields is enabled or by superusers'
                )
            self._rule_joins[alias] = c
        return Join(table, alias, on, dict(params or {}))

    def _static_request_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {}
        req = self.request
        if req is None:
            return info
        info["context"] = req.context
        info["method"] = req.method
        info["query"] = dict(req.query)
        info["headers"] = {normalize_header_name(k): v for k, v in req.headers.items()}
        info["body"] = dict(req.body)
        auth: dict[str, Any] | None = None
        if req.auth is not None:
            auth = dict(req.auth)
            c = self.auth_collection()
            if c is not None:
                auth.setdefault("collectionId", c.id)
                auth.setdefault("collectionName", c.name)
        info["auth"] = auth
        return info

    def auth_collection(self) -> Collection | None:
        req = self.request
        if req is None or req.auth is None:
            return None
        if req.auth_collection is not None:
            return req.auth_collection
        ref = req.auth.get("collectionId") or req.auth.get("collectionName")
        return self.lookup(str(ref)) if ref else None

    def static_request_field(self, path: list[str]) -> ResolverResult:
        """A literal from the request (``resolveStaticRequestField``)."""
        last, modifier = _split_modifier(path[-1])
        keys = [*path[:-1], last]
        if self._static_info is None:
            self._static_info = self._static_request_info()
        value = _extract(self._static_info, keys)
        if modifier == "isset":
            return ResolverResult(self.d.bool_literal(value is not _MISSING))
        if value is _MISSING:
            value = None
        if isinstance(value, str):
            f = self.base.field(last)
            if f is not None and f.type == "number":
                number = _parse_go_float(value)
                if number is not None:
                    value = number
        elif value is not None and not isinstance(value, bool | int | float):
            value = _json_text(value) if isinstance(value, list | tuple | Mapping) else str(value)
        if modifier not in ("", "lower"):
            raise ResolveError(f"invalid modifier sequence {last}:{modifier}")
        if value is None:
            return ResolverResult(self.d.null())
        if modifier == "lower":
            name = _param_name("lower", value)
            return ResolverResult(self.d.lower(self.d.param(name)), {name: value})
        return ResolverResult.literal(value)


class _Runner:
    """One identifier's resolution (PocketBase's ``runner``): walks the dot path,
    collecting the main-query joins and the multi-match subquery in parallel."""

    def __init__(self, resolver: RecordFieldResolver, name: str) -> None:
        self.r = resolver
        self.d = resolver.d
        self.name = name
        self.props = name.split(".")
        self.active: Collection = resolver.base
        self.alias = resolver.table_alias
        self.nullify = self.props[0] == "@request"
        self.joins: list[Join] = []
        self.multi = False
        self.mm_table = resolver.source_table
        # still on the base record of a create rule (PocketBase's renamed dummy collection)
        self.on_dummy = resolver.is_create
        self.mm_from = "__mm_" + self.alias
        self.mm_alias = self.mm_from
        self.mm_joins: list[Join] = []
        self.mm_params: dict[str, Any] = {}

    # -- entry ----------------------------------------------------------------------

    def run(self) -> ResolverResult:
        props = self.props
        if props[0] == "@collection":
            return self.collection_field()
        if props[0] == "@request":
            if self.r.request is None:
                return self.null()
            if self.name.startswith("@request.auth."):
                return self.auth_field()
            if self.name.startswith("@request.body.") and len(props) > 2:
                result = self.body_field()
                if result is not None:
                    return result
            return self.r.static_request_field(props[1:])
        return self.active_props()

    def body_field(self) -> ResolverResult | None:
        name, modifier = _split_modifier(self.props[2])
        f = self.r.base.field(name)
        if f is None:
            return None
        if f.type == "relation" and len(self.props) > 3:
            return self.body_relation(f)
        if len(self.props) == 3:
            if modifier == "each":
                return self.body_each(f)
            if modifier == "length":
                self.require_multi_valuer(f)
                return ResolverResult(str(len(_to_slice(self.body().get(f.name)))))
            if modifier == "lower":
                value = _cast_text(self.body().get(f.name))
                pname = _param_name("lower", value)
                return ResolverResult(self.d.lower(self.d.param(pname)), {pname: value})
            if modifier == "changed":
                return self.body_changed(f)
        return None

    # -- results --------------------------------------------------------------------

    def null(self) -> ResolverResult:
        return ResolverResult(self.d.null())

    def result(self, sql: str, mm_value: str | None, **kwargs: Any) -> ResolverResult:
        multi = None
        if self.multi and mm_value is not None:
            source = self.d.multi_match_source(self.mm_table, self.mm_from, self.mm_joins, self.r.table_alias)
            multi = MultiMatch(mm_value, source, dict(self.mm_params))
        return ResolverResult(sql, joins=tuple(self.joins), multi_match=multi, **kwargs)

    def add_join(self, c: Collection | None, table: str, alias: str, on: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        self.joins.append(self.r.join(c, table, alias, on, params))

    def add_mm_join(self, table: str, alias: str, on: str | None = None,
                    params: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        self.mm_joins.append(Join(table, alias, on))
        self.mm_params.update(params or {})

    def body(self) -> Mapping[str, Any]:
        req = self.r.request
        return req.body if req is not None else {}

    @staticmethod
    def require_multi_valuer(f: Field) -> None:
        if f.type not in _MULTI_VALUERS:
            raise ResolveError(f'field "{f.name}" doesn\'t support multivalue operations')

    # -- @collection / @request -------------------------------------------------------

    def collection_field(self) -> ResolverResult:
        if len(self.props) < 3:
            raise ResolveError(f'invalid @collection field path in "{self.name}"')
        ref, _, alias_name = self.props[1].partition(":")
        c = self.r.load(ref)
        if c is None:
            raise ResolveError(f'failed to load collection "{self.props[1]}" from field path "{self.name}"')
        self.active, self.on_dummy = c, False
        prefix = "__collection_alias_" + alias_name if alias_name else "__collection_" + c.name
        self.alias = _columnify(prefix) + self.r.alias_suffix
        self.multi = True
        self.add_join(c, self.d.q(c.name), self.alias)
        self.mm_alias = "__mm_" + self.alias
        self.add_mm_join(self.d.q(c.name), self.mm_alias)
        self.props = self.props[2:]
        return self.active_props()

    def auth_field(self) -> ResolverResult:
        req = self.r.request
        c = self.r.auth_collection()
        if req is None or req.auth is None or c is None:
            return self.null()
        if self.props[2] in _PLAIN_AUTH_FIELDS and len(self.props) == 3:
            return self.r.static_request_field(self.props[1:])
        auth_id = req.auth.get("id", "")
        self.active, self.on_dummy = c, False
        self.alias = "__auth_" + _columnify(c.name) + self.r.alias_suffix
        pname = _param_name("auth", auth_id)
        on = f"{self.d.column(self.alias, 'id')} = {self.d.param(pname)}"
        self.add_join(c, self.d.q(c.name), self.alias, on, {pname: auth_id})
        self.mm_alias = "__mm_" + self.alias
        mm_on = f"{self.d.column(self.mm_alias, 'id')} = {self.d.param(pname)}"
        self.add_mm_join(self.d.q(c.name), self.mm_alias, mm_on, {pname: auth_id})
        self.props = self.props[2:]
        return self.active_props()

    def body_each(self, f: Field) -> ResolverResult:
        self.require_multi_valuer(f)
        raw = _json_text(_to_slice(self.body().get(f.name)))
        pname = _param_name("each", raw)
        alias = "__dataEach_je_" + _columnify(f.name) + self.r.alias_suffix
        self.add_join(None, self.d.json_each_array(self.d.param(pname)), alias, None, {pname: raw})
        if f.is_multiple:
            self.multi = True
        mm_value = None
        if self.multi:
            mm_alias = "__mm_" + alias
            self.add_mm_join(self.d.json_each_array(self.d.param(pname)), mm_alias, None, {pname: raw})
            mm_value = self.d.json_each_value(mm_alias)
        return self.result(self.d.json_each_value(alias), mm_value)

    def body_changed(self, f: Field) -> ResolverResult:
        name = f.name
        prefix = f"chg_{_columnify(self.r.table_alias)}_{name}_"
        try:
            alias_expr = build_where(
                f"@request.body.{name}:isset = true && @request.body.{name} != {name}",
                self.r, self.d, param_prefix=prefix,
            )  # fmt: skip
        except FilterCompileError as exc:
            raise ResolveError(exc.message) from exc
        token = f"__changed_{prefix}_"

        def replace(expr: Sql) -> Sql:
            text = expr.text.replace(token, alias_expr.text)  # already "(a AND b)"
            return Sql(text, {**expr.params, **alias_expr.params}, expr.joins + alias_expr.joins)

        return ResolverResult(token, null_fallback=NullFallback.DISABLED, after_build=replace)

    def body_relation(self, f: Field) -> ResolverResult:
        c = self.r.load(str(getattr(f, "collectionId", "")))
        if c is None:
            raise ResolveError(
                f'failed to load collection "{getattr(f, "collectionId", "")}" from data field "{f.name}"'
            )
        ids = to_unique_string_slice(self.body().get(f.name)) if self.body() else []
        if not ids:
            return self.null()
        self.active, self.on_dummy = c, False
        self.alias = _columnify(f"__data_{c.name}_{f.name}") + self.r.alias_suffix
        params = {_param_name(f"id{i}", v): v for i, v in enumerate(ids)}
        in_list = ", ".join(self.d.param(p) for p in params)
        self.add_join(
            c, self.d.q(c.name), self.alias, f"{self.d.column(self.alias, 'id')} IN ({in_list})", params
        )
        if f.is_multiple:
            self.multi = True
        self.mm_alias = "__mm_" + self.alias
        self.add_mm_join(
            self.d.q(c.name), self.mm_alias, f"{self.d.column(self.mm_alias, 'id')} IN ({in_list})", params
        )
        self.props = self.props[3:]
        return self.active_props()

    # -- field paths ----------------------------------------------------------------

    def missing(self, message: str) -> ResolverResult:
        if self.nullify:
            return self.null()
        raise ResolveError(message)

    def active_props(self) -> ResolverResult:
        total = len(self.props)
        for i, prop in enumerate(self.props):
            collection = self.active
            if i == total - 1:
                return self.last_prop(collection, prop)
            f = collection.field(prop)
            if f is not None and f.hidden and not self.r.allow_hidden:
                raise ResolveError(f'non-filterable field "{prop}"')
            if f is not None and f.type in _JSON_LIKE:
                return self.json_path(prop, self.props[i + 1 :])
            if i >= MAX_NESTED_RELS:
                raise ResolveError(f'max nested relations reached for field "{prop}"')
            if f is None:
                missing = self.back_relation(collection, prop)
                if missing is not None:
                    return missing
                continue
            if f.type != "relation":
                raise ResolveError(f'field "{prop}" is not a valid relation')
            target = self.r.load(str(getattr(f, "collectionId", "")))
            if target is None:
                raise ResolveError(f'failed to load field "{prop}" collection')
            if not f.is_multiple and i == total - 2 and self.props[i + 1] == "id":
                return self.last_prop(collection, f.name)
            self.relation(f, target)
        raise ResolveError(f'failed to resolve field "{self.name}"')

    def json_path(self, prop: str, rest: list[str]) -> ResolverResult:
        segments = [_columnify(p) for p in rest]
        col = _columnify(prop)
        sql = self.d.json_extract(self.d.column(self.alias, col), segments)
        mm_value = self.d.json_extract(self.d.column(self.mm_alias, col), segments)
        return self.result(sql, mm_value, null_fallback=NullFallback.DISABLED)

    def relation(self, f: Field, target: Collection) -> None:
        d = self.d
        col = _columnify(f.name)
        new_alias = f"{self.alias}_{col}{self.r.alias_suffix}"
        if not f.is_multiple:
            on = f"{d.column(new_alias, 'id')} = {d.column(self.alias, col)}"
            self.add_join(target, d.q(target.name), new_alias, on)
        else:
            je = "__je_" + new_alias
            self.add_join(None, d.json_each(d.column(self.alias, col)), je)
            self.add_join(
                target, d.q(target.name), new_alias, f"{d.column(new_alias, 'id')} = {d.json_each_value(je)}"
            )
            self.multi = True
        mm_new = f"{self.mm_alias}_{col}"
        if not f.is_multiple:
            self.add_mm_join(
                d.q(target.name), mm_new, f"{d.column(mm_new, 'id')} = {d.column(self.mm_alias, col)}"
            )
        else:
            mm_je = f"{self.mm_alias}_{col}_je"
            self.add_mm_join(d.json_each(d.column(self.mm_alias, col)), mm_je)
            self.add_mm_join(
                d.q(target.name), mm_new, f"{d.column(mm_new, 'id')} = {d.json_each_value(mm_je)}"
            )
        self.active, self.alias, self.mm_alias, self.on_dummy = target, new_alias, mm_new, False

    def back_relation(self, collection: Collection, prop: str) -> ResolverResult | None:
        """Join ``<coll>_via_<field>``; returns NULL/raises when it can't (None = joined)."""
        m = _VIA.match(prop)
        if m is None:
            return self.missing(f'failed to resolve field "{prop}"')
        back_c = self.r.load(m[1])
        if back_c is None:
            return self.missing(f'failed to load back relation field "{prop}" collection')
        back_f = back_c.field(m[2])
        if back_f is None:
            return self.missing(f'missing back relation field "{m[2]}"')
        if back_f.type != "relation":
            return self.missing(f'invalid back relation field "{m[2]}"')
        if back_f.hidden and not self.r.allow_hidden:
            raise ResolveError(f'non-filterable back relation field "{back_f.name}"')
        expected = collection.id + CREATE_ALIAS_SUFFIX if self.on_dummy else collection.id
        if getattr(back_f, "collectionId", "") != expected:
            return self.missing(f'invalid collection reference of a back relation field "{back_f.name}"')
        d = self.d
        clean, field_col = _columnify(prop), _columnify(back_f.name)
        new_alias = f"{self.alias}_{clean}{self.r.alias_suffix}"
        mm_new = f"{self.mm_alias}_{clean}{self.r.alias_suffix}"
        multiple = back_f.is_multiple
        if not multiple:
            on = f"{d.column(new_alias, field_col)} = {d.column(self.alias, 'id')}"
            mm_on = f"{d.column(mm_new, field_col)} = {d.column(self.mm_alias, 'id')}"
        else:
            je, mm_je = "__je_" + new_alias, "__je_" + mm_new
            on = (
                f"{d.column(self.alias, 'id')} IN (SELECT {d.json_each_value(je)} "
                f"FROM {d.json_each(d.column(new_alias, field_col))} {d.q(je)})"
            )
            mm_on = (
                f"{d.column(self.mm_alias, 'id')} IN (SELECT {d.json_each_value(mm_je)} "
                f"FROM {d.json_each(d.column(mm_new, field_col))} {d.q(mm_je)})"
            )
        self.add_join(back_c, d.q(back_c.name), new_alias, on)
        if multiple:
            self.multi = True
        elif not self.multi:
            self.multi = not has_single_column_unique_index(back_c.indexes, back_f.name)
        self.add_mm_join(d.q(back_c.name), mm_new, mm_on)
        self.active, self.alias, self.mm_alias, self.on_dummy = back_c, new_alias, mm_new, False
        return None

    def last_prop(self, collection: Collection, prop: str) -> ResolverResult:
        name, modifier = _split_modifier(prop)
        f = collection.field(name)
        if f is None:
            return self.missing(f'unknown field "{name}"')
        if f.hidden and not self.r.allow_hidden:
            raise ResolveError(f'non-filterable field "{name}"')
        d = self.d
        col = _columnify(f.name)
        multi_valuer = f.type in _MULTI_VALUERS
        if modifier == "length" and multi_valuer:
            return self.result(
                d.json_array_length(d.column(self.alias, col)),
                d.json_array_length(d.column(self.mm_alias, col)),
            )
        if modifier == "each" and multi_valuer:
            je = f"__je_{self.alias}_{col}{self.r.alias_suffix}"
            self.add_join(None, d.json_each(d.column(self.alias, col)), je)
            if f.is_multiple:
                self.multi = True
            mm_value = None
            if self.multi:
                mm_je = f"__je_{self.mm_alias}_{col}{self.r.alias_suffix}"
                self.add_mm_join(d.json_each(d.column(self.mm_alias, col)), mm_je)
                mm_value = d.json_each_value(mm_je)
            return self.result(d.json_each_value(je), mm_value)

        sql, mm_value = d.column(self.alias, col), d.column(self.mm_alias, col)
        fallback = NullFallback.AUTO
        if f.type == "json":
            fallback = NullFallback.DISABLED
            sql, mm_value = d.json_extract(sql, []), d.json_extract(mm_value, [])
        if modifier == "lower":
            sql, mm_value = d.lower(sql), d.lower(mm_value)
        after = None
        if f.name == "email" and not self.r.allow_hidden and collection.is_auth:
            visibility = d.column(self.alias, "emailVisibility")

            def after_build(expr: Sql) -> Sql:
                return Sql(d.and_([d.enclose(expr.text), d.is_true(visibility)]))

            after = after_build
        return self.result(sql, mm_value, null_fallback=fallback, after_build=after)


def rule_exists_query(
    rule: str | Expr,
    resolver: RecordFieldResolver,
    *,
    record_id: str | None = None,
    now: datetime | None = None,
    param_prefix: str = "r",
    where: Sql | None = None,
) -> Sql:
    """One statement that returns a row iff the rule allows the action (``where``: the
    rule already compiled with ``resolver`` and ``param_prefix``, e.g. from a cache).

    Create mode (``resolver`` built with ``record=``): ``WITH cte AS (...) SELECT 1
    FROM cte <joins> WHERE <rule> LIMIT 1``.  Otherwise the stored record
    ``record_id`` is checked: ``SELECT 1 FROM t <joins> WHERE t.id = :id AND (<rule>)
    LIMIT 1``.  An empty rule only checks the row exists.
    """
    d = resolver.d
    alias = resolver.table_alias
    conditions: list[str] = []
    params: dict[str, Any] = {}
    joins: tuple[Join, ...] = ()
    if record_id is not None and not resolver.is_create:
        pname = f"{param_prefix}_record_id"
        conditions.append(f"{d.column(alias, 'id')} = {d.param(pname)}")
        params[pname] = record_id
    if not isinstance(rule, str) or rule.strip():
        if where is None:
            where = build_where(rule, resolver, d, now=now, param_prefix=param_prefix)
        conditions.append(d.enclose(where.text))
        params.update(where.params)
        joins = where.joins
    prefix = ""
    source = d.q(alias) if resolver.is_create else f"{d.q(resolver.base.name)} {d.q(alias)}"
    if resolver.is_create:
        cte = resolver.with_clause()
        assert cte is not None
        prefix = cte.text + " "
        params.update(cte.params)
    text = f"{prefix}SELECT 1 FROM {source}"
    if joins:
        text += " " + d.joins_clause(joins)
    if conditions:
        text += " WHERE " + d.and_(conditions)
    return Sql(text + " LIMIT 1", params)
