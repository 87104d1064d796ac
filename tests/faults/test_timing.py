"""Account enumeration by timing (issue 19, defect 9): the requests that mail an
account answer an existing and an unknown address alike, in the same time, because
the lookup and the mail happen after the answer; a clean stop still sends them.

The per-account work is made 50 ms slow on purpose (the SMTP server too): done
before the answer, it would show as a 50 ms gap between the medians."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from satchel.app import App
from tests.auth_support import Inbox, free_port, make_user, use_smtp
from tests.conftest import SUPERUSER_EMAIL
from tests.e2e.serve_support import EMAIL, PASSWORD, satchel, start_serve, stop_serve, superuser_token

DELAY = 0.05  # seconds the slow parts take
PAIRS = 25


class SlowInbox(Inbox):
    delay: float = DELAY

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        await asyncio.sleep(self.delay)  # mid-conversation: a cancelled sender never gets to DATA
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowInbox, int]]:
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def slow_accounts(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding an existing account costs 50 ms more than finding none."""
    real = app.records.find_by_field

    async def find_by_field(*args: Any, **kwargs: Any) -> Any:
        found = await real(*args, **kwargs)
        if found is not None:
            await asyncio.sleep(DELAY)
        return found

    monkeypatch.setattr(app.records, "find_by_field", find_by_field)


def _median_gap(client: TestClient, path: str, known: str, unknown: str) -> float:
    """Median answer time for ``known`` minus that for ``unknown``, over interleaved pairs."""
    times: dict[str, list[float]] = {known: [], unknown: []}
    for i in range(PAIRS):
        for email in (known, unknown) if i % 2 else (unknown, known):
            start = time.perf_counter()
            r = client.post(path, json={"email": email})
            times[email].append(time.perf_counter() - start)
            assert r.status_code == 204, r.text
            assert r.content == b""
    return statistics.median(times[known]) - statistics.median(times[unknown])


@pytest.mark.parametrize(
    ("path", "known"),
    [
        ("/api/collections/users/request-password-reset", "user@example.com"),
        ("/api/collections/users/request-verification", "user@example.com"),
        ("/api/admins/request-password-reset", SUPERUSER_EMAIL),
    ],
)
def test_known_and_unknown_addresses_answer_in_the_same_time(
    app: App, client: TestClient, slow_smtp: tuple[SlowInbox, int], slow_accounts: None, path: str, known: str
) -> None:
    inbox, port = slow_smtp
    use_smtp(app, port)
    make_user(app, "user@example.com")
    gap = _median_gap(client, path, known, "nobody@example.com")
    assert abs(gap) < DELAY / 5, f"median gap {gap * 1000:.1f} ms"
    # the work did happen, after the answers: one mail (the resend guard holds the others)
    mails = inbox.wait(1)
    time.sleep(DELAY * 3)
    assert [m["To"] for m in inbox.messages] == [known]
    assert len(mails) == 1


def test_a_clean_stop_sends_the_mails_already_promised(tmp_path: Any, slow_smtp: tuple[SlowInbox, int]) -> None:
    """SIGTERM right after the 204: the mail (0.5 s to deliver) still goes out."""
    inbox, port = slow_smtp
    inbox.delay = 0.5
    data = tmp_path / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    server = start_serve(data)
    try:
        smtp = {"enabled": True, "host": "127.0.0.1", "port": port}
        r = httpx.patch(f"{server.base}/api/settings", json={"smtp": smtp}, headers={"Authorization": superuser_token(server.base)})
        assert r.status_code == 200, r.text
        r = httpx.post(f"{server.base}/api/collections/_superusers/request-password-reset", json={"email": EMAIL})
        assert r.status_code == 204
    finally:
        status = stop_serve(server)
    assert status == 0, server.stderr
    assert [m["To"] for m in inbox.messages] == [EMAIL]
