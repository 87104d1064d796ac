"""Custom routes in process: matching against built-in routes, PocketBase's middlewares and
their error bodies (as PocketBase 0.40.6 answers them with the same routes in a pb_hooks JS
file), responses, plain and async handlers, body limits, rate limits and request logs."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.api.user_routes import (
    RouteEvent,
    body_limit,
    require_auth,
    require_guest_only,
    require_superuser_auth,
    require_superuser_or_owner_auth,
)
from satchel.app import App
from satchel.errors import BadRequestError
from satchel.tools.route_pattern import PatternConflict

AUTH_REQUIRED = {"data": {}, "message": "The request requires valid record authorization token.", "status": 401}
NOT_ALLOWED = {"data": {}, "message": "The authorized record is not allowed to perform this action.", "status": 403}
OWNER_REQUIRED = {"data": {}, "message": "The request requires superuser or record authorization token.", "status": 401}
FORBIDDEN = {"data": {}, "message": "You are not allowed to perform this request.", "status": 403}
GUESTS_ONLY = {"data": {}, "message": "The request can be accessed only by guests.", "status": 400}
SOMETHING_WRONG = {"data": {}, "message": "Something went wrong while processing your request.", "status": 400}
OK = {"ok": True}


def _ok(e: RouteEvent) -> Any:
    return e.json(200, OK)


@pytest.fixture
def routes(app: App, tmp_path: Path) -> App:
    r = app.user_router

    @r.get("/api/hello/{name}")
    def hello(e: RouteEvent) -> Any:
        return e.json(200, {"message": "Hello " + e.request.path_params["name"]})

    r.add("GET", "/api/auth-only", _ok, require_auth())
    r.add("GET", "/api/users-only", _ok, require_auth("users"))
    r.add("GET", "/api/su-only", _ok, require_superuser_auth())
    r.add("GET", "/api/owner/{id}", _ok, require_superuser_or_owner_auth("id"))
    r.add("GET", "/api/guest-only", _ok, require_guest_only())

    @r.post("/api/small", body_limit(10))
    def small(e: RouteEvent) -> Any:
        return e.json(200, e.body())

    @r.get("/api/throw")
    def throw(e: RouteEvent) -> Any:
        raise RuntimeError("boom")

    @r.get("/api/bad")
    async def bad(e: RouteEvent) -> Any:
        raise BadRequestError("custom bad")

    r.add("GET", "/api/nothing", lambda e: None)
    r.add("GET", "/api/collections/posts/records", lambda e: e.json(200, {"override": True}))

    @r.get("/api/{x}")
    def wild(e: RouteEvent) -> Any:
        return e.json(200, {"wild": e.request.path_params["x"]})

    r.add("GET", "/api/str", lambda e: e.string(201, "plain"))
    r.add("GET", "/api/redir", lambda e: e.redirect(307, "/api/health"))
    r.add("GET", "/api/nc", lambda e: e.no_content(204))
    r.add("GET", "/api/html", lambda e: e.html(200, "<b>x</b>"))
    r.add("GET", "/api/blob", lambda e: e.blob(200, "image/png", b"\x89PNG"))
    (tmp_path / "hello.txt").write_text("file body")
    r.add("GET", "/api/file", lambda e: e.file(tmp_path / "hello.txt", "hello.txt"))
    r.add("GET", "/api/missing-file", lambda e: e.file(tmp_path / "nope.txt"))

    @r.get("/api/info")
    async def info(e: RouteEvent) -> Any:
        return e.json(200, await e.request_info())

    @r.post("/api/info")
    def info_post(e: RouteEvent) -> Any:
        return e.json(200, e.request_info())

    return app


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/api/hello/bob", 200, {"message": "Hello bob"}),
        ("/api/auth-only", 401, AUTH_REQUIRED),
        ("/api/users-only", 401, AUTH_REQUIRED),
        ("/api/su-only", 401, AUTH_REQUIRED),
        ("/api/owner/x", 401, OWNER_REQUIRED),
        ("/api/guest-only", 200, OK),
        ("/api/throw", 400, SOMETHING_WRONG),
        ("/api/bad", 400, {"data": {}, "message": "Custom bad.", "status": 400}),
        ("/api/collections/posts/records", 200, {"override": True}),  # more specific than the built-in
        ("/api/zzz", 200, {"wild": "zzz"}),
        ("/api/health", 200, {"message": "API is healthy.", "code": 200, "data": {}}),  # built-in: more specific
        ("/api/collections/other/records", 404, None),  # the built-in route, no such collection
    ],
)
def test_guest_requests(routes: App, client: TestClient, path: str, status: int, body: Any) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text
    if body is not None:
        assert r.json() == body
    assert r.headers["x-content-type-options"] == "nosniff"  # served inside the middleware


@pytest.mark.parametrize(
    ("path", "as_user", "as_superuser"),
    [
        ("/api/auth-only", (200, OK), (200, OK)),
        ("/api/users-only", (200, OK), (403, NOT_ALLOWED)),
        ("/api/su-only", (403, NOT_ALLOWED), (200, OK)),
        ("/api/owner/x", (403, FORBIDDEN), (200, OK)),
        ("/api/owner/testuser0000001", (200, OK), (200, OK)),
        ("/api/guest-only", (400, GUESTS_ONLY), (400, GUESTS_ONLY)),
    ],
)
def test_authenticated_requests(routes: App, client: TestClient, su_token: str, user_token: str, path: str,
                                as_user: tuple[int, Any], as_superuser: tuple[int, Any]) -> None:
    for token, (status, body) in ((user_token, as_user), (su_token, as_superuser)):
        r = client.get(path, headers={"Authorization": token})
        assert (r.status_code, r.json()) == (status, body)


def test_responses(routes: App, client: TestClient) -> None:
    r = client.get("/api/nothing")
    assert (r.status_code, r.content) == (200, b"")
    r = client.get("/api/str")
    assert (r.status_code, r.text, r.headers["content-type"]) == (201, "plain", "text/plain; charset=utf-8")
    r = client.get("/api/redir", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (307, "/api/health")
    assert client.get("/api/nc").status_code == 204
    r = client.get("/api/html")
    assert (r.text, r.headers["content-type"]) == ("<b>x</b>", "text/html; charset=utf-8")
    r = client.get("/api/blob")
    assert (r.content, r.headers["content-type"]) == (b"\x89PNG", "image/png")
    r = client.get("/api/file")
    assert (r.text, r.headers["content-disposition"]) == ("file body", 'attachment; filename="hello.txt"')
    assert client.get("/api/missing-file").status_code == 404


def test_request_info(routes: App, client: TestClient, user_token: str) -> None:
    r = client.get("/api/info?a=1&a=2&b=3", headers={"X-Custom-Thing": "v", "Authorization": user_token})
    info = r.json()
    assert list(info) == ["query", "headers", "body", "auth", "method", "context"]  # PocketBase's order
    assert info["query"] == {"a": "1", "b": "3"}
    assert info["headers"]["x_custom_thing"] == "v"
    assert (info["body"], info["method"], info["context"]) == ({}, "GET", "default")
    assert info["auth"]["id"] == "testuser0000001" and info["auth"]["collectionName"] == "users"
    assert "password" not in info["auth"] and "tokenKey" not in info["auth"]
    assert "email" not in info["auth"]  # emailVisibility is off, as PocketBase's export
    r = client.post("/api/info", json={"title": "x"})
    assert (r.json()["body"], r.json()["auth"], r.json()["method"]) == ({"title": "x"}, None, "POST")


def test_body_limit(routes: App, client: TestClient) -> None:
    r = client.post("/api/small", json={"a": "12345678901234"})
    assert (r.status_code, r.json()) == (413, {"data": {}, "message": "Request entity too large.", "status": 413})
    r = client.post("/api/small", json={"a": 1})
    assert (r.status_code, r.json()) == (200, {"a": 1})


def test_body_limit_above_the_default(app: App, client: TestClient) -> None:
    app.user_router.add("POST", "/api/big", lambda e: e.json(200, {"n": len(e.body()["x"])}), body_limit(40 << 20))
    app.user_router.add("POST", "/api/default", lambda e: e.json(200, {}))
    big = {"x": "a" * (33 << 20)}
    assert client.post("/api/big", json=big).json() == {"n": 33 << 20}
    assert client.post("/api/default", json=big).status_code == 413


def test_conflicts_are_refused(app: App) -> None:
    r = app.user_router
    with pytest.raises(PatternConflict, match="built-in"):
        r.add("GET", "/api/health", _ok)
    with pytest.raises(PatternConflict, match="built-in"):
        r.add("GET", "/api/collections/{c}/records", _ok)  # same requests as the built-in list
    r.add("GET", "/api/a/{x}", _ok)
    with pytest.raises(PatternConflict):
        r.add("GET", "/api/a/{y}", _ok)
    with pytest.raises(PatternConflict):
        r.add("GET", "/api/{y}/b", _ok)  # overlaps /api/a/{x}, neither more specific
    r.add("POST", "/api/a/{y}", _ok)  # another method: fine
    assert [route.pattern.text for route in r.routes] == ["GET /api/a/{x}", "POST /api/a/{y}"]


def test_chains_mix_plain_and_async_functions(app: App, client: TestClient) -> None:
    seen: list[str] = []
    loop_thread: list[int] = []

    def plain_mw(e: RouteEvent) -> Any:
        seen.append(f"plain-mw:{threading.get_ident() != loop_thread[0]}")
        result = e.next()  # a plain middleware calls next() without await
        seen.append("plain-mw:after")
        return result

    async def async_mw(e: RouteEvent) -> Any:
        loop_thread.append(threading.get_ident())
        seen.append("async-mw")
        return await e.next()

    async def async_handler(e: RouteEvent) -> Any:
        seen.append(f"async-handler:{threading.get_ident() == loop_thread[0]}")
        await asyncio.sleep(0)
        return e.json(200, {"body": await e.body()})

    def stopper(e: RouteEvent) -> Any:
        return e.json(418, {"stopped": True})  # never calls next: the handler does not run

    app.user_router.add("POST", "/api/mixed", async_handler, async_mw, plain_mw)
    app.user_router.add("POST", "/api/stopped", async_handler, stopper)
    r = client.post("/api/mixed", json={"k": "v"})
    assert r.json() == {"body": {"k": "v"}}
    assert seen == ["async-mw", "plain-mw:True", "async-handler:True", "plain-mw:after"]
    seen.clear()
    assert client.post("/api/stopped", json={}).status_code == 418
    assert seen == []


def test_response_headers_and_methods(app: App, client: TestClient) -> None:
    def handler(e: RouteEvent) -> Any:
        e.response_headers["x-mine"] = "1"
        return e.string(200, e.request.method)

    r = app.user_router
    for add in (r.post, r.put, r.patch, r.delete):
        add("/api/every")(handler)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = client.request(method, "/api/every")
        assert (answer.text, answer.headers["x-mine"]) == (method, "1")
    assert client.get("/api/every").status_code == 404  # no GET route: the static catch-all
    with pytest.raises(PatternConflict):
        r.add("", "/api/anything", handler)  # any method overlaps GET /{path...}, as in Go's mux


def test_rate_limit_and_request_log(routes: App, su: TestClient, client: TestClient) -> None:
    rules = [{"label": "/api/hello/", "maxRequests": 2, "duration": 60, "audience": ""},
             {"label": "GET /api/hello/bob", "maxRequests": 2, "duration": 60, "audience": "@guest"}]
    assert su.patch("/api/settings", json={"rateLimits": {"enabled": True, "rules": rules}}).status_code == 200
    guest = TestClient(client.app, base_url="http://127.0.0.1:8090", client=("10.0.0.9", 4000))
    statuses = [guest.get("/api/hello/bob").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    routes.logs.flush()
    items = su.get("/api/logs?filter=data.url~'/api/hello/bob'&sort=created").json()["items"]
    assert [i["data"]["status"] for i in items] == [200, 200, 429]
    assert items[0]["data"]["method"] == "GET"


def test_unmatched_method_falls_through(routes: App, client: TestClient) -> None:
    r = client.delete("/api/hello/bob")  # only GET is custom: the built-in answer (404)
    assert r.status_code == 404


def test_auth_is_a_record_exported_as_pocketbase(app: App, client: TestClient, user_token: str) -> None:
    from satchel.hooks import require_auth as facade_require_auth

    @app.hook_app.router.get("/api/me", facade_require_auth())
    def me(e: RouteEvent) -> Any:
        assert e.auth is not None and e.auth.id == "testuser0000001" and not e.has_superuser_auth()
        return e.json(200, {"me": e.auth, "name": e.auth.get("name")})

    body = client.get("/api/me", headers={"Authorization": user_token}).json()
    assert body["name"] == "Test User"
    assert body["me"]["id"] == "testuser0000001" and body["me"]["collectionName"] == "users"
    assert not {"password", "tokenKey", "email"} & set(body["me"])


def test_record_to_dict_is_the_public_export(app: App, client: TestClient, user_token: str) -> None:
    """``record.to_dict()`` returned from a route leaks no secret: never the password,
    tokenKey or a hidden field unless unhidden, the email only with emailVisibility or
    ``ignore_email_visibility(True)`` (PocketBase's PublicExport)."""
    users = app.hook_app.find_collection_by_name_or_id("users")
    users_dict = users.to_api_dict()
    users_dict["fields"].append({"name": "secret", "type": "text", "hidden": True})
    app.hook_app.save(users_dict)

    @app.hook_app.router.get("/api/export/{mode}")
    def export(e: RouteEvent) -> Any:
        user = app.hook_app.find_record_by_id("users", "testuser0000001")
        user.set("secret", "s3cret")
        mode = e.request.path_params["mode"]
        if mode == "email":
            user.ignore_email_visibility(True)
        elif mode == "visible":
            user.set("emailVisibility", True)
        elif mode == "unhide":
            user.unhide("secret", "tokenKey", "password")
        return e.json(200, {"dict": user.to_dict(), "record": user})

    for mode, expect_email, expect_unhidden in [
        ("plain", False, False), ("email", True, False), ("visible", True, False), ("unhide", False, True)
    ]:
        body = client.get(f"/api/export/{mode}").json()
        for out in (body["dict"], body["record"]):
            assert out["id"] == "testuser0000001" and out["name"] == "Test User", mode
            assert "password" not in out, mode
            assert ("email" in out) is expect_email, mode
            assert ("tokenKey" in out) is expect_unhidden and ("secret" in out) is expect_unhidden, mode
            if expect_email:
                assert "@" in out["email"]


def test_get_routes_answer_head(routes: App, client: TestClient) -> None:
    r = client.head("/api/hello/bob")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"


def test_groups_prefix_paths_and_chain_middlewares(app: App, client: TestClient, user_token: str) -> None:
    order: list[str] = []

    def tag(name: str) -> Any:
        def mw(e: RouteEvent) -> Any:
            order.append(name)
            return e.next()

        return mw

    blog = app.user_router.group("/api/blog/", tag("group"), require_auth())
    admin = blog.group("/admin", tag("subgroup"))

    @blog.get("/posts/{id}", tag("route"))
    def post(e: RouteEvent) -> Any:
        return e.json(200, {"id": e.request.path_params["id"]})

    admin.add("DELETE", "/cache", lambda e: e.no_content(), tag("route"))
    assert [r.pattern.text for r in app.user_router.routes] == ["GET /api/blog/posts/{id}", "DELETE /api/blog/admin/cache"]
    assert client.get("/api/blog/posts/1").status_code == 401  # the group's require_auth
    auth = {"Authorization": user_token}
    assert client.get("/api/blog/posts/1", headers=auth).json() == {"id": "1"}
    assert client.delete("/api/blog/admin/cache", headers=auth).status_code == 204
    assert order == ["group", "group", "route", "group", "subgroup", "route"]
