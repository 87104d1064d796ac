"""Every ``# example:`` block of docs/hooks.md runs against a live app and does what the text says."""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.mail.sender import Mailer

DOC = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
BLOCK = re.compile(r"^( *)```python\n(.*?)^\1```", re.S | re.M)


def examples() -> dict[str, str]:
    found: dict[str, str] = {}
    for match in BLOCK.finditer(DOC.read_text()):
        code = textwrap.dedent(match.group(2))
        first = code.splitlines()[0] if code.strip() else ""
        if first.startswith("# example: "):
            found[first.removeprefix("# example: ").strip()] = code
    return found


class Captured:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def deliver(self, settings: Any, message: Any) -> None:
        self.sent.append(message)


@pytest.fixture
def blog(app: App, su: TestClient) -> TestClient:
    fields = [
        {"name": "title", "type": "text"},
        {"name": "body", "type": "text"},
        {"name": "author", "type": "text", "hidden": True},
        {"name": "comments", "type": "number"},
        {"name": "created", "type": "autodate", "onCreate": True},
    ]
    rules = {"listRule": "", "viewRule": "", "createRule": "", "updateRule": ""}
    r = su.post("/api/collections", json={"name": "posts", "type": "base", **rules, "fields": fields})
    assert r.status_code == 200, r.text
    posts_id = r.json()["id"]
    comment_fields = [
        {"name": "post", "type": "relation", "collectionId": posts_id, "maxSelect": 1},
        {"name": "text", "type": "text"},
    ]
    r = su.post("/api/collections", json={"name": "comments", "type": "base", **rules, "fields": comment_fields})
    assert r.status_code == 200, r.text
    return su


def _post(client: TestClient, token: str | None, **body: Any) -> Any:
    headers = {"Authorization": token} if token else {}
    return client.post("/api/collections/posts/records", json=body, headers=headers)


def check_contract(app: App, client: TestClient, user_token: str) -> None:
    rid = _post(client, None, title="x").json()["id"]
    assert app.hook_app.find_record_by_id("posts", rid).get("title") == "x"


def check_contract_decorator(app: App, client: TestClient, user_token: str) -> None:
    # the handler sets a "status" field that posts don't have: custom data, not stored
    r = _post(client, None, title="x")
    assert r.status_code == 200 and "status" not in r.json()


def check_stamp_author(app: App, client: TestClient, user_token: str) -> None:
    guest = _post(client, None, title="anonymous")
    assert guest.status_code == 401 and guest.json()["message"] == "Sign in to post."
    r = _post(client, user_token, title="mine", author="someone-else")
    assert r.status_code == 200
    assert app.hook_app.find_record_by_id("posts", r.json()["id"]).get("author") == "testuser0000001"


def check_comment_counter(app: App, client: TestClient, user_token: str) -> None:
    post = _post(client, None, title="p").json()["id"]
    for _ in range(2):
        r = client.post("/api/collections/comments/records", json={"post": post, "text": "hi"})
        assert r.status_code == 200, r.text
    assert client.get(f"/api/collections/posts/records/{post}").json()["comments"] == 2
    # a comment whose post is missing fails, and nothing of it is kept
    r = client.post("/api/collections/comments/records", json={"post": "", "text": "orphan"})
    assert r.status_code == 404
    assert client.get("/api/collections/comments/records").json()["totalItems"] == 2


def check_validate(app: App, client: TestClient, user_token: str) -> None:
    r = _post(client, None, title="HELLO")
    assert r.status_code == 400
    assert r.json()["data"] == {"title": {"code": "validation_no_shouting", "message": "Please don't shout."}}
    assert _post(client, None, title="Hello").status_code == 200


def check_enrich(app: App, client: TestClient, su_token: str) -> None:
    _post(client, su_token, title="t", body="a long body of text, longer than twenty", author="me")
    item = client.get("/api/collections/posts/records", headers={"Authorization": su_token}).json()["items"][0]
    assert item["excerpt"] == "a long body of text," and "author" not in item


def check_replace_response(app: App, client: TestClient, user_token: str) -> None:
    rid = _post(client, None, title="t").json()["id"]
    r = client.get(f"/api/collections/posts/records/{rid}").json()
    assert r["served_by"] == "satchel" and r["post"]["id"] == rid


def check_mail_subject(app: App, client: TestClient, user_token: str) -> None:
    captured = Captured()
    app.state["mailer"] = Mailer(lambda: app.settings.current, transport=captured, hooks=app.hooks)
    r = client.post("/api/collections/users/request-verification", json={"email": "user@example.com"})
    assert r.status_code == 204
    deadline = time.monotonic() + 5
    while not captured.sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert captured.sent and captured.sent[0].subject.startswith("Welcome, Test User! ")


def check_model_hooks(app: App, client: TestClient, su_token: str) -> None:
    rid = _post(client, None, title="t").json()["id"]
    su = {"Authorization": su_token}
    r = client.delete(f"/api/collections/posts/records/{rid}", headers=su)
    assert (r.status_code, r.json()["message"]) == (400, "This record stays (delete).")
    r = client.delete("/api/collections/comments", headers=su)
    assert (r.status_code, r.json()["message"]) == (400, "This collection stays (delete).")
    assert app.registry.get("comments") is not None
    assert client.get(f"/api/collections/posts/records/{rid}").status_code == 200


def check_collections_list(app: App, client: TestClient, su_token: str) -> None:
    items = client.get("/api/collections", headers={"Authorization": su_token}).json()["items"]
    assert sorted(c["name"] for c in items) == ["comments", "posts", "users"]


CHECKS: dict[str, Callable[[App, TestClient, str], None]] = {
    "contract-imports": check_contract,
    "contract-decorator": check_contract_decorator,
    "stamp-author": check_stamp_author,
    "comment-counter": check_comment_counter,
    "validate": check_validate,
    "enrich": check_enrich,
    "replace-response": check_replace_response,
    "mail-subject": check_mail_subject,
    "model-hooks": check_model_hooks,
    "collections-list": check_collections_list,
}
SUPERUSER_CHECKS = {"enrich", "model-hooks", "collections-list"}


def test_every_example_has_a_check() -> None:
    assert set(examples()) == {*CHECKS, "data-access"}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_example(name: str, app: App, blog: TestClient, su_token: str, user_token: str) -> None:
    client = blog
    del client.headers["Authorization"]
    code = examples()[name]
    namespace: dict[str, Any] = {"__name__": f"docs_example_{name.replace('-', '_')}"}
    if name == "contract-decorator":
        exec("from satchel.hooks import app", namespace)  # the contract's first block
    exec(compile(code, f"docs/hooks.md:{name}", "exec"), namespace)
    CHECKS[name](app, client, su_token if name in SUPERUSER_CHECKS else user_token)


def test_data_access_example(app: App, blog: TestClient) -> None:
    posts = app.registry.get("posts")
    assert posts is not None
    app.db.write_sync(
        lambda tx: tx.execute(
            "INSERT INTO posts (id, title, body, author, comments, created) "
            "VALUES ('old000000000001', 'old', '', '', 0, '1999-01-01 00:00:00.000Z')"
        )
    )
    exec(compile(examples()["data-access"], "docs/hooks.md:data-access", "exec"), {"__name__": "docs_data_access"})
    titles = [r.get("title") for r in app.hook_app.find_records_by_filter("posts")]
    assert titles == ["archived"]
    assert app.hook_app.find_first_record_by_filter("posts", "title = 'archived'").get("body") == "1 old posts removed"
