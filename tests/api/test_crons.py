"""``/api/crons`` against PocketBase 0.40.6's captured answers, user jobs, failing jobs."""

from __future__ import annotations

import threading
import time

import pytest
from starlette.testclient import TestClient

from satchel.app import App
from tests.api.ops_replay import entries, replay, tokens_for

# (the __pbAutoBackup__ steps are replayed by test_backups.py)
CRON_STEPS = entries(lambda name: "cron" in name and "auto backup" not in name)


def test_crons_as_pocketbase(client: TestClient, su_token: str, user_token: str) -> None:
    assert len(CRON_STEPS) >= 8
    tokens = tokens_for(client, su_token, user_token)
    problems = [p for e in CRON_STEPS for p in replay(client, e, tokens)]
    assert problems == []


def test_user_job_listed_first_and_run_in_background(app: App, su: TestClient) -> None:
    started, release = threading.Event(), threading.Event()

    def job() -> None:
        started.set()
        release.wait(10)

    app.cron.add("myjob", "*/5 * * * *", job)
    listed = su.get("/api/crons").json()
    assert listed[0] == {"id": "myjob", "expression": "*/5 * * * *"}
    t0 = time.monotonic()
    r = su.post("/api/crons/myjob")
    assert r.status_code == 204 and r.content == b""
    assert time.monotonic() - t0 < 5  # answered while the job still runs
    assert started.wait(5)
    release.set()
    app.cron.remove("myjob")
    assert su.post("/api/crons/myjob").status_code == 404


def test_failing_job_is_logged_not_fatal(app: App, su: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise RuntimeError("cron failure on purpose")

    app.cron.add("boom", "0 0 * * *", boom)
    assert su.post("/api/crons/boom").status_code == 204
    for _ in range(100):
        if any("boom" in r.getMessage() for r in caplog.records):
            break
        time.sleep(0.05)
    assert any(r.name == "satchel.cron" and "boom" in r.getMessage() for r in caplog.records)
    assert su.get("/api/crons").status_code == 200
    assert su.post("/api/crons/boom").status_code == 204  # still registered, still runnable


def test_scheduler_runs_with_the_server(app: App, client: TestClient) -> None:
    """The lifespan of the ASGI app (what `satchel serve` runs) starts the ticker, a moment
    after serving begins (CRON_START_DELAY)."""
    for _ in range(100):
        if app.cron.started:
            break
        time.sleep(0.05)
    assert app.cron.started
