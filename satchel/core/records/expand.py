"""``?expand=`` -- related records attached under ``record["expand"]`` (spec 03 §3).

As PocketBase (``ExpandRecords``): each normalized path is expanded separately
over the whole page; a segment is a relation field of the current collection, a
back-relation ``<collection>_via_<field>`` (legacy ``<collection>(<field>)``), at
most 6 levels deep.  Related records are fetched with the related collection's
``viewRule`` for the requester (context ``expand``; superusers: no rule; a null
``viewRule`` fails the path for everybody else).  Each level is ONE query for all
the records of that level (plus one for the ids of a back-relation, capped at
1000 per record), never one per record.

A path that fails (unknown field, not a relation, missing collection, null
viewRule, a failing nested segment) is silently dropped; when at least one path
succeeded every record of that level gets an ``expand`` object, ``{}`` when
nothing resolved -- what the 0.40.6 binary answers (captured: ``expand=bogus`` ->
no key; ``expand=author`` with the author not viewable -> ``"expand":{}``;
``author.bogus`` with the author viewable -> no key).

Like PocketBase, hidden relation fields are expanded too (their ids stay hidden;
the related records still pass their own ``viewRule``).

Records here are *internal* records (all fields); :class:`Presenter` makes them
public afterwards, recursively.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import apsw
import orjson

from satchel.core.collections.model import Collection
from satchel.core.fields import Field, RelationField
from satchel.core.fields._gocompat import to_unique_string_slice
from satchel.core.records.query import Presenter, RecordEnv, fetch_by_ids_sync, is_superuser, with_context
from satchel.core.records.resolver import RequestInfo
from satchel.core.records.sql import select_back_relation_ids
from satchel.errors import ApiError
from satchel.tools.dbutils import has_single_column_unique_index
from satchel.tools.search import MAX_EXPAND_DEPTH, parse_expand

__all__ = ["BACK_RELATION_LIMIT", "expand_records", "make_expander"]

BACK_RELATION_LIMIT = 1000
_VIA = re.compile(r"^(\w+)_via_(\w+)$", re.ASCII)
_LEGACY_VIA = re.compile(r"^(\w+)\((\w+)\)$", re.ASCII)


class _ExpandFailed(Exception):
    pass


def expand_records(
    conn: apsw.Connection,
    env: RecordEnv,
    c: Collection,
    records: list[dict[str, Any]],
    expand: str | Sequence[str],
    info: RequestInfo | None,
) -> None:
    """Fill ``record["expand"]`` of every record for the given paths (in place)."""
    paths = parse_expand(expand) if isinstance(expand, str) else parse_expand(",".join(expand))
    if not paths or not records:
        return
    fetch_info = with_context(info, "expand") if info is not None else RequestInfo(context="expand")
    for path in paths:
        try:
            _expand_level(conn, env, c, records, path.split(".")[:MAX_EXPAND_DEPTH], fetch_info)
        except (_ExpandFailed, ApiError, apsw.SQLError, ValueError):
            continue


def _relation_of(env: RecordEnv, c: Collection, segment: str) -> tuple[RelationField, Collection, Field | None]:
    """(relation field or the virtual back-relation field, target collection, back field)."""
    f = c.field(segment)
    if f is not None:
        if not isinstance(f, RelationField):
            raise _ExpandFailed(segment)
        target = env.lookup(f.collectionId)
        if target is None:
            raise _ExpandFailed(segment)
        return f, target, None
    m = _VIA.match(segment) or _LEGACY_VIA.match(segment)
    if m is None:
        raise _ExpandFailed(segment)
    back_c = env.lookup(m[1])
    if back_c is None:
        raise _ExpandFailed(segment)
    back_f = back_c.field(m[2])
    if not isinstance(back_f, RelationField) or back_f.collectionId != c.id:
        raise _ExpandFailed(segment)
    single = has_single_column_unique_index(back_c.indexes, back_f.name)
    virtual = RelationField(name=segment, collectionId=back_c.id, maxSelect=1 if single else 2147483647)
    return virtual, back_c, back_f


def _back_relation_ids(
    conn: apsw.Connection, env: RecordEnv, back_c: Collection, back_f: Field, parent_ids: list[str]
) -> dict[str, list[str]]:
    sql = select_back_relation_ids(
        env.dialect, back_c.name, back_f.name, back_f.is_multiple, "__ids", is_view=back_c.is_view
    )
    out: dict[str, list[str]] = {}
    params = {"__ids": orjson.dumps(parent_ids).decode()}
    for rid, parent in conn.execute(sql, params):
        ids = out.setdefault(str(parent), [])
        if len(ids) < BACK_RELATION_LIMIT:
            ids.append(str(rid))
    return out


def _expand_level(
    conn: apsw.Connection,
    env: RecordEnv,
    c: Collection,
    records: list[dict[str, Any]],
    segments: list[str],
    info: RequestInfo,
) -> None:
    segment = segments[0]
    rel_field, target, back_f = _relation_of(env, c, segment)
    if back_f is not None:
        by_parent = _back_relation_ids(conn, env, target, back_f, [str(r.get("id", "")) for r in records])
        rel_ids = {id(r): by_parent.get(str(r.get("id", "")), []) for r in records}
    else:
        rel_ids = {id(r): to_unique_string_slice(r.get(rel_field.name)) for r in records}
    all_ids = list(dict.fromkeys(i for ids in rel_ids.values() for i in ids))
    if is_superuser(info):
        rule: str | None = None
    elif target.viewRule is None:
        raise _ExpandFailed(segment)
    else:
        rule = target.viewRule
    related = fetch_by_ids_sync(conn, env, target, all_ids, info, rule, prefix="erule") if all_ids else []
    if len(segments) > 1 and related:
        _expand_level(conn, env, target, related, segments[1:], info)
    if len(segments) > 1:
        for r in related:
            r.setdefault("expand", {})
    indexed = {str(r["id"]): r for r in related}
    for record in records:
        expand: dict[str, Any] = record.setdefault("expand", {})
        valid = [indexed[i] for i in rel_ids[id(record)] if i in indexed]
        if not valid:
            continue
        old = expand.get(segment)
        old_items = old if isinstance(old, list) else ([old] if isinstance(old, dict) else [])
        by_id = {str(o.get("id")): o for o in old_items if isinstance(o, dict)}
        merged = []
        for rel in valid:
            previous = by_id.get(str(rel["id"]))
            item = dict(rel)
            if previous is not None and isinstance(previous.get("expand"), dict):
                item["expand"] = {**previous["expand"], **(rel.get("expand") or {})}
            merged.append(item)
        expand[segment] = merged if rel_field.is_multiple else merged[0]


Expander = Callable[[apsw.Connection, Collection, list[dict[str, Any]], str, RequestInfo], None]


def make_expander(env: RecordEnv) -> Expander:
    """An expander for already public records (realtime messages): expands the paths
    and replaces ``record["expand"]`` with the public related records."""

    def expander(
        conn: apsw.Connection, c: Collection, records: list[dict[str, Any]], expand: str, info: RequestInfo
    ) -> None:
        expand_records(conn, env, c, records, expand, info)
        presenter = Presenter(env, conn, info)
        for record in records:
            if "expand" in record:
                record["expand"] = presenter.present_one(c, {"expand": record["expand"]}).get("expand", {})

    return expander
