"""The compiled-rule cache: what makes a rule cacheable, what its key holds, and that
answers through the API never change with it (per requester, per auth field value,
after a schema change)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.collections.model import Collection
from satchel.core.records.query import RecordEnv, compile_rule
from satchel.core.records.resolver import RequestInfo
from satchel.core.records.rule_cache import RuleCache, RuleShape, request_key, rule_shape


@pytest.mark.parametrize(
    ("rule", "shape"),
    [
        ("", RuleShape(False)),  # never compiled: callers skip empty rules
        ("title = 'x'", RuleShape(True)),
        ("owner = @request.auth.id", RuleShape(True, ("id",))),
        ("@request.auth.verified = true && owner.org ?= @request.auth.org.id", RuleShape(True, ("verified", "org"))),
        ("@request.auth.tags:length > 1", RuleShape(True, ("tags",))),
        ("@collection.posts.author ?= @request.auth.id", RuleShape(True, ("id",))),
        ("@request.method = 'GET' && @request.context != 'oauth2'", RuleShape(True)),
        ("geoDistance(@request.auth.lon, 0, 1, 2) < 5", RuleShape(True, ("lon",))),
        ("@request.body.title = 'x'", RuleShape(True, body_fields=("title",))),
        ("@request.data.title = 'x' && @request.body.tags:each ?= 'a'", RuleShape(True, body_fields=("title", "tags"))),
        ("@request.body.author = @request.auth.id", RuleShape(True, ("id",), ("author",))),
        ("@request.query.page = '1'", RuleShape(True, query_fields=("page",))),
        ("@request.headers.x_token = 'a'", RuleShape(False)),
        ("@request.body:isset = true", RuleShape(False)),
        ("created > @now", RuleShape(False)),
        ("created > @todayStart && @request.auth.id != ''", RuleShape(False)),
        ("((", RuleShape(False)),  # a syntax error is compiled (and reported) every time
    ],
)
def test_rule_shape(rule: str, shape: RuleShape) -> None:
    assert rule_shape(rule) == shape


def test_request_key_holds_the_named_auth_values_only() -> None:
    shape = rule_shape("@request.auth.verified = true")
    base = {"id": "u1", "collectionId": "c1", "verified": True, "name": "A", "tags": ["a"]}
    key = request_key(shape, RequestInfo(auth=base))
    assert key == request_key(shape, RequestInfo(auth={**base, "name": "B"}))  # a field not named
    assert key != request_key(shape, RequestInfo(auth={**base, "verified": False}))
    assert key != request_key(shape, RequestInfo(auth={**base, "id": "u2"}))  # another record
    assert key != request_key(shape, RequestInfo(auth=None))
    assert key != request_key(shape, RequestInfo(auth=base, method="POST"))
    assert key != request_key(shape, RequestInfo(auth=base, context="realtime"))
    body = rule_shape("@request.body.title:isset = true && @request.query.q = ''")
    sent = request_key(body, RequestInfo(body={"title": None}, query={"q": "x"}))
    assert sent != request_key(body, RequestInfo(body={}, query={"q": "x"}))  # not sent vs null
    assert sent != request_key(body, RequestInfo(body={"title": None}, query={"q": "y"}))
    assert sent == request_key(body, RequestInfo(body={"title": None, "other": 1}, query={"q": "x", "p": "2"}))
    typed = rule_shape("@request.body.n = 1")
    assert request_key(typed, RequestInfo(body={"n": 1})) != request_key(typed, RequestInfo(body={"n": True}))
    tags = rule_shape("@request.auth.tags ?= 'a'")
    assert request_key(tags, RequestInfo(auth=base)) != request_key(tags, RequestInfo(auth={**base, "tags": ["b"]}))


def test_cache_is_dropped_when_the_registry_version_changes() -> None:
    version = [1]
    cache = RuleCache(lambda: version[0])
    shape = rule_shape("owner = @request.auth.id")
    calls: list[int] = []

    def compile_() -> object:
        calls.append(1)
        return object()

    info = RequestInfo(auth={"id": "u1", "collectionId": "c"})
    first = cache.get_or_compile(("c", "r", "p", None), shape, info, compile_)  # type: ignore[arg-type]
    assert cache.get_or_compile(("c", "r", "p", None), shape, info, compile_) is first  # type: ignore[arg-type]
    assert len(calls) == 1
    version[0] = 2
    assert cache.get_or_compile(("c", "r", "p", None), shape, info, compile_) is not first  # type: ignore[arg-type]
    assert len(calls) == 2 and len(cache) == 1
    uncacheable = rule_shape("created > @now")
    cache.get_or_compile(("c", "x", "p", None), uncacheable, info, compile_)  # type: ignore[arg-type]
    cache.get_or_compile(("c", "x", "p", None), uncacheable, info, compile_)  # type: ignore[arg-type]
    assert len(calls) == 4 and len(cache) == 1


def _setup(su: TestClient, rule: str) -> None:
    r = su.post("/api/collections", json={
        "name": "notes", "listRule": rule, "viewRule": rule,
        "fields": [{"name": "title", "type": "text"},
                   {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}],
    })
    assert r.status_code == 200, r.text


def _user(app: App, client: TestClient, email: str, **extra: object) -> tuple[str, str]:
    users = app.registry.get("users")
    assert users is not None
    values = app.records.new_auth_values(users, email, "1234567890")
    values.update(extra)
    record = app.db.write_sync(lambda tx: app.records.insert_sync(tx, users, values))
    r = client.post("/api/collections/users/auth-with-password", json={"identity": email, "password": "1234567890"})
    assert r.status_code == 200, r.text
    return str(record["id"]), str(r.json()["token"])


def _titles(client: TestClient, token: str | None) -> list[str]:
    headers = {"Authorization": token} if token else {}
    r = client.get("/api/collections/notes/records", headers=headers, params={"sort": "title"})
    assert r.status_code == 200, r.text
    return [item["title"] for item in r.json()["items"]]


def test_answers_per_requester_and_after_a_rule_change(app: App, su: TestClient, su_token: str) -> None:
    _setup(su, "owner = @request.auth.id")
    su.headers.pop("Authorization")
    a, token_a = _user(app, su, "a@example.com", verified=True)
    b, token_b = _user(app, su, "b@example.com", verified=False)
    for title, owner in (("a1", a), ("a2", a), ("b1", b)):
        r = su.post("/api/collections/notes/records", headers={"Authorization": su_token},
                    json={"title": title, "owner": owner})
        assert r.status_code == 200, r.text
    for _ in range(2):  # the second round is answered from the cache
        assert _titles(su, token_a) == ["a1", "a2"]
        assert _titles(su, token_b) == ["b1"]
        assert _titles(su, None) == []
    env = RecordEnv.from_app(app)
    assert env.rules is not None and env.rules.hits > 0

    # a new rule through the API: seen by the very next request
    r = su.patch("/api/collections/notes", headers={"Authorization": su_token},
                 json={"listRule": "@request.auth.verified = true"})
    assert r.status_code == 200, r.text
    assert _titles(su, token_a) == ["a1", "a2", "b1"]
    assert _titles(su, token_b) == []

    # the value of a named auth field changes: a new key, not the old SQL
    users = app.registry.get("users")
    assert users is not None
    app.db.write_sync(lambda tx: tx.execute("UPDATE users SET verified = TRUE WHERE id = :id", {"id": b}))
    assert _titles(su, token_b) == ["a1", "a2", "b1"]


def test_a_collection_not_in_the_registry_is_compiled_every_time(app: App) -> None:
    env = RecordEnv.from_app(app)
    users = app.registry.get("users")
    assert isinstance(users, Collection) and env.rules is not None
    copy = Collection.from_row(users.to_row())  # e.g. a migration's uncommitted collection
    before = (env.rules.hits, env.rules.misses)
    info = RequestInfo(auth={"id": "u1", "collectionId": users.id})
    compile_rule(env, copy, "id = @request.auth.id", info, prefix="v")
    compile_rule(env, copy, "id = @request.auth.id", info, prefix="v")
    assert (env.rules.hits, env.rules.misses) == before
    compile_rule(env, users, "id = @request.auth.id", info, prefix="v")
    compile_rule(env, users, "id = @request.auth.id", info, prefix="v")
    assert (env.rules.hits, env.rules.misses) == (before[0] + 1, before[1] + 1)


def test_create_rule_on_the_body_per_request(app: App, su: TestClient, su_token: str) -> None:
    r = su.post("/api/collections", json={
        "name": "notes", "createRule": "@request.auth.id != '' && @request.body.owner = @request.auth.id",
        "fields": [{"name": "title", "type": "text"},
                   {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}],
    })
    assert r.status_code == 200, r.text
    su.headers.pop("Authorization")
    a, token_a = _user(app, su, "a@example.com")
    b, token_b = _user(app, su, "b@example.com")
    url = "/api/collections/notes/records"
    for _ in range(2):  # the second round is answered from the cache
        for token, owner, status in ((token_a, a, 200), (token_a, b, 400), (token_b, b, 200), (token_b, a, 400),
                                     (token_a, None, 400), (None, a, 400)):
            headers = {"Authorization": token} if token else {}
            body = {"title": "t"} if owner is None else {"title": "t", "owner": owner}
            assert su.post(url, headers=headers, json=body).status_code == status, (token, owner)
    env = RecordEnv.from_app(app)
    assert env.rules is not None and env.rules.hits >= 6
