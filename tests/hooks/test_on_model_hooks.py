"""The on_model_* hooks: every model write (records and collections) fires them, at the end
of the record's (or collection's) chain of each step, as PocketBase binds those."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.collections.model import Collection
from satchel.hooks import BadRequestError, ModelEvent, Record

STEPS = ("create", "update", "delete")


def _trace(app: App, log: list[str], *, tags: tuple[str, ...] = ()) -> None:
    h = app.hook_app
    for kind in ("model", "record"):
        names = [f"on_{kind}_validate"]
        for step in STEPS:
            names += [f"on_{kind}_{step}", f"on_{kind}_{step}_execute", f"on_{kind}_after_{step}_success"]
        for name in names:
            h.hooks.get(name).bind(_logger(log, name), tags=tags)


def _logger(log: list[str], name: str) -> Any:
    def handler(e: Any) -> None:
        model = e.model if isinstance(e, ModelEvent) else e.record
        kind = "record" if isinstance(model, Record) else "collection"
        log.append(f"{name}:{kind}" + (f":{e.type}" if isinstance(e, ModelEvent) else ""))
        e.next()

    return handler


def test_record_writes_fire_model_hooks_after_the_record_hooks(app: App, su: TestClient) -> None:
    body = {"name": "notes", "listRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
            "fields": [{"name": "title", "type": "text"}]}  # fmt: skip
    assert su.post("/api/collections", json=body).status_code == 200
    log: list[str] = []
    _trace(app, log, tags=("notes",))
    rid = su.post("/api/collections/notes/records", json={"title": "a"}).json()["id"]
    assert log == [
        "on_record_create:record", "on_model_create:record:create",
        "on_record_validate:record", "on_model_validate:record:validate",
        "on_record_create_execute:record", "on_model_create_execute:record:create",
        "on_record_after_create_success:record", "on_model_after_create_success:record:create",
    ]  # fmt: skip
    log.clear()
    assert su.patch(f"/api/collections/notes/records/{rid}", json={"title": "b"}).status_code == 200
    assert [x for x in log if x.startswith("on_model")] == [
        "on_model_update:record:update", "on_model_validate:record:validate",
        "on_model_update_execute:record:update", "on_model_after_update_success:record:update",
    ]  # fmt: skip
    log.clear()
    assert su.delete(f"/api/collections/notes/records/{rid}").status_code == 204
    assert [x for x in log if x.startswith("on_model")] == [
        "on_model_delete:record:delete", "on_model_delete_execute:record:delete",
        "on_model_after_delete_success:record:delete",
    ]  # fmt: skip


def test_collection_writes_fire_model_hooks_tagged_with_the_table(app: App, su: TestClient) -> None:
    seen: list[tuple[str, str]] = []

    @app.hook_app.on_model_create("_collections")
    @app.hook_app.on_model_delete("_collections")
    def look(e: ModelEvent) -> None:
        assert isinstance(e.model, Collection)
        seen.append((e.type, e.model.name))
        e.next()

    @app.hook_app.on_model_create("users")  # a record hook by collection name: not a collection write
    def users_only(e: ModelEvent) -> None:
        seen.append(("users", e.model.id))
        e.next()

    assert su.post("/api/collections", json={"name": "tags"}).status_code == 200
    assert su.delete("/api/collections/tags").status_code == 204
    assert seen == [("create", "tags"), ("delete", "tags")]


def test_a_model_hook_that_raises_rolls_back_and_sees_the_error(app: App, su: TestClient) -> None:
    errors: list[tuple[str, str]] = []
    h = app.hook_app

    @h.on_model_create_execute
    def refuse(e: ModelEvent) -> None:
        e.next()
        if isinstance(e.model, Record) and e.model.get("name") == "nope":
            raise BadRequestError("Not this one.")

    @h.on_model_after_create_error
    def seen(e: Any) -> None:
        errors.append((e.type, e.error.message))
        e.next()

    r = su.post("/api/collections/users/records",
                json={"email": "a@example.com", "password": "1234567890", "passwordConfirm": "1234567890",
                      "name": "nope"})  # fmt: skip
    assert (r.status_code, r.json()["message"]) == (400, "Not this one.")
    assert su.get("/api/collections/users/records").json()["totalItems"] == 0
    assert errors == [("create", "Not this one.")]


def test_a_record_hook_that_stops_skips_the_model_hook(app: App) -> None:
    h = app.hook_app
    ran: list[str] = []

    @h.on_record_validate("users")
    def stop(e: Any) -> None:
        ran.append("record")  # not calling e.next(): the built-in checks are skipped, so is the model hook

    @h.on_model_validate
    def model(e: Any) -> None:
        ran.append("model")
        e.next()

    record = Record(h.find_collection_by_name_or_id("users"), {"email": "b@example.com", "name": "b"})
    record.set_password("1234567890")
    h.save(record)
    assert ran == ["record"]
    assert h.find_record_by_id("users", record.id).get("name") == "b"


def test_the_auth_flows_writes_are_record_updates(app: App, client: TestClient, user_token: str) -> None:
    from satchel.core.auth.record_tokens import password_reset_token, verification_token

    users = app.registry.get("users")
    assert users is not None
    seen: list[tuple[str, Any, Any]] = []
    h = app.hook_app

    @h.on_record_update("users")
    def look(e: Any) -> None:
        seen.append(("record", e.record.original().get("verified"), e.record.get("verified")))
        e.next()

    @h.on_model_update_execute("users")
    def no_reset(e: ModelEvent) -> None:
        seen.append(("model", e.type, e.model.id))
        if e.model.get("tokenKey") != e.model.original().get("tokenKey"):  # a new password renews it
            raise BadRequestError("Passwords stay.")
        e.next()

    def stored() -> dict[str, Any]:
        row = app.db.read_here(lambda conn: app.records.find_by_field_sync(conn, users, "id", "testuser0000001"))
        assert row is not None
        return row

    base = "/api/collections/users"
    r = client.post(f"{base}/confirm-verification", json={"token": verification_token(users, stored())})
    assert r.status_code == 204
    assert seen == [("record", False, True), ("model", "update", "testuser0000001")]
    hash_before = stored()["password"]
    body = {"token": password_reset_token(users, stored()), "password": "abcdefghij", "passwordConfirm": "abcdefghij"}
    r = client.post(f"{base}/confirm-password-reset", json=body)
    assert (r.status_code, r.json()["message"]) == (400, "Passwords stay.")
    assert stored()["password"] == hash_before
