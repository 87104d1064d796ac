"""Write migration files (pure): the Python counterpart of PocketBase's JS templates.

Given a collection's API JSON before and after a change, :func:`diff_template`
returns the source of a ``pb_migrations/*.py`` file whose ``up(app)`` replays the
change and whose ``down(app)`` undoes it (spec 13 §4).  The files use only the
app's methods and the helpers of :mod:`satchel.migrations`, so a user can read,
edit and commit them like hand-written ones.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from satchel.core.collections.model import HIDDEN_WHEN_DEFAULT

__all__ = [
    "BLANK_TEMPLATE",
    "DIFF_SKIPPED_KEYS",
    "diff_template",
    "migration_action",
    "migration_file_name",
    "snapshot_template",
    "snake_name",
]

# Keys that are not replayed: identity and timestamps (the app sets them).
DIFF_SKIPPED_KEYS = frozenset({"id", "created", "updated", "fields"})

BLANK_TEMPLATE = '''"""A Satchel migration: ``up`` applies it, ``down`` reverts it."""


def up(app):
    # add up queries...
    pass


def down(app):
    # add down queries...
    pass
'''

_IMPORTS = "from satchel.migrations import {names}\n\n\n"


def snake_name(name: str) -> str:
    """A migration name as PocketBase writes it: lower snake case of the words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return "_".join(w.lower() for w in re.findall(r"[A-Za-z0-9]+", spaced))


