"""Hand-written scanner and parser for PocketBase's filter language (spec 04 §1-2).

The scanner walks the text once by index (no per-character regex); the parser
is iterative for groups so deeply parenthesised rules don't hit Python's
recursion limit.  Only function arguments recurse, and those are capped at
three levels like PocketBase.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto
from functools import lru_cache

from satchel.tools.filter.ast import (
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
)

__all__ = [
    "ERR_EMPTY",
    "ERR_INCOMPLETE",
    "MAX_FUNCTION_NESTING",
    "MAX_GROUP_DEPTH",
    "FilterSyntaxError",
    "parse",
]

MAX_FUNCTION_NESTING = 3
# PocketBase has no limit (300 levels were observed to work); ours keeps the
# recursive compiler/renderer well inside Python's default recursion limit.
MAX_GROUP_DEPTH = 400

ERR_EMPTY = "empty filter expression"
ERR_INCOMPLETE = "invalid or incomplete filter expression"


class FilterSyntaxError(ValueError):
    """The filter text is not valid; ``message`` is PocketBase's raw error text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Kind(Enum):
    IDENT = auto()
    FUNC = auto()  # identifier immediately followed by "(" (which is consumed)
    NUMBER = auto()
    TEXT = auto()
    SIGN = auto()
    JOIN = auto()
    LPAREN = auto()
    RPAREN = auto()
    COMMA = auto()
    EOF = auto()


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    value: str
    pos: int


_WS = frozenset(" \t\n")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_IDENT_START = _LETTERS | frozenset("@_#")
_IDENT_REST = _LETTERS | _DIGITS | frozenset("_.:")
_SIGN_CHARS = frozenset("=?!<>~")
_JOIN_CHARS = frozenset("&|")
_SIGNS: dict[str, Op] = {op.value: op for op in Op}
_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", "'": "'", '"': '"'}


