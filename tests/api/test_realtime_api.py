"""``/api/realtime`` against a live uvicorn server (in a thread, so the tests can reach
the App and its hub): framing, POST checks, rule-filtered delivery, auth reset,
lifetimes, slow consumers, ``@oauth2``.

Record changes are made with SQL and announced through ``record_events.publish``
from ``tx.after_commit`` -- exactly what every record write path does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
import uvicorn

from satchel.api import build_asgi
from satchel.app import App
from satchel.core.auth.oauth2_redirect import deliver_redirect
from satchel.core.realtime import RealtimeHub, get_hub
from satchel.core.records import events as record_events
from satchel.core.records.rows import new_record_id
from satchel.tools.timeutil import now_text

SU_EMAIL = "test@example.com"
SU_PASSWORD = "1234567890"


# -- a live server ------------------------------------------------------------------


class LiveServer:
    """uvicorn (httptools + uvloop, as ``satchel serve``) on a free port, in a thread."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            build_asgi(app),
            loop="uvloop",
            http="httptools",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            backlog=4096,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        hub = self.app.state.get("realtime_hub")
        loop = getattr(hub, "_loop", None)
        if isinstance(hub, RealtimeHub) and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(hub.close)  # end the streams, as a server shutdown does
            time.sleep(0.1)
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    @property
    def hub(self) -> RealtimeHub:
        return get_hub(self.app)


# -- a minimal SSE client on a raw socket (cheap enough for thousands) -------------------


class SSE:
    """``GET /api/realtime`` over one TCP connection, parsing chunked SSE frames."""

    def __init__(self, port: int, *, read: bool = True) -> None:
        self.port = port
        self.client_id = ""
        self.status = 0
        self.headers: dict[str, str] = {}
        self.raw = bytearray()  # the decoded body, byte-exact
        self.events: list[tuple[str, str, str]] = []  # (id, event, data)
        self.closed = asyncio.Event()
        self._new = asyncio.Event()
        self._buf = b""
        self._frames = b""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, headers: Mapping[str, str] | None = None) -> SSE:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.writer.write(f"GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{extra}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                self.headers[k.strip().lower()] = v.strip()
        return self

    async def run(self) -> None:
        """Read until the server ends the stream (or the socket closes)."""
        assert self.reader is not None
        try:
            while True:
                size_line = await self.reader.readuntil(b"\r\n")
                size = int(size_line.strip(), 16)
                if size == 0:
                    break
                chunk = await self.reader.readexactly(size + 2)
                self._feed(chunk[:-2])
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed.set()
            self._new.set()

    def _feed(self, data: bytes) -> None:
        self.raw += data
        self._frames += data
        while b"\n\n" in self._frames:
            block, self._frames = self._frames.split(b"\n\n", 1)
            fields: dict[str, str] = {}
            for line in block.decode().split("\n"):
                key, _, value = line.partition(":")
                fields[key] = value
            event = (fields.get("id", ""), fields.get("event", ""), fields.get("data", ""))
            if event[1] == "PB_CONNECT":
                self.client_id = json.loads(event[2])["clientId"]
            self.events.append(event)
        self._new.set()

    async def start(self, headers: Mapping[str, str] | None = None) -> SSE:
        await self.connect(headers)
        self.task = asyncio.ensure_future(self.run())
        await self.wait_for(lambda: bool(self.client_id))
        return self

    async def wait_for(self, cond: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; {len(self.events)} events so far: {str(self.events)[:500]}")
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), remaining)

    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """(event name, data) of every message after PB_CONNECT."""
        return [(name, json.loads(data)) for _, name, data in self.events if name != "PB_CONNECT"]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


# -- helpers -----------------------------------------------------------------------------