def migration_action(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """``created_<name>`` / ``updated_<old name>`` / ``deleted_<name>``; a name ending in
    ``test`` gets a ``_`` so the file is not taken for a test (as PocketBase)."""
    if after is None:
        assert before is not None
        action, name = "deleted", str(before["name"])
    elif before is None:
        action, name = "created", str(after["name"])
    else:
        action, name = "updated", str(before["name"])
    stem = f"{action}_{name}"
    return stem + "_" if stem.endswith("test") else stem


def migration_file_name(timestamp: int, stem: str) -> str:
    return f"{timestamp}_{stem}.py"


# -- Python literals ------------------------------------------------------------


def py_literal(value: Any, indent: int = 0) -> str:
    """``value`` as Python source, dict keys sorted (as PocketBase's JSON), one entry a line."""
    pad, inner = "    " * indent, "    " * (indent + 1)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {py_literal(value[k], indent + 1)}," for k in sorted(value)]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, Sequence):
        if not value:
            return "[]"
        items = [f"{inner}{py_literal(v, indent + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    raise TypeError(f"not JSON data: {type(value).__name__}")


# -- what is compared -------------------------------------------------------------


def _strip_providers(data: Mapping[str, Any]) -> dict[str, Any]:
    """The collection without OAuth2 providers: they carry secrets the API never shows,
    so PocketBase leaves them out of migrations."""
    out = copy.deepcopy(dict(data))
    oauth2 = out.get("oauth2")
    if isinstance(oauth2, dict):
        oauth2.pop("providers", None)
    return out


def _props(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in _strip_providers(data).items() if k not in DIFF_SKIPPED_KEYS}


def _creatable(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in _strip_providers(data).items() if k not in ("created", "updated")}


def _changed_props(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys of ``new`` that differ from ``old`` (objects as a minimal deep patch)."""
    a, b = _props(old), _props(new)
    out: dict[str, Any] = {}
    for key in b:
        if key not in a or a[key] != b[key]:
            out[key] = _patch(a.get(key), b[key])
    for key in a.keys() - b.keys():
        if key in HIDDEN_WHEN_DEFAULT:  # an extension option the API hides at its default
            out[key] = copy.deepcopy(HIDDEN_WHEN_DEFAULT[key])
    return out


def _patch(old: Any, new: Any) -> Any:
    """The part of ``new`` that differs, for objects merged key by key (lists replace)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping) and set(old) <= set(new):
        return {k: _patch(old.get(k), v) for k, v in new.items() if k not in old or old[k] != v}
    return new


# -- field operations --------------------------------------------------------------


def field_ops(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """Operations turning the field list ``old`` into ``new`` exactly.

    ``("remove", id)`` for fields that are gone, then ``("add", (i, field))`` for each
    position whose field is new, changed or moved; ``add`` replaces a field of the same
    id.  Computed by replaying them on a copy, so the result is ``new`` by construction.
    """
    new_ids = {str(f.get("id")) for f in new}
    ops: list[tuple[str, Any]] = []
    current = [dict(f) for f in old]
    for f in old:
        if str(f.get("id")) not in new_ids:
            ops.append(("remove", str(f.get("id"))))
    current = [f for f in current if str(f.get("id")) in new_ids]
    for i, f in enumerate(new):
        if i < len(current) and current[i] == f:
            continue
        ops.append(("add", (i, dict(f))))
        current = [c for c in current if c.get("id") != f.get("id")]
        current.insert(i, dict(f))
    return ops


# -- templates ----------------------------------------------------------------------


def _module(doc: str, imports: Sequence[str], up: Sequence[str], down: Sequence[str]) -> str:
    head = f'"""{doc}"""\n\n'
    if imports:
        head += _IMPORTS.format(names=", ".join(sorted(imports)))
    else:
        head += "\n"
    body = "def up(app):\n" + "\n".join(f"    {line}" if line else "" for line in up) + "\n\n\n"
    body += "def down(app):\n" + "\n".join(f"    {line}" if line else "" for line in down) + "\n"
    return head + body


def _create_lines(data: Mapping[str, Any]) -> list[str]:
    return [f"collection = new_collection({py_literal(_creatable(data), 1)})", "", "app.save(collection)"]


def _delete_lines(collection_id: str) -> list[str]:
    return [f"collection = app.find_collection_by_name_or_id({json.dumps(collection_id)})", "", "app.delete(collection)"]


def _update_lines(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[list[str], set[str]]:
    lines = [f"collection = app.find_collection_by_name_or_id({json.dumps(str(old['id']))})", ""]
    used: set[str] = set()
    props = _changed_props(old, new)
    if props:
        lines += ["# update collection data", f"unmarshal({py_literal(props, 1)}, collection)", ""]
        used.add("unmarshal")
    for op, arg in field_ops(list(old.get("fields") or []), list(new.get("fields") or [])):
        if op == "remove":
            lines += ["# remove field", f"remove_field(collection, {json.dumps(arg)})", ""]
            used.add("remove_field")
        else:
            index, field = arg
            known = any(f.get("id") == field.get("id") for f in old.get("fields") or [])
            lines += [f"# {'update' if known else 'add'} field", f"add_field(collection, {index}, {py_literal(field, 1)})", ""]
            used.add("add_field")
    lines.append("app.save(collection)")
    return lines, used


def diff_template(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str | None:
    """The migration file replaying ``before`` -> ``after`` (API JSON of one collection);
    ``None`` when nothing that a migration replays has changed."""
    if before is None and after is None:
        raise ValueError("a migration needs the collection before or after the change")
    if before is None:
        assert after is not None
        doc = f'Created collection "{after["name"]}".'
        return _module(doc, ["new_collection"], _create_lines(after), _delete_lines(str(after["id"])))
    if after is None:
        doc = f'Deleted collection "{before["name"]}".'
        return _module(doc, ["new_collection"], _delete_lines(str(before["id"])), _create_lines(before))
    up, used_up = _update_lines(before, after)
    down, used_down = _update_lines(after, before)
    if len(up) == 3:  # only the lookup and the save: nothing changed
        return None
    return _module(f'Updated collection "{before["name"]}".', sorted(used_up | used_down), up, down)


def snapshot_template(collections: Sequence[Mapping[str, Any]]) -> str:
    """``migrate collections``: import every collection as it is now; down does nothing."""
    items = [_creatable(c) for c in collections]
    up = [f"snapshot = {py_literal(items, 1)}", "", "import_collections(app, snapshot, delete_missing=False)"]
    return _module("Snapshot of the collections.", ["import_collections"], up, ["pass"])
