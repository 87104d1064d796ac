"""The workloads: what each one sends, and the shape both servers must agree on first."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from bench.loadgen import Plan
from bench.seed import USER_PASSWORD, Dataset

__all__ = ["HTTP_WORKLOADS", "SPECIAL_WORKLOADS", "Target", "Workload", "probe_shape", "shape_verdict"]

LIST_FILTER = "status = 'published' && score > 20"
PER_PAGE = 50


@dataclass
class Target:
    """One server as the workloads see it."""

    name: str
    host: str
    port: int
    user_token: str | None = None
    superuser_token: str = ""
    cover_file: str | None = None
    delete_pool: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def user_headers(self, json_body: bool = False) -> dict[str, str]:
        headers = {"Authorization": self.user_token} if self.user_token else {}
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    build: Callable[[Target, Dataset, int], Plan]
    expect: Callable[[Dataset], dict[str, Any]] | None = None
    unit: str = "req/s"
    better: str = "higher"
    floor: float | None = None  # the budget's floor for the ratio Satchel / PocketBase
    goal: float | None = None
    needs_seed: bool = True  # meaningless when the server could not be seeded


def _list_query(skip_total: bool, expand: str = "") -> str:
    query = f"?page=1&perPage={PER_PAGE}&sort=-created&filter={quote(LIST_FILTER)}"
    if skip_total:
        query += "&skipTotal=1"
    if expand:
        query += f"&expand={quote(expand)}"
    return "/api/collections/posts/records" + query


def _matching(ds: Dataset) -> int:
    return sum(1 for p in ds.visible_posts(ds.bench_user) if p["status"] == "published" and p["score"] > 20)


def _view_ids(ds: Dataset) -> list[str]:
    return [p["id"] for p in ds.visible_posts(ds.bench_user)[:200]]


def _view(t: Target, ds: Dataset, _: int) -> Plan:
    paths = tuple(f"/api/collections/posts/records/{i}" for i in _view_ids(ds))
    return Plan("GET", paths, t.user_headers())


def _list(skip_total: bool, expand: str = "") -> Callable[[Target, Dataset, int], Plan]:
    def build(t: Target, ds: Dataset, _: int) -> Plan:
        return Plan("GET", (_list_query(skip_total, expand),), t.user_headers())

    return build


def _list_expect(skip_total: bool) -> Callable[[Dataset], dict[str, Any]]:
    def expect(ds: Dataset) -> dict[str, Any]:
        total = _matching(ds)
        shape: dict[str, Any] = {"status": 200, "items": min(PER_PAGE, total)}
        if skip_total:
            shape |= {"totalItems": -1, "totalPages": -1}
        else:
            shape |= {"totalItems": total, "totalPages": -(-total // PER_PAGE)}
        return shape

    return expect


def _create(t: Target, ds: Dataset, _: int) -> Plan:
    user = ds.bench_user
    body = json.dumps({"post": ds.posts[0]["id"], "author": user["id"], "message": "bench-create"})
    return Plan("POST", ("/api/collections/comments/records",), t.user_headers(True), body, concurrency=16)


def _update(t: Target, ds: Dataset, _: int) -> Plan:
    ids = [c["id"] for c in ds.user_comments(ds.bench_user)]
    paths = tuple(f"/api/collections/comments/records/{i}" for i in ids)
    return Plan("PATCH", paths, t.user_headers(True), json.dumps({"message": "bench-update"}), concurrency=16)


def _delete(t: Target, ds: Dataset, round_no: int) -> Plan:
    paths = tuple(f"/api/collections/comments/records/{i}" for i in t.delete_pool) or ("/api/none",)
    return Plan("DELETE", paths, t.user_headers(), exhaust=True, concurrency=16)


def _auth_password(t: Target, ds: Dataset, _: int) -> Plan:
    body = json.dumps({"identity": ds.bench_user["email"], "password": USER_PASSWORD})
    return Plan("POST", ("/api/collections/users/auth-with-password",), {"Content-Type": "application/json"},
                body, concurrency=8)


def _auth_refresh(t: Target, ds: Dataset, _: int) -> Plan:
    return Plan("POST", ("/api/collections/users/auth-refresh",), t.user_headers())


def _su_refresh(t: Target, ds: Dataset, _: int) -> Plan:
    return Plan("POST", ("/api/collections/_superusers/auth-refresh",), {"Authorization": t.superuser_token})


def _file(thumb: bool) -> Callable[[Target, Dataset, int], Plan]:
    def build(t: Target, ds: Dataset, _: int) -> Plan:
        path = f"/api/files/posts/{ds.posts[0]['id']}/{t.cover_file or 'missing.png'}"
        return Plan("GET", (path + ("?thumb=100x100" if thumb else ""),))

    return build


def _status(code: int) -> Callable[[Dataset], dict[str, Any]]:
    return lambda ds: {"status": code}


HTTP_WORKLOADS: tuple[Workload, ...] = (
    Workload("view", "view one post; viewRule joins author.organization", _view, _status(200),
             floor=1.0, goal=1.5),
    Workload("list-skiptotal", f"list {PER_PAGE}, filter+sort, relation listRule, skipTotal", _list(True),
             _list_expect(True), floor=1.0, goal=1.5),
    Workload("list-count", f"list {PER_PAGE}, filter+sort, relation listRule, with COUNT", _list(False),
             _list_expect(False), floor=0.8, goal=1.2),
    Workload("list-expand", f"list {PER_PAGE} + expand=author.organization, skipTotal",
             _list(True, "author.organization"), _list_expect(True), floor=1.0, goal=1.5),
    Workload("create", "create a comment; createRule on @request.body", _create, _status(200),
             floor=1.0, goal=1.5),
    Workload("update", "update own comment; updateRule", _update, _status(200), floor=1.0, goal=1.5),
    Workload("delete", "delete own comment; deleteRule", _delete, _status(204), floor=1.0, goal=1.5),
    Workload("auth-with-password", "users auth-with-password (bcrypt)", _auth_password, _status(200)),
    Workload("auth-refresh", "users auth-refresh", _auth_refresh, _status(200), floor=1.0, goal=1.5),
    Workload("superuser-auth-refresh", "_superusers auth-refresh", _su_refresh, _status(200), needs_seed=False),
    Workload("file", "serve a 400x300 PNG", _file(False), _status(200)),
    Workload("thumb", "serve a cached 100x100 thumbnail", _file(True), _status(200)),
)

# measured outside the HTTP load loop; (name, unit, better, floor, goal)
SPECIAL_WORKLOADS: tuple[tuple[str, str, str, float | None, float | None], ...] = (
    ("startup", "ms", "lower", None, None),
    ("idle-rss", "MB", "lower", 1.5, 1.0),
    ("realtime-fanout", "ms", "lower", 1.0, 0.5),
    ("realtime-idle", "KB/conn", "lower", None, None),
    ("rss-after-load", "MB", "lower", None, None),
)


def probe_shape(target: Target, plan: Plan) -> dict[str, Any]:
    """Send the plan's first request once; keep only what must match between servers."""
    headers = dict(plan.headers)
    response = httpx.request(plan.method, target.base + plan.paths[0], headers=headers,
                             content=plan.body.encode() if plan.body is not None else None, timeout=30)
    shape: dict[str, Any] = {"status": response.status_code}
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        items = data["items"]
        shape["items"] = len(items)
        for key in ("totalItems", "totalPages", "perPage"):
            shape[key] = data.get(key)
        shape["expand"] = sorted(_expand_paths(items[0])) if items else []
    elif response.status_code < 300 and response.headers.get("content-type", "").startswith("image/"):
        shape["bytes>0"] = len(response.content) > 0
    return shape


def _expand_paths(item: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    expand = item.get("expand")
    if isinstance(expand, dict):
        for key, value in expand.items():
            out.add(prefix + key)
            if isinstance(value, dict):
                out |= _expand_paths(value, f"{prefix}{key}.")
    return out


def shape_verdict(expected: dict[str, Any] | None, shapes: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Per server: "ok", "n/a (<server>: <status>)" or "mismatch: ..."; PocketBase is the reference."""
    verdicts: dict[str, str] = {}
    reference = shapes.get("pocketbase")
    for name, shape in shapes.items():
        problems = []
        if expected:
            problems += [f"{k}={shape.get(k)!r} (expected {v!r})" for k, v in expected.items() if shape.get(k) != v]
        if reference is not None and name != "pocketbase":
            problems += [f"{k}={shape.get(k)!r} (pocketbase {v!r})" for k, v in reference.items()
                         if shape.get(k) != v and not (expected and k in expected)]
        if not problems:
            verdicts[name] = "ok"
        elif shape["status"] in (404, 405, 501) and (expected or {}).get("status", 200) != shape["status"]:
            verdicts[name] = f"n/a ({name}: {shape['status']})"
        else:
            verdicts[name] = "mismatch: " + "; ".join(problems)
    return verdicts