def su_token(url: str) -> str:
    r = httpx.post(
        f"{url}/api/collections/_superusers/auth-with-password",
        json={"identity": SU_EMAIL, "password": SU_PASSWORD},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def make_user(app: App, url: str, email: str, name: str = "") -> tuple[dict[str, Any], str]:
    users = app.registry.get("users")
    assert users is not None
    values = app.records.new_auth_values(users, email, "1234567890")
    values["name"] = name
    record = app.db.write_sync(lambda tx: app.records.insert_sync(tx, users, values))
    r = httpx.post(f"{url}/api/collections/users/auth-with-password", json={"identity": email, "password": "1234567890"})
    assert r.status_code == 200, r.text
    return record, str(r.json()["token"])


def write(app: App, action: str, name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Insert/update/delete a row and publish the event after COMMIT, as the records API does."""
    c = app.registry.get(name)
    assert c is not None
    q = app.dialect.q

    def run(tx: Any) -> dict[str, Any]:
        if action == "create":
            row = dict(values)
            row.setdefault("id", new_record_id())
            for f in c.fields:
                if f.type == "autodate":
                    row.setdefault(f.name, now_text())
            record = app.records.insert_sync(tx, c, row)
        elif action == "update":
            record = app.records.update_sync(tx, c, str(values["id"]), values)
        else:
            found = app.records.find_by_field_sync(tx.conn, c, "id", values["id"])
            assert found is not None
            record = found
            tx.execute(f"DELETE FROM {q(c.name)} WHERE id = :id", {"id": values["id"]})
        tx.after_commit(lambda: record_events.publish(app, action, c, record))
        return record

    return app.db.write_sync(run)


async def subscribe(url: str, client_id: str, subs: list[str], token: str = "") -> httpx.Response:
    headers = {"Authorization": token} if token else {}
    async with httpx.AsyncClient() as http:
        return await http.post(f"{url}/api/realtime", json={"clientId": client_id, "subscriptions": subs}, headers=headers)


def options(**query: str) -> str:
    return "?options=" + quote(json.dumps({"query": query}), safe="")


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def live(app: App) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def schema(app: App) -> App:
    """users (stock) + posts (owner-only rules, a hidden field) + tags (public) + minimal (superusers only)."""
    users = app.registry.get("users")
    assert users is not None
    app.collections.create_sync(
        {
            "name": "posts",
            "type": "base",
            "listRule": "owner = @request.auth.id",
            "viewRule": "owner = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "owner", "type": "relation", "collectionId": users.id, "maxSelect": 1},
                {"name": "internal", "type": "text", "hidden": True},
            ],
        }
    )
    app.collections.create_sync(
        {"name": "tags", "type": "base", "listRule": "", "viewRule": "", "fields": [{"name": "name", "type": "text"}]}
    )
    app.collections.create_sync({"name": "minimal", "type": "base", "fields": [{"name": "name", "type": "text"}]})
    return app


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- connect -------------------------------------------------------------------------------


def test_connect_headers_and_exact_framing(live: LiveServer) -> None:
    async def main() -> None:
        sse = await SSE(live.port).start()
        assert sse.status == 200
        assert sse.headers["content-type"] == "text/event-stream"
        assert sse.headers["cache-control"] == "no-store"
        assert sse.headers["x-accel-buffering"] == "no"
        assert sse.headers["transfer-encoding"] == "chunked"
        assert sse.headers["x-frame-options"] == "SAMEORIGIN"
        assert re.fullmatch(r"[A-Za-z0-9]{40}", sse.client_id)
        cid = sse.client_id
        assert bytes(sse.raw) == f'id:{cid}\nevent:PB_CONNECT\ndata:{{"clientId":"{cid}"}}\n\n'.encode()
        assert live.hub.get(cid) is not None
        sse.close()
        await asyncio.sleep(0.3)
        assert live.hub.get(cid) is None  # released on disconnect
        assert cid not in live.hub.clients
        r = await subscribe(live.url, cid, ["tags/*"])
        assert r.status_code == 404

    run(main())


def test_custom_topic_message_framing(live: LiveServer) -> None:
    async def main() -> None:
        sse = await SSE(live.port).start()
        live.hub.send_to_client(sse.client_id, "custom", {"a": 1})
        await sse.wait_for(lambda: len(sse.events) == 2)
        assert sse.raw.endswith(f'id:{sse.client_id}\nevent:custom\ndata:{{"a":1}}\n\n'.encode())
        sse.close()

    run(main())


# -- POST checks ------------------------------------------------------------------------------


BLANK = {"clientId": {"code": "validation_required", "message": "Cannot be blank."}}
GENERIC = "Something went wrong while processing your request."


@pytest.mark.parametrize(
    ("body", "content_type", "status", "data"),
    [
        (b"{bad", "application/json", 400, {}),
        (b"[]", "application/json", 400, {}),
        (b"{}", "application/json", 400, BLANK),
        (b'{"clientId":""}', "application/json", 400, BLANK),
        (b'{"clientId":123}', "application/json", 400, {}),
        (b'{"clientId":"x","subscriptions":"posts/*"}', "application/json", 404, {}),
        (b'{"clientId":"x","subscriptions":[1]}', "application/json", 400, {}),
        (
            orjson.dumps({"clientId": "x" * 256}),
            "application/json",
            400,
            {
                "clientId": {
                    "code": "validation_length_out_of_range",
                    "message": "The length must be between 1 and 255.",
                    "params": {"max": 255, "min": 1},
                }
            },
        ),
        (
            orjson.dumps({"clientId": "x", "subscriptions": [f"t{i}" for i in range(1001)]}),
            "application/json",
            400,
            {
                "subscriptions": {
                    "code": "validation_length_too_long",
                    "message": "The length must be no more than 1000.",
                    "params": {"max": 1000, "min": 0},
                }
            },
        ),
        (
            orjson.dumps({"clientId": "x", "subscriptions": ["ok", "a" * 2501]}),
            "application/json",
            400,
            {
                "subscriptions": {
                    "1": {
                        "code": "validation_length_too_long",
                        "message": "The length must be no more than 2500.",
                        "params": {"max": 2500, "min": 0},
                    }
                }
            },
        ),
        (b"clientId=nope&subscriptions=a&subscriptions=b", "application/x-www-form-urlencoded", 404, {}),
        (b"clientId=", "application/x-www-form-urlencoded", 400, BLANK),
    ],
)
def test_post_validation(live: LiveServer, body: bytes, content_type: str, status: int, data: dict[str, Any]) -> None:
    r = httpx.post(f"{live.url}/api/realtime", content=body, headers={"content-type": content_type})
    assert r.status_code == status, r.text
    message = "Missing or invalid client id." if status == 404 else GENERIC
    assert r.json() == {"data": data, "message": message, "status": status}


def test_thousand_topics_accepted_and_replaced(live: LiveServer) -> None:
    async def main() -> None:
        sse = await SSE(live.port).start()
        r = await subscribe(live.url, sse.client_id, [f"topic{i}/*" for i in range(1000)])
        assert r.status_code == 204 and r.content == b""
        client = live.hub.get(sse.client_id)
        assert client is not None and len(client.subscriptions) == 1000
        # the limit counts raw items; duplicates collapse and "" is ignored afterwards
        topics = [f"topic{i}/*" for i in range(998)] + ["", "topic1/*"]
        assert (await subscribe(live.url, sse.client_id, topics)).status_code == 204
        assert len(client.subscriptions) == 998
        r = await subscribe(live.url, sse.client_id, ["only"])
        assert r.status_code == 204
        assert list(client.subscriptions) == ["only"]
        r = await subscribe(live.url, sse.client_id, [])
        assert client.subscriptions == {}
        assert not live.hub._topics  # groups released
        sse.close()

    run(main())


def test_auth_binding_rules(live: LiveServer) -> None:
    app = live.app
    _, alice = make_user(app, live.url, "alice@example.com")
    _, bob = make_user(app, live.url, "bob@example.com")
    mismatch = {
        "data": {},
        "message": "The current and the previous request authorization don't match.",
        "status": 403,
    }

    async def main() -> None:
        sse = await SSE(live.port).start()
        cid = sse.client_id
        assert (await subscribe(live.url, cid, ["tags/*"])).status_code == 204  # guest
        assert (await subscribe(live.url, cid, ["tags/*"], alice)).status_code == 204  # guest -> user
        r = await subscribe(live.url, cid, ["tags/*"], bob)
        assert r.status_code == 403 and r.json() == mismatch
        r = await subscribe(live.url, cid, ["tags/*"])
        assert r.status_code == 403 and r.json() == mismatch
        r = await subscribe(live.url, cid, ["tags/*"], "invalid-token")
        assert r.status_code == 403
        assert (await subscribe(live.url, cid, ["tags/*"], alice)).status_code == 204
        sse.close()

    run(main())


def test_post_from_another_ip_is_rejected(live: LiveServer) -> None:
    token = su_token(live.url)
    r = httpx.patch(
        f"{live.url}/api/settings",
        json={"trustedProxy": {"headers": ["X-Forwarded-For"]}},
        headers={"Authorization": token},
    )
    assert r.status_code == 200, r.text

    async def main() -> None:
        sse = await SSE(live.port).start({"X-Forwarded-For": "10.0.0.1"})
        async with httpx.AsyncClient() as http:
            body = {"clientId": sse.client_id, "subscriptions": ["tags/*"]}
            r = await http.post(f"{live.url}/api/realtime", json=body, headers={"X-Forwarded-For": "10.0.0.2"})
            assert r.status_code == 400
            assert r.json() == {"data": {}, "message": "Invalid realtime client.", "status": 400}
            r = await http.post(f"{live.url}/api/realtime", json=body, headers={"X-Forwarded-For": "10.0.0.1"})
            assert r.status_code == 204
        sse.close()

    run(main())


# -- delivery -----------------------------------------------------------------------------------


def test_rule_filtered_delivery(live: LiveServer, schema: App) -> None:
    app = schema
    alice_rec, alice = make_user(app, live.url, "alice@example.com", "Alice")
    bob_rec, bob = make_user(app, live.url, "bob@example.com", "Bob")
    su = su_token(live.url)

    async def main() -> None:
        clients = {name: await SSE(live.port).start() for name in ("guest", "alice", "bob", "su")}
        tokens = {"guest": "", "alice": alice, "bob": bob, "su": su}
        for name, sse in clients.items():
            r = await subscribe(live.url, sse.client_id, ["posts/*", "tags", "minimal/*"], tokens[name])
            assert r.status_code == 204

        post = write(app, "create", "posts", {"title": "hello", "owner": alice_rec["id"], "internal": "hidden-val"})
        # a single-record subscription (viewRule) for alice, added after the create
        r = await subscribe(
            live.url, clients["alice"].client_id, ["posts/*", "tags", "minimal/*", f"posts/{post['id']}"], alice
        )
        assert r.status_code == 204
        write(app, "update", "posts", {"id": post["id"], "title": "hello 2"})
        tag = write(app, "create", "tags", {"name": "news"})
        write(app, "create", "minimal", {"name": "only superusers"})
        write(app, "delete", "posts", {"id": post["id"]})

        await clients["su"].wait_for(lambda: len(clients["su"].messages()) == 5)
        await clients["alice"].wait_for(lambda: len(clients["alice"].messages()) == 6)
        await clients["guest"].wait_for(lambda: len(clients["guest"].messages()) == 1)
        await settle()

        def summary(name: str) -> list[tuple[str, str, str]]:
            return [(ev, data["action"], data["record"].get("title") or data["record"].get("name"))
                    for ev, data in clients[name].messages()]  # fmt: skip

        pid = post["id"]
        assert summary("guest") == [("tags", "create", "news")]
        assert summary("bob") == [("tags", "create", "news")]
        assert sorted(summary("alice")) == sorted(
            [
                ("posts/*", "create", "hello"),
                ("posts/*", "update", "hello 2"),
                (f"posts/{pid}", "update", "hello 2"),
                ("tags", "create", "news"),
                ("posts/*", "delete", "hello 2"),
                (f"posts/{pid}", "delete", "hello 2"),
            ]
        )
        assert summary("su") == [
            ("posts/*", "create", "hello"),
            ("posts/*", "update", "hello 2"),
            ("tags", "create", "news"),
            ("minimal/*", "create", "only superusers"),
            ("posts/*", "delete", "hello 2"),
        ]
        # hidden fields only for superusers; the payload shape is {record, action}
        alice_first = clients["alice"].messages()[0][1]
        assert "internal" not in alice_first["record"]
        assert clients["su"].messages()[0][1]["record"]["internal"] == "hidden-val"
        raw = [data for _, ev, data in clients["guest"].events if ev == "tags"][0]
        assert raw.startswith('{"record":{"collectionId":') and raw.endswith(',"action":"create"}')
        assert json.loads(raw)["record"]["id"] == tag["id"]
        for sse in clients.values():
            sse.close()

    run(main())


def test_auth_collection_email_visibility(live: LiveServer) -> None:
    app = live.app
    users = app.registry.get("users")
    assert users is not None
    app.collections.update_sync("users", {"listRule": "id = @request.auth.id", "viewRule": "id = @request.auth.id"})
    alice_rec, alice = make_user(app, live.url, "alice@example.com", "Alice")
    bob_rec, _ = make_user(app, live.url, "bob@example.com", "Bob")

    async def main() -> None:
        sse = await SSE(live.port).start()
        assert (await subscribe(live.url, sse.client_id, ["users/*", f"users/{alice_rec['id']}"], alice)).status_code == 204
        write(app, "update", "users", {"id": alice_rec["id"], "name": "Alice A"})
        write(app, "update", "users", {"id": bob_rec["id"], "name": "Bob B"})
        await sse.wait_for(lambda: len(sse.messages()) == 2)
        await settle()
        msgs = sse.messages()
        assert sorted(ev for ev, _ in msgs) == ["users/*", f"users/{alice_rec['id']}"]
        for _, data in msgs:
            assert data["record"]["email"] == "alice@example.com"
            assert data["record"]["name"] == "Alice A"
            assert "password" not in data["record"] and "tokenKey" not in data["record"]
        sse.close()

    run(main())


def test_filter_and_fields_options(live: LiveServer, schema: App) -> None:
    app = schema

    async def main() -> None:
        sse = await SSE(live.port).start()
        filtered = "tags/*" + options(filter='name ~ "rt-"')
        picked = "tags/*" + options(fields="id,name")
        sneaky = "tags/*" + options(filter='@request.auth.id = ""')
        r = await subscribe(live.url, sse.client_id, [filtered, picked, sneaky])
        assert r.status_code == 204
        yes = write(app, "create", "tags", {"name": "rt-yes"})
        write(app, "create", "tags", {"name": "no-match"})
        await sse.wait_for(lambda: len(sse.messages()) == 3)
        await settle()
        msgs = sse.messages()
        assert [(ev, d["record"]["name"]) for ev, d in msgs if ev == filtered] == [(filtered, "rt-yes")]
        assert [d["record"] for ev, d in msgs if ev == picked] == [
            {"id": yes["id"], "name": "rt-yes"},
            {"id": msgs[-1][1]["record"]["id"], "name": "no-match"},
        ]
        assert not [ev for ev, _ in msgs if ev == sneaky]  # @request in a guest filter never matches
        sse.close()

    run(main())


def test_expand_respects_the_related_view_rule(live: LiveServer) -> None:
    app = live.app
    users = app.registry.get("users")
    assert users is not None
    app.collections.update_sync("users", {"listRule": "id = @request.auth.id", "viewRule": "id = @request.auth.id"})
    app.collections.create_sync(
        {
            "name": "notes",
            "type": "base",
            "listRule": "",
            "viewRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "author", "type": "relation", "collectionId": users.id, "maxSelect": 1},
            ],
        }
    )
    alice_rec, alice = make_user(app, live.url, "alice@example.com", "Alice")
    _, bob = make_user(app, live.url, "bob@example.com", "Bob")
    su = su_token(live.url)
    topic = "notes/*" + options(expand="author", fields="title,expand.author.name")

    async def main() -> None:
        clients = {name: await SSE(live.port).start() for name in ("alice", "bob", "su", "guest")}
        tokens = {"alice": alice, "bob": bob, "su": su, "guest": ""}
        for name, sse in clients.items():
            assert (await subscribe(live.url, sse.client_id, [topic], tokens[name])).status_code == 204
        write(app, "create", "notes", {"title": "n1", "author": alice_rec["id"]})
        for sse in clients.values():
            await sse.wait_for(lambda s=sse: len(s.messages()) == 1)  # type: ignore[misc]
        got = {name: sse.messages()[0][1]["record"] for name, sse in clients.items()}
        assert got["alice"] == {"title": "n1", "expand": {"author": {"name": "Alice"}}}
        assert got["su"] == {"title": "n1", "expand": {"author": {"name": "Alice"}}}
        assert got["bob"] == {"title": "n1", "expand": {}}  # alice is not viewable by bob
        assert got["guest"] == {"title": "n1", "expand": {}}
        for sse in clients.values():
            sse.close()

    run(main())


def test_grouping_one_evaluation_per_group(live: LiveServer, schema: App) -> None:
    app = schema
    alice_rec, alice = make_user(app, live.url, "alice@example.com")

    async def main() -> None:
        sses = [await SSE(live.port).start() for _ in range(30)]
        for i, sse in enumerate(sses):
            token = alice if i % 2 else ""
            assert (await subscribe(live.url, sse.client_id, ["posts/*"], token)).status_code == 204
        hub = live.hub
        assert len(hub._topics["posts/*"]) == 2  # guests and alice
        before = hub.stats["evaluations"]
        write(app, "create", "posts", {"title": "t", "owner": alice_rec["id"]})
        for i, sse in enumerate(sses):
            if i % 2:
                await sse.wait_for(lambda s=sse: len(s.messages()) == 1)  # type: ignore[misc]
        await settle()
        assert hub.stats["evaluations"] - before == 2
        assert all(not s.messages() for i, s in enumerate(sses) if not i % 2)
        for sse in sses:
            sse.close()

    run(main())


def test_rolled_back_write_sends_nothing(live: LiveServer, schema: App) -> None:
    app = schema
    c = app.registry.get("tags")
    assert c is not None

    async def main() -> None:
        sse = await SSE(live.port).start()
        assert (await subscribe(live.url, sse.client_id, ["tags/*"])).status_code == 204

        def failing(tx: Any) -> None:
            rec = app.records.insert_sync(tx, c, {"id": new_record_id(), "name": "never"})
            tx.after_commit(lambda: record_events.publish(app, "create", c, rec))
            raise RuntimeError("rollback")

        with pytest.raises(RuntimeError):
            app.db.write_sync(failing)
        write(app, "create", "tags", {"name": "kept"})
        await sse.wait_for(lambda: len(sse.messages()) == 1)
        await settle()
        assert [d["record"]["name"] for _, d in sse.messages()] == ["kept"]
        sse.close()

    run(main())


# -- auth state -------------------------------------------------------------------------------------


def test_auth_reset_on_token_key_change_and_delete(live: LiveServer, schema: App) -> None:
    app = schema
    alice_rec, alice = make_user(app, live.url, "alice@example.com")

    async def main() -> None:
        sse = await SSE(live.port).start()
        assert (await subscribe(live.url, sse.client_id, ["posts/*"], alice)).status_code == 204
        write(app, "create", "posts", {"title": "one", "owner": alice_rec["id"]})
        await sse.wait_for(lambda: len(sse.messages()) == 1)
        # a plain update keeps the auth (and refreshes the cached record)
        write(app, "update", "users", {"id": alice_rec["id"], "name": "renamed"})
        write(app, "create", "posts", {"title": "two", "owner": alice_rec["id"]})
        await sse.wait_for(lambda: len(sse.messages()) == 2)
        client = live.hub.get(sse.client_id)
        assert client is not None and client.auth is not None and client.auth.record["name"] == "renamed"
        # a new tokenKey (password change): the client becomes a guest, the stream stays open
        write(app, "update", "users", {"id": alice_rec["id"], "tokenKey": "x" * 50})
        write(app, "create", "posts", {"title": "three", "owner": alice_rec["id"]})
        await settle(0.5)
        assert [d["record"]["title"] for _, d in sse.messages()] == ["one", "two"]
        assert client.auth is None and not client.closed
        # as a guest again, a POST without a token is accepted
        assert (await subscribe(live.url, sse.client_id, ["posts/*"])).status_code == 204
        sse.close()

    run(main())


def test_auth_reset_on_collection_secret_change(live: LiveServer, schema: App) -> None:
    app = schema
    alice_rec, alice = make_user(app, live.url, "alice@example.com")

    async def main() -> None:
        sse = await SSE(live.port).start()
        assert (await subscribe(live.url, sse.client_id, ["posts/*"], alice)).status_code == 204
        app.collections.update_sync("users", {"authToken": {"secret": "s" * 50}})
        write(app, "create", "posts", {"title": "after", "owner": alice_rec["id"]})
        await settle(0.5)
        assert sse.messages() == []
        client = live.hub.get(sse.client_id)
        assert client is not None and client.auth is None
        sse.close()
        await settle(0.1)

    run(main())
    _, alice = make_user(app, live.url, "alice2@example.com")

    async def rebinding() -> None:
        # PocketBase unsets the auth of the collection's clients: another user may bind next
        sse2 = await SSE(live.port).start()
        assert (await subscribe(live.url, sse2.client_id, ["posts/*"], alice)).status_code == 204
        app.collections.update_sync("users", {"authToken": {"secret": "t" * 50}})
        _, fresh_bob = make_user(app, live.url, "bob2@example.com")
        assert (await subscribe(live.url, sse2.client_id, ["posts/*"], fresh_bob)).status_code == 204
        sse2.close()

    run(rebinding())


# -- lifetimes and resources ------------------------------------------------------------------------------


def test_idle_timeout_and_max_lifetime(live: LiveServer) -> None:
    hub = live.hub
    hub.sweep_interval = 0.05

    async def main() -> None:
        hub.idle_timeout = 0.4
        sse = await SSE(live.port).start()
        busy = await SSE(live.port).start()
        for _ in range(6):  # messages keep `busy` alive past the idle timeout
            hub.send_to_client(busy.client_id, "ping", {})
            await asyncio.sleep(0.1)
        await asyncio.wait_for(sse.closed.wait(), 2)
        assert not busy.closed.is_set()
        assert sse.raw.endswith(b"\n\n") and sse.events[-1][1] == "PB_CONNECT"
        assert (await subscribe(live.url, sse.client_id, [])).status_code == 404
        hub.idle_timeout = 300
        hub.max_lifetime = 0.3
        for _ in range(10):
            hub.send_to_client(busy.client_id, "ping", {})
            await asyncio.sleep(0.05)
        await asyncio.wait_for(busy.closed.wait(), 2)
        await asyncio.sleep(0.1)
        assert hub.clients == {}

    try:
        run(main())
    finally:
        hub.idle_timeout, hub.max_lifetime = 300, 1800


def test_slow_consumer_is_dropped_without_slowing_others(live: LiveServer, schema: App) -> None:
    app = schema
    hub = live.hub
    hub.max_queue = 50
    big = "x" * 200_000

    async def main() -> None:
        stuck = SSE(live.port)
        await stuck.connect()
        assert stuck.reader is not None and stuck.writer is not None
        stuck.writer.transport.set_write_buffer_limits(0)  # type: ignore[attr-defined]
        # read just the first chunk (PB_CONNECT), then never read again
        size = int((await stuck.reader.readuntil(b"\r\n")).strip(), 16)
        stuck._feed((await stuck.reader.readexactly(size + 2))[:-2])
        sock = stuck.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.reader._transport.pause_reading()  # type: ignore[attr-defined]
        healthy = await SSE(live.port).start()
        for sse in (stuck, healthy):
            assert (await subscribe(live.url, sse.client_id, ["tags/*"])).status_code == 204
        start = time.monotonic()

        def write_all() -> None:
            for i in range(200):
                write(app, "create", "tags", {"name": f"{i}-{big}"})

        await asyncio.to_thread(write_all)  # this loop keeps reading `healthy` meanwhile
        await healthy.wait_for(lambda: len(healthy.messages()) == 200, timeout=30)
        elapsed = time.monotonic() - start
        await asyncio.sleep(0.2)
        assert stuck.client_id not in hub.clients
        assert hub.stats["dropped_slow"] >= 1
        assert elapsed < 20
        healthy.close()
        stuck.close()

    try:
        run(main())
    finally:
        hub.max_queue = 1000


def test_oauth2_redirect_sink(live: LiveServer) -> None:
    app = live.app

    async def main() -> None:
        sse = await SSE(live.port).start()
        hub = live.hub
        assert not deliver_redirect(app, sse.client_id, {"state": sse.client_id, "code": "c"}, "127.0.0.1")
        assert (await subscribe(live.url, sse.client_id, ["@oauth2"])).status_code == 204
        assert not deliver_redirect(app, sse.client_id, {"state": "x"}, "10.9.9.9")  # another IP
        assert not deliver_redirect(app, "unknown", {"state": "x"}, "127.0.0.1")
        data = {"state": sse.client_id, "code": "thecode123"}
        assert deliver_redirect(app, sse.client_id, data, "127.0.0.1")
        await sse.wait_for(lambda: len(sse.messages()) == 1)
        cid = sse.client_id
        assert sse.raw.endswith(
            f'id:{cid}\nevent:@oauth2\ndata:{{"state":"{cid}","code":"thecode123"}}\n\n'.encode()
        )
        client = hub.get(cid)
        assert client is not None and not client.has_subscription("@oauth2")
        assert not deliver_redirect(app, cid, data, "127.0.0.1")  # unsubscribed after one message
        sse.close()

    run(main())


def test_realtime_stats_counts_clients_for_superusers_only(live: LiveServer) -> None:
    """``GET /api/realtime/stats`` (extension): clients and subscriptions, refused as
    PocketBase refuses its superuser-only routes (same answer as ``/api/crons``)."""

    async def main() -> None:
        token = su_token(live.url)
        _, user_token = make_user(live.app, live.url, "stats@example.com")
        async with httpx.AsyncClient(base_url=live.url) as http:
            for headers in ({}, {"Authorization": user_token}):
                refused = await http.get("/api/realtime/stats", headers=headers)
                crons = await http.get("/api/crons", headers=headers)
                assert refused.status_code in (401, 403)
                assert (refused.status_code, refused.json()) == (crons.status_code, crons.json())
            assert (await http.get("/api/realtime/stats")).status_code == 401

            async def stats() -> dict[str, Any]:
                r = await http.get("/api/realtime/stats", headers={"Authorization": token})
                assert r.status_code == 200, r.text
                return dict(r.json())

            assert await stats() == {"clients": 0, "subscriptions": 0, "workers": 1, "answered": 1}
            a, b = await SSE(live.port).start(), await SSE(live.port).start()
            assert (await subscribe(live.url, a.client_id, ["users", "users/x"])).status_code == 204
            assert await stats() == {"clients": 2, "subscriptions": 2, "workers": 1, "answered": 1}
            a.close()
            await settle()
            assert await stats() == {"clients": 1, "subscriptions": 0, "workers": 1, "answered": 1}
            b.close()

    run(main())
