"""Render an AST back to filter text (the inverse of :func:`parse`)."""

from __future__ import annotations

from satchel.tools.filter.ast import Comparison, Function, Group, Identifier, Number, Operand, Text

__all__ = ["quote_text", "render"]


def quote_text(value: str) -> str:
    """Double-quote ``value`` so that the scanner reads back exactly ``value``."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return '"' + out + '"'


def _operand(node: Operand) -> str:
    if isinstance(node, Identifier):
        return node.name
    if isinstance(node, Text):
        return quote_text(node.value)
    if isinstance(node, Number):
        return node.literal
    return node.name + "(" + ", ".join(_operand(a) for a in node.args) + ")"


def _group(group: Group) -> str:
    parts: list[str] = []
    for i, term in enumerate(group.terms):
        if i:
            parts.append(group.joins[i - 1].value)
        if isinstance(term, Comparison):
            parts.append(f"{_operand(term.left)} {term.op.value} {_operand(term.right)}")
        else:
            parts.append("(" + _group(term) + ")")
    return " ".join(parts)


def render(expr: Group | Comparison | Function | Identifier | Text | Number) -> str:
    """Render a parsed filter (or a fragment of it) as canonical filter text."""
    if isinstance(expr, Group):
        return _group(expr)
    if isinstance(expr, Comparison):
        return _group(Group((expr,)))
    return _operand(expr)
