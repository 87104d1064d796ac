"""Field-level rules of the user's guide (spec 14 §8), a Satchel extension: a field's
``createRule``/``updateRule`` say who may set it, its ``views`` where it is returned.

Table-driven over guest / user / other user / superuser, with and without the guarded
field in the body."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.realtime.access import AuthView, Viewer, serialize
from satchel.core.realtime.subscriptions import SubscriptionOptions
from tests.auth_support import make_user

USER_ID = "testuser0000001"  # user@example.com (conftest's user_token)
CREATE_FAILED = {"data": {}, "message": "Failed to create record.", "status": 400}
NOT_FOUND = {"data": {}, "message": "The requested resource wasn't found.", "status": 404}


class Who:
    """Requests as one requester (the shared TestClient, an explicit Authorization header)."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.token = client, token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": self.token} if self.token else {}

    def get(self, url: str, **params: str) -> Any:
        return self.client.get(url, params=params, headers=self._headers())

    def post(self, url: str, body: dict[str, Any], **params: str) -> Any:
        return self.client.post(url, json=body, params=params, headers=self._headers())

    def patch(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.patch(url, json=body, headers=self._headers())


@pytest.fixture
def people(client: TestClient, su_token: str, user_token: str, app: App) -> dict[str, Who]:
    make_user(app, "other@example.com", id="otheruser000001")
    r = client.post("/api/collections/users/auth-with-password",
                    json={"identity": "other@example.com", "password": "1234567890"})
    assert r.status_code == 200, r.text
    return {
        "guest": Who(client, ""),
        "user": Who(client, user_token),
        "other": Who(client, r.json()["token"]),
        "superuser": Who(client, su_token),
    }


NOTES_FIELDS: list[dict[str, Any]] = [
    {"name": "title", "type": "text"},
    {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
    # who may set it
    {"name": "secret", "type": "text", "createRule": "@request.auth.id != ''", "updateRule": None},
    {"name": "note", "type": "text", "updateRule": "@request.auth.id = author"},
    {"name": "count", "type": "number", "createRule": None, "updateRule": None},
    {"name": "open", "type": "text", "createRule": "", "updateRule": ""},  # "" = everyone
    # where it is returned
    {"name": "summary", "type": "text", "views": ["list"]},
    {"name": "body", "type": "text", "views": ["view"]},
    {"name": "internal", "type": "text", "views": []},
    {"name": "flag", "type": "text", "views": {"list": True, "view": False}},
    {"name": "plain", "type": "text", "views": {}},  # the guide's `"views": {}`: everywhere
]


@pytest.fixture
def notes(people: dict[str, Who]) -> str:
    su = people["superuser"]
    r = su.post("/api/collections", {
        "name": "notes", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
        "fields": NOTES_FIELDS,
    })
    assert r.status_code == 200, r.text
    fields = {f["name"]: f for f in r.json()["fields"]}
    assert fields["secret"]["createRule"] == "@request.auth.id != ''"
    assert fields["secret"]["updateRule"] is None
    assert fields["summary"]["views"] == ["list"]
    r = su.post("/api/collections", {
        "name": "links", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
        "fields": [{"name": "note", "type": "relation", "collectionId": r.json()["id"], "maxSelect": 1}],
    })
    assert r.status_code == 200, r.text
    return "/api/collections/notes/records"


# -- createRule / updateRule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "body", "allowed"),
    [
        ("guest", {"title": "a"}, True),
        ("guest", {"title": "a", "secret": "x"}, False),
        ("guest", {"title": "a", "secret": ""}, False),  # set, even to the zero value
        ("user", {"title": "a", "secret": "x"}, True),
        ("superuser", {"title": "a", "secret": "x"}, True),
        ("guest", {"count": 1}, False),  # null rule: superusers only
        ("user", {"count": 1}, False),
        ("user", {"count+": 1}, False),  # a modifier key sets the field too
        ("superuser", {"count": 1}, True),
        ("guest", {"open": "x"}, True),
        ("guest", {"title": "a", "unknown": 1}, True),
    ],
)
def test_create_with_and_without_guarded_fields(
    people: dict[str, Who], notes: str, who: str, body: dict[str, Any], allowed: bool
) -> None:
    r = people[who].post(notes, body)
    if allowed:
        assert r.status_code == 200, r.text
        for key, value in body.items():
            if key in {"title", "secret", "count", "open"}:
                assert r.json()[key] == value
    else:
        assert (r.status_code, r.json()) == (400, CREATE_FAILED)


@pytest.mark.parametrize(
    ("who", "body", "allowed"),
    [
        ("guest", {"title": "b"}, True),
        ("guest", {"secret": "y"}, False),  # updateRule null: superusers only
        ("user", {"secret": "y"}, False),
        ("superuser", {"secret": "y"}, True),
        ("user", {"note": "mine"}, True),  # note: only the author
        ("other", {"note": "theirs"}, False),
        ("guest", {"note": "x"}, False),
        ("superuser", {"note": "x"}, True),
        ("other", {"title": "c", "note": "x"}, False),  # one guarded key denies the whole update
        ("user", {"title": "c", "note": "x", "secret": "z"}, False),
        ("user", {"count-": 1}, False),
    ],
)
def test_update_with_and_without_guarded_fields(
    people: dict[str, Who], notes: str, who: str, body: dict[str, Any], allowed: bool
) -> None:
    created = people["superuser"].post(notes, {"title": "a", "author": USER_ID, "secret": "s", "count": 5})
    assert created.status_code == 200, created.text
    rid = created.json()["id"]
    r = people[who].patch(f"{notes}/{rid}", body)
    stored = people["superuser"].get(f"{notes}/{rid}").json()
    if allowed:
        assert r.status_code == 200, r.text
        assert {k: stored[k] for k in body} == body
    else:
        assert (r.status_code, r.json()) == (404, NOT_FOUND)
        assert (stored["title"], stored["secret"], stored["note"], stored["count"]) == ("a", "s", "", 5)


def test_field_rules_are_and_ed_with_the_collection_rule(people: dict[str, Who]) -> None:
    su = people["superuser"]
    r = su.post("/api/collections", {
        "name": "guarded", "listRule": "", "viewRule": "",
        "createRule": "title != 'blocked'", "updateRule": "title != 'frozen'",
        "fields": [{"name": "title", "type": "text"},
                   {"name": "level", "type": "number", "createRule": "@request.body.level < 10",
                    "updateRule": "@request.auth.id != ''"}],
    })
    assert r.status_code == 200, r.text
    url = "/api/collections/guarded/records"
    guest, user = people["guest"], people["user"]
    assert guest.post(url, {"title": "ok", "level": 3}).status_code == 200
    assert guest.post(url, {"title": "ok", "level": 12}).status_code == 400  # the field rule
    assert guest.post(url, {"title": "blocked", "level": 3}).status_code == 400  # the collection rule
    assert guest.post(url, {"title": "blocked"}).status_code == 400
    rid = user.post(url, {"title": "ok"}).json()["id"]
    assert guest.patch(f"{url}/{rid}", {"level": 1}).status_code == 404
    assert user.patch(f"{url}/{rid}", {"level": 1}).status_code == 200
    assert su.patch(f"{url}/{rid}", {"title": "frozen"}).status_code == 200
    assert user.patch(f"{url}/{rid}", {"level": 2}).status_code == 404  # stored record fails the collection rule


def test_field_rules_apply_in_batch(people: dict[str, Who], notes: str) -> None:
    su = people["superuser"]
    assert su.patch("/api/settings", {"batch": {"enabled": True}}).status_code == 200
    r = people["guest"].post("/api/batch", {"requests": [
        {"method": "POST", "url": notes, "body": {"title": "fine"}},
        {"method": "POST", "url": notes, "body": {"title": "no", "secret": "x"}},
    ]})
    assert r.status_code == 400
    assert r.json()["data"]["requests"]["1"]["response"] == CREATE_FAILED
    assert su.get(notes).json()["totalItems"] == 0


# -- views -----------------------------------------------------------------------------------


VALUES = {"summary": "S", "body": "B", "internal": "I", "flag": "F", "plain": "P"}


def _seed(people: dict[str, Who], notes: str) -> str:
    r = people["superuser"].post(notes, {"id": "note00000000001", "title": "t", **VALUES})
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in VALUES} == VALUES  # superusers see everything
    r = people["superuser"].post("/api/collections/links/records", {"id": "link00000000001", "note": "note00000000001"})
    assert r.status_code == 200, r.text
    return "note00000000001"


