"""The world of the authorization matrix, built through the public API only, so that the
same scenario runs against ``satchel serve`` and, to check the model, against PocketBase.

Two users, eight ``docs`` (owner, level, a hidden ``secret``, a protected file and a public
one), collections pointing at them (``refs`` forward, ``notes`` backward) and a view over
them.  ``RULES`` is a pool of rules, each with a Python model of which documents it lets a
requester see (PocketBase's null/"" equivalence included: a guest matches
``owner = @request.auth.id`` on documents without an owner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

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
PASSWORD = "1234567890"


def owner_id(d: Doc) -> str:
    return USER_IDS.get(d["owner"], "")


RULES: dict[str | None, Pred] = {
    None: lambda d, me: False,
    "": lambda d, me: True,
    "owner = @request.auth.id": lambda d, me: owner_id(d) == me,
    "level > 2": lambda d, me: d["level"] > 2,
    "secret = 'a'": lambda d, me: d["secret"] == "a",
    "owner.name = 'u1'": lambda d, me: d["owner"] == "u1",
    "level > 2 && owner = @request.auth.id": lambda d, me: d["level"] > 2 and owner_id(d) == me,
    "level <= 1 || secret = 'b'": lambda d, me: d["level"] <= 1 or d["secret"] == "b",
    "@request.auth.id != ''": lambda d, me: me != "",
}
# rules a view collection can hold: it has no ``secret`` column
VIEW_RULES = {k: v for k, v in RULES.items() if k is None or "secret" not in k}
WHO = ("guest", "u1", "u2")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@dataclass
class World:
    base: str
    http: httpx.Client = field(repr=False)
    tokens: dict[str, str] = field(default_factory=dict, repr=False)  # who -> token ("su" too)
    files: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)  # doc id -> field -> file name

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": self.tokens[who]} if who in self.tokens else {}

    def as_su(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, self.base + path, headers=self.headers("su"), **kw)

    def get(self, who: str, path: str, **params: str) -> httpx.Response:
        return self.http.get(self.base + path, params=params, headers=self.headers(who))

    def set_rules(self, collection: str, list_rule: str | None, view_rule: str | None) -> None:
        r = self.as_su("PATCH", f"/api/collections/{collection}", json={"listRule": list_rule, "viewRule": view_rule})
        assert r.status_code == 200, r.text


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    body: dict[str, Any] = r.json()
    return body


def build_world(base: str, su_email: str, su_password: str) -> World:
    http = httpx.Client(timeout=10)
    world = World(base, http)
    r = http.post(f"{base}/api/collections/_superusers/auth-with-password",
                  json={"identity": su_email, "password": su_password})
    world.tokens["su"] = _ok(r)["token"]
    su = world.as_su
    _ok(su("PATCH", "/api/collections/users", json={"listRule": "", "viewRule": ""}))
    docs = _ok(su("POST", "/api/collections", json={
        "name": "docs", "fields": [
            {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
            {"name": "level", "type": "number"},
            {"name": "secret", "type": "text", "hidden": True},
            {"name": "att", "type": "file", "maxSelect": 1, "protected": True, "thumbs": ["10x10"]},
            {"name": "pic", "type": "file", "maxSelect": 1, "thumbs": ["10x10"]},
        ]}))
    for name, fields in {
        "refs": [{"name": "docs", "type": "relation", "collectionId": docs["id"], "maxSelect": 20}],
        "notes": [{"name": "doc", "type": "relation", "collectionId": docs["id"], "maxSelect": 1},
                  {"name": "text", "type": "text"}],
        "pings": [{"name": "n", "type": "number"}],
    }.items():
        _ok(su("POST", "/api/collections", json={"name": name, "listRule": "", "viewRule": "", "fields": fields}))
    _ok(su("POST", "/api/collections", json={
        "name": "docview", "type": "view", "viewQuery": "SELECT id, owner, level FROM docs"}))
    for name, uid in USER_IDS.items():
        _ok(su("POST", "/api/collections/users/records", json={
            "id": uid, "email": f"{name}@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD,
            "name": name}))
        r = http.post(f"{base}/api/collections/users/auth-with-password",
                      json={"identity": f"{name}@example.com", "password": PASSWORD})
        world.tokens[name] = _ok(r)["token"]
    for d in DOCS:
        data = {"id": d["id"], "owner": owner_id(d), "level": str(d["level"]), "secret": d["secret"]}
        files = {"att": ("att.png", PNG, "image/png"), "pic": ("pic.png", PNG, "image/png")}
        rec = _ok(su("POST", "/api/collections/docs/records", data=data, files=files))
        world.files[d["id"]] = {"att": rec["att"], "pic": rec["pic"]}
        _ok(su("POST", "/api/collections/notes/records", json={"doc": d["id"], "text": f"note of {d['id']}"}))
    _ok(su("POST", "/api/collections/refs/records", json={"id": "ref000000000001", "docs": [d["id"] for d in DOCS]}))
    _ok(su("PATCH", "/api/settings", json={"batch": {"enabled": True}}))
    return world
