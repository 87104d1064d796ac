"""The hook event of a file download (``on_file_download_request``).

Re-exported by the package's face and by :mod:`satchel.hooks` (docs/hooks.md)."""

from __future__ import annotations

from dataclasses import dataclass

from satchel.core.hook_events import RequestEvent
from satchel.core.records.hook_events import RecordRequestEvent
from satchel.core.records.model import Record

__all__ = ["FileDownloadRequestEvent", "FileTokenRequestEvent"]


@dataclass(eq=False, kw_only=True)
class FileDownloadRequestEvent(RecordRequestEvent):
    """``onFileDownloadRequest``: the record, field and file served."""
    file_field: str = ""
    served_path: str = ""
    served_name: str = ""


@dataclass(eq=False, kw_only=True)
class FileTokenRequestEvent(RequestEvent):
    """``POST /api/files/token``: ``e.record`` is the authenticated record; ``e.next()``
    answers ``{"token": e.token}`` (a handler may change the token)."""

    record: Record | None = None
    token: str = ""

    def hook_tags(self) -> tuple[str, ...]:
        r = self.record
        return () if r is None else (r.collection.id, r.collection.name)
