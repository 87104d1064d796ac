"""Route patterns as PocketBase's router takes them (Go 1.22 ``ServeMux`` syntax), pure.

``[METHOD ]/path`` where a segment is a literal, ``{name}`` (one segment), ``{name...}``
(the rest of the path, last only) or ``{$}`` (the path ends here, after a trailing
slash); a pattern ending in ``/`` matches every path under it.  A pattern without a
method matches every method, ``GET`` matches ``HEAD`` too.

Two patterns that can match the same request are ranked as Go ranks them: the one that
matches a strict subset of the other's requests is *more specific* and wins; when
neither is (``/a/{x}`` vs ``/{y}/b``) or they are the same, Go's mux refuses the second
one at registration (PocketBase panics), and so do we (:class:`PatternConflict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from satchel.tools.lazy_re import LazyPattern

__all__ = ["Pattern", "PatternConflict", "Relation", "parse_pattern", "relation"]

_NAME_RE = LazyPattern(r"^[A-Za-z_][A-Za-z0-9_]*$")
_METHOD_RE = LazyPattern(r"^[A-Z]+$")


class PatternConflict(ValueError):
    """Two patterns match some request alike: neither is more specific."""


class Relation(Enum):
    EQUAL = "equal"
    MORE = "more"  # the first matches a strict subset of the second's requests
    LESS = "less"
    OVERLAP = "overlap"  # each matches requests the other does not, and some in common
    DISJOINT = "disjoint"


# segment kinds
_LIT, _ONE, _REST, _END = "lit", "one", "rest", "end"


@dataclass(frozen=True, slots=True)
class Segment:
    """One path segment of a route pattern: a literal or a wildcard."""
    kind: str
    value: str = ""  # the literal, or the wildcard's name


@dataclass(frozen=True, slots=True)
class Pattern:
    """A route pattern (``METHOD /path/{name}/{rest...}``), parsed."""
    text: str
    method: str  # "" for any method
    segments: tuple[Segment, ...]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when ``method path`` is matched, else ``None``."""
        if self.method and method != self.method and not (self.method == "GET" and method == "HEAD"):
            return None
        return self.match_path(path)

    def match_path(self, path: str) -> dict[str, str] | None:
        if not path.startswith("/"):
            return None
        return self.match_parts(path[1:].split("/"))

    def match_parts(self, parts: list[str]) -> dict[str, str] | None:
        """:meth:`match_path` of a path already split on ``/`` (without its leading one)."""
        params: dict[str, str] = {}
        for i, seg in enumerate(self.segments):
            if seg.kind == _REST:
                if seg.value:
                    params[seg.value] = "/".join(parts[i:])
                return params
            if i >= len(parts):
                return None
            if seg.kind == _LIT:
                if parts[i] != seg.value:
                    return None
            elif parts[i] == "":
                return None  # {name} does not match an empty segment
            else:
                params[seg.value] = parts[i]
        return params if len(parts) == len(self.segments) else None


def parse_pattern(text: str, method: str = "") -> Pattern:
    """Parse ``/path`` (or ``METHOD /path`` when ``method`` is empty); ``ValueError`` on bad syntax."""
    raw = text.strip()
    if " " in raw:
        given, _, raw = raw.partition(" ")
        raw = raw.strip()
        if method and given.upper() != method.upper():
            raise ValueError(f"two methods in route {text!r}")
        method = given
    method = method.upper()
    if method and not _METHOD_RE.match(method):
        raise ValueError(f"invalid method {method!r} in route {text!r}")
    if not raw.startswith("/"):
        raise ValueError(f"route path must start with '/': {text!r}")
    parts = raw[1:].split("/")
    segments: list[Segment] = []
    names: set[str] = set()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "" and last:
            # a trailing slash: the subtree (also the bare "/")
            segments.append(Segment(_REST))
            break
        if part.startswith("{") and part.endswith("}"):
            inner = part[1:-1]
            if inner == "$":
                if not last:
                    raise ValueError(f"{{$}} not at the end of route {text!r}")
                segments.append(Segment(_LIT, ""))  # the empty segment after the trailing slash
                break
            rest = inner.endswith("...")
            name = inner[:-3] if rest else inner
            if not _NAME_RE.match(name):
                raise ValueError(f"bad wildcard name {name!r} in route {text!r}")
            if name in names:
                raise ValueError(f"duplicate wildcard name {name!r} in route {text!r}")
            names.add(name)
            if rest and not last:
                raise ValueError(f"{{{name}...}} not at the end of route {text!r}")
            segments.append(Segment(_REST if rest else _ONE, name))
        elif "{" in part or "}" in part:
            raise ValueError(f"a wildcard must be a whole segment in route {text!r}")
        else:
            segments.append(Segment(_LIT, part))
    shown = f"{method} {raw}" if method else raw
    return Pattern(shown, method, tuple(segments))


_COMBINE = {
    Relation.EQUAL: {Relation.EQUAL: Relation.EQUAL, Relation.MORE: Relation.MORE, Relation.LESS: Relation.LESS},
    Relation.MORE: {Relation.EQUAL: Relation.MORE, Relation.MORE: Relation.MORE, Relation.LESS: Relation.OVERLAP},
    Relation.LESS: {Relation.EQUAL: Relation.LESS, Relation.MORE: Relation.OVERLAP, Relation.LESS: Relation.LESS},
}


def _combine(a: Relation, b: Relation) -> Relation:
    if Relation.DISJOINT in (a, b):
        return Relation.DISJOINT
    if Relation.OVERLAP in (a, b):
        return Relation.OVERLAP
    return _COMBINE[a][b]


def _method_relation(a: str, b: str) -> Relation:
    if a == b:
        return Relation.EQUAL
    if not b or (a == "HEAD" and b == "GET"):
        return Relation.MORE
    if not a or (b == "HEAD" and a == "GET"):
        return Relation.LESS
    return Relation.DISJOINT


def _path_relation(a: tuple[Segment, ...], b: tuple[Segment, ...]) -> Relation:
    state = Relation.EQUAL
    for i in range(max(len(a), len(b))):
        sa = a[i] if i < len(a) else Segment(_END)
        sb = b[i] if i < len(b) else Segment(_END)
        if sa.kind == _REST or sb.kind == _REST:
            if sa.kind == sb.kind:
                return state
            return _combine(state, Relation.LESS if sa.kind == _REST else Relation.MORE)
        if sa.kind == _END or sb.kind == _END:
            return state if sa.kind == sb.kind else Relation.DISJOINT
        if sa.kind == _LIT and sb.kind == _LIT:
            if sa.value != sb.value:
                return Relation.DISJOINT
        elif sa.kind == _LIT:
            state = _combine(state, Relation.MORE)
        elif sb.kind == _LIT:
            state = _combine(state, Relation.LESS)
        if state == Relation.OVERLAP:
            return state
    return state


def relation(a: Pattern, b: Pattern) -> Relation:
    """How ``a``'s set of requests relates to ``b``'s."""
    return _combine(_method_relation(a.method, b.method), _path_relation(a.segments, b.segments))
