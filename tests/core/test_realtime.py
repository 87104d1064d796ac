"""Realtime units: subscription parsing, the POST form, SSE framing, grouping, the
client outbox, the broker, and per-group evaluation (no server)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import apsw
import pytest

from satchel.app import App
from satchel.config import Config
from satchel.core.realtime import Client, ClientAuth, InProcessBroker, RealtimeHub, token_secret
from satchel.core.realtime.access import AuthView, Viewer, encode_event, rule_allows, serialize
from satchel.core.realtime.subscriptions import (
    SubscriptionOptions,
    base_topic,
    go_string,
    normalize_header_name,
    parse_subscription,
    parse_subscriptions,
    validate_form,
)
from satchel.core.records.events import RecordEvent
from satchel.errors import ApiError
from satchel.tools.sse import frame, frames, sanitize_line

# -- subscriptions ---------------------------------------------------------------------


def opts(data: Any) -> str:
    return "?options=" + quote(json.dumps(data), safe="")


def test_topic_is_the_part_before_the_query() -> None:
    assert base_topic("posts/*") == "posts/*"
    assert base_topic("posts/*?options=x") == "posts/*"
    assert base_topic("posts/abc?a=1?b") == "posts/abc"
    assert base_topic("") == ""


def test_parse_options_stringifies_like_go() -> None:
    sub = parse_subscription(
        "posts/*"
        + opts(
            {
                "query": {"filter": 'a = "b"', "n": 1, "f": 1.5, "big": 1e21, "t": True, "z": None, "l": [1], "o": {}},
                "headers": {"X-Custom": 1, "myTestDB": "v", "user_agent": "ua"},
            }
        )
    )
    assert sub.topic == "posts/*"
    assert sub.options.query == {
        "filter": 'a = "b"', "n": "1", "f": "1.5", "big": "1000000000000000000000",
        "t": "true", "z": "", "l": "", "o": "",
    }  # fmt: skip
    assert sub.options.headers == {"x_custom": "1", "my_test_db": "v", "user_agent": "ua"}
    assert sub.options.filter == 'a = "b"'


@pytest.mark.parametrize(
    "name",
    [
        "posts/*",
        "posts/*?options=",
        "posts/*?options=%7Bbad",
        "posts/*?options=%5B1%5D",
        'posts/*?options={"query":"x"}',
        "posts/*?other=1",
        "posts/*?options=%zz",
    ],
)
def test_bad_or_missing_options_are_ignored(name: str) -> None:
    sub = parse_subscription(name)
    assert sub.options.is_empty
    assert sub.name == name and sub.topic == "posts/*"


def test_options_in_plain_json_and_fragment() -> None:
    sub = parse_subscription('tags/*?options={"query":{"fields":"id"}}#frag')
    assert sub.options.query == {"fields": "id"}


def test_option_keys_group_equal_options() -> None:
    a = parse_subscription("p/*" + opts({"query": {"a": "1", "b": "2"}}))
    b = parse_subscription("p/*?options=" + quote('{"query":{"b":"2","a":1}}'))
    assert a.name != b.name and a.options.key == b.options.key
    assert parse_subscription("p/*").options.key == SubscriptionOptions().key


def test_parse_subscriptions_collapses_duplicates_and_blanks() -> None:
    subs = parse_subscriptions(["a", "", "b", "a"])
    assert list(subs) == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("X-Custom", "x_custom"), ("User-Agent", "user_agent"), ("myTestDB", "my_test_db"), ("a__b", "a_b"), ("", "")],
)
def test_header_names(name: str, expected: str) -> None:
    assert normalize_header_name(name) == expected


def test_go_string() -> None:
    assert go_string(3.0) == "3" and go_string(0.1) == "0.1" and go_string(False) == "false"


def test_validate_form() -> None:
    assert validate_form({"clientId": "c", "subscriptions": ["a"]}) == ("c", ["a"])
    assert validate_form({"clientId": "c", "subscriptions": "a"}) == ("c", ["a"])
    assert validate_form({"clientId": "c", "subscriptions": None}) == ("c", [])
    with pytest.raises(ApiError) as err:
        validate_form({"clientId": "", "subscriptions": ["x" * 2501] * 2})
    data = err.value.to_dict()["data"]
    assert set(data) == {"clientId", "subscriptions"} and set(data["subscriptions"]) == {"0", "1"}
    with pytest.raises(ApiError):
        validate_form({"clientId": ["c"]})
    with pytest.raises(ApiError):
        validate_form({"clientId": "c", "subscriptions": {"a": 1}})


# -- SSE framing -------------------------------------------------------------------------


def test_frame_is_byte_exact() -> None:
    assert frame(b"CID", b"PB_CONNECT", b'{"clientId":"CID"}') == b'id:CID\nevent:PB_CONNECT\ndata:{"clientId":"CID"}\n\n'
    assert frames(b"C", [(b"a", b"1"), (b"b", b"2")]) == b"id:C\nevent:a\ndata:1\n\nid:C\nevent:b\ndata:2\n\n"
    assert frames(b"C", []) == b""


def test_names_cannot_forge_messages() -> None:
    assert sanitize_line(b"a\nevent:x\r\ny") == b"a event:x y"
    assert sanitize_line(b"plain") == b"plain"


def test_encode_event_key_order() -> None:
    assert encode_event({"b": 1, "a": "x"}, "update") == b'{"record":{"a":"x","b":1},"action":"update"}'


# -- client outbox --------------------------------------------------------------------------


def collect(client: Client) -> list[list[tuple[bytes, bytes]]]:
    """Attach a sink recording every batch the client's writer delivers."""
    batches: list[list[tuple[bytes, bytes]]] = []

    async def sink(batch: list[tuple[bytes, bytes]]) -> None:
        batches.append(batch)

    client.attach(sink)
    return batches


