"""The bench data set (built in code, deterministic) and seeding it through the public API.

Modelled on PocketBase's own benchmark data: organizations, users that belong to one,
posts written by users (visible through a relation-based rule) and comments on posts.
Every record gets an explicit id, so both servers hold the same rows.
"""

from __future__ import annotations

import asyncio
import io
import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.servers import SUPERUSER_EMAIL, SUPERUSER_PASSWORD, Server

__all__ = ["USER_PASSWORD", "Dataset", "SeedReport", "Sizes", "build_dataset", "create_records", "seed"]

USER_PASSWORD = "bench-user-pass-1"
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu"]
POST_RULE = "@request.auth.id != '' && author.organization = @request.auth.organization"
AUTHED = "@request.auth.id != ''"


@dataclass(frozen=True)
class Sizes:
    organizations: int
    users: int
    posts: int
    comments: int


@dataclass(frozen=True)
class Dataset:
    organizations: list[dict[str, Any]]
    users: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    comments: list[dict[str, Any]]

    @property
    def bench_user(self) -> dict[str, Any]:
        return self.users[0]

    def visible_posts(self, user: dict[str, Any]) -> list[dict[str, Any]]:
        """Posts the posts listRule/viewRule lets ``user`` see."""
        org_of = {u["id"]: u["organization"] for u in self.users}
        return [p for p in self.posts if org_of[p["author"]] == user["organization"]]

    def user_comments(self, user: dict[str, Any]) -> list[dict[str, Any]]:
        return [c for c in self.comments if c["author"] == user["id"]]


def _rid(prefix: str, n: int) -> str:
    return f"{prefix}{n:0{15 - len(prefix)}d}"


def build_dataset(sizes: Sizes, seed: int = 7) -> Dataset:
    rng = random.Random(seed)
    orgs = [{"id": _rid("org", i), "name": f"Organization {i}"} for i in range(sizes.organizations)]
    users = [
        {
            "id": _rid("usr", i),
            "email": f"user{i}@bench.test",
            "emailVisibility": True,
            "name": f"User {i}",
            "organization": orgs[i % len(orgs)]["id"],
            "password": USER_PASSWORD,
            "passwordConfirm": USER_PASSWORD,
        }
        for i in range(sizes.users)
    ]
    posts = [
        {
            "id": _rid("pst", i),
            "title": " ".join(rng.choices(WORDS, k=4)),
            "body": " ".join(rng.choices(WORDS, k=40)),
            "status": rng.choice(("draft", "published")),
            "score": rng.randint(0, 100),
            "author": users[rng.randrange(len(users))]["id"],
        }
        for i in range(sizes.posts)
    ]
    comments = [
        {
            "id": _rid("cmt", i),
            "post": posts[rng.randrange(len(posts))]["id"],
            "author": users[i % len(users)]["id"],
            "message": " ".join(rng.choices(WORDS, k=8)),
        }
        for i in range(sizes.comments)
    ]
    return Dataset(orgs, users, posts, comments)


def _text(name: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "type": "text", "required": required}


def _relation(name: str, collection_id: str, required: bool = True) -> dict[str, Any]:
    return {"name": name, "type": "relation", "collectionId": collection_id, "maxSelect": 1,
            "cascadeDelete": False, "required": required}


