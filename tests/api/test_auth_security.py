"""Security properties of the auth endpoints."""

from __future__ import annotations

import time

import jwt
from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.auth.record_tokens import verification_token
from satchel.core.auth.tokens import create_token
from tests.auth_support import make_user


def refresh(client: TestClient, token: str, collection: str = "users") -> int:
    return client.post(f"/api/collections/{collection}/auth-refresh", headers={"Authorization": token}).status_code


def test_token_of_one_collection_rejected_by_another(client: TestClient, user_token: str, su_token: str) -> None:
    r = client.post("/api/collections/_superusers/auth-refresh", headers={"Authorization": user_token})
    assert r.json() == {"data": {}, "message": "The request requires auth record from users collection.", "status": 403}
    assert refresh(client, su_token) == 403


def test_expired_tampered_wrong_type(app: App, client: TestClient, user_token: str) -> None:
    users = app.registry.get("users")
    assert users is not None
    record = app.db.read_sync(lambda c: app.records.find_by_field_sync(c, users, "id", "testuser0000001"))
    assert record is not None
    key = record["tokenKey"] + users.options["authToken"]["secret"]
    claims = {"collectionId": users.id, "id": record["id"], "refreshable": True, "type": "auth"}
    assert refresh(client, create_token(claims, key, 100)) == 200
    assert refresh(client, create_token(claims, key, -10, now=time.time())) == 401
    assert refresh(client, create_token(claims, "wrong-key", 100)) == 401
    head, payload, sig = user_token.split(".")
    # change a character that carries only signature bits (the last one also holds unused
    # padding bits, and "AA" could equal the real ending: a 1-in-1024 flake seen in CI)
    tampered = ("B" if sig[0] == "A" else "A") + sig[1:]
    assert refresh(client, f"{head}.{payload}.{tampered}") == 401
    forged = jwt.encode({**claims, "exp": int(time.time()) + 100}, None, algorithm="none")
    assert refresh(client, forged) == 401
    assert refresh(client, verification_token(users, record)) == 401
    file_token = client.post("/api/files/token", headers={"Authorization": user_token}).json()["token"]
    assert refresh(client, file_token) == 401


def test_a_token_checked_before_is_checked_again(app: App, client: TestClient, user_token: str) -> None:
    """Tokens are decoded once and their signature remembered per key: a token that
    passed must still fail once it expires or its record's tokenKey changes."""
    users = app.registry.get("users")
    assert users is not None
    record = app.db.read_sync(lambda c: app.records.find_by_field_sync(c, users, "id", "testuser0000001"))
    assert record is not None
    key = record["tokenKey"] + users.options["authToken"]["secret"]
    claims = {"collectionId": users.id, "id": record["id"], "refreshable": True, "type": "auth"}
    short = create_token(claims, key, 1.5)
    assert refresh(client, short) == 200
    assert refresh(client, short) == 200
    time.sleep(1.6)
    assert refresh(client, short) == 401
    token = create_token(claims, key, 100)
    assert refresh(client, token) == 200
    app.db.write_sync(lambda tx: tx.execute("UPDATE users SET tokenKey = 'changed' WHERE id = 'testuser0000001'"))
    assert refresh(client, token) == 401


def test_collection_secret_change_logs_out(app: App, client: TestClient, user_token: str) -> None:
    users = app.registry.get("users")
    assert users is not None
    users.options["authToken"]["secret"] = "x" * 50
    assert refresh(client, user_token) == 401


def test_unknown_email_and_wrong_password_look_the_same(app: App, client: TestClient) -> None:
    make_user(app, "known@example.com")
    a = client.post("/api/collections/users/auth-with-password", json={"identity": "known@example.com", "password": "bad-pass1"})
    b = client.post("/api/collections/users/auth-with-password", json={"identity": "nobody@example.com", "password": "bad-pass1"})
    assert (a.status_code, a.content) == (b.status_code, b.content) == (400, b'{"data":{},"message":"Failed to authenticate.","status":400}')


def test_no_secret_in_responses(app: App, su: TestClient, user_token: str) -> None:
    app.settings.patch_sync({"smtp": {"enabled": False, "host": "127.0.0.1", "port": 25, "password": "smtp-secret-pw"}})
    users = app.registry.get("users")
    assert users is not None
    record = app.db.read_sync(lambda c: app.records.find_by_field_sync(c, users, "id", "testuser0000001"))
    assert record is not None
    secrets = [record["tokenKey"], record["password"], users.options["authToken"]["secret"], "smtp-secret-pw"]
    bodies = [
        su.post("/api/collections/users/auth-refresh", headers={"Authorization": user_token}).text,
        su.post("/api/collections/users/auth-with-password", json={"identity": "user@example.com", "password": "1234567890"}).text,
        su.post(f"/api/collections/users/impersonate/{record['id']}").text,
        su.get("/api/collections/users/auth-methods").text,
        su.get("/api/settings").text,
        su.get("/api/collections/users").text,
        su.post("/api/admins/auth-refresh").text,
    ]
    for body in bodies:
        for secret in secrets:
            assert secret not in body
    for body in bodies[:3]:
        assert '"password"' not in body and "tokenKey" not in body


def test_auth_with_password_does_not_block_the_loop(app: App, client: TestClient) -> None:
    """bcrypt runs in a worker thread: health stays responsive during logins."""
    import threading

    make_user(app, "slow@example.com")
    times: list[float] = []

    def logins() -> None:
        for _ in range(3):
            client.post("/api/collections/users/auth-with-password", json={"identity": "slow@example.com", "password": "x" * 10})

    t = threading.Thread(target=logins)
    t.start()
    while t.is_alive():
        start = time.perf_counter()
        client.get("/api/health")
        times.append(time.perf_counter() - start)
    t.join()
    assert max(times) < 0.5
