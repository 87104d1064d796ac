"""The community Python SDK (PyPI ``pocketbase`` 0.17.x) drives a live ``satchel serve``:
collections CRUD, auth (password, verification, password reset and email change through
real mail to an aiosmtpd server), files with a protected file and a file token, and
realtime. Every call goes through the SDK; only the mail and the file download are read
beside it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pocketbase import PocketBase
from pocketbase.errors import ClientResponseError
from pocketbase.models import FileUpload
from pocketbase.services.realtime_service import MessageData

from tests.auth_support import Inbox, smtp_server, token_in  # noqa: F401 - fixture
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer

USER_PASSWORD = "1234567890"


@pytest.fixture(scope="module")
def su(live_server: LiveServer) -> PocketBase:
    client = PocketBase(live_server.base)
    client.collection("_superusers").auth_with_password(EMAIL, PASSWORD)
    return client


def test_collections_crud(su: PocketBase) -> None:
    created = su.collections.create({"name": "py_notes", "type": "base", "listRule": "",
                                     "fields": [{"name": "title", "type": "text", "required": True}]})
    assert created.name == "py_notes" and created.id.startswith("pbc_")
    assert su.collections.get_one("py_notes").id == created.id
    listed = su.collections.get_list(1, 50, {"filter": "name = 'py_notes'"})
    assert [c.name for c in listed.items] == ["py_notes"]
    updated = su.collections.update(created.id, {"name": "py_notes2", "listRule": None})
    assert (updated.name, updated.list_rule) == ("py_notes2", None)
    assert su.collections.delete("py_notes2") is True
    with pytest.raises(ClientResponseError) as gone:
        su.collections.get_one("py_notes2")
    assert gone.value.status == 404


def _wait_for(inbox: Inbox, count: int, to: str) -> str:
    msg = inbox.wait(count)[count - 1]
    assert to in str(msg["To"])
    return token_in(msg)


def test_auth_flows_through_real_mail(su: PocketBase, live_server: LiveServer,
                                      smtp_server: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp_server
    su.settings.update({"smtp": {"enabled": True, "host": "127.0.0.1", "port": port},
                        "meta": {"senderName": "Support", "senderAddress": "support@example.com"}})
    pb = PocketBase(live_server.base)
    users = pb.collection("users")
    user = users.create({"email": "py@example.com", "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD})
    assert user.verified is False
    # password
    auth = users.auth_with_password("py@example.com", USER_PASSWORD)
    assert auth.record.id == user.id and pb.auth_store.token == auth.token
    assert users.auth_refresh().record.id == user.id
    with pytest.raises(ClientResponseError) as bad:
        PocketBase(live_server.base).collection("users").auth_with_password("py@example.com", "wrong-password")
    assert bad.value.status == 400
    # verification
    users.request_verification("py@example.com")
    users.confirm_verification(_wait_for(inbox, 1, "py@example.com"))
    assert users.get_one(user.id).verified is True
    # password reset
    users.request_password_reset("py@example.com")
    new_password = "0987654321"
    users.confirm_password_reset(_wait_for(inbox, 2, "py@example.com"), new_password, new_password)
    with pytest.raises(ClientResponseError):
        users.auth_with_password("py@example.com", USER_PASSWORD)
    users.auth_with_password("py@example.com", new_password)
    # email change (as the logged-in user)
    users.request_email_change("py2@example.com")
    users.confirm_email_change(_wait_for(inbox, 3, "py2@example.com"), new_password)
    again = PocketBase(live_server.base).collection("users").auth_with_password("py2@example.com", new_password)
    assert again.record.id == user.id and again.record.email == "py2@example.com"


@pytest.fixture(scope="module")
def vault(su: PocketBase) -> Iterator[str]:
    su.collections.create({"name": "py_vault", "type": "base", "listRule": "", "viewRule": "@request.auth.id != ''",
                           "createRule": "", "fields": [{"name": "title", "type": "text"},
                                      {"name": "doc", "type": "file", "maxSelect": 1, "protected": True},
                                      {"name": "pic", "type": "file", "maxSelect": 1}]})
    yield "py_vault"
    su.collections.delete("py_vault")


def test_files(su: PocketBase, vault: str) -> None:
    rec = su.collection(vault).create({
        "title": "files",
        "doc": FileUpload(("secret.txt", b"top secret", "text/plain")),
        "pic": FileUpload(("open.txt", b"public", "text/plain")),
    })
    assert rec.doc.startswith("secret_") and rec.doc.endswith(".txt")
    public = httpx.get(su.files.get_url(rec, rec.pic))
    assert (public.status_code, public.content) == (200, b"public")
    assert httpx.get(su.files.get_url(rec, rec.doc)).status_code == 404
    token = su.files.get_token()
    private = httpx.get(su.files.get_url(rec, rec.doc, {"token": token}))
    assert (private.status_code, private.content) == (200, b"top secret")
    kept = su.collection(vault).update(rec.id, {"doc-": [rec.doc]})
    assert kept.doc == ""


def _subscribe(client: PocketBase, collection: str, on_event: Any) -> None:
    """Subscribe, connecting again while the SDK has no client id: the SDK (0.17) starts its
    stream's thread before it registers its PB_CONNECT listener, so a PB_CONNECT that comes
    back first is dropped and the SDK never posts its subscriptions (1 to 2 connects in 20
    here; the server sent PB_CONNECT, as PocketBase does, on each)."""
    for _ in range(5):
        client.collection(collection).subscribe(on_event)
        deadline = time.monotonic() + 3
        while not client.realtime.client_id and time.monotonic() < deadline:
            time.sleep(0.01)
        if client.realtime.client_id:
            return
        client.collection(collection).unsubscribe()  # closes the stream; the next subscribe opens one
    raise AssertionError("the SDK got no PB_CONNECT in 5 connections")


def test_realtime(su: PocketBase, vault: str) -> None:
    events: list[MessageData] = []
    got = threading.Event()

    def on_event(event: MessageData) -> None:
        events.append(event)
        got.set()

    _subscribe(su, vault, on_event)
    try:
        deadline = time.monotonic() + 5
        created: Any = None
        while not got.is_set() and time.monotonic() < deadline:  # the subscription lands asynchronously
            created = su.collection(vault).create({"title": "live"})
            got.wait(0.5)
        assert got.is_set(), "no realtime event within 5 s"
        assert events[0].action == "create" and events[0].record.title == "live"
        assert created is not None
    finally:
        su.collection(vault).unsubscribe()
