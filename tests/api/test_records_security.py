"""Property: whatever a collection's rules hide never comes back -- not by list, view,
expand, ``fields`` nor batch.

The rules are drawn from a pool, each with a Python model of who may see which
record (including PocketBase's null/"" equivalence: a guest matches
``owner = @request.auth.id`` on records without an owner).  For every drawn
(listRule, viewRule, requester, client filter) the API answers are compared with
the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from satchel.app import App

Doc = dict[str, Any]
Pred = Callable[[Doc, str], bool]  # (doc, requester id or "") -> visible

DOCS: list[Doc] = [
    {"id": f"doc{i:012d}", "owner": owner, "level": level, "secret": secret}
    for i, (owner, level, secret) in enumerate(
        [("u1", 0, "a"), ("u1", 3, "b"), ("u2", 1, ""), ("u2", 4, "a"), ("", 2, "b"), ("", 5, ""),
         ("u1", 2, ""), ("u2", 0, "b")]
    )
]
USER_IDS = {"u1": "user00000000001", "u2": "user00000000002"}
NAMES = {v: k for k, v in USER_IDS.items()}


def _owner(d: Doc) -> str:
    return USER_IDS.get(d["owner"], "")


RULES: dict[str | None, Pred] = {
    None: lambda d, me: False,
    "": lambda d, me: True,
    "owner = @request.auth.id": lambda d, me: _owner(d) == me,
    "level > 2": lambda d, me: d["level"] > 2,
    "secret = 'a'": lambda d, me: d["secret"] == "a",
    "owner.name = 'u1'": lambda d, me: d["owner"] == "u1",
    "level > 2 && owner = @request.auth.id": lambda d, me: d["level"] > 2 and _owner(d) == me,
    "level <= 1 || secret = 'b'": lambda d, me: d["level"] <= 1 or d["secret"] == "b",
    "@request.auth.id != ''": lambda d, me: me != "",
}
FILTERS: dict[str, Pred | None] = {
    "": lambda d, me: True,
    "level >= 1": lambda d, me: d["level"] >= 1,
    "owner.name = 'u2'": lambda d, me: d["owner"] == "u2",
    "secret = 'a'": None,  # hidden field: 400 for non-superusers
}


@pytest.fixture
def world(app: App, su: TestClient) -> Iterator[tuple[TestClient, dict[str, str]]]:
    users = su.get("/api/collections/users").json()
    su.patch("/api/collections/users", json={"listRule": "", "viewRule": ""})
    assert users["id"] == "_pb_users_auth_"
    r = su.post("/api/collections", json={
        "name": "docs", "fields": [
            {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
            {"name": "level", "type": "number"},
            {"name": "secret", "type": "text", "hidden": True},
        ]})
    assert r.status_code == 200, r.text
    docs_id = r.json()["id"]
    r = su.post("/api/collections", json={
        "name": "refs", "listRule": "", "viewRule": "", "updateRule": "",
        "fields": [{"name": "docs", "type": "relation", "collectionId": docs_id, "maxSelect": 20}]})
    assert r.status_code == 200, r.text
    tokens = {}
    for name, uid in USER_IDS.items():
        body = {"id": uid, "email": f"{name}@example.com", "password": "1234567890",
                "passwordConfirm": "1234567890", "name": name}
        assert su.post("/api/collections/users/records", json=body).status_code == 200
    for d in DOCS:
        body = {"id": d["id"], "owner": _owner(d), "level": d["level"], "secret": d["secret"]}
        assert su.post("/api/collections/docs/records", json=body).status_code == 200
    r = su.post("/api/collections/refs/records", json={"id": "ref000000000001", "docs": [d["id"] for d in DOCS]})
    assert r.status_code == 200, r.text
    assert su.patch("/api/settings", json={"batch": {"enabled": True}}).status_code == 200
    for name in USER_IDS:
        r = su.post("/api/collections/users/auth-with-password",
                    json={"identity": f"{name}@example.com", "password": "1234567890"})
        tokens[name] = r.json()["token"]
    tokens["su"] = su.headers["Authorization"]
    yield su, tokens


def _ids(items: list[dict[str, Any]]) -> set[str]:
    return {i["id"] for i in items}


def _no_secret(value: Any) -> None:
    if isinstance(value, dict):
        assert "secret" not in value or value.get("collectionName") not in ("docs", None)
        for v in value.values():
            _no_secret(v)
    elif isinstance(value, list):
        for v in value:
            _no_secret(v)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    list_rule=st.sampled_from(list(RULES)),
    view_rule=st.sampled_from(list(RULES)),
    who=st.sampled_from(["guest", "u1", "u2"]),
    filt=st.sampled_from(list(FILTERS)),
)
def test_rules_hide_everything_they_should(
    world: tuple[TestClient, dict[str, str]], list_rule: str | None, view_rule: str | None, who: str, filt: str
) -> None:
    client, tokens = world
    su_headers = {"Authorization": tokens["su"]}
    r = client.patch("/api/collections/docs", json={"listRule": list_rule, "viewRule": view_rule}, headers=su_headers)
    assert r.status_code == 200, r.text
    me = USER_IDS.get(who, "")
    headers = {"Authorization": tokens[who]} if who in tokens else {"Authorization": ""}
    can_list = {d["id"] for d in DOCS if RULES[list_rule](d, me)}
    can_view = {d["id"] for d in DOCS if RULES[view_rule](d, me)}

    # list (+ client filter, + fields asking for the hidden field)
    r = client.get("/api/collections/docs/records", params={"filter": filt, "fields": "id,secret,level"},
                   headers=headers)
    f = FILTERS[filt]
    if list_rule is None:
        assert r.status_code == 403
    elif f is None:
        assert r.status_code == 400
    else:
        assert r.status_code == 200, r.text
        got = _ids(r.json()["items"])
        assert got == {d["id"] for d in DOCS if d["id"] in can_list and f(d, me)}
        _no_secret(r.json())

    # view
    for d in DOCS:
        r = client.get(f"/api/collections/docs/records/{d['id']}?fields=id,secret", headers=headers)
        if view_rule is None:
            assert r.status_code == 403
        else:
            assert r.status_code == (200 if d["id"] in can_view else 404)
            assert "secret" not in r.json()

    # expand through another collection, plain and in a batch
    r = client.get("/api/collections/refs/records/ref000000000001?expand=docs", headers=headers)
    assert r.status_code == 200
    expanded = r.json().get("expand", {}).get("docs", [])
    assert _ids(expanded) == (set() if view_rule is None else can_view)
    _no_secret(r.json())
    batch = {"requests": [{"method": "PATCH", "url": "/api/collections/refs/records/ref000000000001?expand=docs",
                           "body": {}}]}
    r = client.post("/api/batch", json=batch, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()[0]["body"]
    assert _ids(body.get("expand", {}).get("docs", [])) == (set() if view_rule is None else can_view)
    _no_secret(body)