def test_client_outbox_batches_and_closes() -> None:
    async def main() -> None:
        client = Client("1.2.3.4")
        assert len(client.id) == 40 and client.id.isalnum()
        # queued before a stream is attached, delivered together once it is
        assert client.push(b"a", b"1") == 1 and client.push(b"b", b"2") == 2
        batches = collect(client)
        await asyncio.sleep(0)
        assert batches == [[(b"a", b"1"), (b"b", b"2")]]
        client.push(b"c", b"3")
        client.push(b"d", b"4")
        await asyncio.sleep(0)
        assert batches[1:] == [[(b"c", b"3"), (b"d", b"4")]]
        closed: list[str] = []
        client.on_close = lambda c: closed.append(c.close_reason)
        client.close("idle")
        client.close("again")
        assert closed == ["idle"]
        assert client.push(b"e", b"5") == 0
        await asyncio.sleep(0)
        assert len(batches) == 2

    asyncio.run(main())


def test_close_cancels_a_blocked_write() -> None:
    async def main() -> None:
        client = Client()
        started, release = asyncio.Event(), asyncio.Event()
        written: list[list[tuple[bytes, bytes]]] = []

        async def stuck_sink(batch: list[tuple[bytes, bytes]]) -> None:
            started.set()
            await release.wait()  # a socket that never drains
            written.append(batch)

        client.attach(stuck_sink)
        client.push(b"a", b"1")
        await started.wait()
        client.close("slow")
        release.set()
        await asyncio.sleep(0)
        assert written == [] and client.queued == 0

    asyncio.run(main())


