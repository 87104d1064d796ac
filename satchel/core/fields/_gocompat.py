"""Go-compatible value casts and regular expressions used by the field types.

PocketBase normalizes record values with ``spf13/cast`` and validates with Go's
RE2 ``regexp``; these helpers reproduce the observable behaviour in Python.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from functools import lru_cache
from typing import Any

from satchel.tools import goregex
from satchel.tools.lazy_re import LazyPattern
from satchel.tools.security.random import random_string_with_alphabet

__all__ = [
    "RegexError",
    "go_format_float",
    "go_regex_error",
    "go_search",
    "json_number",
    "random_string_by_regex",
    "to_bool",
    "to_float",
    "to_string",
    "to_unique_string_slice",
]

# compiled on first use (a number sent as text, a pattern-generated value): not at start-up
_GO_FLOAT_RE = LazyPattern(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)",
    re.IGNORECASE,
)
_BOOL_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_BOOL_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def go_format_float(value: float) -> str:
    """``strconv.FormatFloat(v, 'f', -1, 64)`` (what ``cast.ToString`` does)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer():
        return str(int(value))
    from decimal import Decimal  # here, not at start-up: only fractional numbers need it

    return format(Decimal(repr(value)), "f")


def go_format_g(value: float) -> str:
    """``fmt.Sprint(float64)`` (``%v`` = shortest ``%g``, exponent from 21 digits)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    from decimal import Decimal

    digits = Decimal(repr(value)).normalize()
    sign, coeff, exp = digits.as_tuple()
    assert isinstance(exp, int)
    nd = len(coeff)
    point = nd + exp  # decimal point position relative to the digits
    x = point - 1
    if x < -4 or x >= 21:
        mant = "".join(map(str, coeff))
        mant = mant[0] + ("." + mant[1:] if len(mant) > 1 else "")
        text = f"{mant}e{'-' if x < 0 else '+'}{abs(x):02d}"
    else:
        text = format(digits, "f")
    return ("-" if sign else "") + text.lstrip("-")


def json_number(value: float | int) -> float | int:
    """A number as Go's ``encoding/json`` writes a float64: integral values without ``.0``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def to_string(value: Any) -> str:
    """``cast.ToString``: scalars to text, anything else to ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_format_float(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return ""


def to_float(value: Any) -> float:
    """``cast.ToFloat64``: numbers, numeric strings (Go syntax) and bools; else ``0``."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return 0.0
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        if not _GO_FLOAT_RE.fullmatch(value):
            return 0.0
        result = float(value)
        if math.isinf(result) and "inf" not in value.lower():
            return 0.0  # ParseFloat range error
        return result
    return 0.0


