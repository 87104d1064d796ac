"""Filter AST -> SQL ``WHERE`` fragment, reproducing PocketBase 0.40's semantics.

The rules (spec 04 §4 and PocketBase's ``tools/search/filter.go``):

* ``=``/``!=`` normalise NULL and ``''`` unless an operand opts out
  (:class:`NullFallback`); ``!=`` always uses ``IS NOT`` so NULL rows compare true.
* ``~``/``!~`` wrap literal values in ``%...%`` (escaping ``\\ % _``) unless the
  value has an unescaped ``%``; a column on the right becomes ``'%' || col || '%'``.
* A multi-valued operand with a non-``?`` operator additionally requires that
  *no* value fails: ``(<cmp> AND NOT EXISTS (SELECT 1 FROM (<values>) sm WHERE NOT (<cmp on sm>)))``.

Literal values are bound as named parameters ``:<prefix><n>``; the counter is
per compilation so identical filters produce identical SQL text (statement cache).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from satchel.tools.filter import (
    Comparison,
    Expr,
    Function,
    Group,
    Identifier,
    Join,
    Number,
    Op,
    Operand,
    Text,
    parse,
)
from satchel.tools.search.dialect import Dialect
from satchel.tools.search.macros import MACROS, format_datetime, macro_value
from satchel.tools.search.types import (
    MULTI_MATCH_COLUMN,
    FieldResolver,
    FilterCompileError,
    MultiMatch,
    NullFallback,
    ResolveError,
    SortItem,
    Sql,
)
from satchel.tools.search.types import (
    Join as SqlJoin,
)

__all__ = [
    "MAX_FILTER_EXPRESSIONS",
    "ERR_EXPR_LIMIT",
    "build_order_by",
    "build_where",
    "contains_unescaped",
    "escape_unescaped",
    "like_pattern",
]

MAX_FILTER_EXPRESSIONS = 200
ERR_EXPR_LIMIT = "max filter expressions limit reached"

_EMPTY_IDENTIFIERS = frozenset({"", "null", "''", '""', "``"})
_KNOWN_NON_EMPTY = frozenset({"1", "0", "true", "false"})
_NORMALIZED = {"null", "true", "false"}


def contains_unescaped(text: str, ch: str) -> bool:
    """True if ``ch`` occurs without a ``\\`` before it (``\\\\`` is a literal backslash)."""
    prev_backslash = False
    for c in text:
        if c == ch and not prev_backslash:
            return True
        prev_backslash = c == "\\" and not prev_backslash
    return False


def escape_unescaped(text: str, chars: str = "\\%_") -> str:
    """Prefix every special char with ``\\`` unless it already has one.

    Scans right to left like PocketBase: a special char directly preceded by a
    backslash counts as escaped and that backslash is not examined again.
    """
    out: list[str] = []
    i = len(text) - 1
    while i >= 0:
        c = text[i]
        out.append(c)
        if c in chars:
            out.append("\\")
            i -= 2 if i > 0 and text[i - 1] == "\\" else 1
        else:
            i -= 1
    return "".join(reversed(out))


def _to_text(value: Any) -> str:
    """Go's ``cast.ToString`` for the values we bind."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def like_pattern(value: Any) -> str:
    """The LIKE pattern PocketBase binds for a literal ``~`` operand."""
    text = _to_text(value)
    if contains_unescaped(text, "%"):
        return text
    return "%" + escape_unescaped(text) + "%"