def test_writes_need_no_task_unless_the_socket_is_full() -> None:
    """A sink that does not wait is written to at the end of the loop turn without a task
    (a fan-out to thousands of clients); one that waits (flow control) goes on in a task,
    and what is pushed meanwhile follows it, in order, in one batch."""

    async def main() -> None:
        written: list[list[tuple[bytes, bytes]]] = []
        full = asyncio.Event()
        full.set()

        async def sink(batch: list[tuple[bytes, bytes]]) -> None:
            if not full.is_set():
                await full.wait()  # the socket is full until the reader drains it
            written.append(batch)

        clients = [Client() for _ in range(100)]
        for client in clients:
            client.attach(sink)
        tasks = len(asyncio.all_tasks())
        for client in clients:
            client.push(b"a", b"1")
            client.push(b"b", b"2")
        assert len(written) == 0  # at the end of this turn, each client's two in one batch
        await asyncio.sleep(0)
        assert written == [[(b"a", b"1"), (b"b", b"2")]] * 100
        assert len(asyncio.all_tasks()) == tasks and all(c._writer is None for c in clients)

        full.clear()
        slow = clients[0]
        slow.push(b"c", b"3")
        await asyncio.sleep(0)
        assert slow._writer is not None and len(written) == 100  # waiting in its task
        slow.push(b"d", b"4")
        slow.push(b"e", b"5")
        assert slow.queued == 2
        full.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert written[100:] == [[(b"c", b"3")], [(b"d", b"4"), (b"e", b"5")]]
        assert slow._writer is None and not slow.closed
        slow.push(b"f", b"6")  # back to writing without a task
        await asyncio.sleep(0)
        assert written[-1] == [(b"f", b"6")] and slow._writer is None

    asyncio.run(main())
    asyncio.run(main())  # a second loop in the same thread: nothing left behind by the first


def test_a_broken_stream_does_not_stop_the_others_written_in_its_turn() -> None:
    async def main() -> None:
        written: list[bytes] = []

        async def broken(batch: list[tuple[bytes, bytes]]) -> None:
            raise ConnectionResetError

        async def fine(batch: list[tuple[bytes, bytes]]) -> None:
            written.extend(name for name, _ in batch)

        first, second = Client(), Client()
        first.attach(broken)
        second.attach(fine)
        first.push(b"a", b"1")
        second.push(b"b", b"2")
        await asyncio.sleep(0)
        assert first.closed and first.close_reason == "error"
        assert written == [b"b"] and not second.closed
        second.push(b"c", b"3")
        await asyncio.sleep(0)
        assert written == [b"b", b"c"]

    asyncio.run(main())


def test_a_failing_sink_closes_the_client() -> None:
    async def main() -> None:
        client = Client()

        async def broken(batch: list[tuple[bytes, bytes]]) -> None:
            raise ConnectionResetError

        client.attach(broken)
        client.push(b"a", b"1")
        await asyncio.sleep(0)
        assert client.closed and client.close_reason == "error"

    asyncio.run(main())


# -- hub: grouping and delivery without a server ---------------------------------------------------


@pytest.fixture
def rt_app(tmp_path: Path) -> Any:
    application = App(Config(data_dir=tmp_path / "pb_data"))
    users = application.registry.get("users")
    assert users is not None
    application.collections.create_sync(
        {
            "name": "posts",
            "type": "base",
            "listRule": "owner = @request.auth.id",
            "viewRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "owner", "type": "relation", "collectionId": users.id, "maxSelect": 1},
                {"name": "secret", "type": "text", "hidden": True},
            ],
        }
    )
    yield application
    application.close()


def _user(app: App, rid: str) -> ClientAuth:
    users = app.registry.get("users")
    assert users is not None
    return ClientAuth(users, {"id": rid, "tokenKey": "k", "collectionId": users.id}, token_secret(users))


def _event(app: App, action: str, record: dict[str, Any]) -> dict[str, Any]:
    c = app.registry.get("posts")
    assert c is not None
    return {"type": "record", "action": action, "collectionId": c.id, "collectionName": c.name, "record": record}


def test_groups_are_shared_and_released(rt_app: App) -> None:
    async def main() -> None:
        hub = RealtimeHub(rt_app)
        a, b, c = hub.register("ip"), hub.register("ip"), hub.register("ip")
        u1 = _user(rt_app, "u1")
        hub.bind(a, u1, ["posts/*", "posts/*?options=%7B%7D", "posts/x"])
        hub.bind(b, _user(rt_app, "u1"), ["posts/*"])
        hub.bind(c, None, ["posts/*"])
        groups = hub._topics["posts/*"]
        assert len(groups) == 2  # (u1, no options) and (guest, no options)
        shared = groups[(u1.key, SubscriptionOptions().key)]
        assert shared.members[a] == [b"posts/*", b"posts/*?options=%7B%7D"] and shared.members[b] == [b"posts/*"]
        hub.unregister(a)
        hub.unregister(b)
        assert len(hub._topics["posts/*"]) == 1 and "posts/x" not in hub._topics
        hub.bind(c, None, [])
        assert hub._topics == {} and hub._by_auth == {}
        hub.close()

    asyncio.run(main())