def _shown(record: dict[str, Any]) -> set[str]:
    return {k for k in VALUES if k in record}


@pytest.mark.parametrize("who", ["guest", "user"])
def test_views_list_vs_view(people: dict[str, Who], notes: str, who: str) -> None:
    rid = _seed(people, notes)
    requester = people[who]
    listed = requester.get(notes).json()["items"]
    assert [_shown(item) for item in listed] == [{"summary", "flag", "plain"}]
    assert listed[0]["summary"] == "S"
    viewed = requester.get(f"{notes}/{rid}").json()
    assert _shown(viewed) == {"body", "plain"}
    assert viewed["title"] == "t"
    # `fields` can't bring a field back
    assert requester.get(f"{notes}/{rid}", fields="id,summary").json() == {"id": rid}
    assert requester.get(notes, fields="body,summary").json()["items"] == [{"summary": "S"}]


def test_views_elsewhere_expand_and_writes(people: dict[str, Who], notes: str) -> None:
    rid = _seed(people, notes)
    guest = people["guest"]
    for url in ("/api/collections/links/records/link00000000001", "/api/collections/links/records"):
        out = guest.get(url, expand="note").json()
        link = out["items"][0] if "items" in out else out
        assert _shown(link["expand"]["note"]) == {"plain"}
        assert link["expand"]["note"]["title"] == "t"
    created = guest.post(notes, {"title": "w", "summary": "s2", "body": "b2"})
    assert created.status_code == 200, created.text
    assert _shown(created.json()) == {"plain"}
    updated = guest.patch(f"{notes}/{rid}", {"summary": "s3"})
    assert _shown(updated.json()) == {"plain"}
    assert people["superuser"].get(f"{notes}/{rid}").json()["summary"] == "s3"
    # superusers see every field in every context
    su_link = people["superuser"].get("/api/collections/links/records/link00000000001", expand="note").json()
    assert _shown(su_link["expand"]["note"]) == set(VALUES)


