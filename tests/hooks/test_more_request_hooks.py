"""The request hooks wrapped around built-in endpoints (collections, settings, batch, files,
auth flows) and the backup hooks."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from satchel.app import App
from satchel.hooks import BadRequestError, ForbiddenError


def test_collection_request_hooks_run_after_the_superuser_check(
    app: App, su: TestClient, client: TestClient
) -> None:
    calls: list[str] = []
    h = app.hook_app

    @h.on_collection_delete_request
    def keep_posts(e: Any) -> None:
        calls.append(e.collection.name)
        if e.collection.name == "posts":
            raise BadRequestError("Posts stay.")
        e.next()

    for name in ("posts", "drafts"):
        assert su.post("/api/collections", json={"name": name, "type": "base"}).status_code == 200
    token = su.headers.pop("Authorization")
    assert client.delete("/api/collections/drafts").status_code == 401  # refused before any hook
    su.headers["Authorization"] = token
    r = su.delete("/api/collections/posts")
    assert (r.status_code, r.json()["message"]) == (400, "Posts stay.")
    assert app.registry.get("posts") is not None
    assert su.delete("/api/collections/drafts").status_code == 204
    assert calls == ["posts", "drafts"]


def test_settings_hooks_replace_the_answer(app: App, su: TestClient) -> None:
    @app.hook_app.on_settings_update_request
    async def audit(e: Any) -> None:
        assert e.request.body == {"meta": {"appName": "Blog"}}
        before = e.old_settings.meta.app_name
        await e.next()
        assert e.response.status_code == 200
        e.json(200, {"renamed_from": before})

    r = su.patch("/api/settings", json={"meta": {"appName": "Blog"}})
    assert r.json() == {"renamed_from": "Acme"}
    assert app.settings.current.meta.app_name == "Blog"


def test_batch_and_file_download_hooks(app: App, su: TestClient) -> None:
    seen: list[str] = []
    h = app.hook_app

    @h.on_batch_request
    def batch(e: Any) -> None:
        seen.append("batch")
        e.next()

    @h.on_file_download_request("docs")
    def no_pdf(e: Any) -> None:
        if e.served_name.endswith(".pdf"):
            raise ForbiddenError("No PDFs.")
        e.next()

    body = {
        "name": "docs",
        "type": "base",
        "listRule": "",
        "viewRule": "",
        "createRule": "",
        "fields": [{"name": "file", "type": "file", "maxSelect": 1}],
    }
    assert su.post("/api/collections", json=body).status_code == 200
    su.patch("/api/settings", json={"batch": {"enabled": True}})
    r = su.post(
        "/api/batch",
        json={"requests": [{"method": "POST", "url": "/api/collections/docs/records", "body": {}}]},
    )
    assert r.status_code == 200, r.text
    assert seen == ["batch"]
    pdf = su.post(
        "/api/collections/docs/records", files={"file": ("a.pdf", b"%PDF-1", "application/pdf")}
    ).json()
    txt = su.post("/api/collections/docs/records", files={"file": ("a.txt", b"hello", "text/plain")}).json()
    r = su.get(f"/api/files/docs/{pdf['id']}/{pdf['file']}")
    assert (r.status_code, r.json()["message"]) == (403, "No PDFs.")
    assert su.get(f"/api/files/docs/{txt['id']}/{txt['file']}").content == b"hello"


def test_auth_refresh_hook(app: App, client: TestClient, user_token: str) -> None:
    seen: list[str] = []

    @app.hook_app.on_record_auth_refresh_request("users")
    def refresh(e: Any) -> None:
        seen.append(f"{e.collection.name} {e.auth.id}")
        e.next()

    r = client.post("/api/collections/users/auth-refresh", headers={"Authorization": user_token})
    assert r.status_code == 200 and seen == ["users testuser0000001"]


def test_backup_hooks(app: App, su: TestClient) -> None:
    @app.hook_app.on_backup_create
    def rename(e: Any) -> None:
        e.name = "renamed_" + e.name
        e.next()

    assert su.post("/api/backups", json={"name": "mine.zip"}).status_code == 204
    assert [b["key"] for b in su.get("/api/backups").json()] == ["renamed_mine.zip"]


def test_settings_update_event_has_new_settings_a_handler_may_change(app: App, su: TestClient) -> None:
    @app.hook_app.on_settings_update_request
    def suffix(e: Any) -> None:
        assert e.old_settings.meta.app_name == "Acme" and e.new_settings.meta.app_name == "Blog"
        e.new_settings.meta.app_name += " (staging)"
        e.next()

    r = su.patch("/api/settings", json={"meta": {"appName": "Blog"}})
    assert r.status_code == 200 and r.json()["meta"]["appName"] == "Blog (staging)"
    assert app.settings.current.meta.app_name == "Blog (staging)"


def test_file_download_event_has_the_record_and_field(app: App, su: TestClient, client: TestClient) -> None:
    seen: list[tuple[str, str, str, str]] = []

    @app.hook_app.on_file_download_request
    def look(e: Any) -> None:
        seen.append((e.record.id, e.file_field, e.served_name, e.served_path))
        e.next()

    body = {"name": "docs", "type": "base", "listRule": "", "viewRule": "@request.auth.id != ''",
            "createRule": "", "fields": [{"name": "file", "type": "file", "maxSelect": 1},
                       {"name": "secret", "type": "file", "maxSelect": 1, "protected": True}]}
    docs = su.post("/api/collections", json=body).json()
    rec = su.post("/api/collections/docs/records", files={"file": ("a.txt", b"hi", "text/plain"),
                                                          "secret": ("s.txt", b"no", "text/plain")}).json()
    assert client.get(f"/api/files/docs/{rec['id']}/{rec['file']}").content == b"hi"
    assert seen == [(rec["id"], "file", rec["file"], f"{docs['id']}/{rec['id']}/{rec['file']}")]
    # refused before the hook: a protected file the guest may not view, an unknown file
    assert client.get(f"/api/files/docs/{rec['id']}/{rec['secret']}").status_code == 404
    assert client.get(f"/api/files/docs/{rec['id']}/nope.txt").status_code == 404
    assert len(seen) == 1



def test_auth_flow_events_carry_the_record(app: App, client: TestClient, user_token: str) -> None:
    seen: list[tuple[str, str | None]] = []
    h = app.hook_app

    @h.on_mailer_send
    def no_mail(e: Any) -> None:  # not sent (no e.next()): no sendmail on the test machine
        return None

    @h.on_record_request_verification_request("users")
    @h.on_record_request_password_reset_request("users")
    def by_email(e: Any) -> None:
        seen.append((e.request.path.rsplit("/", 1)[1], e.record.id if e.record else None))
        e.next()

    @h.on_record_auth_refresh_request
    @h.on_record_request_email_change_request
    def with_auth(e: Any) -> None:
        assert e.record is e.auth
        seen.append((e.request.path.rsplit("/", 1)[1], e.record.id))
        e.next()

    base = "/api/collections/users"
    assert client.post(f"{base}/request-verification", json={"email": "user@example.com"}).status_code == 204
    assert client.post(f"{base}/request-verification", json={"email": "nobody@example.com"}).status_code == 204
    assert client.post(f"{base}/request-password-reset", json={"email": "user@example.com"}).status_code == 204
    auth = {"Authorization": user_token}
    assert client.post(f"{base}/auth-refresh", headers=auth).status_code == 200
    r = client.post(f"{base}/request-email-change", json={"newEmail": "new@example.com"}, headers=auth)
    assert r.status_code == 204
    assert seen == [
        ("request-verification", "testuser0000001"),
        ("request-verification", None),
        ("request-password-reset", "testuser0000001"),
        ("auth-refresh", "testuser0000001"),
        ("request-email-change", "testuser0000001"),
    ]


def test_collection_create_event_has_the_described_collection(app: App, su: TestClient) -> None:
    seen: list[tuple[str, str, list[str]]] = []

    @app.hook_app.on_collection_create_request("posts")  # limited by the new collection's name
    def look(e: Any) -> None:
        seen.append((e.collection.name, e.collection.type, [f.name for f in e.collection.fields]))
        e.next()

    body = {"name": "posts", "type": "auth", "fields": [{"name": "title", "type": "text"}]}
    assert su.post("/api/collections", json=body).status_code == 200
    assert su.post("/api/collections", json={"name": "other"}).status_code == 200
    assert su.post("/api/collections", json={"name": "posts", "fields": "bad"}).status_code == 400
    assert len(seen) == 1
    name, type_, fields = seen[0]
    assert (name, type_) == ("posts", "auth")
    assert fields[0] == "id" and "title" in fields and "email" in fields and "password" in fields
