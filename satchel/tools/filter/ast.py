"""The filter AST: small frozen dataclasses, hashable and comparable.

A parsed filter is always a :class:`Group` (the top level is an implicit,
unparenthesised group).  Joins are kept as a flat sequence exactly as written
because PocketBase emits them in order into one SQL list, so SQL precedence
(``AND`` over ``OR``) applies -- we must not re-associate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

__all__ = [
    "MODIFIERS",
    "Comparison",
    "Expr",
    "Function",
    "Group",
    "Identifier",
    "Join",
    "Number",
    "Op",
    "Operand",
    "Term",
    "Text",
    "split_modifier",
]

# Identifier modifiers that PocketBase understands (spec 04 §7).
MODIFIERS: frozenset[str] = frozenset({"isset", "changed", "length", "each", "lower"})


class Op(StrEnum):
    """Comparison operators; the ``?`` forms are the "any" variants."""

    EQ = "="
    NEQ = "!="
    LIKE = "~"
    NLIKE = "!~"
    LT = "<"
    LTE = "<="
    GT = ">"
    GTE = ">="
    ANY_EQ = "?="
    ANY_NEQ = "?!="
    ANY_LIKE = "?~"
    ANY_NLIKE = "?!~"
    ANY_LT = "?<"
    ANY_LTE = "?<="
    ANY_GT = "?>"
    ANY_GTE = "?>="

    @property
    def is_any(self) -> bool:
        """True for the ``?`` ("at least one value") variants."""
        return self.value.startswith("?")

    @property
    def base(self) -> Op:
        """The operator without its ``?`` prefix (``?!=`` -> ``!=``)."""
        return Op(self.value[1:]) if self.is_any else self


class Join(StrEnum):
    AND = "&&"
    OR = "||"


@dataclass(frozen=True, slots=True)
class Identifier:
    """A field path, macro, ``@request.*``/``@collection.*`` path or null/true/false."""

    name: str


@dataclass(frozen=True, slots=True)
class Text:
    """A quoted string literal (already unescaped)."""

    value: str


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric literal; the source text is kept so rendering is lossless."""

    literal: str

    @property
    def value(self) -> float:
        """PocketBase binds every number as a float64."""
        return float(self.literal)


@dataclass(frozen=True, slots=True)
class Function:
    """A call such as ``geoDistance(a, b, 1, 2)``; validated by the compiler."""

    name: str
    args: tuple[Operand, ...]


Operand: TypeAlias = Identifier | Text | Number | Function


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Operand
    op: Op
    right: Operand


@dataclass(frozen=True, slots=True)
class Group:
    """Terms joined in sequence; ``len(joins) == len(terms) - 1``."""

    terms: tuple[Term, ...]
    joins: tuple[Join, ...] = ()

    def __post_init__(self) -> None:
        if not self.terms or len(self.joins) != len(self.terms) - 1:
            raise ValueError("a group needs n terms and n-1 joins")


Term: TypeAlias = Comparison | Group
Expr: TypeAlias = Group


def split_modifier(name: str) -> tuple[str, str | None]:
    """Split ``a.b:length`` into ``("a.b", "length")``.

    Only the last path segment can carry a modifier; a ``:`` in an earlier
    segment is an ``@collection`` alias (``@collection.users:u.email``).
    Unknown modifier names are returned as-is so the resolver can reject them.
    """
    dot = name.rfind(".")
    colon = name.rfind(":")
    if colon <= dot:
        return name, None
    return name[:colon], name[colon + 1 :]
