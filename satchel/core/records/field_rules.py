"""Field-level rules of the user's guide (spec 14 §8), an extension PocketBase ignores.

A field may carry, in :attr:`Field.extensions`:

* ``createRule`` / ``updateRule`` -- who may *set* the field.  A rule ``R`` on field
  ``f`` is AND-ed into the collection's create/update rule check as
  ``(@request.body.f:isset = false || (R))``; ``null`` means only superusers may set
  ``f`` (the term becomes ``@request.body.f:isset = false``); a missing key means no
  restriction.  Superusers bypass every rule, as they bypass collection rules.
* ``views`` -- the response contexts in which the field is serialized: a list of
  context names (``"list"``, ``"view"``), or an object whose truthy keys are the
  contexts.  ``null``, a missing key or an empty object mean "everywhere"; an empty
  list means "nowhere".  Everywhere else (expanded relations, realtime messages,
  create/update responses) a field with ``views`` is dropped.  Superusers see it.
* ``deleteRule`` -- stored and echoed only: a delete sets no field.

Pure functions over a :class:`Collection`; the records layer calls them (rule text
to combine before its usual rule check; names to drop before serializing).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any, Final, Literal

from satchel.core.collections.model import Collection
from satchel.core.fields import Field

__all__ = [
    "CONTEXT_LIST",
    "CONTEXT_VIEW",
    "dropped_by_views",
    "field_views",
    "write_rule",
]

#: The response contexts a field's ``views`` can name.
CONTEXT_LIST: Final = "list"
CONTEXT_VIEW: Final = "view"

WriteAction = Literal["createRule", "updateRule"]


def field_views(f: Field) -> frozenset[str] | None:
    """The contexts in which ``f`` is serialized, or ``None`` for "everywhere"."""
    ext = f.extensions
    if not ext:
        return None
    views: Any = ext.get("views")
    if views is None:
        return None
    if isinstance(views, Mapping):
        if not views:
            return None
        return frozenset(str(k) for k, v in views.items() if v)
    if isinstance(views, (list, tuple)):
        return frozenset(v for v in views if isinstance(v, str))
    return None


def dropped_by_views(c: Collection, context: str | None, *, superuser: bool) -> tuple[str, ...]:
    """Names of the fields of ``c`` not serialized in ``context`` (``None`` = a response
    that is neither a list page nor a single view: expand, realtime, writes)."""
    if superuser:
        return ()
    out: list[str] = []
    for f in c.fields:
        views = field_views(f)
        if views is not None and (context is None or context not in views):
            out.append(f.name)
    return tuple(out)


def _term(name: str, rule: str | None) -> str:
    isset = f"@request.body.{name}:isset = false"
    if rule is None:
        return isset
    return f"({isset} || ({rule}))"


def write_rule(c: Collection, action: WriteAction, base: str | None, body: Container[str]) -> str | None:
    """The collection rule ``base`` AND-ed with the ``action`` rule of every field of ``c``
    that has one.  Terms of fields absent from ``body`` (``@request.body`` keys) are true
    and left out, so a body that sets no guarded field gets ``base`` back unchanged
    (and its compiled form from the rule cache).  ``base`` is ``None`` only for
    superusers (who skip the check), so it is returned as is."""
    if base is None:
        return None
    terms: list[str] = []
    for f in c.fields:
        ext = f.extensions
        if ext and action in ext and f.name in body:
            rule = ext[action]
            if rule is None or (isinstance(rule, str) and rule.strip()):
                terms.append(_term(f.name, rule))
    if not terms:
        return base
    if base.strip():
        terms.insert(0, f"({base})")
    return " && ".join(terms)
