"""The ``fields`` query parameter: pick keys out of a response (spec 03 §4).

``fields=id,title:excerpt(100,true),expand.author.name`` keeps only those
paths; ``*`` stands for every key at its level.  Applied after rules and
hidden-field stripping, so it can only narrow what a requester may see.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from satchel.tools.search import Excerpt, FieldPick

__all__ = ["excerpt", "pick_fields"]

_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def excerpt(value: Any, spec: Excerpt) -> Any:
    """Plain text of ``value`` (HTML tags stripped), cut at ``max_length`` characters."""
    if not isinstance(value, str):
        return value
    import html  # here: its entity table costs start-up time and only :excerpt needs it

    text = _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", value))).strip()
    if len(text) <= spec.max_length:
        return text
    cut = text[: spec.max_length].rstrip()
    return cut + "..." if spec.with_ellipsis else cut


def _tree(picks: Sequence[FieldPick]) -> dict[str, Any]:
    """Nested dict of path segments; a leaf holds its Excerpt (or None)."""
    root: dict[str, Any] = {}
    for pick in picks:
        node = root
        parts = pick.path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        last = parts[-1]
        if not isinstance(node.get(last), dict):
            node[last] = pick.excerpt
    return root


def _apply(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_apply(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    star = tree.get("*", False)
    for key, item in value.items():
        sub = tree.get(key, star if "*" in tree else False)
        if sub is False:
            continue
        if isinstance(sub, dict):
            out[key] = _apply(item, sub)
        elif isinstance(sub, Excerpt):
            out[key] = excerpt(item, sub)
        else:
            out[key] = item
    return out


def pick_fields(data: Any, picks: Sequence[FieldPick]) -> Any:
    """``data`` narrowed to ``picks``; unchanged when there are none."""
    if not picks:
        return data
    return _apply(data, _tree(picks))
