"""The Python SDK's logs service (PyPI ``pocketbase`` 0.17.x) against a live ``satchel serve``:
entries written by the writer thread within its 3 s interval, then listed, filtered, read one by
one and counted per hour through ``pb.logs``."""

from __future__ import annotations

import datetime
import time

import pytest
from pocketbase import PocketBase  # PyPI `pocketbase`, in the test extra
from pocketbase.errors import ClientResponseError

from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer


def test_logs_service(live_server: LiveServer) -> None:
    pb = PocketBase(live_server.base)
    pb.collection("_superusers").auth_with_password(EMAIL, PASSWORD)
    guest = PocketBase(live_server.base)
    with pytest.raises(ClientResponseError) as refused:
        guest.collection("_superusers").get_list(1, 1)
    assert refused.value.status == 403

    wanted = "data.url = '/api/collections/_superusers/records?page=1&perPage=1'"
    deadline = time.monotonic() + 8  # written every 3 s
    while True:
        page = pb.logs.get_list(1, 10, {"filter": wanted})
        if page.items or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert page.total_items == 1
    entry = page.items[0]
    assert (entry.level, entry.message) == (8, "GET /api/collections/_superusers/records?page=1&perPage=1")
    assert entry.data["status"] == 403 and entry.data["error"] == "Only superusers can perform this action."
    assert entry.data["auth"] == "" and entry.data["userIP"] == "127.0.0.1"
    assert isinstance(entry.created, datetime.datetime)

    same = pb.logs.get_one(entry.id)
    assert (same.id, same.message, same.data) == (entry.id, entry.message, entry.data)

    stats = pb.logs.get_stats({"filter": "level = 8"})
    assert sum(s.total for s in stats) >= 1
    assert all(isinstance(s.date, datetime.datetime) and s.date.minute == 0 for s in stats)

    with pytest.raises(ClientResponseError) as missing:
        pb.logs.get_one("nosuchlog000000")
    assert missing.value.status == 404
    with pytest.raises(ClientResponseError) as bad:
        pb.logs.get_stats({"filter": "bad("})
    assert bad.value.status == 400 and bad.value.data["message"] == "Invalid filter format."