def test_one_evaluation_per_group_and_rule(rt_app: App) -> None:
    async def main() -> None:
        hub = RealtimeHub(rt_app)
        owners = [hub.register() for _ in range(50)]
        guests = [hub.register() for _ in range(50)]
        received = {client.id: collect(client) for client in owners + guests}
        for client in owners:
            hub.bind(client, _user(rt_app, "u1"), ["posts/*", "posts/r1"])
        for client in guests:
            hub.bind(client, None, ["posts/*", "posts/r1"])
        record = {"id": "r1", "title": "t", "owner": "u1", "secret": "s"}
        await hub.dispatch_record(_event(rt_app, "create", record))
        # 2 viewers x 2 rules, whatever the number of connections
        assert hub.stats["evaluations"] == 4
        await asyncio.sleep(0)
        for client in owners:
            [batch] = received[client.id]
            assert sorted(name for name, _ in batch) == [b"posts/*", b"posts/r1"]
            assert batch[0][1] is batch[1][1]  # one encoding shared by both topics
            assert b'"secret"' not in batch[0][1]
        for client in guests:
            [batch] = received[client.id]
            assert [name for name, _ in batch] == [b"posts/r1"]  # viewRule "" only
        hub.close()

    asyncio.run(main())


def test_slow_client_dropped_at_queue_limit(rt_app: App) -> None:
    async def main() -> None:
        hub = RealtimeHub(rt_app, max_queue=3)
        slow, fine = hub.register(), hub.register()
        for client in (slow, fine):
            hub.bind(client, None, ["posts/r1"])
        delivered = collect(fine)  # the slow one never gets a stream that reads
        for i in range(5):
            await hub.dispatch_record(_event(rt_app, "update", {"id": "r1", "title": str(i)}))
            await asyncio.sleep(0)
            assert len(delivered) == i + 1 and len(delivered[-1]) == 1
        assert slow.closed and slow.close_reason == "slow" and slow.id not in hub.clients
        assert hub.stats["dropped_slow"] == 1
        hub.close()

    asyncio.run(main())


def test_auth_reset_and_refresh(rt_app: App) -> None:
    async def main() -> None:
        hub = RealtimeHub(rt_app)
        users = rt_app.registry.get("users")
        assert users is not None
        client = hub.register()
        hub.bind(client, _user(rt_app, "u1"), ["posts/*"])
        users_event = {"type": "record", "collectionId": users.id, "collectionName": "users"}
        await hub.dispatch_record({**users_event, "action": "update", "record": {"id": "u1", "tokenKey": "k", "name": "n"}})
        assert client.auth is not None and client.auth.record["name"] == "n"
        await hub.dispatch_record({**users_event, "action": "update", "record": {"id": "u1", "tokenKey": "k2"}})
        assert client.auth is None and not client.closed
        assert list(hub._topics["posts/*"]) == [(None, SubscriptionOptions().key)]  # moved to the guest group
        hub.bind(client, _user(rt_app, "u1"), ["posts/*"])
        await hub.dispatch_record({**users_event, "action": "delete", "record": {"id": "u1"}})
        assert client.auth is None
        hub.close()

    asyncio.run(main())


