"""What one subscriber group may see of one record event (spec 05 §4).

Pure decisions plus synchronous SQL on a read connection, so a whole event's
checks run in one trip to a reader thread.  Rules and filters are evaluated
against the record values *carried by the event* (a one-row CTE standing in for
the base row), so a create is judged as it was created and a delete as the
record was before it went, whatever happened to the row since; relations,
back-relations and ``@collection.*`` read the real tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import apsw
import orjson

from satchel.core.collections.model import Collection
from satchel.core.realtime.subscriptions import SubscriptionOptions
from satchel.core.records.field_rules import dropped_by_views
from satchel.core.records.picking import pick_fields
from satchel.core.records.resolver import RecordFieldResolver, RequestInfo, superuser_only_filter_error
from satchel.core.records.rule_cache import RuleCache, rule_shape
from satchel.store.dialect import SqliteDialect
from satchel.tools.filter import FilterSyntaxError
from satchel.tools.search import (
    FilterCompileError,
    Join,
    ListParamsError,
    ResolveError,
    Sql,
    build_where,
    parse_fields,
)

__all__ = ["AuthView", "Expander", "Viewer", "encode_event", "needs_db", "rule_allows", "serialize"]

log = logging.getLogger("satchel.realtime")

Lookup = Callable[[str], Collection | None]
# (conn, collection, [record], expand paths, request info) -> None; fills record["expand"]
Expander = Callable[[apsw.Connection, Collection, list[dict[str, Any]], str, RequestInfo], None]

SUPERUSERS = "_superusers"
NEVER_RETURNED = ("password", "tokenKey")
_ROW_ALIAS = "__rt_row"


@dataclass(frozen=True, slots=True)
class AuthView:
    """The auth record of a subscriber as rules see it (API values, hidden fields included)."""

    record: Mapping[str, Any]
    collection: Collection

    @property
    def id(self) -> str:
        return str(self.record.get("id", ""))

    @property
    def is_superuser(self) -> bool:
        return self.collection.name == SUPERUSERS


@dataclass(frozen=True, slots=True)
class Viewer:
    """One subscriber group: who (``auth``, None = guest) with which options."""

    auth: AuthView | None
    options: SubscriptionOptions

    @property
    def is_superuser(self) -> bool:
        return self.auth is not None and self.auth.is_superuser

    def request_info(self) -> RequestInfo:
        return RequestInfo(
            auth=dict(self.auth.record) if self.auth else None,
            auth_collection=self.auth.collection if self.auth else None,
            query=dict(self.options.query),
            headers=dict(self.options.headers),
            method="GET",
            context="realtime",
        )


# -- decisions that need no database --------------------------------------------


def trivial_access(viewer: Viewer, rule: str | None) -> bool | None:
    """True/False when known without SQL (superuser, null or empty rule, no filter); else None."""
    if viewer.options.filter:
        if not viewer.is_superuser and superuser_only_filter_error(viewer.options.filter, None):
            return False
        return None
    if viewer.is_superuser:
        return True
    if rule is None:
        return False
    if not rule.strip():
        return True
    return None


def _email_needs_manage_check(c: Collection, record: Mapping[str, Any], viewer: Viewer) -> bool:
    if not c.is_auth or viewer.is_superuser or record.get("emailVisibility"):
        return False
    if viewer.auth is not None and viewer.auth.collection.id == c.id and viewer.auth.id == record.get("id"):
        return False
    manage = c.rule("manageRule")
    return manage is not None and bool(manage.strip())


def needs_db(c: Collection, record: Mapping[str, Any], viewer: Viewer, rule: str | None) -> bool:
    return (
        trivial_access(viewer, rule) is None
        or bool(viewer.options.expand)
        or _email_needs_manage_check(c, record, viewer)
    )


# -- SQL checks ---------------------------------------------------------------------


def _row_cte(c: Collection, record: Mapping[str, Any], d: SqliteDialect) -> tuple[str, dict[str, Any]]:
    """``WITH __rt_row AS (SELECT :v AS col, ...)`` holding the event's record values."""
    selects: list[str] = []
    params: dict[str, Any] = {}
    for i, f in enumerate(c.fields):
        value = record.get(f.name)
        if value is None:
            value = f.zero_value()
        name = f"__rt_v{i}"
        try:
            params[name] = f.to_db(value)
        except Exception:  # noqa: BLE001 - an odd carried value must not break delivery
            params[name] = None
        selects.append(f"{d.param(name)} AS {d.q(f.name)}")
    return f"WITH {d.q(_ROW_ALIAS)} AS (SELECT {', '.join(selects)})", params


def _exists(
    conn: apsw.Connection,
    c: Collection,
    record: Mapping[str, Any],
    d: SqliteDialect,
    conditions: list[tuple[str, Mapping[str, Any], tuple[Join, ...]]],
) -> bool:
    cte, params = _row_cte(c, record, d)
    joins: dict[str, Join] = {}
    wheres: list[str] = []
    for text, cond_params, cond_joins in conditions:
        if text:
            wheres.append(d.enclose(text))
        params.update(cond_params)
        for join in cond_joins:
            joins.setdefault(join.alias, join)
            params.update(join.params)
    sql = f"{cte} SELECT 1 FROM {d.q(_ROW_ALIAS)} {d.q(c.name)}"
    if joins:
        sql += " " + d.joins_clause(joins.values())
    if wheres:
        sql += " WHERE " + d.and_(wheres)
    return conn.execute(sql + " LIMIT 1", params).fetchone() is not None


