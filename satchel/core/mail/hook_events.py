"""The hook events of sent mail (``on_mailer_send``, ``on_mailer_record_*_send``).

Re-exported by the package's face and by :mod:`satchel.hooks` (docs/hooks.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from satchel.core.hook_events import AppEvent
from satchel.core.records.model import Record

__all__ = ["MailerEvent", "MailerRecordEvent"]


@dataclass(eq=False, kw_only=True)
class MailerEvent(AppEvent):
    """``onMailerSend``: the message about to be sent."""
    message: Any = None


@dataclass(eq=False, kw_only=True)
class MailerRecordEvent(MailerEvent):
    """A mail about a record (verification, password reset...)."""
    record: Record | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def hook_tags(self) -> tuple[str, ...]:
        if self.record is None:
            return ()
        return (self.record.collection.id, self.record.collection.name)
