"""Realtime: SSE clients, subscriptions, rule-filtered fan-out of record events (spec 05).

* :mod:`.hook_events` -- the hook events of this domain (re-exported by :mod:`satchel.hooks`);
* :mod:`.subscriptions` -- subscription strings, ``?options=``, the POST form (pure);
* :mod:`.broker` -- the message bus interface and its in-process implementation;
* :mod:`.client` -- one connection's state and bounded outbox;
* :mod:`.access` -- rules, filters and serialization of one event for one group;
* :mod:`.hub` -- the client registry, subscription groups and fan-out.

The names below load on first use (:mod:`satchel.core._face`): ``satchel.hooks`` names the
event classes without importing the hub at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.realtime.broker import Broker, InProcessBroker
    from satchel.core.realtime.client import Client, ClientAuth, Outgoing
    from satchel.core.realtime.hook_events import (
        RealtimeConnectRequestEvent,
        RealtimeMessage,
        RealtimeMessageEvent,
        RealtimeSubscribeRequestEvent,
    )
    from satchel.core.realtime.hub import OAUTH2_TOPIC, RealtimeHub, get_hub, token_secret
    from satchel.core.realtime.subscriptions import (
        Subscription,
        SubscriptionOptions,
        parse_subscription,
        parse_subscriptions,
        validate_form,
    )

_WHERE = {
    "Broker": "broker",
    "InProcessBroker": "broker",
    "Client": "client",
    "ClientAuth": "client",
    "Outgoing": "client",
    "RealtimeConnectRequestEvent": "hook_events",
    "RealtimeMessage": "hook_events",
    "RealtimeMessageEvent": "hook_events",
    "RealtimeSubscribeRequestEvent": "hook_events",
    "OAUTH2_TOPIC": "hub",
    "RealtimeHub": "hub",
    "get_hub": "hub",
    "token_secret": "hub",
    "Subscription": "subscriptions",
    "SubscriptionOptions": "subscriptions",
    "parse_subscription": "subscriptions",
    "parse_subscriptions": "subscriptions",
    "validate_form": "subscriptions",
}
__getattr__ = lazy_names(__name__, _WHERE)

__all__ = [
    "RealtimeConnectRequestEvent",
    "RealtimeMessage",
    "RealtimeMessageEvent",
    "RealtimeSubscribeRequestEvent",
    "Outgoing",
    "OAUTH2_TOPIC",
    "Broker",
    "Client",
    "ClientAuth",
    "InProcessBroker",
    "RealtimeHub",
    "Subscription",
    "SubscriptionOptions",
    "get_hub",
    "parse_subscription",
    "parse_subscriptions",
    "token_secret",
    "validate_form",
]
