"""One records-API scenario, replayed against PocketBase 0.40.6 and against Satchel.

``tests/fixtures/capture_records_api.py`` ran these steps against the real binary
and stored its answers in ``pocketbase_040/records_api.json``;
``tests/api/test_records_oracle.py`` replays them here and compares.

A step is a dict: ``as`` (``su``/``guest``/``alice``/``bob``), ``method``, ``path``,
``body`` (JSON) and optional ``login`` (``(who, collection, email, password)``:
log in and remember the token under ``who`` instead of a plain request).
Timestamps, tokens and the ids listed in ``volatile`` are scrubbed on capture.
"""

from __future__ import annotations

from typing import Any

Step = dict[str, Any]

PW = "1234567890"

KITCHEN_FIELDS: list[dict[str, Any]] = [
    {"name": "title", "type": "text", "required": True, "min": 3, "max": 20},
    {"name": "slug", "type": "text", "pattern": "^[a-z0-9-]+$", "autogeneratePattern": "[a-z]{8}"},
    {"name": "body", "type": "editor", "maxSize": 20},
    {"name": "views", "type": "number", "min": 0, "max": 100, "onlyInt": True},
    {"name": "score", "type": "number", "min": -10.5, "max": 10.5},
    {"name": "published", "type": "bool"},
    {"name": "mustbe", "type": "bool", "required": False},
    {"name": "contact", "type": "email", "exceptDomains": ["spam.test"]},
    {"name": "site", "type": "url", "onlyDomains": ["example.com"]},
    {"name": "due", "type": "date", "min": "2020-01-01 00:00:00.000Z", "max": "2099-12-31 23:59:59.000Z"},
    {"name": "status", "type": "select", "values": ["draft", "live", "archived"], "maxSelect": 1},
    {"name": "labels", "type": "select", "values": ["a", "b", "c", "d"], "maxSelect": 3},
    {"name": "rel", "type": "relation", "collectionId": "pbc_1219621782", "maxSelect": 2, "minSelect": 0},
    {"name": "meta", "type": "json", "maxSize": 30},
    {"name": "loc", "type": "geoPoint"},
    {"name": "pin", "type": "password", "min": 4, "max": 20, "cost": 4},
    {"name": "doc", "type": "file", "maxSelect": 1},
    {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
    {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
]


def _req(who: str, method: str, path: str, body: Any = None, **extra: Any) -> Step:
    step: Step = {"as": who, "method": method, "path": path, "body": body}
    step.update(extra)
    return step


def _login(who: str, email: str, collection: str = "users") -> Step:
    return {"login": (who, collection, email, PW)}


def setup_steps() -> list[Step]:
    su = "su"
    c = "/api/collections"
    return [
        _req(su, "PATCH", f"{c}/users", {
            "listRule": "", "viewRule": "id = @request.auth.id || emailVisibility = true", "createRule": "",
            "updateRule": "id = @request.auth.id", "deleteRule": "id = @request.auth.id",
            "manageRule": "@request.auth.name = 'boss'",
        }, quiet=True),
        _req(su, "POST", c, {"name": "tags", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
                             "deleteRule": "", "fields": [{"name": "name", "type": "text", "required": True}],
                             "indexes": ["CREATE UNIQUE INDEX idx_tags_name ON tags (name)"]}, quiet=True),
        _req(su, "POST", c, {"name": "secrets", "fields": [{"name": "name", "type": "text"}]}, quiet=True),
        _req(su, "POST", c, {
            "name": "posts", "listRule": "", "viewRule": "", "createRule": "@request.auth.id != ''",
            "updateRule": "author = @request.auth.id", "deleteRule": "author = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
                {"name": "tags", "type": "relation", "collectionId": "pbc_1219621782", "maxSelect": 5},
                {"name": "htags", "type": "relation", "collectionId": "pbc_1219621782", "maxSelect": 5,
                 "hidden": True},
                {"name": "sec", "type": "relation", "collectionId": "pbc_1516307710", "maxSelect": 1},
                {"name": "internal", "type": "text", "hidden": True},
                {"name": "views", "type": "number"},
                {"name": "created", "type": "autodate", "onCreate": True},
                {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
            ]}, quiet=True),
        _req(su, "POST", c, {
            "name": "comments", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
            "fields": [
                {"name": "message", "type": "text"},
                {"name": "post", "type": "relation", "collectionId": "pbc_1125843985", "maxSelect": 1,
                 "cascadeDelete": True},
                {"name": "user", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
            ]}, quiet=True),
        _req(su, "POST", c, {
            "name": "reqref", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
            "fields": [{"name": "tag", "type": "relation", "collectionId": "pbc_1219621782", "maxSelect": 1,
                        "required": True}]}, quiet=True),
        _req(su, "POST", c, {
            "name": "notes", "listRule": "owner = @request.auth.id", "viewRule": "owner = @request.auth.id",
            "createRule": "@request.auth.id != '' && @request.body.owner = @request.auth.id && "
                          "@request.body.locked:isset = false",
            "updateRule": "owner = @request.auth.id && @request.body.owner:changed = false && "
                          "(@request.body.tags:length < 3)",
            "deleteRule": "owner = @request.auth.id && @request.query.confirm = 'yes'",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
                {"name": "locked", "type": "bool"},
                {"name": "tags", "type": "select", "values": ["x", "y", "z"], "maxSelect": 3},
            ]}, quiet=True),
        _req(su, "POST", c, {"name": "kitchen", "listRule": "", "viewRule": "", "createRule": "",
                             "updateRule": "", "deleteRule": "", "fields": KITCHEN_FIELDS}, quiet=True),
        _req(su, "POST", c, {"name": "pview", "type": "view", "listRule": "", "viewRule": "",
                             "viewQuery": "select id, title from posts"}, quiet=True),
        _req(su, "POST", f"{c}/users/records", {"id": "alice0000000000", "email": "alice@example.com",
                                                "password": PW, "passwordConfirm": PW, "name": "alice"}),
        _req(su, "POST", f"{c}/users/records", {"id": "bob000000000000", "email": "bob@example.com",
                                                "password": PW, "passwordConfirm": PW, "name": "bob",
                                                "emailVisibility": True}),
        _req(su, "POST", f"{c}/users/records", {"id": "boss00000000000", "email": "boss@example.com",
                                                "password": PW, "passwordConfirm": PW, "name": "boss"}),
        _login("alice", "alice@example.com"),
        _login("bob", "bob@example.com"),
        _login("boss", "boss@example.com"),
        _req(su, "POST", f"{c}/tags/records", {"id": "tag000000000001", "name": "news"}),
        _req(su, "POST", f"{c}/tags/records", {"id": "tag000000000002", "name": "tech"}),
        _req(su, "POST", f"{c}/tags/records", {"id": "tag000000000003", "name": "misc"}),
        _req(su, "POST", f"{c}/secrets/records", {"id": "sec000000000001", "name": "s"}),
        _req(su, "POST", f"{c}/posts/records", {
            "id": "post00000000001", "title": "hello", "author": "alice0000000000",
            "tags": ["tag000000000001", "tag000000000002"], "htags": ["tag000000000003"],
            "sec": "sec000000000001", "internal": "x", "views": 10}),
        _req(su, "POST", f"{c}/posts/records", {"id": "post00000000002", "title": "second", "author": "bob000000000000",
                                                "views": 3}),
        _req(su, "POST", f"{c}/comments/records", {"id": "com000000000001", "message": "first!",
                                                   "post": "post00000000001", "user": "alice0000000000"}),
        _req(su, "POST", f"{c}/comments/records", {"id": "com000000000002", "message": "by bob",
                                                   "post": "post00000000001", "user": "bob000000000000"}),
        _req(su, "POST", f"{c}/reqref/records", {"id": "req000000000001", "tag": "tag000000000003"}),
    ]


def _table(c: str) -> list[Step]:
    """Guest / users / superuser x list / view / create / update / delete."""
    out: list[Step] = []
    who_all = ("guest", "alice", "bob", "su")
    for who in who_all:
        out += [
            _req(who, "GET", f"{c}/posts/records?sort=id"),
            _req(who, "GET", f"{c}/posts/records/post00000000001"),
            _req(who, "GET", f"{c}/secrets/records"),
            _req(who, "GET", f"{c}/secrets/records/sec000000000001"),
            _req(who, "GET", f"{c}/users/records?sort=id"),
            _req(who, "GET", f"{c}/users/records/alice0000000000"),
            _req(who, "GET", f"{c}/users/records/bob000000000000"),
            _req(who, "GET", f"{c}/notes/records"),
            _req(who, "PATCH", f"{c}/posts/records/post00000000002", {"title": f"by {who}"}),
            _req(who, "POST", f"{c}/secrets/records", {"name": "nope"}, volatile=["id"]),
            _req(who, "PATCH", f"{c}/secrets/records/sec000000000001", {"name": "s"}),
            _req(who, "DELETE", f"{c}/secrets/records/nope00000000000"),
        ]
    out += [
        _req("guest", "POST", f"{c}/posts/records", {"title": "guest post"}),
        _req("alice", "POST", f"{c}/posts/records", {"id": "post00000000003", "title": "alice post",
                                                     "author": "alice0000000000", "internal": "ignored"}),
        _req("su", "GET", f"{c}/posts/records/post00000000003"),
        _req("bob", "DELETE", f"{c}/posts/records/post00000000003"),
        _req("alice", "DELETE", f"{c}/posts/records/post00000000003"),
        _req("su", "GET", f"{c}/posts/records/post00000000003"),
    ]
    return out


def _lists(c: str) -> list[Step]:
    p = f"{c}/posts/records"
    return [
        _req("guest", "GET", f"{p}?perPage=1&page=2&sort=-views"),
        _req("guest", "GET", f"{p}?skipTotal=1&fields=id"),
        _req("guest", "GET", f"{p}?page=100&perPage=1"),
        _req("guest", "GET", f"{p}?filter=title~'hel'"),
        _req("guest", "GET", f"{p}?filter=internal='x'"),
        _req("su", "GET", f"{p}?filter=internal='x'&fields=id,internal"),
        _req("guest", "GET", f"{p}?filter=(bad"),
        _req("guest", "GET", f"{p}?filter=@request.auth.id=''"),
        _req("guest", "GET", f"{p}?sort=@collection.tags.name"),
        _req("guest", "GET", f"{p}?filter=sec.name='s'"),
        _req("guest", "GET", f"{p}?filter=author.name='alice'"),
        _req("alice", "GET", f"{p}?filter=author.name='alice'&fields=id"),
        _req("guest", "GET", f"{p}?filter=tags.name?='tech'&fields=id"),
        _req("guest", "GET", f"{p}?sort=-@rowid&fields=id"),
        _req("guest", "GET", f"{p}?perPage=abc"),
        _req("guest", "GET", f"{p}?skipTotal=maybe"),
        _req("guest", "GET", f"{c}/users/records?filter=email='alice@example.com'&fields=id"),
        _req("guest", "GET", f"{c}/users/records?filter=email='bob@example.com'&fields=id"),
        _req("guest", "GET", f"{c}/USERS/records?fields=id,email&sort=id"),
        _req("boss", "GET", f"{c}/users/records?fields=id,email&sort=id"),
        _req("guest", "GET", f"{c}/nope/records"),
        _req("guest", "GET", f"{c}/nope/records/x"),
        _req("guest", "POST", f"{c}/nope/records", {}),
        _req("guest", "PATCH", f"{c}/nope/records/x", {}),
        _req("guest", "DELETE", f"{c}/nope/records/x"),
        _req("guest", "GET", f"{c}/pview/records?sort=id"),
        _req("guest", "POST", f"{c}/pview/records", {}),
        _req("guest", "PATCH", f"{c}/pview/records/post00000000001", {}),
        _req("guest", "DELETE", f"{c}/pview/records/post00000000001"),
    ]


def _expands(c: str) -> list[Step]:
    p = f"{c}/posts/records/post00000000001"
    return [
        _req("guest", "GET", f"{p}?expand=author,tags,comments_via_post&fields=id,expand"),
        _req("guest", "GET", f"{p}?expand=htags,sec&fields=id,expand"),
        _req("guest", "GET", f"{p}?expand=sec&fields=id,expand"),
        _req("guest", "GET", f"{p}?expand=nonexistent&fields=id,expand"),
        _req("guest", "GET", f"{p}?expand=title&fields=id,expand"),
        _req("guest", "GET", f"{p}?expand=author.bogus&fields=id,expand"),
        _req("alice", "GET", f"{p}?expand=author.bogus&fields=id,expand"),
        _req("alice", "GET", f"{p}?expand=author,comments_via_post.user&fields=id,expand"),
        _req("bob", "GET", f"{p}?expand=comments_via_post.user,comments_via_post.post&fields=id,expand"),
        _req("su", "GET", f"{p}?expand=author,htags,sec,comments(post)"),
        _req("guest", "GET", f"{p}?expand=tags&fields=*,expand.tags.name"),
        _req("guest", "GET", f"{c}/posts/records?expand=tags,author&sort=id&fields=id,expand"),
        _req("guest", "GET", f"{c}/tags/records/tag000000000001?expand=posts_via_tags&fields=id,expand"),
        _req("guest", "GET", f"{p}?fields=id,title:excerpt(3,true)"),
    ]


def _writes(c: str) -> list[Step]:
    k = f"{c}/kitchen/records"
    return [
        _req("guest", "POST", k, {
            "title": "ab", "slug": "BAD SLUG", "body": "x" * 25, "views": 1.5, "score": 11, "contact": "a@spam.test",
            "site": "https://other.org", "due": "2019-05-05", "status": "nope", "labels": ["a", "b", "c", "d"],
            "rel": ["missing00000001"], "meta": {"long": "x" * 40}, "loc": {"lon": 200, "lat": 0}, "pin": "1",
        }),
        _req("guest", "POST", k, {"title": "abc", "views": -1, "score": -11, "contact": "bad", "site": "nope",
                                  "due": "2100-01-01", "rel": ["tag000000000001", "tag000000000002", "tag000000000003"],
                                  "loc": {"lon": 0, "lat": 91}, "pin": "x" * 30}),
        _req("guest", "POST", k, {"title": "x" * 21, "views": 101, "doc": "nofile.txt"}),
        _req("guest", "POST", k, {"id": "BAD ID", "title": "abc"}),
        _req("guest", "POST", k, {
            "id": "kitchen00000001", "title": "good", "slug": "", "views": "42", "score": "1.5", "published": "true",
            "contact": "me@example.com", "site": "https://example.com/x", "due": "2024-05-06T07:08:09+02:00",
            "status": ["draft", "live"], "labels": ["b", "b", "a"], "rel": "tag000000000001",
            "meta": "[1,2]", "loc": {"lon": 23.32, "lat": 42.69}, "pin": "12345", "collectionId": "x",
            "collectionName": "y", "expand": {"a": 1}, "unknown": 1, "created": "2020-01-01 00:00:00.000Z",
        }, volatile=["slug"]),
        _req("guest", "PATCH", f"{k}/kitchen00000001", {"views+": 5, "labels+": "c", "+rel": "tag000000000002"},
             volatile=["slug"]),
        _req("guest", "PATCH", f"{k}/kitchen00000001", {"+labels": ["d"]}),
        _req("guest", "PATCH", f"{k}/kitchen00000001", {"labels-": ["a", "d"], "views-": 1, "rel-": "tag000000000001",
                                                        "status+": "archived"}, volatile=["slug"]),
        _req("guest", "PATCH", f"{k}/kitchen00000001", {"views": 5, "views+": 1, "status": "live", "status-": "live",
                                                        "slug:autogenerate": "post-"}, volatile=["slug"]),
        _req("guest", "PATCH", f"{k}/kitchen00000001", {"id": "kitchen00000002"}),
        _req("guest", "POST", k, {"id": "kitchen00000001", "title": "dup"}),
        _req("guest", "POST", f"{c}/tags/records", {"name": "news"}),
        _req("guest", "PATCH", f"{c}/tags/records/tag000000000003", {"name": "news"}),
        _req("guest", "POST", f"{c}/tags/records", raw=b"{bad"),
        _req("guest", "GET", f"{k}/kitchen00000001?fields=id,pin,views,labels,rel,status,loc,meta"),
        # create/update/delete rules with @request.body / query
        _req("alice", "POST", f"{c}/notes/records", {"id": "note00000000001", "title": "n", "owner": "alice0000000000",
                                                      "tags": ["x", "y"]}),
        _req("alice", "POST", f"{c}/notes/records", {"title": "n", "owner": "bob000000000000"}),
        _req("alice", "POST", f"{c}/notes/records", {"title": "n", "owner": "alice0000000000", "locked": False}),
        _req("guest", "POST", f"{c}/notes/records", {"title": "n", "owner": ""}),
        _req("alice", "PATCH", f"{c}/notes/records/note00000000001", {"owner": "bob000000000000"}),
        _req("alice", "PATCH", f"{c}/notes/records/note00000000001", {"tags+": "z"}),
        _req("alice", "PATCH", f"{c}/notes/records/note00000000001", {"tags": ["x"], "title": "ok"}),
        _req("bob", "PATCH", f"{c}/notes/records/note00000000001", {"title": "bob"}),
        _req("alice", "DELETE", f"{c}/notes/records/note00000000001"),
        _req("alice", "DELETE", f"{c}/notes/records/note00000000001?confirm=yes"),
        # delete references
        _req("guest", "DELETE", f"{c}/tags/records/tag000000000003"),
        _req("su", "DELETE", f"{c}/tags/records/tag000000000002"),
        _req("su", "GET", f"{c}/posts/records/post00000000001?fields=id,tags"),
        _req("alice", "DELETE", f"{c}/posts/records/post00000000001"),
        _req("su", "GET", f"{c}/comments/records?fields=id"),
    ]


def _auth(c: str) -> list[Step]:
    u = f"{c}/users/records"
    return [
        _req("guest", "POST", u, {"email": "new@example.com", "password": PW, "passwordConfirm": PW,
                                  "verified": True}),
        _req("guest", "POST", u, {"email": "new@example.com", "password": PW, "passwordConfirm": "other"}),
        _req("guest", "POST", u, {"email": "new@example.com"}),
        _req("guest", "POST", u, {"email": "new@example.com", "password": "short", "passwordConfirm": "short"}),
        _req("guest", "POST", u, {"id": "carol0000000000", "email": "carol@example.com", "password": PW,
                                  "passwordConfirm": PW, "tokenKey": "mine", "name": "carol"}),
        _req("guest", "POST", u, {"email": "carol@example.com", "password": PW, "passwordConfirm": PW}),
        _req("alice", "PATCH", f"{u}/alice0000000000", {"email": "alice2@example.com"}),
        _req("alice", "PATCH", f"{u}/alice0000000000", {"verified": True}),
        _req("alice", "PATCH", f"{u}/alice0000000000", {"password": "newpassword1", "passwordConfirm": "newpassword1"}),
        _req("alice", "PATCH", f"{u}/alice0000000000", {"password": "newpassword1", "passwordConfirm": "newpassword1",
                                                        "oldPassword": "wrong"}),
        _req("alice", "PATCH", f"{u}/alice0000000000", {"name": "Alice", "emailVisibility": False}),
        _req("boss", "PATCH", f"{u}/alice0000000000", {"verified": True, "fields": 1}),
        _req("alice", "PATCH", f"{u}/alice0000000000", {"password": "newpassword1", "passwordConfirm": "newpassword1",
                                                        "oldPassword": PW}),
        _req("alice", "GET", f"{u}/alice0000000000"),
        _req("su", "PATCH", f"{u}/bob000000000000", {"email": "bob2@example.com", "verified": True}),
        _req("su", "DELETE", f"{c}/_superusers/records/SUPERUSER_ID"),
    ]


def _batch(c: str) -> list[Step]:
    b = "/api/batch"
    ok = {"requests": [
        {"method": "POST", "url": f"{c}/tags/records", "body": {"id": "batchtag0000001", "name": "batch1"}},
        {"method": "PUT", "url": f"{c}/tags/records?fields=id,name", "body": {"id": "upsertid1234567", "name": "up"}},
        {"method": "PUT", "url": f"{c}/tags/records?fields=id,name", "body": {"id": "upsertid1234567", "name": "up2"}},
        {"method": "PATCH", "url": f"{c}/tags/records/batchtag0000001", "body": {"name": "batch1b"}},
        {"method": "DELETE", "url": f"{c}/tags/records/upsertid1234567"},
    ]}
    bad = {"requests": [
        {"method": "POST", "url": f"{c}/tags/records", "body": {"id": "rolledback00001", "name": "rb"}},
        {"method": "POST", "url": f"{c}/tags/records", "body": {}},
    ]}
    return [
        _req("su", "POST", b, ok),
        _req("su", "PATCH", "/api/settings", {"batch": {"enabled": True, "maxRequests": 5, "timeout": 3}}, quiet=True),
        _req("guest", "POST", b, ok),
        _req("su", "GET", f"{c}/tags/records?sort=id&fields=id,name"),
        _req("guest", "POST", b, bad),
        _req("su", "GET", f"{c}/tags/records/rolledback00001"),
        _req("guest", "POST", b, {"requests": [{"method": "POST", "url": f"{c}/secrets/records", "body": {}}]}),
        _req("guest", "POST", b, {"requests": [{"method": "GET", "url": f"{c}/tags/records"}]}),
        _req("guest", "POST", b, {"requests": [{"method": "DELETE", "url": f"{c}/tags/records/nope"}]}),
        _req("guest", "POST", b, {"requests": []}),
        _req("guest", "POST", b, {"requests": [{"method": "POST", "url": "/x"}] * 6}),
        _req("guest", "POST", b, {"requests": [{"method": "BAD", "url": "/x"}, {"url": ""}]}),
        _req("guest", "POST", b, raw=b"{bad"),
    ]


def scenario_steps() -> list[Step]:
    c = "/api/collections"
    return [*setup_steps(), *_table(c), *_lists(c), *_expands(c), *_writes(c), *_auth(c), *_batch(c)]


_TS = __import__("re").compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$")


def scrub(value: Any, volatile: tuple[str, ...] = ()) -> Any:
    """Timestamps, tokens and the step's volatile keys -> ``"<volatile>"``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in volatile or key == "token":
                out[key] = "<volatile>"
            else:
                out[key] = scrub(item, volatile)
        return out
    if isinstance(value, list):
        return [scrub(v, volatile) for v in value]
    if isinstance(value, str) and _TS.match(value):
        return "<volatile>"
    return value