def _normalize_value(value: Any) -> Any:
    """Make a Python value bindable: non-scalars become JSON text like PocketBase."""
    if value is None or isinstance(value, str | int | float | bytes):
        return value
    if isinstance(value, datetime):
        return format_datetime(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class _Operand:
    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    fallback: NullFallback = NullFallback.AUTO
    multi: MultiMatch | None = None
    after: Callable[[str], str] | None = None


def _has_empty_param(o: _Operand) -> bool:
    return any(v is None or (isinstance(v, str) and v == "") for v in o.params.values())


def _is_empty_identifier(o: _Operand) -> bool:
    return o.sql.lower() in _EMPTY_IDENTIFIERS


def _is_known_non_empty(o: _Operand) -> bool:
    if o.fallback is NullFallback.ENFORCED:
        return False
    if o.sql.lower() in _KNOWN_NON_EMPTY:
        return True
    return bool(o.params) and not _has_empty_param(o) and not _is_empty_identifier(o)


def _is_empty(o: _Operand) -> bool:
    return _is_empty_identifier(o) or (
        o.fallback is NullFallback.AUTO and len(o.params) == 1 and _has_empty_param(o)
    )


class _Compiler:
    """Per-compilation state: bound params, collected joins and counters."""

    def __init__(
        self,
        resolver: FieldResolver,
        dialect: Dialect,
        now: datetime | None,
        prefix: str,
        max_expressions: int,
    ) -> None:
        self.resolver = resolver
        self.d = dialect
        self.now = now
        self.prefix = prefix
        self.budget = max_expressions
        self.params: dict[str, Any] = {}
        self.joins: dict[str, SqlJoin] = {}
        self.counter = 0

    # -- bookkeeping ------------------------------------------------------------

    def _next(self) -> int:
        self.counter += 1
        return self.counter - 1

    def merge(self, params: Mapping[str, Any]) -> None:
        for key, value in params.items():
            if key in self.params and self.params[key] is not value and self.params[key] != value:
                raise FilterCompileError(f"conflicting SQL parameter {key!r}")
            self.params[key] = value

    def add_joins(self, joins: tuple[SqlJoin, ...]) -> None:
        for join in joins:
            if join.alias not in self.joins:
                self.joins[join.alias] = join
                self.merge(join.params)

    def literal(self, value: Any, fallback: NullFallback = NullFallback.AUTO) -> _Operand:
        name = f"{self.prefix}{self._next()}"
        return _Operand(self.d.param(name), {name: _normalize_value(value)}, fallback)

    # -- operands ---------------------------------------------------------------

    def operand(self, node: Operand, side: str) -> _Operand:
        if isinstance(node, Text):
            return self.literal(node.value)
        if isinstance(node, Number):
            return self.literal(node.value)
        if isinstance(node, Function):
            try:
                return self.function(node)
            except (ResolveError, FilterCompileError) as exc:
                raise FilterCompileError(f'invalid {side} operand "{node.name}" - {exc}') from exc
        return self.identifier(node.name, side)

    def identifier(self, name: str, side: str) -> _Operand:
        if name in MACROS:
            return self.literal(macro_value(name, self.now))
        error: Exception | None = None
        try:
            res = self.resolver.resolve(name)
        except ResolveError as exc:
            error = exc
        else:
            if res.static or res.sql:
                self.add_joins(res.joins)
                multi = res.multi_match
                if multi is not None:
                    self.merge(multi.params)
                after = self._wrap_after(res.after_build) if res.after_build else None
                if res.static:
                    lit = self.literal(res.value, res.null_fallback)
                    return _Operand(lit.sql, lit.params, res.null_fallback, multi, after)
                return _Operand(res.sql, dict(res.params), res.null_fallback, multi, after)
        lowered = name.lower()
        if lowered in _NORMALIZED:
            if lowered == "null":
                return _Operand(self.d.null())
            return _Operand(self.d.bool_literal(lowered == "true"))
        raise FilterCompileError(f'invalid {side} operand "{name}" - {error or "unresolvable identifier"}')

    def _wrap_after(self, fn: Callable[[Sql], Sql]) -> Callable[[str], str]:
        def apply(text: str) -> str:
            out = fn(Sql(text))
            self.merge(out.params)
            self.add_joins(out.joins)
            return self.d.enclose(out.text)

        return apply

    def function(self, node: Function) -> _Operand:
        if node.name == "geoDistance":
            return self._geo_distance(node)
        if node.name == "strftime":
            return self._strftime(node)
        raise FilterCompileError(f'unknown function "{node.name}"')

    def _geo_distance(self, node: Function) -> _Operand:
        if len(node.args) != 4:
            raise FilterCompileError(f"[geoDistance] expected 4 arguments, got {len(node.args)}")
        args: list[_Operand] = []
        for i, arg in enumerate(node.args):
            if not isinstance(arg, Identifier | Number):
                raise FilterCompileError(f"[geoDistance] argument {i} must be an identifier or number")
            args.append(self.operand(arg, "left"))
        params: dict[str, Any] = {}
        for a in args:
            params.update(a.params)
        sql = self.d.geo_distance(args[0].sql, args[1].sql, args[2].sql, args[3].sql)
        return _Operand(sql, params, NullFallback.DISABLED)

    def _strftime(self, node: Function) -> _Operand:
        args = node.args
        if not 1 <= len(args) <= 10:
            raise FilterCompileError(f"[strftime] expected 1 to 10 arguments, got {len(args)}")
        if not isinstance(args[0], Text):
            raise FilterCompileError("[strftime] the format argument must be a text")
        if len(args) > 1 and isinstance(args[1], Function):
            raise FilterCompileError("[strftime] the time-value argument cannot be a function")
        for i, arg in enumerate(args[2:], start=2):
            if not isinstance(arg, Text):
                raise FilterCompileError(f"[strftime] argument {i} (modifier) must be a text")
        resolved = [self.operand(a, "left") for a in args]
        params: dict[str, Any] = {}
        for r in resolved:
            params.update(r.params)
        fmt, rest = resolved[0].sql, [r.sql for r in resolved[1:]]
        multi: MultiMatch | None = None
        if len(resolved) > 1 and (inner := resolved[1].multi) is not None:
            values = [inner.value, *rest[1:]]
            multi = MultiMatch(self.d.strftime(fmt, values), inner.source, {**inner.params, **params})
            self.merge(multi.params)
        return _Operand(self.d.strftime(fmt, rest), params, NullFallback.AUTO, multi)

    # -- expressions ------------------------------------------------------------

    def group(self, group: Group) -> str:
        terms: list[str] = []
        for term in group.terms:
            if isinstance(term, Group):
                terms.append(self.group(term))
            else:
                terms.append(self.comparison(term))
        return self.d.chain(terms, [j is Join.OR for j in group.joins])

    def comparison(self, cmp: Comparison) -> str:
        if self.budget <= 0:
            raise FilterCompileError(ERR_EXPR_LIMIT)
        self.budget -= 1
        left = self.operand(cmp.left, "left")
        right = self.operand(cmp.right, "right")
        return self.build(left, cmp.op, right)

    def build(self, left: _Operand, op: Op, right: _Operand) -> str:
        d = self.d
        base = op.base
        if base is Op.EQ or base is Op.NEQ:
            expr = self.equal(base is Op.EQ, left, right)
        elif base is Op.LIKE or base is Op.NLIKE:
            negate = base is Op.NLIKE
            self.merge(left.params)
            if not right.params:
                expr = d.like(left.sql, d.contains_pattern(right.sql), negate)
            else:
                self.merge({k: like_pattern(v) for k, v in right.params.items()})
                expr = d.like(left.sql, right.sql, negate)
        else:
            self.merge(left.params)
            self.merge(right.params)
            expr = d.compare(left.sql, base.value, right.sql)

        if not op.is_any and (left.multi is not None or right.multi is not None):
            expr = d.enclose(d.and_([expr, self.multi_match(left, op, right)]))

        if left.after is not None:
            expr = left.after(expr)
        if right.after is not None:
            expr = right.after(expr)
        return expr

    def multi_match(self, left: _Operand, op: Op, right: _Operand) -> str:
        """The ``NOT EXISTS`` guard that turns "any value" into "every value"."""
        d = self.d
        n = self._next()
        if left.multi is not None and right.multi is not None:
            la, ra = f"__ml{self.prefix}{n}", f"__mr{self.prefix}{n}"
            where = self.build(
                _Operand(d.column(la, MULTI_MATCH_COLUMN), fallback=left.fallback),
                op,
                _Operand(d.column(ra, MULTI_MATCH_COLUMN), fallback=right.fallback, after=d.not_),
            )
            return d.multi_match_not_exists(
                where,
                (d.multi_match_select(left.multi.value, left.multi.source), la),
                (d.multi_match_select(right.multi.value, right.multi.source), ra),
            )
        many, other = (left, right) if left.multi is not None else (right, left)
        assert many.multi is not None
        alias = f"__sm{self.prefix}{n}"
        value = _Operand(d.column(alias, MULTI_MATCH_COLUMN), fallback=many.fallback, after=d.not_)
        plain = _Operand(other.sql, other.params)
        where = self.build(value, op, plain) if many is left else self.build(plain, op, value)
        return d.multi_match_not_exists(
            where, (d.multi_match_select(many.multi.value, many.multi.source), alias)
        )

    def equal(self, equal: bool, left: _Operand, right: _Operand) -> str:
        d = self.d
        self.merge(left.params)
        self.merge(right.params)

        def eq(a: str, b: str) -> str:
            return d.compare(a, "=", b) if equal else d.is_not(a, b)

        if left.fallback is NullFallback.DISABLED or right.fallback is NullFallback.DISABLED:
            return d.is_(left.sql, right.sql) if equal else d.is_not(left.sql, right.sql)

        left_empty, right_empty = _is_empty(left), _is_empty(right)
        empty = d.empty_text()
        if left_empty and right_empty:
            return eq(empty, empty)
        if _is_known_non_empty(left) or _is_known_non_empty(right):
            return eq(empty if left_empty else left.sql, empty if right_empty else right.sql)
        if left_empty or right_empty:
            col = right.sql if left_empty else left.sql
            first = eq(empty, col) if left_empty else eq(col, empty)
            null_check = d.is_null(col) if equal else d.is_not_null(col)
            return d.chain([first, null_check], [equal])
        return eq(d.coalesce_empty(left.sql), d.coalesce_empty(right.sql))

    def result(self, text: str) -> Sql:
        return Sql(text, dict(self.params), tuple(self.joins.values()))


def build_where(
    expr: Expr | str,
    resolver: FieldResolver,
    dialect: Dialect,
    *,
    now: datetime | None = None,
    param_prefix: str = "f",
    max_expressions: int = MAX_FILTER_EXPRESSIONS,
) -> Sql:
    """Compile a filter (AST or text) to a WHERE fragment with named params and joins.

    ``param_prefix`` namespaces the bound params (use different prefixes when
    combining e.g. a listRule and a client filter in one statement); ``now``
    pins the date macros.  Raises ``FilterSyntaxError``/``FilterCompileError``.
    """
    if isinstance(expr, str):
        expr = parse(expr)
    compiler = _Compiler(resolver, dialect, now, param_prefix, max_expressions)
    return compiler.result(compiler.group(expr))


def build_order_by(
    items: tuple[SortItem, ...] | list[SortItem],
    resolver: FieldResolver,
    dialect: Dialect,
    *,
    rowid_alias: str | None = None,
) -> Sql:
    """Compile sort items to an ``ORDER BY`` list (without the keywords).

    ``@random`` -> random order, ``@rowid`` -> the rowid of ``rowid_alias``.
    Identifiers that resolve to a literal (params, static values, NULL) are
    rejected like PocketBase (``invalid sort field "x"``).
    """
    parts: list[str] = []
    params: dict[str, Any] = {}
    joins: dict[str, SqlJoin] = {}
    for item in items:
        if item.name == "@random":
            parts.append(dialect.random_order())
            continue
        if item.name == "@rowid":
            parts.append(dialect.order_item(dialect.rowid(rowid_alias), item.desc))
            continue
        try:
            res = resolver.resolve(item.name)
        except ResolveError as exc:
            raise FilterCompileError(f'invalid sort field "{item.name}"') from exc
        if res.static or res.params or not res.sql or res.sql.lower() == "null":
            raise FilterCompileError(f'invalid sort field "{item.name}"')
        for join in res.joins:
            if join.alias not in joins:
                joins[join.alias] = join
                params.update(join.params)
        parts.append(dialect.order_item(res.sql, item.desc))
    return Sql(", ".join(parts), params, tuple(joins.values()))