def rule_allows(
    conn: apsw.Connection,
    lookup: Lookup,
    d: SqliteDialect,
    c: Collection,
    record: Mapping[str, Any],
    viewer: Viewer,
    rule: str | None,
    rules: RuleCache | None = None,
) -> bool:
    """PocketBase's ``realtimeCanAccessRecord``: the API rule, then the subscription filter.

    ``rules``: the App's compiled-rule cache, so an event checked for many subscribers
    compiles the rule once per request shape, not once per subscriber."""
    known = trivial_access(viewer, rule)
    if known is not None:
        return known
    request = viewer.request_info()
    try:
        if not viewer.is_superuser:
            if rule is None:
                return False
            if rule.strip():

                def compile_() -> Sql:
                    resolver = RecordFieldResolver(lookup, c, request, d, allow_hidden=True)
                    return build_where(rule, resolver, d, param_prefix="rr")

                if rules is not None and lookup(c.id) is c:
                    where = rules.get_or_compile(("realtime", c.id, rule), rule_shape(rule), request, compile_)
                else:
                    where = compile_()
                if not _exists(conn, c, record, d, [(where.text, where.params, where.joins)]):
                    return False
        filter_text = viewer.options.filter
        if not filter_text:
            return True
        client = RecordFieldResolver(lookup, c, request, d, allow_hidden=False)
        where = build_where(filter_text, client, d, param_prefix="rf")
        constraints = client.list_rule_constraints(param_prefix="rl")
        return _exists(
            conn,
            c,
            record,
            d,
            [(where.text, where.params, where.joins), (constraints.text, constraints.params, constraints.joins)],
        )
    except (FilterSyntaxError, FilterCompileError, ResolveError, apsw.Error) as exc:
        log.debug("realtime access check of %s/%s failed: %s", c.name, record.get("id"), exc)
        return False


# -- serialization ----------------------------------------------------------------------


def serialize(
    conn: apsw.Connection | None,
    lookup: Lookup,
    d: SqliteDialect,
    c: Collection,
    record: Mapping[str, Any],
    viewer: Viewer,
    expander: Expander | None = None,
) -> dict[str, Any]:
    """The record as this viewer receives it: hidden fields only for superusers, the email
    of auth records for the owner/superusers/managers, expand, then ``fields``."""
    owner = False
    if c.is_auth and viewer.auth is not None:
        owner = viewer.auth.collection.id == c.id and viewer.auth.id == record.get("id")
    if not owner and conn is not None and _email_needs_manage_check(c, record, viewer):
        owner = rule_allows(conn, lookup, d, c, record, Viewer(viewer.auth, _no_filter(viewer.options)),
                            c.rule("manageRule"))  # fmt: skip
    elif not owner and c.is_auth and c.rule("manageRule") == "" and not viewer.is_superuser:
        owner = True
    out = _public(c, record, superuser=viewer.is_superuser, email=owner)
    if viewer.options.expand and conn is not None and expander is not None:
        try:
            expander(conn, c, [out], viewer.options.expand, viewer.request_info())
        except Exception:  # noqa: BLE001 - PocketBase logs expand errors and sends the record
            log.debug("realtime expand of %s/%s failed", c.name, record.get("id"), exc_info=True)
    fields = viewer.options.fields
    if fields:
        try:
            picked = pick_fields(out, parse_fields(fields))
        except ListParamsError:
            picked = out
        if isinstance(picked, dict):
            out = picked
    return out


def _public(c: Collection, record: Mapping[str, Any], *, superuser: bool, email: bool) -> dict[str, Any]:
    """As the records API presents a record: never ``password``/``tokenKey`` of auth
    records, hidden fields for superusers only, other password fields blank, the email
    per ``emailVisibility`` (or ``email=True``), no stale ``expand``."""
    out = dict(record)
    out.pop("expand", None)
    for f in c.fields:
        if c.is_auth and f.name in NEVER_RETURNED or f.hidden and not superuser:
            out.pop(f.name, None)
        elif f.type == "password" and f.name in out:
            out[f.name] = ""
    for name in dropped_by_views(c, None, superuser=superuser):  # field ``views`` (spec 14 §8)
        out.pop(name, None)
    if c.is_auth and not (superuser or email or record.get("emailVisibility")):
        out.pop("email", None)
    return out


def _no_filter(options: SubscriptionOptions) -> SubscriptionOptions:
    query = {k: v for k, v in options.query.items() if k != "filter"}
    return SubscriptionOptions(query=query, headers=options.headers)


def encode_event(record: Mapping[str, Any], action: str) -> bytes:
    """``{"record":…,"action":…}`` in PocketBase's key order, record keys sorted."""
    body = orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return b'{"record":' + body + b',"action":' + orjson.dumps(action) + b"}"