def test_rules_and_filters_against_carried_values(rt_app: App) -> None:
    c = rt_app.registry.get("posts")
    users = rt_app.registry.get("users")
    assert c is not None and users is not None
    alice = AuthView({"id": "u1", "collectionId": users.id}, users)
    record = {"id": "gone", "title": "rt-1", "owner": "u1", "secret": "s"}  # not in the table: a delete

    def check(viewer: Viewer, rule: str | None) -> bool:
        return bool(rt_app.db.read_sync(lambda conn: rule_allows(conn, rt_app.registry.get, rt_app.dialect, c, record, viewer, rule)))

    assert check(Viewer(alice, SubscriptionOptions()), c.listRule)
    assert not check(Viewer(None, SubscriptionOptions()), c.listRule)
    assert not check(Viewer(alice, SubscriptionOptions()), None)
    assert check(Viewer(None, SubscriptionOptions()), "")
    assert check(Viewer(alice, SubscriptionOptions(query={"filter": 'title ~ "rt-"'})), c.listRule)
    assert not check(Viewer(alice, SubscriptionOptions(query={"filter": 'title ~ "zz"'})), c.listRule)
    assert not check(Viewer(alice, SubscriptionOptions(query={"filter": "secret = 's'"})), c.listRule)  # hidden
    assert not check(Viewer(alice, SubscriptionOptions(query={"filter": "@request.auth.id != ''"})), "")
    assert check(Viewer(None, SubscriptionOptions(headers={"x_token": "abc"})), "@request.headers.x_token = 'abc'")
    assert not check(Viewer(alice, SubscriptionOptions(query={"filter": "(("})), c.listRule)  # bad filter

    out = rt_app.db.read_sync(
        lambda conn: serialize(conn, rt_app.registry.get, rt_app.dialect, c, record,
                               Viewer(alice, SubscriptionOptions(query={"fields": "id,title"})))  # fmt: skip
    )
    assert out == {"id": "gone", "title": "rt-1"}


def test_rule_checks_through_the_rule_cache_answer_the_same(rt_app: App) -> None:
    """Many subscribers of one event: the rule compiled once per request shape; answers
    as without the cache, per viewer."""
    from satchel.core.records.rule_cache import RuleCache

    c = rt_app.registry.get("posts")
    users = rt_app.registry.get("users")
    assert c is not None and users is not None
    cache = RuleCache(lambda: rt_app.registry.version)
    record = {"id": "gone", "title": "rt-1", "owner": "u1", "secret": "s"}
    viewers = [Viewer(AuthView({"id": uid, "collectionId": users.id}, users), SubscriptionOptions())
               for uid in ("u1", "u2", "u1", "u3")] + [Viewer(None, SubscriptionOptions())]
    for rule in (c.listRule, "owner = @request.auth.id", "@request.context = 'realtime' && owner != ''"):
        for _ in range(2):
            for viewer in viewers:
                def run(conn: apsw.Connection, cached: RuleCache | None, viewer: Viewer = viewer,
                        rule: str | None = rule) -> bool:
                    return rule_allows(conn, rt_app.registry.get, rt_app.dialect, c, record, viewer, rule, cached)

                plain = rt_app.db.read_sync(lambda conn: run(conn, None))
                assert rt_app.db.read_sync(lambda conn: run(conn, cache)) == plain, (rule, viewer)
    owner_rule = [v for v in viewers if v.auth is not None]
    assert rt_app.db.read_sync(lambda conn: rule_allows(conn, rt_app.registry.get, rt_app.dialect, c, record,
                                                        owner_rule[0], "owner = @request.auth.id", cache))
    assert not rt_app.db.read_sync(lambda conn: rule_allows(conn, rt_app.registry.get, rt_app.dialect, c, record,
                                                            owner_rule[1], "owner = @request.auth.id", cache))
    assert cache.hits > 0


def test_broker_delivers_on_the_loop_in_order() -> None:
    broker = InProcessBroker()
    got: list[tuple[int, bool]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()
        broker.subscribe(lambda m: got.append((int(m["n"]), threading.get_ident() == loop_thread)), loop)

        def publisher() -> None:
            for n in range(100):
                broker.publish({"n": n})

        await asyncio.to_thread(publisher)
        await asyncio.sleep(0.05)

    asyncio.run(main())
    assert got == [(n, True) for n in range(100)]
    broker.publish({"n": -1})  # a closed loop is skipped, not an error
    broker.close()


def test_record_event_without_clients_is_not_published(rt_app: App) -> None:
    published: list[Any] = []

    class Spy(InProcessBroker):
        def publish(self, message: Any) -> None:
            published.append(message)

    hub = RealtimeHub(rt_app, Spy())
    hub.on_record_event(RecordEvent("create", "x", "posts", {"id": "1"}))
    assert published == []