def to_bool(value: Any) -> bool:
    """``cast.ToBool``: ``strconv.ParseBool`` for strings, non-zero numbers are true."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return value in _BOOL_TRUE
    return False


def _nonzero_uniques(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item == "" or item in seen:
            continue
        seen.add(item)
        out.append(item)
    return out


def to_unique_string_slice(value: Any) -> list[str]:
    """``list.ToUniqueStringSlice``: a de-duplicated list of non-empty strings.

    A string containing ``[`` is tried as a JSON array of strings first.
    """
    result: list[str] = []
    if value is None:
        pass
    elif isinstance(value, str):
        if value:
            parsed: Any = None
            if "[" in value:
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = None
            if isinstance(parsed, list) and all(isinstance(x, str) or x is None for x in parsed):
                result = [x or "" for x in parsed]
            else:
                result = [value]
    elif isinstance(value, (list, tuple)):
        result = [to_string(x) for x in value]
    elif isinstance(value, (dict, set, frozenset)):
        result = []
    else:
        result = [to_string(value)]
    return _nonzero_uniques(result)


# -- regular expressions ------------------------------------------------------------


class RegexError(ValueError):
    """A pattern Go's ``regexp`` would refuse; ``str()`` is Go's error text."""


_UNSUPPORTED_GROUPS = ("(?=", "(?!", "(?<=", "(?<!", "(?>", "(?#")


def _translate(pattern: str) -> str:
    """Go RE2 syntax -> Python ``re`` syntax (raises :class:`RegexError`), for the
    generator below only: matching and validation use RE2 itself (tools/goregex)."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    in_class = False
    multiline = False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise RegexError("error parsing regexp: trailing backslash at end of expression: ``")
            nxt = pattern[i + 1]
            if nxt.isdigit() and nxt != "0" and not in_class:
                raise RegexError(f"error parsing regexp: invalid escape sequence: `\\{nxt}`")
            if nxt == "z" and not in_class:
                out.append(r"\Z")
            elif nxt in "ZG" or (nxt.isalpha() and nxt in "gkR"):
                raise RegexError(f"error parsing regexp: invalid escape sequence: `\\{nxt}`")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            elif ch == "[" and pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                if end != -1:
                    out.append(_POSIX_CLASSES.get(pattern[i + 2 : end].lstrip("^"), ""))
                    i = end + 2
                    continue
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append(r"\]")
                i += 1
            continue
        if ch == "(" and pattern.startswith("(?", i):
            for bad in _UNSUPPORTED_GROUPS:
                if pattern.startswith(bad, i):
                    raise RegexError(f"error parsing regexp: invalid or unsupported Perl syntax: `{bad}`")
            if pattern.startswith("(?<", i):
                out.append("(?P<")
                i += 3
                continue
            flags = re.match(r"\(\?([imsU-]*)[:)]", pattern[i:])
            if flags and "m" in flags.group(1).split("-")[0]:
                multiline = True
            if flags and "U" in flags.group(1):
                raise RegexError("error parsing regexp: invalid or unsupported Perl syntax: `(?U`")
        if ch == "$" and not multiline:
            out.append(r"\Z")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def go_regex_error(pattern: str) -> str | None:
    """``None`` if Go's ``regexp.Compile`` accepts ``pattern``, else its error text."""
    return goregex.error(pattern)


def go_search(pattern: str, value: str) -> bool:
    """``regexp.MatchString`` on RE2 (linear time): unanchored; an invalid pattern never matches."""
    return goregex.search(pattern, value)


# -- random strings from a regex (security.RandomStringByRegex) ---------------------

_DEFAULT_MAX_REPEAT = 6
_ANY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0123456789",
    "CATEGORY_NOT_DIGIT": "".join(c for c in _PRINTABLE if not c.isdigit()),
    "CATEGORY_SPACE": "\t\n\f\r ",
    "CATEGORY_NOT_SPACE": _PRINTABLE.replace(" ", ""),
    "CATEGORY_WORD": _ANY_CHARS + "_",
    "CATEGORY_NOT_WORD": "".join(c for c in _PRINTABLE if not (c.isalnum() or c == "_")),
}
# Go syntax.Op numbers reported for operators the generator can't produce.
_GO_OP_BEGIN_TEXT = 9
_GO_OP_END_TEXT = 10
_GO_OP_WORD_BOUNDARY = 11
_GO_OP_NO_WORD_BOUNDARY = 12


def _class_chars(items: list[tuple[Any, Any]], icase: bool) -> str:
    negate = False
    chars: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chars.append(chr(av))
        elif name == "RANGE":
            lo, hi = av
            if hi - lo > 5000:
                hi = lo + 5000
            chars.extend(chr(c) for c in range(lo, hi + 1))
        elif name == "CATEGORY":
            chars.extend(_CATEGORY_CHARS.get(str(av), ""))
    if icase:
        chars = chars + [c.swapcase() for c in chars]
    if negate:
        excluded = set(chars)
        return "".join(c for c in _PRINTABLE if c not in excluded)
    return "".join(dict.fromkeys(chars))


def _pick(choices: str) -> str:
    if not choices:
        raise RegexError("no runes to choose from")
    return choices[secrets.randbelow(len(choices))]