def _quote(text: str) -> str:
    """Go's %q-like quoting used inside error messages."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + out.replace("\r", "\\r").replace("\t", "\\t") + '"'


class _Scanner:
    """Produces one token at a time, skipping whitespace and ``//`` comments."""

    __slots__ = ("n", "pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.n = len(text)

    def next(self) -> _Token:
        text, n = self.text, self.n
        i = self.pos
        while i < n:
            ch = text[i]
            if ch in _WS:
                i += 1
            elif ch == "/" and i + 1 < n and text[i + 1] == "/":
                nl = text.find("\n", i)
                i = n if nl < 0 else nl + 1
            else:
                break
        self.pos = i
        if i >= n:
            return _Token(_Kind.EOF, "", i)
        ch = text[i]
        if ch in _IDENT_START:
            return self._identifier(i)
        if ch in _DIGITS or (ch == "-" and i + 1 < n and (text[i + 1] in _DIGITS or text[i + 1] == ".")):
            return self._number(i)
        if ch == "-":
            raise FilterSyntaxError(f"invalid number {_quote(ch)}")
        if ch == "'" or ch == '"':
            return self._text(i)
        if ch in _SIGN_CHARS:
            j = i + 1
            while j < n and text[j] in _SIGN_CHARS:
                j += 1
            lit = text[i:j]
            if lit not in _SIGNS:
                raise FilterSyntaxError(f"invalid sign operator {_quote(lit)}")
            self.pos = j
            return _Token(_Kind.SIGN, lit, i)
        if ch in _JOIN_CHARS:
            j = i + 1
            while j < n and text[j] in _JOIN_CHARS:
                j += 1
            lit = text[i:j]
            if lit != "&&" and lit != "||":
                raise FilterSyntaxError(f"invalid join operator {_quote(lit)}")
            self.pos = j
            return _Token(_Kind.JOIN, lit, i)
        self.pos = i + 1
        if ch == "(":
            return _Token(_Kind.LPAREN, ch, i)
        if ch == ")":
            return _Token(_Kind.RPAREN, ch, i)
        if ch == ",":
            return _Token(_Kind.COMMA, ch, i)
        raise FilterSyntaxError(f"unexpected character {_quote(ch)}")

    def _identifier(self, start: int) -> _Token:
        text, n = self.text, self.n
        j = start + 1
        while j < n and text[j] in _IDENT_REST:
            j += 1
        lit = text[start:j]
        if lit[-1] in ".:" or lit in ("@", "_", "#"):
            raise FilterSyntaxError(f"invalid identifier {_quote(lit)}")
        if j < n and text[j] == "(":
            self.pos = j + 1
            return _Token(_Kind.FUNC, lit, start)
        self.pos = j
        return _Token(_Kind.IDENT, lit, start)

    def _number(self, start: int) -> _Token:
        text, n = self.text, self.n
        j = start + 1
        while j < n and (text[j] in _DIGITS or text[j] == "."):
            j += 1
        lit = text[start:j]
        body = lit[1:] if lit[0] == "-" else lit
        if not body or body[0] == "." or body[-1] == "." or body.count(".") > 1:
            raise FilterSyntaxError(f"invalid number {_quote(lit)}")
        self.pos = j
        return _Token(_Kind.NUMBER, lit, start)

    def _text(self, start: int) -> _Token:
        text, n = self.text, self.n
        quote = text[start]
        parts: list[str] = []
        i = start + 1
        chunk = i
        while i < n:
            ch = text[i]
            if ch == quote:
                parts.append(text[chunk:i])
                self.pos = i + 1
                return _Token(_Kind.TEXT, "".join(parts), start)
            if ch == "\\" and i + 1 < n:
                parts.append(text[chunk:i])
                nxt = text[i + 1]
                parts.append(_ESCAPES.get(nxt, "\\" + nxt))
                i += 2
                chunk = i
                continue
            i += 1
        raise FilterSyntaxError(f"invalid quoted text {_quote(text[start:])}")


def _describe(tok: _Token) -> str:
    return f"{_quote(tok.value)} ({tok.kind.name.lower()})"


class _Frame:
    __slots__ = ("joins", "terms")

    def __init__(self) -> None:
        self.terms: list[Term] = []
        self.joins: list[Join] = []


def _parse_function(scanner: _Scanner, name: str, depth: int) -> Function:
    """Parse the arguments after ``name(``; ``depth`` counts function levels."""
    if depth > MAX_FUNCTION_NESTING:
        raise FilterSyntaxError(f"max function nesting level ({MAX_FUNCTION_NESTING}) reached")
    args: list[Operand] = []
    tok = scanner.next()
    if tok.kind is _Kind.RPAREN:
        return Function(name, ())
    while True:
        if tok.kind is _Kind.FUNC:
            args.append(_parse_function(scanner, tok.value, depth + 1))
        elif tok.kind is _Kind.IDENT:
            args.append(Identifier(tok.value))
        elif tok.kind is _Kind.NUMBER:
            args.append(Number(tok.value))
        elif tok.kind is _Kind.TEXT:
            args.append(Text(tok.value))
        else:
            raise FilterSyntaxError(f"invalid {name} function argument {_describe(tok)}")
        tok = scanner.next()
        if tok.kind is _Kind.RPAREN:
            return Function(name, tuple(args))
        if tok.kind is not _Kind.COMMA:
            raise FilterSyntaxError(f"expected comma or closing bracket in {name}(), got {_describe(tok)}")
        tok = scanner.next()


def _operand(scanner: _Scanner, tok: _Token) -> Operand | None:
    kind = tok.kind
    if kind is _Kind.IDENT:
        return Identifier(tok.value)
    if kind is _Kind.TEXT:
        return Text(tok.value)
    if kind is _Kind.NUMBER:
        return Number(tok.value)
    if kind is _Kind.FUNC:
        return _parse_function(scanner, tok.value, 1)
    return None


def _parse(text: str) -> Expr:
    scanner = _Scanner(text)
    stack: list[_Frame] = [_Frame()]
    while True:
        tok = scanner.next()
        frame = stack[-1]
        # expecting a term: "(" or a left operand
        if tok.kind is _Kind.LPAREN:
            if len(stack) > MAX_GROUP_DEPTH:
                raise FilterSyntaxError("max parentheses nesting reached")
            stack.append(_Frame())
            continue
        if tok.kind is _Kind.EOF:
            if len(stack) == 1 and not frame.terms:
                raise FilterSyntaxError(ERR_EMPTY)
            if len(stack) > 1 and not frame.terms:
                # an opened group that never got a term: "("
                raise FilterSyntaxError(f"invalid formatted group - missing {len(stack) - 1} closing bracket(s)")
            raise FilterSyntaxError(ERR_INCOMPLETE)
        left = _operand(scanner, tok)
        if left is None:
            if tok.kind is _Kind.RPAREN and not frame.terms and len(stack) > 1:
                raise FilterSyntaxError(ERR_EMPTY)
            if tok.kind is _Kind.JOIN and not frame.terms and not frame.joins:
                # a join where the expression starts: "&& a = 1"
                raise FilterSyntaxError(
                    f"expected left operand (identifier, function, text or number), got {_describe(tok)}"
                )
            if tok.kind in (_Kind.RPAREN, _Kind.JOIN):
                raise FilterSyntaxError(ERR_INCOMPLETE)
            raise FilterSyntaxError(
                f"expected left operand (identifier, function, text or number), got {_describe(tok)}"
            )
        tok = scanner.next()
        if tok.kind is not _Kind.SIGN:
            if tok.kind is _Kind.EOF:
                raise FilterSyntaxError(ERR_INCOMPLETE)
            raise FilterSyntaxError(f"expected a sign operator, got {_describe(tok)}")
        op = _SIGNS[tok.value]
        tok = scanner.next()
        right = _operand(scanner, tok)
        if right is None:
            if tok.kind in (_Kind.EOF, _Kind.RPAREN, _Kind.JOIN):
                raise FilterSyntaxError(ERR_INCOMPLETE)
            raise FilterSyntaxError(
                f"expected right operand (identifier, function, text or number), got {_describe(tok)}"
            )
        frame.terms.append(Comparison(left, op, right))
        # after a term: a join, ")" closing groups, or the end
        while True:
            tok = scanner.next()
            if tok.kind is _Kind.JOIN:
                stack[-1].joins.append(Join(tok.value))
                break
            if tok.kind is _Kind.RPAREN:
                if len(stack) == 1:
                    raise FilterSyntaxError("unexpected closing bracket")
                done = stack.pop()
                stack[-1].terms.append(Group(tuple(done.terms), tuple(done.joins)))
                continue
            if tok.kind is _Kind.EOF:
                if len(stack) > 1:
                    raise FilterSyntaxError(
                        f"invalid formatted group - missing {len(stack) - 1} closing bracket(s)"
                    )
                top = stack[0]
                return Group(tuple(top.terms), tuple(top.joins))
            raise FilterSyntaxError(f"expected && or ||, got {_describe(tok)}")


@lru_cache(maxsize=1024)
def parse(text: str) -> Expr:
    """Parse filter text into an AST (cached by text; the AST is immutable).

    Raises :class:`FilterSyntaxError` with PocketBase-style messages.
    """
    return _parse(text)
