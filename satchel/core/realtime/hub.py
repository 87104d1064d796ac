"""The realtime hub: connected clients, their subscription groups, and fan-out.

Everything here runs on the event loop that serves the streams; record events
arrive through the :class:`~satchel.core.realtime.broker.Broker` as plain dicts
(from the writer thread in-process, from other nodes later).

Fan-out is per *group*, not per connection: clients sharing a topic, an auth
record (or guest) and equal subscription options form one group, and one
record event costs one rule evaluation and one JSON encoding per distinct
(auth, options) pair; each member then only gets the shared payload queued.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import apsw
import orjson

from satchel.core.realtime.access import (
    AuthView,
    Expander,
    Viewer,
    encode_event,
    needs_db,
    rule_allows,
    serialize,
    trivial_access,
)
from satchel.core.realtime.broker import Broker, InProcessBroker, Message
from satchel.core.realtime.client import AuthKey, Client, ClientAuth
from satchel.core.realtime.hook_events import RealtimeMessage, RealtimeMessageEvent
from satchel.core.realtime.subscriptions import SubscriptionOptions, parse_subscriptions
from satchel.core.records.events import RecordEvent
from satchel.core.records.hooks import enrich
from satchel.tools.bus import BusTimeout, ClusterBus
from satchel.tools.bus.listeners import Listeners
from satchel.tools.security import random_string
from satchel.tools.security.random import DEFAULT_RANDOM_ALPHABET
from satchel.tools.sse import sanitize_line

if TYPE_CHECKING:
    from satchel.app import App
    from satchel.core.collections.model import Collection

__all__ = ["OAUTH2_TOPIC", "Group", "RealtimeHub", "get_hub", "token_secret"]

log = logging.getLogger("satchel.realtime")

OAUTH2_TOPIC = "@oauth2"
IDLE_TIMEOUT = 300.0
MAX_LIFETIME = 1800.0
MAX_QUEUE = 1000
SWEEP_INTERVAL = 1.0

OptionsKey = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]
GroupKey = tuple[AuthKey | None, OptionsKey]
_hub_lock = threading.Lock()


def token_secret(c: Collection) -> str:
    return str((c.options.get("authToken") or {}).get("secret") or "")


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


class Group:
    """Clients subscribed to one topic with the same auth and options."""

    __slots__ = ("key", "members", "options", "topic")

    def __init__(self, topic: str, key: GroupKey, options: SubscriptionOptions) -> None:
        self.topic = topic
        self.key = key
        self.options = options
        # client -> the event names (subscription strings) it gets this group's payload under
        self.members: dict[Client, list[bytes]] = {}

    def auth(self) -> ClientAuth | None:
        for client in self.members:
            return client.auth
        return None


class RealtimeHub:
    def __init__(
        self,
        app: App,
        broker: Broker | None = None,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        max_lifetime: float = MAX_LIFETIME,
        max_queue: int = MAX_QUEUE,
        sweep_interval: float = SWEEP_INTERVAL,
    ) -> None:
        self.app = app
        self.broker: Broker = broker or InProcessBroker()
        # several serving processes share the bus: events go out even with no client here,
        # and a client id names the member holding its stream (its first character)
        self.shared = not isinstance(self.broker, InProcessBroker)
        # workers on one machine: which of them have realtime clients (record events are
        # published only when one has; see satchel.tools.bus.listeners)
        self.listeners: Listeners | None = None
        self.idle_timeout = idle_timeout
        self.max_lifetime = max_lifetime
        self.max_queue = max_queue
        self.sweep_interval = sweep_interval
        self.expander: Expander | None = None
        self.clients: dict[str, Client] = {}
        self.stats = {"events": 0, "evaluations": 0, "dropped_slow": 0}
        self._topics: dict[str, dict[GroupKey, Group]] = {}
        self._by_auth: dict[AuthKey, set[Client]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: deque[Message] = deque()
        self._drain_task: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None

    # -- clients -------------------------------------------------------------------

    def register(self, ip: str = "") -> Client:
        """A new client (call from the event loop serving its stream)."""
        self._attach_loop()
        client = Client(ip, self._new_id())
        while client.id in self.clients:  # pragma: no cover - 40 random chars
            client = Client(ip, self._new_id())
        self.clients[client.id] = client
        if self.listeners is not None:  # before PB_CONNECT is sent: no commit after it is missed
            self.listeners.set(True)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return client

    def _new_id(self) -> str | None:
        if not self.shared:
            return None  # Client's own: 40 random characters
        if isinstance(self.broker, ClusterBus):  # many nodes: this process's address first
            address = self.broker.address
            return address + random_string(40 - len(address))
        return DEFAULT_RANDOM_ALPHABET[self.broker.member] + random_string(39)

    def address_of(self, client_id: str) -> str | None:
        """Among nodes, the address of the process holding ``client_id``'s stream when it is
        not this one (None: this process, or the member :meth:`owner_of` names)."""
        broker = self.broker
        if not isinstance(broker, ClusterBus) or client_id.startswith(broker.address):
            return None
        return client_id[: len(broker.address)]

    def holds_here(self, client_id: str) -> bool:
        """Whether ``client_id``'s stream would be held by this process (if it exists)."""
        return self.address_of(client_id) is None and self.owner_of(client_id) == self.broker.member

    async def ask_holder(self, client_id: str, message: Message) -> Message | None:
        """``message`` answered by the process holding ``client_id`` (None: nobody holds it)."""
        address = self.address_of(client_id)
        try:
            if address is not None:
                assert isinstance(self.broker, ClusterBus)
                return await self.broker.request_at(address, message)
            return await self.broker.request(self.owner_of(client_id), message)
        except BusTimeout:
            return None

    def owner_of(self, client_id: str) -> int:
        """The member holding the stream of ``client_id`` (this one when alone)."""
        if not self.shared or not client_id or isinstance(self.broker, ClusterBus):
            return self.broker.member
        member = DEFAULT_RANDOM_ALPHABET.find(client_id[0])
        return member if member >= 0 else self.broker.member

    def get(self, client_id: str) -> Client | None:
        client = self.clients.get(client_id)
        return None if client is None or client.closed else client

    def drop(self, client: Client, reason: str = "") -> None:
        """Close the client's stream and forget it (idempotent)."""
        client.close(reason)
        self.unregister(client)

    def unregister(self, client: Client) -> None:
        client.close(client.close_reason or "unregistered")
        if self.clients.get(client.id) is client:
            del self.clients[client.id]
            if self.listeners is not None and not self.clients:
                self.listeners.set(False)
        self._leave_groups(client)
        self._index_auth(client, None)
        client.subscriptions = {}

    # -- subscriptions and auth ------------------------------------------------------------

    def bind(self, client: Client, auth: ClientAuth | None, names: list[str]) -> None:
        """Replace the client's auth and every subscription (PocketBase's POST /api/realtime)."""
        self._leave_groups(client)
        self._index_auth(client, auth)
        client.auth = auth
        client.subscriptions = parse_subscriptions(names)
        self._join_groups(client)

    def apply_form(self, client_id: str, ip: str, auth: ClientAuth | None, names: list[str]) -> str:
        """POST /api/realtime on the member holding the client: ``ok``, ``missing`` (404),
        ``ip`` (400, another IP) or ``auth`` (403, another auth than the bound one)."""
        client = self.get(client_id)
        if client is None:
            return "missing"
        if client.ip and client.ip != ip:
            return "ip"
        bound = self.current_auth(client)
        if bound is not None and bound.key != (None if auth is None else auth.key):
            return "auth"
        self.bind(client, auth, names)
        return "ok"

    async def apply_form_anywhere(self, client_id: str, ip: str, auth: ClientAuth | None, names: list[str]) -> str:
        """:meth:`apply_form` on the member holding the client (PocketBase's clients may
        send the POST on a connection that another worker accepted)."""
        if self.holds_here(client_id):
            return self.apply_form(client_id, ip, auth, names)
        # the token secret itself stays off the bus (it may be Redis or NATS): its digest
        # tells the holder whether it knows the same one
        shown = None if auth is None else {"collectionId": auth.collection.id, "record": dict(auth.record),
                                           "secretDigest": secret_digest(auth.secret)}  # fmt: skip
        message = {"type": "realtime.bind", "clientId": client_id, "ip": ip, "auth": shown, "names": names}
        answer = await self.ask_holder(client_id, message)
        return "missing" if answer is None else str(answer.get("outcome", "missing"))

    async def _on_bind_request(self, message: Message) -> Message:
        shown = message.get("auth")
        auth = None
        if isinstance(shown, Mapping):
            c = self.app.registry.by_id(str(shown.get("collectionId", "")))
            if c is None:
                return {"outcome": "auth"}
            secret = token_secret(c)
            if shown.get("secretDigest") != secret_digest(secret):
                secret = ""  # the asker knew another secret: the binding is stale (a guest from now)
            auth = ClientAuth(c, dict(shown.get("record") or {}), secret)
        names = [str(n) for n in message.get("names") or []]
        return {"outcome": self.apply_form(str(message.get("clientId", "")), str(message.get("ip", "")), auth, names)}

    def unsubscribe(self, client: Client, name: str) -> None:
        if name in client.subscriptions:
            self._leave_groups(client)
            del client.subscriptions[name]
            self._join_groups(client)

    def current_auth(self, client: Client) -> ClientAuth | None:
        """The client's auth, dropped to guest if its collection or token secret changed."""
        auth = client.auth
        if auth is not None and not self._auth_is_current(auth):
            self._set_auth(client, None)
            return None
        return client.auth

    def _auth_is_current(self, auth: ClientAuth) -> bool:
        c = self.app.registry.by_id(auth.collection.id)
        if c is None or not c.is_auth or token_secret(c) != auth.secret:
            return False
        if c is not auth.collection:  # rules or fields changed: keep the newest schema
            auth.collection = c
        return True

    def _set_auth(self, client: Client, auth: ClientAuth | None) -> None:
        self._leave_groups(client)
        self._index_auth(client, auth)
        client.auth = auth
        self._join_groups(client)

    def _index_auth(self, client: Client, auth: ClientAuth | None) -> None:
        old = client.auth_key
        if old is not None:
            members = self._by_auth.get(old)
            if members is not None:
                members.discard(client)
                if not members:
                    del self._by_auth[old]
        if auth is not None and not client.closed:
            self._by_auth.setdefault(auth.key, set()).add(client)

    def _join_groups(self, client: Client) -> None:
        if client.closed:
            return
        auth_key = client.auth_key
        for sub in client.subscriptions.values():
            groups = self._topics.setdefault(sub.topic, {})
            key: GroupKey = (auth_key, sub.options.key)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(sub.topic, key, sub.options)
            names = group.members.get(client)
            if names is None:
                group.members[client] = [sanitize_line(sub.name.encode())]
                client.groups.append(group)
            else:
                names.append(sanitize_line(sub.name.encode()))

    def _leave_groups(self, client: Client) -> None:
        for group in client.groups:
            group.members.pop(client, None)
            if not group.members:
                groups = self._topics.get(group.topic)
                if groups is not None and groups.get(group.key) is group:
                    del groups[group.key]
                    if not groups:
                        del self._topics[group.topic]
        client.groups = []

    # -- direct messages (@oauth2, custom topics) ----------------------------------------------

    def send_to_client(self, client_id: str, topic: str, data: Any) -> None:
        """Send ``data`` (bytes/str JSON text, or a value to encode) to one client under ``topic``."""
        if isinstance(data, str):
            payload = data.encode()
        elif isinstance(data, bytes):
            payload = data
        else:
            payload = orjson.dumps(data)
        self.broker.publish({"type": "client", "clientId": client_id, "topic": topic, "data": payload.decode()})

    def oauth2_redirect(self, client_id: str, data: Mapping[str, Any], ip: str) -> bool:
        """The ``@oauth2`` sink of ``/api/oauth2-redirect`` (spec 10 §5)."""
        client = self.get(client_id)
        if client is None or not client.has_subscription(OAUTH2_TOPIC):
            return False
        if client.ip and ip and client.ip != ip:
            return False
        self._push(client, OAUTH2_TOPIC.encode(), orjson.dumps(dict(data)))
        self.unsubscribe(client, OAUTH2_TOPIC)
        return True

    async def oauth2_redirect_anywhere(self, client_id: str, data: Mapping[str, Any], ip: str) -> bool:
        if self.holds_here(client_id):
            return self.oauth2_redirect(client_id, data, ip)
        message = {"type": "realtime.oauth2", "clientId": client_id, "data": dict(data), "ip": ip}
        answer = await self.ask_holder(client_id, message)
        return bool(answer and answer.get("delivered"))

    async def _on_oauth2_request(self, message: Message) -> Message:
        data = message.get("data")
        delivered = self.oauth2_redirect(str(message.get("clientId", "")), data if isinstance(data, Mapping) else {},
                                         str(message.get("ip", "")))  # fmt: skip
        return {"delivered": delivered}

    def _push(self, client: Client, name: bytes, data: bytes) -> None:
        if client.push(name, data) > self.max_queue:
            self.stats["dropped_slow"] += 1
            log.info("realtime client %s dropped: %d messages not read", client.id, client.queued)
            self.drop(client, "slow")

    # -- events in --------------------------------------------------------------------------

    def on_record_event(self, event: RecordEvent) -> None:
        """The ``record_events`` subscriber: called after COMMIT (under the write gate
        among workers, so ``seq`` follows the commit order), from any thread.  Nothing is
        published when no process has a client (the commit number then has a gap: nothing
        waits for a missing one)."""
        if not self.clients:
            if not self.shared:
                return
            listeners = self.listeners
            if listeners is not None and not listeners.any():
                return
        self.broker.publish(
            {
                "type": "record",
                "action": event.action,
                "collectionId": event.collection_id,
                "collectionName": event.collection_name,
                "record": event.record,
            },
            seq=self.app.db.commit_seq(),
        )

    def attach(self) -> None:
        """Start receiving from the bus on the running loop (a worker does it at start-up,
        before any client, so requests directed at it are answered)."""
        self._attach_loop()

    def _attach_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self.broker.subscribe(self._on_message, loop)
            self.broker.on_request("realtime.bind", self._on_bind_request)
            self.broker.on_request("realtime.oauth2", self._on_oauth2_request)

    def _on_message(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "client":
            client = self.get(str(message.get("clientId", "")))
            if client is not None:
                topic = sanitize_line(str(message.get("topic", "")).encode())
                self._push(client, topic, str(message.get("data", "")).encode())
            return
        if kind != "record" or not self.clients:
            return
        if not self._topics and not self._by_auth:
            return  # no client here subscribes to anything or is bound to an auth record
        self._pending.append(message)
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Dispatch queued record events one at a time, in order."""
        while self._pending:
            message = self._pending.popleft()
            try:
                await self.dispatch_record(message)
            except Exception:  # noqa: BLE001 - one bad event must not stop the others
                log.exception("realtime dispatch failed")
            await asyncio.sleep(0)  # let the stream writers drain before the next event

    # -- fan-out -------------------------------------------------------------------------------

    async def dispatch_record(self, message: Message) -> None:
        registry = self.app.registry
        c = registry.by_id(str(message.get("collectionId", ""))) or registry.get(
            str(message.get("collectionName", ""))
        )
        if c is None or c.is_view:
            return
        record: Mapping[str, Any] = message.get("record") or {}
        action = str(message.get("action", ""))
        self.stats["events"] += 1
        if c.is_auth:
            self._apply_auth_change(c, action, record)
        work = self._collect(c, str(record.get("id", "")))
        if not work:
            return
        if self._expire_stale_auths(work):
            work = self._collect(c, str(record.get("id", "")))
        viewers: dict[tuple[str, GroupKey], tuple[Viewer, str | None]] = {}
        for group, kind in work:
            if (kind, group.key) not in viewers:
                auth = group.auth()
                view = AuthView(auth.record, auth.collection) if auth is not None else None
                viewers[(kind, group.key)] = (Viewer(view, group.options), c.rule(kind))
        hooks = self.app.hooks
        # an enrich hook may block or be a coroutine: evaluate on a reader thread then
        use_db = bool(hooks.on_record_enrich.handlers) or any(
            needs_db(c, record, viewer, rule) for viewer, rule in viewers.values()
        )
        if use_db:
            payloads = await self.app.db.read(lambda conn: self._evaluate(conn, c, record, action, viewers))
        else:
            payloads = self._evaluate(None, c, record, action, viewers)
        send_hook = hooks.on_realtime_message_send
        for group, kind in work:
            payload = payloads.get((kind, group.key))
            if payload is None:
                continue
            for client, names in list(group.members.items()):
                for name in names:
                    if send_hook.handlers:
                        await self._push_through_hook(client, name, payload)
                    else:
                        self._push(client, name, payload)

    async def _push_through_hook(self, client: Client, name: bytes, payload: bytes) -> None:
        """``on_realtime_message_send``: e.client, e.message (name, data) may be changed;
        not calling ``e.next()`` drops the message."""
        hooks = self.app.hooks
        message = RealtimeMessage(name=name.decode(), data=orjson.loads(payload))
        event = RealtimeMessageEvent(app=hooks.app, client=client, message=message)

        def send(e: RealtimeMessageEvent) -> None:
            self._push(client, sanitize_line(e.message.name.encode()), orjson.dumps(e.message.data))

        try:
            await hooks.on_realtime_message_send.trigger(event, send)
        except Exception:  # noqa: BLE001 - a failing hook drops its message, not the fan-out
            log.exception("on_realtime_message_send failed")

    def _collect(self, c: Collection, record_id: str) -> list[tuple[Group, str]]:
        """Groups subscribed to this record's topics, with the rule deciding each."""
        work: list[tuple[Group, str]] = []
        for topic, kind in (
            (f"{c.name}/{record_id}", "viewRule"),
            (f"{c.id}/{record_id}", "viewRule"),
            (f"{c.name}/*", "listRule"),
            (f"{c.id}/*", "listRule"),
            (c.name, "listRule"),
            (c.id, "listRule"),
        ):
            groups = self._topics.get(topic)
            if groups:
                work.extend((group, kind) for group in list(groups.values()))
        return work

    def _evaluate(
        self,
        conn: apsw.Connection | None,
        c: Collection,
        record: Mapping[str, Any],
        action: str,
        viewers: Mapping[tuple[str, GroupKey], tuple[Viewer, str | None]],
    ) -> dict[tuple[str, GroupKey], bytes | None]:
        """One payload (or None) per (rule, group key); the JSON is encoded once per viewer."""
        lookup = self.app.registry.get
        d = self.app.dialect
        hooks = self.app.hooks
        from satchel.core.records.query import RecordEnv  # as make_hub does (import order)

        rules = RecordEnv.from_app(self.app).rules
        encoded: dict[GroupKey, bytes] = {}
        out: dict[tuple[str, GroupKey], bytes | None] = {}
        for (kind, key), (viewer, rule) in viewers.items():
            self.stats["evaluations"] += 1
            if conn is None:
                allowed = bool(trivial_access(viewer, rule))
            else:
                allowed = rule_allows(conn, lookup, d, c, record, viewer, rule, rules)
            if not allowed:
                out[(kind, key)] = None
                continue
            payload = encoded.get(key)
            if payload is None:
                data = serialize(conn, lookup, d, c, record, viewer, self.expander)
                if hooks.on_record_enrich.handlers:
                    data = enrich(hooks, c, record, data, None)
                payload = encoded[key] = encode_event(data, action)
            out[(kind, key)] = payload
        return out

    def _apply_auth_change(self, c: Collection, action: str, record: Mapping[str, Any]) -> None:
        """An auth record changed: refresh the clients bound to it, or drop them to guest
        when it was deleted or its tokenKey changed (password change, logout everywhere)."""
        clients = self._by_auth.get((c.id, str(record.get("id", ""))))
        if not clients:
            return
        for client in list(clients):
            auth = client.auth
            if auth is None:
                continue
            if action == "delete" or ("tokenKey" in record and str(record["tokenKey"]) != auth.token_key):
                self._set_auth(client, None)
            elif action == "update":
                client.auth = ClientAuth(c, dict(record), auth.secret)

    def _expire_stale_auths(self, work: list[tuple[Group, str]]) -> bool:
        stale: set[AuthKey] = set()
        checked: set[AuthKey] = set()
        for group, _ in work:
            auth = group.auth()
            if auth is None or auth.key in checked:
                continue
            checked.add(auth.key)
            if not self._auth_is_current(auth):
                stale.add(auth.key)
        for key in stale:
            for client in list(self._by_auth.get(key, ())):
                if client.auth is not None and not self._auth_is_current(client.auth):
                    self._set_auth(client, None)
        return bool(stale)

    # -- lifetime --------------------------------------------------------------------------------

    async def _sweep(self) -> None:
        """Close idle (no message for ``idle_timeout``) and too old (``max_lifetime``) streams.

        One task for all clients instead of two timers each; it ends when no client is left.
        """
        while self.clients:
            await asyncio.sleep(self.sweep_interval)
            now = time.monotonic()
            for client in list(self.clients.values()):
                if now - client.connected_at >= self.max_lifetime:
                    self.drop(client, "max_lifetime")
                elif now - client.last_active >= self.idle_timeout:
                    self.drop(client, "idle")

    def close(self) -> None:
        """Close every stream and stop the background tasks."""
        for client in list(self.clients.values()):
            self.drop(client, "shutdown")
        for task in (self._sweeper, self._drain_task):
            if task is not None and not task.done():
                task.cancel()
        self._pending.clear()


def get_hub(app: App) -> RealtimeHub:
    """The App's hub, created on first use (it registers itself for record events
    and as the ``@oauth2`` redirect sink)."""
    hub = app.state.get("realtime_hub")
    if isinstance(hub, RealtimeHub):
        return hub
    with _hub_lock:
        hub = app.state.get("realtime_hub")
        if isinstance(hub, RealtimeHub):
            return hub
        from satchel.core.auth.oauth2_redirect import set_redirect_sink
        from satchel.core.records import events as record_events
        from satchel.core.records.expand import make_expander
        from satchel.core.records.query import RecordEnv

        hub = RealtimeHub(app, app.bus)
        hub.expander = make_expander(RecordEnv.from_app(app))
        record_events.subscribe(app, hub.on_record_event)
        set_redirect_sink(app, hub.oauth2_redirect, hub.oauth2_redirect_anywhere)
        app.state["realtime_hub"] = hub
        return hub