def _emit(parsed: Any, out: list[str], icase: bool) -> None:
    from re import _constants as sre_constants  # type: ignore[attr-defined]

    for op, av in parsed:
        name = str(op)
        if name == "LITERAL":
            c = chr(av)
            out.append(_pick(c + c.swapcase()) if icase and c.swapcase() != c else c)
        elif name == "NOT_LITERAL":
            out.append(_pick(_PRINTABLE.replace(chr(av), "")))
        elif name == "IN":
            out.append(_pick(_class_chars(list(av), icase)))
        elif name == "ANY":
            out.append(_pick(_ANY_CHARS))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = av
            if hi == sre_constants.MAXREPEAT:
                hi = _DEFAULT_MAX_REPEAT
            if hi < lo:
                hi = lo
            count = lo + (secrets.randbelow(hi - lo) if hi != lo else 0)
            for _ in range(count):
                _emit(sub, out, icase)
        elif name == "SUBPATTERN":
            _group, add_flags, _del_flags, sub = av
            _emit(sub, out, icase or bool(add_flags & re.IGNORECASE))
        elif name == "BRANCH":
            _, branches = av
            _emit(branches[secrets.randbelow(len(branches))], out, icase)
        elif name == "AT":
            at = str(av)
            if at in ("AT_BEGINNING", "AT_BEGINNING_STRING", "AT_BEGINNING_LINE"):
                raise RegexError(f"unsupported pattern operator {_GO_OP_BEGIN_TEXT}")
            if at in ("AT_BOUNDARY",):
                raise RegexError(f"unsupported pattern operator {_GO_OP_WORD_BOUNDARY}")
            if at in ("AT_NON_BOUNDARY",):
                raise RegexError(f"unsupported pattern operator {_GO_OP_NO_WORD_BOUNDARY}")
            raise RegexError(f"unsupported pattern operator {_GO_OP_END_TEXT}")
        elif name == "CATEGORY":
            out.append(_pick(_CATEGORY_CHARS.get(str(av), "")))
        else:
            raise RegexError(f"unsupported pattern operator {name}")


@lru_cache(maxsize=256)
def _parsed_generator(pattern: str) -> Any:
    """The parsed form of an autogenerate pattern, cached: parsing cost ~8% of a create."""
    from re import _parser as sre_parse  # type: ignore[attr-defined]

    error = go_regex_error(pattern)
    if error is not None:
        raise RegexError(error)
    try:
        return sre_parse.parse(_translate(pattern), re.ASCII)
    except (re.error, RecursionError, OverflowError) as exc:  # Go syntax Python's parser lacks
        raise RegexError(f"unsupported pattern: {exc}") from None


_SIMPLE_CLASS_REPEAT = LazyPattern(r"\[((?:[a-zA-Z0-9]-[a-zA-Z0-9]|[a-zA-Z0-9_])+)\]\{(\d+)\}")


@lru_cache(maxsize=256)
def _simple_alphabet(pattern: str) -> tuple[str, int] | None:
    """``[a-z0-9]{15}``-style patterns (every default id/tokenKey) as (alphabet, length)."""
    m = _SIMPLE_CLASS_REPEAT.fullmatch(pattern)
    if m is None:
        return None
    chars: list[str] = []
    body = m.group(1)
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.append(body[i])
            i += 1
    return "".join(dict.fromkeys(chars)), int(m.group(2))


def random_string_by_regex(pattern: str) -> str:
    """A random string matching ``pattern`` (``security.RandomStringByRegex``).

    Mirrors Go's generator: unbounded repeats stop at 6, a ``{min,max}`` repeat
    yields ``min..max-1`` items (and ``?`` nothing), anchors are unsupported.
    Raises :class:`RegexError` with Go's message text.
    """
    simple = _simple_alphabet(pattern)
    if simple is not None:  # the common case, without walking a parsed regex (~6% of a create)
        alphabet, length = simple
        return random_string_with_alphabet(length, alphabet)
    parsed = _parsed_generator(pattern)
    out: list[str] = []
    _emit(parsed, out, bool(parsed.state.flags & re.IGNORECASE))
    return "".join(out)
