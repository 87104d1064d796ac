"""Does one auth record satisfy a rule (``authRule``, ``mfa.rule``)?

The rule is compiled with the search compiler against the record's own table,
``@request.auth.*`` being whoever sent the request (a guest for a login, as
PocketBase's ``CanAccessRecord`` with the original request info).  ``None`` = nobody,
``""`` = everybody; a rule that fails to compile matches nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from satchel.core.collections.model import Collection
from satchel.tools.filter import FilterSyntaxError
from satchel.tools.search import (
    FilterCompileError,
    MapResolver,
    ResolveError,
    SqliteSearchDialect,
    build_where,
)

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["record_matches_rule"]

log = logging.getLogger("satchel.auth")
_DIALECT = SqliteSearchDialect()


def _resolver(c: Collection, request_auth: Mapping[str, Any] | None) -> MapResolver:
    columns, multi, json = [], [], []
    for f in c.fields:
        if f.type == "json":
            json.append(f.name)
        elif f.is_multiple:
            multi.append(f.name)
        else:
            columns.append(f.name)
    auth = {k: v for k, v in (request_auth or {}).items() if k not in ("password", "tokenKey")}
    request = {"auth": auth, "method": "POST", "context": "default", "query": {}, "body": {}, "headers": {}}
    return MapResolver(c.name, columns, _DIALECT, multi=multi, json=json, request=request)


async def record_matches_rule(
    app: App,
    c: Collection,
    record: Mapping[str, Any],
    rule: str | None,
    request_auth: Mapping[str, Any] | None = None,
) -> bool:
    if request_auth is not None and request_auth.get("collectionName") == "_superusers":
        return True
    if rule is None:
        return False
    if not rule.strip():
        return True
    try:
        where = build_where(rule, _resolver(c, request_auth), _DIALECT, param_prefix="ar")
    except (FilterSyntaxError, FilterCompileError, ResolveError) as exc:
        log.warning("rule of %s can't be checked: %s", c.name, exc)
        return False
    q = app.dialect.q
    joins = _DIALECT.joins_clause(where.joins)
    params: dict[str, Any] = dict(where.params)
    for join in where.joins:
        params.update(join.params)
    params["__record_id"] = record["id"]
    sql = f"SELECT 1 FROM {q(c.name)} {joins} WHERE {q(c.name)}.{q('id')} = :__record_id AND ({where.text}) LIMIT 1"

    def run(conn: Any) -> bool:
        return conn.execute(sql, params).fetchone() is not None

    try:
        return bool(await app.db.read(run))
    except Exception:  # noqa: BLE001 - a broken rule denies, it doesn't crash the login
        log.exception("rule of %s failed", c.name)
        return False
