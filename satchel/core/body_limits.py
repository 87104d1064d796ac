"""How large a request body may be, per route (spec 00 §3), as PocketBase computes it."""

from __future__ import annotations

from satchel.config import DEFAULT_BODY_LIMIT
from satchel.core.collections.model import Collection

__all__ = ["BATCH_DEFAULT_LIMIT", "batch_body_limit", "record_body_limit"]

BATCH_DEFAULT_LIMIT = 128 << 20


def record_body_limit(c: Collection) -> int:
    """32 MiB plus every file/editor/json field's own maximum (files × maxSelect)."""
    limit = DEFAULT_BODY_LIMIT
    for f in c.fields:
        size = getattr(f, "effective_max_size", 0)
        if not isinstance(size, int):
            continue
        if f.type == "file":
            limit += size * max(int(getattr(f, "maxSelect", 1) or 1), 1)
        elif f.type in ("editor", "json"):
            limit += size
    return limit


def batch_body_limit(max_body_size: int) -> int:
    """``settings.batch.maxBodySize``; 0 means 128 MiB."""
    return max_body_size if max_body_size > 0 else BATCH_DEFAULT_LIMIT