AUTODATES = [
    {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
    {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
]


@dataclass
class SeedReport:
    ok: bool = True
    errors: list[str] = field(default_factory=list)
    batch: bool = False
    user_token: str | None = None
    superuser_token: str = ""
    cover_file: str | None = None
    collection_ids: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error_status: int = 0


def _must(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 300:
        raise SeedError(response.status_code, f"{what}: {response.status_code} {response.text[:300]}")
    data: dict[str, Any] = response.json()
    return data


class SeedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def superuser_token(client: httpx.Client) -> str:
    data = _must(client.post("/api/collections/_superusers/auth-with-password",
                             json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}),
                 "superuser auth")
    return str(data["token"])


def create_schema(client: httpx.Client) -> dict[str, str]:
    """organizations, users.organization, posts, comments; returns collection ids by name."""
    ids: dict[str, str] = {}
    orgs = _must(client.post("/api/collections", json={
        "name": "organizations", "type": "base", "listRule": AUTHED, "viewRule": AUTHED,
        "fields": [_text("name", True), *AUTODATES]}), "create organizations")
    ids["organizations"] = orgs["id"]
    users = _must(client.get("/api/collections/users"), "get users")
    ids["users"] = users["id"]
    fields = [f for f in users["fields"] if f["name"] != "organization"]
    fields.append(_relation("organization", orgs["id"]))
    _must(client.patch("/api/collections/users", json={
        "fields": fields, "listRule": AUTHED, "viewRule": AUTHED}), "patch users")
    posts = _must(client.post("/api/collections", json={
        "name": "posts", "type": "base", "listRule": POST_RULE, "viewRule": POST_RULE,
        "fields": [
            _text("title", True), _text("body"),
            {"name": "status", "type": "select", "values": ["draft", "published"], "maxSelect": 1},
            {"name": "score", "type": "number"},
            _relation("author", users["id"]),
            {"name": "cover", "type": "file", "maxSelect": 1, "maxSize": 5 << 20, "thumbs": ["100x100"]},
            *AUTODATES,
        ],
        "indexes": ["CREATE INDEX idx_posts_author ON posts (author)",
                    "CREATE INDEX idx_posts_created ON posts (created)"],
    }), "create posts")
    ids["posts"] = posts["id"]
    comments = _must(client.post("/api/collections", json={
        "name": "comments", "type": "base", "listRule": AUTHED, "viewRule": AUTHED,
        "createRule": f"{AUTHED} && @request.body.author = @request.auth.id",
        "updateRule": "author = @request.auth.id", "deleteRule": "author = @request.auth.id",
        "fields": [_relation("post", posts["id"]), _relation("author", users["id"]), _text("message", True),
                   *AUTODATES],
        "indexes": ["CREATE INDEX idx_comments_author ON comments (author)"],
    }), "create comments")
    ids["comments"] = comments["id"]
    return ids


def enable_batch(client: httpx.Client) -> None:
    client.patch("/api/settings", json={"batch": {"enabled": True, "maxRequests": 1000, "timeout": 60,
                                                  "maxBodySize": 0}})


def _batch(client: httpx.Client, collection: str, records: list[dict[str, Any]]) -> int:
    requests = [{"method": "POST", "url": f"/api/collections/{collection}/records", "body": r} for r in records]
    response = client.post("/api/batch", json={"requests": requests}, timeout=120)
    if response.status_code >= 300:
        if response.status_code == 404:
            return 404
        raise SeedError(response.status_code, f"batch {collection}: {response.status_code} {response.text[:300]}")
    return 200


async def _parallel(base: str, token: str, collection: str, records: list[dict[str, Any]], workers: int) -> None:
    queue = list(reversed(records))
    headers = {"Authorization": token}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def worker() -> None:
            while queue:
                record = queue.pop()
                response = await client.post(f"/api/collections/{collection}/records", json=record)
                if response.status_code >= 300:
                    raise SeedError(response.status_code,
                                    f"create record in {collection}: {response.status_code} {response.text[:300]}")

        await asyncio.gather(*(worker() for _ in range(workers)))


def create_records(server: Server, client: httpx.Client, token: str, collection: str,
                   records: list[dict[str, Any]], use_batch: bool, chunk: int = 500) -> bool:
    """Create ``records``; through /api/batch when it works, else parallel single creates.

    Returns whether batch was used (so later calls can skip the probe).
    """
    if use_batch:
        for start in range(0, len(records), chunk):
            if _batch(client, collection, records[start:start + chunk]) == 404:
                if start:
                    raise SeedError(404, "batch endpoint disappeared mid-seed")
                use_batch = False
                break
        else:
            return True
    asyncio.run(_parallel(server.base, token, collection, records, workers=8))
    return False


def tiny_image() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _create_cover_post(client: httpx.Client, post: dict[str, Any]) -> str:
    data = {k: str(v) for k, v in post.items()}
    created = _must(client.post("/api/collections/posts/records", data=data,
                                files={"cover": ("cover.png", tiny_image(), "image/png")}), "cover post")
    return str(created.get("cover") or "")


def seed(server: Server, dataset: Dataset) -> SeedReport:
    """Seed ``server``; failures are recorded (a missing endpoint is not fatal to the bench)."""
    import time

    report = SeedReport()
    t0 = time.perf_counter()
    with httpx.Client(base_url=server.base, timeout=60) as client:
        try:
            report.superuser_token = superuser_token(client)
            client.headers["Authorization"] = report.superuser_token
            report.collection_ids = create_schema(client)
            enable_batch(client)
            token = report.superuser_token
            use_batch = create_records(server, client, token, "organizations", dataset.organizations, True)
            report.batch = use_batch
            create_records(server, client, token, "users", dataset.users, use_batch, chunk=100)
            posts = dataset.posts[1:]
            try:
                report.cover_file = _create_cover_post(client, dataset.posts[0])
            except SeedError as exc:  # no multipart or files yet: the file workloads will say n/a
                report.errors.append(str(exc))
                posts = dataset.posts
            create_records(server, client, token, "posts", posts, use_batch)
            create_records(server, client, token, "comments", dataset.comments, use_batch)
        except (SeedError, httpx.HTTPError) as exc:
            report.ok = False
            report.error_status = exc.status if isinstance(exc, SeedError) else 599
            report.errors.append(str(exc))
        user = dataset.bench_user
        response = client.post("/api/collections/users/auth-with-password",
                               json={"identity": user["email"], "password": USER_PASSWORD})
        if response.status_code == 200:
            report.user_token = str(response.json()["token"])
    report.seconds = time.perf_counter() - t0
    return report
