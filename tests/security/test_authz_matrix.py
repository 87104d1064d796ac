"""The authorization matrix: every read path x generated rules x requesters, against a live
``satchel serve``, asserting that nothing a rule hides is returned or can be inferred.

Read paths: list, view, ``fields``, expand (forward and back-relations), filter and sort
used as an oracle (own hidden fields, fields reached through a relation or a
back-relation, ``@collection``), batch, realtime (collection and record topics), protected
files and their thumbs, and view collections.

The model (``authz_world.RULES``) was checked against PocketBase 0.40.6 by running this
module with ``AUTHZ_BASE=http://127.0.0.1:PORT`` pointing at the real binary (superuser
admin@example.com / 1234567890 on an empty data dir): every test passed there too.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.serve_support import EMAIL, PASSWORD, satchel, serving
from tests.security.authz_world import DOCS, RULES, USER_IDS, VIEW_RULES, WHO, World, build_world, owner_id

HIDDEN_ORACLES = [  # (collection, params): a hidden field used as a filter or sort oracle
    ("docs", {"filter": "secret = 'a'"}),
    ("docs", {"sort": "secret"}),
    ("docs", {"filter": "secret ~ 'a' || level > 0"}),
    ("notes", {"filter": "doc.secret = 'a'"}),
    ("notes", {"sort": "doc.secret"}),
    ("users", {"filter": "docs_via_owner.secret ?= 'a'"}),
    ("refs", {"filter": "docs.secret ?= 'a'"}),
]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    external = os.environ.get("AUTHZ_BASE")
    if external:  # checking the model against another server (the PocketBase binary)
        yield build_world(external, EMAIL, PASSWORD)
        return
    data = tmp_path_factory.mktemp("authz") / "pb_data"
    assert satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}").returncode == 0
    with serving(data) as server:
        yield build_world(server.base, EMAIL, PASSWORD)


def _ids(items: list[dict[str, Any]]) -> set[str]:
    return {i["id"] for i in items}


def _me(who: str) -> str:
    return USER_IDS.get(who, "")


def _assert_no_secret(value: Any) -> None:
    if isinstance(value, dict):
        assert "secret" not in value, value
        for v in value.values():
            _assert_no_secret(v)
    elif isinstance(value, list):
        for v in value:
            _assert_no_secret(v)


@SETTINGS
@given(list_rule=st.sampled_from(list(RULES)), view_rule=st.sampled_from(list(RULES)), who=st.sampled_from(WHO))
def test_records_paths(world: World, list_rule: str | None, view_rule: str | None, who: str) -> None:
    world.set_rules("docs", list_rule, view_rule)
    me = _me(who)
    can_list = {d["id"] for d in DOCS if RULES[list_rule](d, me)}
    can_view = {d["id"] for d in DOCS if RULES[view_rule](d, me)}

    # list, asking for the hidden field by `fields`
    r = world.get(who, "/api/collections/docs/records", fields="id,secret,level", perPage="50")
    if list_rule is None:
        assert r.status_code == 403
    else:
        assert r.status_code == 200, r.text
        assert _ids(r.json()["items"]) == can_list
        _assert_no_secret(r.json())

    # view of every document
    for d in DOCS:
        r = world.get(who, f"/api/collections/docs/records/{d['id']}", fields="id,secret")
        assert r.status_code == (403 if view_rule is None else 200 if d["id"] in can_view else 404), r.text
        _assert_no_secret(r.json())

    # forward expand, plain and inside a batch: the target's viewRule decides
    r = world.get(who, "/api/collections/refs/records/ref000000000001", expand="docs")
    assert r.status_code == 200
    assert _ids(r.json().get("expand", {}).get("docs", [])) == can_view
    _assert_no_secret(r.json())
    r = world.get(who, "/api/collections/notes/records", expand="doc", perPage="50")
    expanded = {n["expand"]["doc"]["id"] for n in r.json()["items"] if "doc" in n.get("expand", {})}
    assert expanded == can_view
    batch = {"requests": [{"method": "GET", "url": "/api/collections/refs/records/ref000000000001?expand=docs"}]}
    r = world.http.post(world.base + "/api/batch", json=batch, headers=world.headers(who))
    if r.status_code == 200:  # PocketBase only batches writes; a read is refused for everyone
        body = r.json()[0]["body"]
        assert _ids(body.get("expand", {}).get("docs", [])) <= can_view
        _assert_no_secret(body)
    else:
        assert r.status_code == 400, r.text

    # back-relation expand from a public collection
    r = world.get(who, "/api/collections/users/records", expand="docs_via_owner", perPage="50")
    assert r.status_code == 200
    back = {d["id"] for u in r.json()["items"] for d in u.get("expand", {}).get("docs_via_owner", [])}
    assert back == {d["id"] for d in DOCS if d["id"] in can_view and owner_id(d)}
    _assert_no_secret(r.json())


@SETTINGS
@given(list_rule=st.sampled_from(list(RULES)), who=st.sampled_from(WHO), level=st.integers(-1, 5))
def test_filters_through_relations_see_only_listable(world: World, list_rule: str | None, who: str, level: int) -> None:
    """A filter that reaches ``docs`` from another collection counts only the documents the
    requester could list: it is no oracle for the others."""
    world.set_rules("docs", list_rule, "")
    me = _me(who)
    listable = [d for d in DOCS if RULES[list_rule](d, me)]

    queries = [("notes", f"doc.level > {level}"), ("users", f"docs_via_owner.level ?> {level}"),
               ("refs", f"docs.level ?> {level}")]
    if list_rule is None:  # a collection nobody may list can't be joined by a filter at all
        for collection, filt in queries:
            r = world.get(who, f"/api/collections/{collection}/records", filter=filt)
            assert r.status_code == 400, r.text
        return
    r = world.get(who, "/api/collections/notes/records", filter=f"doc.level > {level}", perPage="50", expand="doc")
    assert r.status_code == 200, r.text
    through = {n["expand"]["doc"]["id"] for n in r.json()["items"]}
    assert through == {d["id"] for d in listable if d["level"] > level}
    assert len(r.json()["items"]) == len(through)

    r = world.get(who, "/api/collections/users/records", filter=f"docs_via_owner.level ?> {level}", perPage="50")
    assert r.status_code == 200, r.text
    assert _ids(r.json()["items"]) == {owner_id(d) for d in listable if d["level"] > level and owner_id(d)}

    r = world.get(who, "/api/collections/refs/records", filter=f"docs.level ?> {level}")
    assert r.status_code == 200, r.text
    assert r.json()["totalItems"] == (1 if any(d["level"] > level for d in listable) else 0)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(("collection", "params"), HIDDEN_ORACLES)
def test_hidden_fields_are_no_oracle(world: World, who: str, collection: str, params: dict[str, str]) -> None:
    world.set_rules("docs", "", "")
    r = world.get(who, f"/api/collections/{collection}/records", **params)
    assert r.status_code == 400, r.text
    assert r.json()["data"] == {}


@pytest.mark.parametrize("who", WHO)
def test_collection_joins_are_superuser_only(world: World, who: str) -> None:
    for filt in ("@collection.docs.level > 4", "@collection.docs.secret = 'a'"):
        r = world.get(who, "/api/collections/notes/records", filter=filt)
        assert r.status_code == 403
        assert r.json()["message"] == "Only superusers can filter by @collection."
    r = world.get("su", "/api/collections/notes/records", filter="@collection.docs.secret ?= 'a'")
    assert r.status_code == 200
    assert r.json()["totalItems"] == len(DOCS)


@SETTINGS
@given(view_rule=st.sampled_from(list(RULES)), who=st.sampled_from(WHO))
def test_protected_files_follow_the_view_rule(world: World, view_rule: str | None, who: str) -> None:
    world.set_rules("docs", "", view_rule)
    me = _me(who)
    token = ""
    if who != "guest":
        r = world.http.post(world.base + "/api/files/token", headers=world.headers(who))
        assert r.status_code == 200
        token = r.json()["token"]
    for d in DOCS:
        names = world.files[d["id"]]
        visible = RULES[view_rule](d, me)  # the token is who asks; with none, a guest asks
        for thumb in ("", "10x10"):
            r = world.get(who, f"/api/files/docs/{d['id']}/{names['att']}", token=token, thumb=thumb)
            assert r.status_code == (200 if visible else 404), (d, r.text)
            assert (r.content[:4] == b"\x89PNG") == visible
        # files of unprotected fields are public, as in PocketBase
        assert world.get(who, f"/api/files/docs/{d['id']}/{names['pic']}").status_code == 200


@SETTINGS
@given(list_rule=st.sampled_from(list(VIEW_RULES)), view_rule=st.sampled_from(list(VIEW_RULES)),
       who=st.sampled_from(WHO))
def test_view_collections_apply_their_own_rules(
    world: World, list_rule: str | None, view_rule: str | None, who: str
) -> None:
    world.set_rules("docs", None, None)  # the source's rules don't matter to a view
    world.set_rules("docview", list_rule, view_rule)
    me = _me(who)
    r = world.get(who, "/api/collections/docview/records", perPage="50")
    if list_rule is None:
        assert r.status_code == 403
    else:
        assert _ids(r.json()["items"]) == {d["id"] for d in DOCS if VIEW_RULES[list_rule](d, me)}
        _assert_no_secret(r.json())
    for d in DOCS[:4]:
        r = world.get(who, f"/api/collections/docview/records/{d['id']}")
        expected = 403 if view_rule is None else 200 if VIEW_RULES[view_rule](d, me) else 404
        assert r.status_code == expected, r.text


class _Subscriber:
    """One SSE connection to /api/realtime, subscribed as ``who``; events collected in a thread."""

    def __init__(self, world: World, who: str, topics: list[str]) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._connected = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=30))
        self._stream = self._client.stream("GET", world.base + "/api/realtime")
        self._response = self._stream.__enter__()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._connected.wait(5), "no PB_CONNECT"
        r = world.http.post(world.base + "/api/realtime", headers=world.headers(who),
                            json={"clientId": self.client_id, "subscriptions": topics})
        assert r.status_code == 204, r.text

    def _read(self) -> None:
        name = ""
        try:
            for line in self._response.iter_lines():
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
                    if name == "PB_CONNECT":
                        self.client_id = data["clientId"]
                        self._connected.set()
                    else:
                        self.events.append((name, data))
        except httpx.HTTPError:
            pass

    def wait_for(self, name: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not any(n == name for n, _ in self.events):
            assert time.monotonic() < deadline, f"no {name} event: {self.events}"
            time.sleep(0.01)

    def close(self) -> None:
        self._stream.__exit__(None, None, None)
        self._client.close()


@pytest.mark.parametrize(("list_rule", "view_rule"), [(rule, rules[(i + 3) % len(rules)])
                                                      for rules in [list(RULES)] for i, rule in enumerate(rules)])
def test_realtime_sends_only_what_the_rules_allow(world: World, list_rule: str | None, view_rule: str | None) -> None:
    """``docs`` (the collection topic) follows the listRule, ``docs/<id>`` the viewRule."""
    world.set_rules("docs", list_rule, view_rule)
    topics = ["docs", *(f"docs/{d['id']}" for d in DOCS), "pings"]
    subscribers = {who: _Subscriber(world, who, topics) for who in WHO}
    try:
        for d in DOCS:
            r = world.as_su("PATCH", f"/api/collections/docs/records/{d['id']}", json={"level": d["level"]})
            assert r.status_code == 200, r.text
        ping = world.as_su("POST", "/api/collections/pings/records", json={"n": 1}).json()
        for who, sub in subscribers.items():
            sub.wait_for("pings")  # sent after every docs event: all of them have arrived
            me = _me(who)
            got_list = {e["record"]["id"] for n, e in sub.events if n == "docs"}
            got_view = {e["record"]["id"] for n, e in sub.events if n.startswith("docs/")}
            assert got_list == {d["id"] for d in DOCS if RULES[list_rule](d, me)}, who
            assert got_view == {d["id"] for d in DOCS if RULES[view_rule](d, me)}, who
            assert all(n == f"docs/{e['record']['id']}" for n, e in sub.events if n.startswith("docs/"))
            _assert_no_secret([e for _, e in sub.events])
        world.as_su("DELETE", f"/api/collections/pings/records/{ping['id']}")
    finally:
        for sub in subscribers.values():
            sub.close()


def test_world_is_what_the_model_says(world: World) -> None:
    """The superuser sees every document with its hidden field: the matrix above is not vacuous."""
    r = world.get("su", "/api/collections/docs/records", perPage="50")
    assert {i["id"]: i["secret"] for i in r.json()["items"]} == {d["id"]: d["secret"] for d in DOCS}
