"""Records-list query parameters (spec 03 §2.1, §3, §4) -> a frozen :class:`ListParams`.

Every problem raises :class:`ListParamsError`: a 400 with PocketBase's generic
message, the precise reason (what PocketBase only logs) kept in ``reason``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from satchel.errors import BadRequestError
from satchel.tools.search.types import SortItem

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_EXPAND_DEPTH",
    "MAX_FILTER_LENGTH",
    "MAX_PER_PAGE",
    "MAX_SORT_EXPRESSIONS",
    "MAX_SORT_ITEM_LENGTH",
    "Excerpt",
    "FieldPick",
    "ListParams",
    "ListParamsError",
    "parse_bool",
    "parse_expand",
    "parse_fields",
    "parse_list_params",
    "parse_sort",
]

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
MAX_FILTER_LENGTH = 3500
MAX_SORT_EXPRESSIONS = 8
MAX_SORT_ITEM_LENGTH = 255
MAX_EXPAND_DEPTH = 6

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


class ListParamsError(BadRequestError):
    """Invalid list parameter: generic 400 body; ``reason`` is for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Excerpt:
    """The ``:excerpt(max[, withEllipsis])`` fields modifier."""

    max_length: int
    with_ellipsis: bool = False


@dataclass(frozen=True, slots=True)
class FieldPick:
    """One ``fields`` entry: a dot path (``*`` allowed) with an optional excerpt."""

    path: str
    excerpt: Excerpt | None = None


@dataclass(frozen=True, slots=True)
class ListParams:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: tuple[SortItem, ...] = ()
    filter: str = ""
    skip_total: bool = False
    expand: tuple[str, ...] = ()
    fields: tuple[FieldPick, ...] = ()

    @property
    def offset(self) -> int:
        # Go's int would wrap; SQLite can't bind past int64: a page that far is just empty
        return min(self.per_page * (self.page - 1), _INT64_MAX)


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_bool(raw: str) -> bool:
    """Go's ``strconv.ParseBool``."""
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ListParamsError(f"strconv.ParseBool: parsing {_go_quote(raw)}: invalid syntax")


_INT64_MAX = (1 << 63) - 1


def _atoi(raw: str) -> int:
    """Go's ``strconv.Atoi`` (optional sign, ASCII digits only)."""
    digits = raw[1:] if raw[:1] in ("+", "-") else raw
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ListParamsError(f"strconv.Atoi: parsing {_go_quote(raw)}: invalid syntax")
    value = int(raw)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise ListParamsError(f"strconv.Atoi: parsing {_go_quote(raw)}: value out of range")
    return value


def parse_sort(raw: str) -> tuple[SortItem, ...]:
    """``-a,+b,c`` -> sort items; ``-`` is DESC, ``+``/none ASC; items trimmed."""
    if not raw:
        return ()
    parts = raw.split(",")
    if len(parts) > MAX_SORT_EXPRESSIONS:
        raise ListParamsError("max sort expressions limit reached")
    items: list[SortItem] = []
    for part in parts:
        part = part.strip()
        if len(part) > MAX_SORT_ITEM_LENGTH:
            raise ListParamsError(f"invalid sort expression - max {MAX_SORT_ITEM_LENGTH} characters allowed")
        if part.startswith("-"):
            name, desc = part[1:], True
        else:
            name, desc = part.removeprefix("+"), False
        if not name:
            raise ListParamsError(f'invalid sort field "{name}"')
        items.append(SortItem(name, desc))
    return tuple(items)


def parse_expand(raw: str) -> tuple[str, ...]:
    """Normalise an ``expand`` list: spaces removed, dots trimmed, redundant prefixes dropped,
    paths cut to :data:`MAX_EXPAND_DEPTH` segments."""
    paths: list[str] = []
    for part in raw.replace(" ", "").split(","):
        segments = [s for s in part.strip(".").split(".")][:MAX_EXPAND_DEPTH]
        path = ".".join(segments)
        if path and path not in paths:
            paths.append(path)
    return tuple(p for p in paths if not any(o != p and o.startswith(p + ".") for o in paths))


def _split_top_level(raw: str) -> list[str]:
    """Split on commas that are not inside ``(...)`` (excerpt arguments)."""
    out: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(raw):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            out.append(raw[start:i])
            start = i + 1
    out.append(raw[start:])
    return out


def _parse_excerpt(args: str) -> Excerpt:
    parts = [a.strip() for a in args.split(",")]
    if not 1 <= len(parts) <= 2:
        raise ListParamsError("excerpt modifier expects 1 or 2 arguments")
    try:
        max_length = _atoi(parts[0])
    except ListParamsError as exc:
        raise ListParamsError(f"invalid excerpt modifier max argument: {exc.reason}") from exc
    if max_length <= 0:
        raise ListParamsError("excerpt max argument must be > 0")
    with_ellipsis = parse_bool(parts[1]) if len(parts) == 2 else False
    return Excerpt(max_length, with_ellipsis)


def parse_fields(raw: str) -> tuple[FieldPick, ...]:
    """``a,b.c,*,body:excerpt(200,true)`` -> field picks (empty entries ignored)."""
    picks: list[FieldPick] = []
    for entry in _split_top_level(raw):
        entry = entry.strip()
        if not entry:
            continue
        colon = entry.find(":")
        if colon < 0:
            picks.append(FieldPick(entry))
            continue
        path, modifier = entry[:colon].strip(), entry[colon + 1 :].strip()
        if not modifier.startswith("excerpt(") or not modifier.endswith(")"):
            raise ListParamsError(f"missing or invalid fields modifier {_go_quote(modifier)}")
        picks.append(FieldPick(path, _parse_excerpt(modifier[len("excerpt(") : -1])))
    return tuple(picks)


def _first(query: Mapping[str, str | Sequence[str]], key: str) -> str:
    value = query.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value[0] if value else ""


def parse_list_params(query: Mapping[str, str | Sequence[str]]) -> ListParams:
    """Parse the list query (first value per key) with PocketBase's defaults and limits."""
    page = 1
    if raw := _first(query, "page"):
        page = max(_atoi(raw), 0) or 1
    per_page = DEFAULT_PER_PAGE
    if raw := _first(query, "perPage"):
        per_page = _atoi(raw)
        per_page = DEFAULT_PER_PAGE if per_page <= 0 else min(per_page, MAX_PER_PAGE)
    skip_total = False
    if raw := _first(query, "skipTotal"):
        skip_total = parse_bool(raw)
    filter_text = _first(query, "filter")
    if len(filter_text.encode()) > MAX_FILTER_LENGTH:  # Go measures bytes
        raise ListParamsError("max filter length limit reached")
    return ListParams(
        page=page,
        per_page=per_page,
        sort=parse_sort(_first(query, "sort")),
        filter=filter_text,
        skip_total=skip_total,
        expand=parse_expand(_first(query, "expand")),
        fields=parse_fields(_first(query, "fields")),
    )
