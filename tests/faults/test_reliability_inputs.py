"""Issue 19 defects 6 and 7 against a live ``satchel serve``: PocketBase's answers to
hostile input (tests/fixtures/pocketbase_040/reliability_inputs.json, captured from the
0.40.6 and 0.22.27 binaries) replayed; a ReDoS pattern answers fast and blocks nobody."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    LiveServer,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)
from tests.faults.reliability_cases import REDOS_PATTERN
from tests.oracle import CAPTURES, mismatches

CAPTURE = json.loads((CAPTURES / "reliability_inputs.json").read_text())
INDEX_HTML = "<p>index</p>\n"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    root = tmp_path_factory.mktemp("inputs")
    data_dir, public = root / "pb_data", root / "pb_public"
    public.mkdir()
    (public / "index.html").write_text(INDEX_HTML)
    made = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data_dir}")
    assert made.returncode == 0, made.stderr
    server = start_serve(data_dir, f"--publicDir={public}")
    try:
        token = superuser_token(server.base)
        r = httpx.patch(f"{server.base}/api/settings", headers={"Authorization": token},
                        json={"batch": {"enabled": True, "maxRequests": 50}})
        assert r.status_code == 200, r.text
        yield server, token
    finally:
        assert stop_serve(server) == 0, server.stderr


def _send(base: str, token: str, entry: dict[str, Any]) -> httpx.Response:
    headers = dict(entry.get("headers") or {})
    if entry.get("as") == "superuser":
        headers["Authorization"] = token
    raw = entry.get("raw_body")
    content = raw.encode("latin-1") if raw is not None else None
    # the path is sent as captured (already encoded): %00 and 5,000-byte paths included
    with httpx.Client(base_url=base, timeout=10) as client:
        request = client.build_request(entry["method"], base + entry["path"], headers=headers, content=content)
        request.url = httpx.URL(base + entry["path"])
        return client.send(request)


def test_replay_pocketbase_answers(live: tuple[LiveServer, str]) -> None:
    server, token = live
    failures: list[str] = []
    for entry in CAPTURE["exchanges"]:
        if entry["version"] == "0.22.27" and entry.get("as") == "superuser":
            # the legacy routes take a 0.22 admin token: log in through them
            r = httpx.post(f"{server.base}/api/admins/auth-with-password",
                           json={"identity": EMAIL, "password": PASSWORD})
            assert r.status_code == 200, r.text
            tok = r.json()["token"]
        else:
            tok = token
        r = _send(server.base, tok, entry)
        label = f"{entry['version']} {entry['method']} {entry['path'][:60]} as {entry.get('as', 'guest')}"
        if r.status_code != entry["status"]:
            failures.append(f"{label}: status {r.status_code} != {entry['status']}: {r.text[:200]}")
            continue
        if r.headers.get("content-type", "").split(";")[0] != entry["content_type"]:
            failures.append(f"{label}: content type {r.headers.get('content-type')}")
        if "response_text" in entry:
            if r.text != entry["response_text"]:
                failures.append(f"{label}: body {r.text[:80]!r}")
        elif entry["response"] is not None:
            expected = entry["response"]
            if "items" in expected:  # a list: only its envelope is the point here
                expected = {k: v for k, v in expected.items() if k != "items"}
                actual = {k: v for k, v in r.json().items() if k != "items"}
            else:
                actual = r.json()
            failures.extend(f"{label}: {m}" for m in mismatches(expected, actual))
    assert not failures, "\n".join(failures)
    assert "Traceback" not in server.stderr


def test_redos_pattern_answers_fast_and_blocks_nobody(live: tuple[LiveServer, str]) -> None:
    """Defect 6: 26 characters took 6.4 s and held /api/health 6.1 s; PocketBase: 0.09 s."""
    server, token = live
    auth = {"Authorization": token}
    r = httpx.post(f"{server.base}/api/collections", headers=auth, json={
        "name": "redos", "type": "base", "createRule": "",
        "fields": [{"name": "title", "type": "text", "pattern": REDOS_PATTERN, "max": 100000}]})
    assert r.status_code == 200, r.text
    health: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                started = time.perf_counter()
                assert client.get(f"{server.base}/api/health").status_code == 200
                health.append(time.perf_counter() - started)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        for n in (26, 30, 5000, 90000):
            started = time.perf_counter()
            r = httpx.post(f"{server.base}/api/collections/redos/records", json={"title": "a" * n + "!"}, timeout=10)
            elapsed = time.perf_counter() - started
            assert r.status_code == 400, r.text
            assert r.json()["data"]["title"]["code"] == "validation_invalid_format"
            assert elapsed < 1.0, (n, elapsed)
        r = httpx.post(f"{server.base}/api/collections/redos/records", json={"title": "fine words 42"})
        assert r.status_code == 200, r.text
    finally:
        stop.set()
        prober.join()
    assert health and max(health) < 1.0, max(health)


def test_pattern_refused_on_save_as_pocketbase(live: tuple[LiveServer, str]) -> None:
    server, token = live
    for case in CAPTURE["regex_compile"][:20]:
        r = httpx.post(f"{server.base}/api/collections", headers={"Authorization": token}, json={
            "name": f"p{abs(hash(case['pattern'])) % 10**8}", "type": "base",
            "fields": [{"name": "v", "type": "text", "pattern": case["pattern"]}]})
        if case["error"] is None:
            assert r.status_code == 200, (case, r.text)
        else:
            assert r.status_code == 400, (case, r.text)
            assert r.json()["data"]["fields"]["1"]["pattern"] == case["error"]


def test_capture_is_present() -> None:
    assert Path(CAPTURES / "reliability_inputs.json").is_file()
    assert len(CAPTURE["exchanges"]) >= 50


@pytest.mark.parametrize("content_type, body", [
    ("multipart/form-data", b"xx"),
    ("multipart/form-data; boundary=abc", b"garbage"),
])
def test_oauth2_redirect_with_an_unreadable_form_fails_quietly(
        live: tuple[LiveServer, str], content_type: str, body: bytes) -> None:
    """Found by the API fuzz (was a 500): PocketBase reads it as an empty form, a failed
    redirect (303 to its dashboard; Satchel has none to send to: its close-window page)."""
    server, _ = live
    r = httpx.post(f"{server.base}/api/oauth2-redirect", content=body, headers={"Content-Type": content_type},
                   follow_redirects=False)
    assert r.status_code in (200, 303), r.text
    assert "failed" in r.text or "failure" in r.headers.get("location", "")
