"""The seam between ``/api/oauth2-redirect`` and realtime (the JS SDK popup flow).

Realtime registers a sink with :func:`set_redirect_sink`; the redirect endpoint
calls :func:`deliver_redirect`, which hands ``{"state","code"[,"error"]}`` to the
realtime client whose id is ``state``.  The sink must check that the client
exists, is not discarded, is subscribed to ``@oauth2`` and (if recorded) comes
from ``client_ip``; it sends the ``@oauth2`` SSE message, unsubscribes the client
from the topic and returns True.  Without a sink every redirect fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["OAUTH2_TOPIC", "RedirectSink", "deliver_redirect", "deliver_redirect_anywhere", "set_redirect_sink"]

OAUTH2_TOPIC = "@oauth2"
# (client id, message data, client ip) -> delivered?
RedirectSink = Callable[[str, Mapping[str, Any], str], bool]
# the same, for a client whose stream another worker holds
RemoteRedirectSink = Callable[[str, Mapping[str, Any], str], Awaitable[bool]]


def set_redirect_sink(app: App, sink: RedirectSink, anywhere: RemoteRedirectSink | None = None) -> None:
    app.state["oauth2_redirect_sink"] = sink
    app.state["oauth2_redirect_sink_anywhere"] = anywhere


def deliver_redirect(app: App, state: str, data: Mapping[str, Any], client_ip: str) -> bool:
    sink = app.state.get("oauth2_redirect_sink")
    if sink is None or not state:
        return False
    return bool(sink(state, data, client_ip))


async def deliver_redirect_anywhere(app: App, state: str, data: Mapping[str, Any], client_ip: str) -> bool:
    """:func:`deliver_redirect`, to a client held by any worker of ``serve --workers``."""
    sink = app.state.get("oauth2_redirect_sink_anywhere")
    if sink is None:
        return deliver_redirect(app, state, data, client_ip)
    if not state:
        return False
    return bool(await sink(state, data, client_ip))
