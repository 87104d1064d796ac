"""The hook events of realtime: connect and subscribe requests, and each message sent.

Re-exported by the package's face and by :mod:`satchel.hooks` (docs/hooks.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from satchel.core.hook_events import AppEvent, RequestEvent

__all__ = [
    "RealtimeConnectRequestEvent",
    "RealtimeMessage",
    "RealtimeMessageEvent",
    "RealtimeSubscribeRequestEvent",
]


@dataclass(eq=False, kw_only=True)
class RealtimeSubscribeRequestEvent(RequestEvent):
    """``POST /api/realtime``: a handler may change ``e.subscriptions`` before ``e.next()``."""

    client_id: str = ""
    client: Any = None
    subscriptions: list[str] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class RealtimeConnectRequestEvent(RequestEvent):
    """``onRealtimeConnectRequest``: a new SSE client."""
    client: Any = None


@dataclass(eq=False, kw_only=True)
class RealtimeMessage:
    """One SSE message: the topic (``posts/*``, ``@oauth2``...) and its JSON data."""

    name: str
    data: Any = None


@dataclass(eq=False, kw_only=True)
class RealtimeMessageEvent(AppEvent):
    """``onRealtimeMessageSend``: a message about to be sent to a client."""
    client: Any = None
    message: RealtimeMessage = field(default_factory=lambda: RealtimeMessage(name=""))
