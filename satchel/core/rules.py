"""Checking API rules against a collection's schema when the collection is saved.

The rule text is parsed by the filter language parser and every identifier is
resolved against the schema (fields, relations, back-relations ``x_via_y``,
``@request.*``, ``@collection.*``, macros), with PocketBase's error texts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from satchel.core.collections import Collection
from satchel.tools.filter import (
    Comparison,
    FilterSyntaxError,
    Function,
    Group,
    Identifier,
    Operand,
    parse,
    split_modifier,
)

__all__ = ["MACROS", "check_rule"]

MACROS = frozenset(
    {
        "@now", "@second", "@minute", "@hour", "@weekday", "@day", "@month", "@year",
        "@yesterday", "@tomorrow", "@todayStart", "@todayEnd", "@monthStart", "@monthEnd",
        "@yearStart", "@yearEnd",
    }
)
LITERALS = frozenset({"null", "true", "false"})
REQUEST_OPEN = ("@request.auth.", "@request.body.", "@request.data.", "@request.query.", "@request.headers.")
REQUEST_EXACT = frozenset({"@request.method", "@request.context", "@request.auth"})
MAX_RELATION_DEPTH = 6

Lookup = Callable[[str], Collection | None]


def _operands(group: Group) -> Iterator[tuple[str, Operand]]:
    for term in group.terms:
        if isinstance(term, Group):
            yield from _operands(term)
        elif isinstance(term, Comparison):
            yield "left", term.left
            yield "right", term.right


def _identifiers(side: str, operand: Operand) -> Iterator[tuple[str, str]]:
    if isinstance(operand, Identifier):
        yield side, operand.name
    elif isinstance(operand, Function):
        for arg in operand.args:
            yield from _identifiers(side, arg)


def _back_relation(segment: str, target: Collection, lookup: Lookup) -> Collection | None:
    name, sep, field = segment.partition("_via_")
    if not sep:
        return None
    source = lookup(name)
    if source is None:
        return None
    f = source.field(field)
    if f is None or f.type != "relation" or getattr(f, "collectionId", "") != target.id:
        return None
    return source


def _resolve_path(c: Collection, path: str, lookup: Lookup, original: str) -> str | None:
    """None when ``path`` resolves inside ``c``; else PocketBase's reason."""
    segments = path.split(".")
    current = c
    for depth, segment in enumerate(segments):
        last = depth == len(segments) - 1
        f = current.field(segment)
        if f is None:
            nxt = _back_relation(segment, current, lookup)
            if nxt is None:
                return f'unknown field "{segment}"'
            if last:
                return None
            current = nxt
            continue
        if last or f.type == "json":
            return None
        if f.type != "relation" or depth >= MAX_RELATION_DEPTH:
            return f'unknown field "{path}"'
        target = lookup(str(getattr(f, "collectionId", "")))
        if target is None:
            return f'failed to find field "{segment}" collection'
        current = target
    return None


def _check_identifier(c: Collection, name: str, lookup: Lookup) -> str | None:
    path, _modifier = split_modifier(name)
    if path in LITERALS or path in MACROS or path in REQUEST_EXACT:
        return None
    if path.startswith(REQUEST_OPEN):
        return None
    if path.startswith("@collection."):
        rest = path.removeprefix("@collection.")
        head, _, field_path = rest.partition(".")
        collection_name = head.split(":", 1)[0]
        target = lookup(collection_name)
        if target is None:
            return f'failed to load collection "{collection_name}" from field path "{name}"'
        if not field_path:
            return f'failed to resolve field "{name}"'
        return _resolve_path(target, field_path, lookup, name)
    if path.startswith("@"):
        return f'failed to resolve field "{name}"'
    return _resolve_path(c, path, lookup, name)


def check_rule(rule: str, c: Collection, lookup: Lookup) -> str | None:
    """None for a valid rule; otherwise the raw error PocketBase reports."""
    try:
        expr = parse(rule)
    except FilterSyntaxError as exc:
        return str(exc).rstrip(".")

    def find(ref: str) -> Collection | None:
        if ref in (c.id, c.name):
            return c
        return lookup(ref)

    for side, operand in _operands(expr):
        for where, name in _identifiers(side, operand):
            problem = _check_identifier(c, name, find)
            if problem:
                return f'invalid {where} operand "{name}" - {problem}'
    return None
