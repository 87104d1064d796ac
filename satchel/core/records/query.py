"""Reading records with API rules: list, view, fetch-with-rule, and presenting them.

* :func:`list_records_sync` -- one page (one statement) plus the COUNT unless
  ``skipTotal``: ``SELECT [DISTINCT] t.* FROM t <joins> WHERE (<listRule>) AND
  (<filter>) AND (<listRules of joined collections>) ORDER BY ... LIMIT ... OFFSET ...``.
* :func:`fetch_with_rule_sync` -- ``WHERE t.id = :id AND (<rule>)`` (view, update,
  delete, and the manageRule checks).
* :class:`Presenter` -- internal records -> what the requester may see: hidden
  fields for superusers only, never ``password``/``tokenKey`` of auth records,
  ``email`` per ``emailVisibility``/owner/superuser/manageRule (one query per
  collection for the manageRule), recursively through ``expand``.

Everything is synchronous code of one connection (a reader, or the writer inside
a write transaction) so callers decide where it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import apsw
import orjson

from satchel.core.collections.model import Collection
from satchel.core.records.codec import codec_for
from satchel.core.records.field_rules import dropped_by_views
from satchel.core.records.hooks import enrich
from satchel.core.records.resolver import RecordFieldResolver, RequestInfo, superuser_only_filter_error
from satchel.core.records.rule_cache import RuleCache, rule_shape
from satchel.core.records.sql import merge_joins, select_by_ids, select_count, select_page
from satchel.errors import BadRequestError, ForbiddenError
from satchel.store.dialect import SqliteDialect
from satchel.tools.search import ListParams, Sql, build_order_by, build_where

if TYPE_CHECKING:
    from satchel.app import App
    from satchel.core.files.storage import FileService
    from satchel.core.hook_events import AppHooks

__all__ = [
    "StoredRow",
    "decode_row",
    "fetch_row_sync",
    "ONLY_SUPERUSERS",
    "SUPERUSERS",
    "Presenter",
    "RecordEnv",
    "compile_rule",
    "fetch_by_ids_sync",
    "fetch_with_rule_sync",
    "is_superuser",
    "list_records_sync",
    "rows_to_records",
]

SUPERUSERS = "_superusers"
ONLY_SUPERUSERS = "Only superusers can perform this action."
NEVER_RETURNED = ("password", "tokenKey")

Lookup = Callable[[str], Collection | None]
StoredRow = tuple[Sequence[tuple[str, ...]], Sequence[Any]]  # the cursor's description, the values as stored
Publisher = Callable[[str, Collection, Mapping[str, Any]], None]


def _no_publish(action: str, c: Collection, record: Mapping[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class RecordEnv:
    """What record code needs from the App: collection lookups, the dialect and the
    realtime seam (``publish(action, collection, record)`` after commit), and the
    files service (uploads stored, dropped files deleted after commit)."""

    lookup: Lookup
    dialect: SqliteDialect
    collections: Callable[[], Iterable[Collection]] = tuple
    publish: Publisher = _no_publish
    files: FileService | None = None
    hooks: AppHooks | None = None
    rules: RuleCache | None = None  # compiled rules of ``lookup``'s collections

    @classmethod
    def from_app(cls, app: App) -> RecordEnv:
        """The App's env, made once: it holds only App-wide services (and the App's
        rule cache), so every request shares it."""
        env: RecordEnv | None = app.state.get("record_env")
        if env is not None and env.files is app.files and env.hooks is app.hooks:
            return env
        from satchel.core.records import events as record_events

        def publish(action: str, c: Collection, record: Mapping[str, Any]) -> None:
            record_events.publish(app, action, c, record)

        registry = app.registry
        env = cls(registry.get, app.dialect, registry.all, publish, app.files, app.hooks,
                  RuleCache(lambda: registry.version))
        app.state["record_env"] = env
        return env


def is_superuser(info: RequestInfo | None) -> bool:
    return info is not None and info.auth is not None and info.auth_collection is not None and (
        info.auth_collection.name == SUPERUSERS
    )


def _now() -> datetime:
    return datetime.now(UTC)


def rows_to_records(c: Collection, cursor: apsw.Cursor) -> list[dict[str, Any]]:
    try:
        names = [d[0] for d in cursor.getdescription()]
    except apsw.ExecutionCompleteError:  # no row at all
        return []
    return codec_for(c).decode_many(names, cursor.fetchall())


def compile_rule(
    env: RecordEnv,
    c: Collection,
    rule: str,
    info: RequestInfo | None,
    *,
    prefix: str,
    now: datetime | None = None,
    table_alias: str | None = None,
) -> Sql:
    """A rule (rule mode: hidden fields allowed) as a WHERE fragment; bad rules -> 400.

    Kept in the env's rule cache when ``c`` is the registry's current collection and the
    rule reads nothing that changes per request (see :mod:`satchel.core.records.rule_cache`)."""

    def compile_() -> Sql:
        resolver = RecordFieldResolver(env.lookup, c, info, env.dialect, allow_hidden=True, table_alias=table_alias)
        try:
            return build_where(rule, resolver, env.dialect, now=now or _now(), param_prefix=prefix)
        except ValueError as exc:
            raise BadRequestError() from exc

    cache = env.rules
    if cache is None or env.lookup(c.id) is not c:
        return compile_()
    return cache.get_or_compile((c.id, rule, prefix, table_alias), rule_shape(rule), info, compile_)


# -- list ---------------------------------------------------------------------------


def list_records_sync(
    conn: apsw.Connection, env: RecordEnv, c: Collection, params: ListParams, info: RequestInfo
) -> tuple[list[dict[str, Any]], int]:
    """One page of internal records and the total (-1 with ``skip_total``)."""
    su = is_superuser(info)
    if not su and c.listRule is None:
        raise ForbiddenError(ONLY_SUPERUSERS)
    if not su:
        message = superuser_only_filter_error(params.filter, ",".join(s.name for s in params.sort))
        if message:
            raise ForbiddenError(message)
    d = env.dialect
    now = _now()
    parts: list[Sql] = []
    conditions: list[str] = []
    if not su and c.listRule and c.listRule.strip():
        rule = compile_rule(env, c, c.listRule, info, prefix="lrule", now=now)
        parts.append(rule)
        conditions.append(rule.text)
    client = RecordFieldResolver(env.lookup, c, info, d, allow_hidden=su)
    try:
        if params.filter.strip():
            where = build_where(params.filter, client, d, now=now, param_prefix="f")
            parts.append(where)
            conditions.append(where.text)
        order = build_order_by(params.sort, client, d, rowid_alias=c.name) if params.sort else Sql("")
        parts.append(order)
        if not su:
            constraints = client.list_rule_constraints(now=now)
            if constraints.text:
                parts.append(constraints)
                conditions.append(constraints.text)
    except ValueError as exc:
        raise BadRequestError() from exc
    joins, sql_params = merge_joins(*parts)
    page_sql = select_page(d, c.name, joins, conditions, order.text, params.per_page, params.offset)

    try:
        records = rows_to_records(c, conn.cursor().execute(page_sql, sql_params))
        total = -1
        if not params.skip_total:
            count_sql = select_count(d, c.name, joins, conditions, is_view=c.is_view)
            row = conn.execute(count_sql, sql_params).fetchone()
            total = int(row[0]) if row else 0
    except apsw.SQLError as exc:
        raise BadRequestError() from exc
    return records, total


# -- single records -----------------------------------------------------------------


def fetch_with_rule_sync(
    conn: apsw.Connection,
    env: RecordEnv,
    c: Collection,
    record_id: str,
    info: RequestInfo | None,
    rule: str | None,
) -> dict[str, Any] | None:
    """The record ``record_id`` if it exists and ``rule`` allows it (``None`` = no rule
    to apply -- the caller has already decided; ``""`` = everybody)."""
    d = env.dialect
    id_param = "__record_id"
    conditions = [f"{d.column(c.name, 'id')} = {d.param(id_param)}"]
    parts: list[Sql] = []
    if rule is not None and rule.strip():
        where = compile_rule(env, c, rule, info, prefix="vrule")
        parts.append(where)
        conditions.append(where.text)
    joins, params = merge_joins(*parts)
    params[id_param] = record_id
    sql = select_page(d, c.name, joins, conditions, limit=1)
    try:
        found = rows_to_records(c, conn.cursor().execute(sql, params))
    except apsw.SQLError as exc:
        raise BadRequestError() from exc
    return found[0] if found else None


def fetch_row_sync(env: RecordEnv, c: Collection, record_id: str, conn: apsw.Connection) -> StoredRow | None:
    """The row of record ``record_id`` with no rule to apply (the caller has decided), by
    a statement built once per table, not decoded (:func:`decode_row` when needed): what a
    hooked update or delete reads before its hook, at a small part of
    :func:`fetch_with_rule_sync`'s cost.  The connection comes last, so that
    ``partial(fetch_row_sync, env, c, record_id)`` binds the rest by position (no keyword
    names to pass on every hooked request)."""
    cursor = conn.cursor().execute(_by_id_sql(env.dialect, c.name), {"__record_id": record_id})
    try:
        description = cursor.getdescription()
    except apsw.ExecutionCompleteError:  # no row
        return None
    row = cursor.fetchone()
    return None if row is None else (description, row)


def decode_row(c: Collection, stored: StoredRow) -> dict[str, Any]:
    """A row of :func:`fetch_row_sync` as the record dict the rest of the code takes."""
    return codec_for(c).decode_many([d[0] for d in stored[0]], [stored[1]])[0]


@lru_cache(maxsize=1024)
def _by_id_sql(d: SqliteDialect, table: str) -> str:
    return select_page(d, table, (), [f"{d.column(table, 'id')} = {d.param('__record_id')}"], limit=1)


def fetch_by_ids_sync(
    conn: apsw.Connection,
    env: RecordEnv,
    c: Collection,
    ids: Sequence[str],
    info: RequestInfo | None,
    rule: str | None,
    *,
    prefix: str = "irule",
) -> list[dict[str, Any]]:
    """Records among ``ids`` that ``rule`` allows (``None`` = no rule applied), in table order."""
    if not ids:
        return []
    d = env.dialect
    parts: list[Sql] = []
    extra: list[str] = []
    if rule is not None and rule.strip():
        where = compile_rule(env, c, rule, info, prefix=prefix)
        parts.append(where)
        extra.append(where.text)
    joins, params = merge_joins(*parts)
    params["__ids"] = orjson.dumps(list(dict.fromkeys(ids))).decode()
    sql = select_by_ids(d, c.name, joins, extra, "__ids")
    return rows_to_records(c, conn.cursor().execute(sql, params))


# -- presentation ---------------------------------------------------------------------


@dataclass
class _Shape:
    """What to drop from records of one collection for one kind of requester."""

    drop: tuple[str, ...]
    blank: tuple[str, ...]  # password fields of non-auth collections: always ""
    views_top: tuple[str, ...] = ()  # field ``views`` (spec 14 §8) of the response's own records
    views_nested: tuple[str, ...] = ()  # ... and of expanded records
    hide_email: bool = False  # an auth collection seen by a non-superuser: per emailVisibility


def _shape(c: Collection, su: bool, context: str | None = None) -> _Shape:
    drop: list[str] = []
    blank: list[str] = []
    for f in c.fields:
        if (c.is_auth and f.name in NEVER_RETURNED) or (f.hidden and not su):
            drop.append(f.name)
        elif f.type == "password":
            blank.append(f.name)
    top, nested = dropped_by_views(c, context, superuser=su), dropped_by_views(c, None, superuser=su)
    return _Shape(tuple(drop), tuple(blank), top, nested)


@dataclass
class Presenter:
    """Internal records -> public JSON for one requester (see the module docstring).

    ``email_allowed`` forces the email of specific records (auth responses).
    ``context`` is the response kind for field ``views`` (spec 14 §8): ``"list"``,
    ``"view"`` or ``None`` (anything else); expanded records are always ``None``.
    """

    env: RecordEnv
    conn: apsw.Connection
    info: RequestInfo | None
    email_allowed: set[tuple[str, str]] = field(default_factory=set)
    context: str | None = None
    _shapes: dict[str, _Shape] = field(default_factory=dict)
    _enrich: bool = False  # on_record_enrich has handlers: read once per present()

    @property
    def superuser(self) -> bool:
        return is_superuser(self.info)

    def present(self, c: Collection, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self._resolve_email_access(c, records)
        hooks = self.env.hooks
        self._enrich = hooks is not None and bool(hooks.on_record_enrich.handlers)
        one = self._one
        return [one(c, r) for r in records]

    def present_one(self, c: Collection, record: dict[str, Any]) -> dict[str, Any]:
        return self.present(c, [record])[0]

    # -- internals

    def _shape_of(self, c: Collection) -> _Shape:
        shape = self._shapes.get(c.id)
        if shape is None:
            su = self.superuser
            shape = self._shapes[c.id] = _shape(c, su, self.context)
            shape.hide_email = c.is_auth and not su
        return shape

    def _one(self, c: Collection, record: Mapping[str, Any], *, top: bool = True) -> dict[str, Any]:
        shape = self._shape_of(c)
        out = dict(record)
        for name in shape.drop:
            out.pop(name, None)
        for name in shape.views_top if top else shape.views_nested:
            out.pop(name, None)
        for name in shape.blank:
            if name in out:
                out[name] = ""
        if shape.hide_email and not out.get("emailVisibility") and (
            (c.id, str(record.get("id", ""))) not in self.email_allowed
        ):
            out.pop("email", None)
        expand = record.get("expand")
        if isinstance(expand, dict):
            out["expand"] = {key: self._expanded(value) for key, value in expand.items()}
        if self._enrich and self.env.hooks is not None:
            out = enrich(self.env.hooks, c, record, out, self.info)
        return out

    def _expanded(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._expanded(v) for v in value]
        if isinstance(value, dict):
            c = self.env.lookup(str(value.get("collectionId", "")))
            return self._one(c, value, top=False) if c is not None else value
        return value

    def _walk(self, c: Collection, records: Iterable[Mapping[str, Any]], out: dict[str, tuple[Collection, list[str]]]) -> None:
        for r in records:
            if c.is_auth and not r.get("emailVisibility"):
                out.setdefault(c.id, (c, []))[1].append(str(r.get("id", "")))
            expand = r.get("expand")
            if not isinstance(expand, dict):
                continue
            for value in expand.values():
                items = value if isinstance(value, list) else [value]
                for item in items:
                    if isinstance(item, dict):
                        sub = self.env.lookup(str(item.get("collectionId", "")))
                        if sub is not None:
                            self._walk(sub, [item], out)

    def _resolve_email_access(self, c: Collection, records: list[dict[str, Any]]) -> None:
        """Owner and manageRule access to hidden emails (one query per auth collection)."""
        if self.superuser:
            return
        pending: dict[str, tuple[Collection, list[str]]] = {}
        self._walk(c, records, pending)
        if not pending:
            return
        info = self.info
        auth = info.auth if info is not None else None
        auth_c = info.auth_collection if info is not None else None
        for cid, (coll, ids) in pending.items():
            if auth is None:
                continue
            if auth_c is not None and auth_c.id == cid and str(auth.get("id", "")) in ids:
                self.email_allowed.add((cid, str(auth.get("id", ""))))
            manage = coll.rule("manageRule")
            if not manage or not manage.strip():
                continue
            rest = [i for i in ids if (cid, i) not in self.email_allowed]
            if not rest:
                continue
            try:
                allowed = fetch_by_ids_sync(self.conn, self.env, coll, rest, info, manage, prefix="mrule")
            except BadRequestError:
                continue
            for r in allowed:
                self.email_allowed.add((cid, str(r["id"])))


def with_context(info: RequestInfo, context: str) -> RequestInfo:
    return replace(info, context=context)
