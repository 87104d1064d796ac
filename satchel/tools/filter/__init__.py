"""PocketBase's filter/rule expression language: scanner, parser, AST and renderer.

``parse(text)`` returns an immutable :class:`Group` AST (cached by text) or raises
:class:`FilterSyntaxError` with PocketBase's raw error message; ``render`` turns an
AST back into filter text; ``bind_placeholders`` performs PocketBase's server-side
``{:name}`` substitution.  SQL compilation lives in :mod:`satchel.tools.search`.
"""

from satchel.tools.filter.ast import (
    MODIFIERS,
    Comparison,
    Expr,
    Function,
    Group,
    Identifier,
    Join,
    Number,
    Op,
    Operand,
    Term,
    Text,
    split_modifier,
)
from satchel.tools.filter.parser import (
    ERR_EMPTY,
    ERR_INCOMPLETE,
    MAX_FUNCTION_NESTING,
    MAX_GROUP_DEPTH,
    FilterSyntaxError,
    parse,
)
from satchel.tools.filter.placeholders import bind_placeholders, placeholder_literal
from satchel.tools.filter.render import quote_text, render

__all__ = [
    "ERR_EMPTY",
    "ERR_INCOMPLETE",
    "MAX_FUNCTION_NESTING",
    "MAX_GROUP_DEPTH",
    "MODIFIERS",
    "Comparison",
    "Expr",
    "FilterSyntaxError",
    "Function",
    "Group",
    "Identifier",
    "Join",
    "Number",
    "Op",
    "Operand",
    "Term",
    "Text",
    "bind_placeholders",
    "parse",
    "parse_with_params",
    "placeholder_literal",
    "quote_text",
    "render",
    "split_modifier",
]


def parse_with_params(text: str, params: dict[str, object] | None = None) -> Expr:
    """``parse(bind_placeholders(text, params))`` -- PocketBase's ``filter(expr, params)``."""
    return parse(bind_placeholders(text, params))
