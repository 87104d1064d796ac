"""Go ``regexp`` semantics on RE2: linear-time matching of user-supplied patterns.

PocketBase validates text and password ``pattern`` values with Go's ``regexp``, whose
engine never backtracks. Python's ``re`` does, so one hostile pattern such as
``^([a-zA-Z0-9]+\\s?)*$`` could hold a worker for seconds per value (issue 19, defect 6).
Here patterns run on Google's RE2 (``google-re2``), the C++ library Go's engine was
ported from: same syntax, same linear time, and its matching releases the GIL.

What differs between the two is handled before or after RE2 sees a pattern:

* Go's error texts (``error parsing regexp: <code>: `<arg>```) are rebuilt from RE2's;
* ``\\C`` (any byte) exists only in RE2, Go rejects it;
* Go refuses a tree nested over 1,000 levels (approximated by parenthesis depth);
* RE2's default 8 MiB program budget refuses patterns Go compiles (``\\pL{1000}``): a
  pattern that fails on size is compiled again with a larger budget;
* a Python ``str`` may hold lone surrogates that UTF-8 cannot encode: they become U+FFFD,
  as Go's JSON decoder would have made them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from satchel.tools.lazy_re import LazyPattern

if TYPE_CHECKING:  # the import costs start-up time; it happens on the first compile
    import re2

__all__ = ["GoRegexError", "compile", "error", "search"]

_BUDGET = 8 << 20  # RE2's default; plenty for every ordinary pattern
_LARGE_BUDGET = 256 << 20  # only for patterns that need it, as Go accepts them
_MAX_NESTING = 1000  # Go's regexp/syntax maxHeight
_PREFIX = "error parsing regexp: "
_SURROGATE = LazyPattern("[\ud800-\udfff]")

# RE2's error code text -> Go's ErrorCode text.
_CODES = {
    "missing )": "missing closing )",
    "missing ]": "missing closing ]",
    "unexpected )": "unexpected )",
    "invalid repetition size": "invalid repeat count",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid escape sequence": "invalid escape sequence",
    "bad repetition operator": "invalid nested repetition operator",
    "no argument for repetition operator": "missing argument to repetition operator",
    "invalid character class range": "invalid character class range",
    "invalid character class": "invalid character class",
    "invalid named capture group": "invalid named capture",
    "invalid UTF-8": "invalid UTF-8",
    "trailing \\": "trailing backslash at end of expression",
}


class GoRegexError(ValueError):
    """A pattern Go's ``regexp.Compile`` refuses; ``str()`` is Go's error text."""


def _go_error(code: str, arg: str) -> GoRegexError:
    return GoRegexError(f"{_PREFIX}{code}: `{arg}`")


def _clean(text: str) -> str:
    """``text`` with lone surrogates replaced, so it encodes to UTF-8."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _prescan(pattern: str) -> None:
    """Raise what Go says about syntax RE2 accepts: ``\\C`` and too deep nesting."""
    depth = 0
    in_class = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":  # \Q...\E is literal text
                end = pattern.find("\\E", i + 2)
                i = n if end < 0 else end + 2
                continue
            if nxt == "C":
                raise _go_error("invalid escape sequence", "\\C")
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):  # a leading ] is a literal
                i += 1
            continue
        elif ch == "(":
            depth += 1
            if depth >= _MAX_NESTING:
                raise _go_error("expression nests too deeply", pattern)
        elif ch == ")":
            depth = max(depth - 1, 0)
        i += 1


def _translate_error(pattern: str, message: str) -> GoRegexError:
    """RE2's ``"<code>: <arg>"`` (or a bare code) as Go's error."""
    code, _, arg = message.partition(": ")
    if code == "pattern too large - compile failed":
        return _go_error("expression too large", pattern)
    if code == "invalid perl operator" and arg in ("(?<=", "(?<!"):
        # Go 1.22 reads ``(?<`` as a named group and reports the text up to its ``>``.
        start = pattern.find(arg)
        end = pattern.find(">", start)
        return _go_error("invalid named capture", pattern[start:] if end < 0 else pattern[start:end + 1])
    if code == "trailing \\":
        return _go_error(_CODES[code], "")
    return _go_error(_CODES.get(code, code), arg)


def _options(budget: int) -> re2.Options:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    options.max_mem = budget
    return options


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re2._Regexp | GoRegexError:
    import re2

    try:
        _prescan(pattern)
    except GoRegexError as exc:
        return exc
    text = _clean(pattern)
    for budget in (_BUDGET, _LARGE_BUDGET):
        try:
            return re2.compile(text, _options(budget))
        except re2.error as exc:
            raw = exc.args[0] if exc.args else b""
            message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            failure = _translate_error(pattern, message)
            if not message.startswith("pattern too large"):
                return failure
    return failure


def compile(pattern: str) -> re2._Regexp:  # noqa: A001 -- the module is used as goregex.compile
    """``regexp.Compile``: the compiled pattern (cached), or :class:`GoRegexError`."""
    result = _compiled(pattern)
    if isinstance(result, GoRegexError):
        raise GoRegexError(str(result))
    return result


def error(pattern: str) -> str | None:
    """``None`` when Go's ``regexp.Compile`` accepts ``pattern``, else its error text."""
    result = _compiled(pattern)
    return str(result) if isinstance(result, GoRegexError) else None


# patterns whose Go meaning Python's ``re`` gives exactly (ASCII classes, a whole-text
# match): the id of every record is checked against the first on every create; RE2's
# binding costs several times more per call
_SAME_IN_PYTHON = {"^[a-z0-9]+$": LazyPattern(r"[a-z0-9]+", re.ASCII).fullmatch}


def search(pattern: str, value: str) -> bool:
    """``regexp.MatchString``: an unanchored search; an invalid pattern never matches."""
    same = _SAME_IN_PYTHON.get(pattern)
    if same is not None:
        return same(value) is not None
    result = _compiled(pattern)
    if isinstance(result, GoRegexError):
        return False
    return result.search(_clean(value)) is not None