def test_views_in_realtime_messages(app: App, people: dict[str, Who], notes: str) -> None:
    _seed(people, notes)
    c = app.registry.get("notes")
    assert c is not None
    record = {"id": "x", "collectionId": c.id, "collectionName": "notes", "title": "t", **VALUES}
    guest = Viewer(None, SubscriptionOptions())
    assert _shown(serialize(None, app.registry.get, app.dialect, c, record, guest)) == {"plain"}
    su_c = app.registry.get("_superusers")
    assert su_c is not None
    su = Viewer(AuthView({"id": "s"}, su_c), SubscriptionOptions())
    assert _shown(serialize(None, app.registry.get, app.dialect, c, record, su)) == set(VALUES)


def test_the_guides_field_level_example(people: dict[str, Who]) -> None:
    """The guide's "Field-level" object verbatim (with the `user` relation its rule names)."""
    su = people["superuser"]
    guide_field = {
        "name": "email", "system": False, "type": "email", "required": True, "presentable": False,
        "views": {}, "createRule": None, "updateRule": "@request.auth.id = user.id", "deleteRule": None,
    }
    r = su.post("/api/collections", {
        "name": "contacts", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
        "fields": [{"name": "user", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
                   guide_field],
    })
    assert r.status_code == 200, r.text
    stored = next(f for f in r.json()["fields"] if f["name"] == "email")
    assert {k: stored[k] for k in ("views", "createRule", "updateRule", "deleteRule")} == {
        "views": {}, "createRule": None, "updateRule": "@request.auth.id = user.id", "deleteRule": None,
    }
    url = "/api/collections/contacts/records"
    # createRule null: only superusers may set the (required) email
    assert people["user"].post(url, {"user": USER_ID, "email": "a@example.com"}).json() == CREATE_FAILED
    created = su.post(url, {"user": USER_ID, "email": "a@example.com"})
    assert created.status_code == 200, created.text
    rid = created.json()["id"]
    # updateRule: only the referenced user changes it
    assert people["other"].patch(f"{url}/{rid}", {"email": "b@example.com"}).status_code == 404
    assert people["guest"].patch(f"{url}/{rid}", {"email": "b@example.com"}).status_code == 404
    assert people["user"].patch(f"{url}/{rid}", {"email": "b@example.com"}).json()["email"] == "b@example.com"
    # `"views": {}` restricts nothing
    assert people["guest"].get(f"{url}/{rid}").json()["email"] == "b@example.com"
    assert people["guest"].get(url).json()["items"][0]["email"] == "b@example.com"


def test_an_upload_sets_the_file_field(people: dict[str, Who], client: TestClient) -> None:
    r = people["superuser"].post("/api/collections", {
        "name": "docs", "createRule": "", "listRule": "",
        "fields": [{"name": "title", "type": "text"},
                   {"name": "doc", "type": "file", "maxSelect": 1, "createRule": "@request.auth.id != ''"}],
    })
    assert r.status_code == 200, r.text
    url = "/api/collections/docs/records"
    upload = {"doc": ("a.txt", b"hi", "text/plain")}
    assert client.post(url, data={"title": "t"}).status_code == 200
    guest = client.post(url, data={"title": "t"}, files=upload)
    assert (guest.status_code, guest.json()) == (400, CREATE_FAILED)
    user = client.post(url, data={"title": "t"}, files=upload, headers={"Authorization": people["user"].token})
    assert user.status_code == 200, user.text
    assert user.json()["doc"].endswith(".txt")
