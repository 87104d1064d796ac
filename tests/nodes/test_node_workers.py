"""Nodes of several workers on one PostgreSQL database: every worker of every node sends
and receives through the cluster bus, and a ``POST /api/realtime`` may reach any worker of
any node (no sticky sessions)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from satchel.store.postgres.leader import CRON_LOCK_KEY
from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    LiveServer,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)
from tests.nodes.support import START, Stream, wait_workers
from tests.pg_support import pg_url

__all__ = ["pg_url"]

HEADER = {"SATCHEL_WORKER_HEADER": "1"}
DEFAULT_WORKERS = len(os.sched_getaffinity(0))  # what `serve` picks without --workers


@pytest.fixture
def worker_nodes(pg_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    made = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={tmp_path / 'a'}", f"--db={pg_url}")
    assert made.returncode == 0, made.stderr
    a = start_serve(
        tmp_path / "a" / "pb_data", f"--db={pg_url}", env=HEADER, timeout=START
    )  # the default --workers
    try:
        b = start_serve(
            tmp_path / "b" / "pb_data", f"--db={pg_url}", "--workers=2", env=HEADER, timeout=START
        )
        try:
            wait_workers(a, DEFAULT_WORKERS)
            wait_workers(b, 2)
            yield a, b
        finally:
            assert stop_serve(b, timeout=15) == 0, b.stderr
    finally:
        assert stop_serve(a, timeout=15) == 0, a.stderr


def fresh(base: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    """One request on a new connection (the kernel picks the worker that accepts it)."""
    with httpx.Client(base_url=base, timeout=10) as client:
        return client.request(method, path, **kwargs)  # type: ignore[arg-type]


def test_every_worker_of_every_node_shares_realtime_schema_and_crons(
    worker_nodes: tuple[LiveServer, LiveServer], pg_url: str
) -> None:
    a, b = worker_nodes
    token = superuser_token(b.base)
    body = {"name": "notes", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "title", "type": "text"}]}  # fmt: skip
    r = fresh(b.base, "POST", "/api/collections", json=body, headers={"Authorization": token})
    assert r.status_code == 200, r.text
    # made on one worker of B: every worker of A knows it as soon as B answered
    answered: set[str] = set()
    for _ in range(8):
        r = fresh(a.base, "GET", "/api/collections/notes/records")
        assert r.status_code == 200, r.text
        answered.add(r.headers["x-satchel-worker"])

    # streams held by A's workers, their subscriptions posted to B's workers (another node)
    streams = [Stream(a.base) for _ in range(4)]
    holders = {s.client_id[:8] for s in streams}
    for stream in streams:
        r = fresh(
            b.base, "POST", "/api/realtime", json={"clientId": stream.client_id, "subscriptions": ["notes"]}
        )
        assert r.status_code == 204, r.text
    # a client id no process holds: PocketBase's 404
    unknown = streams[0].client_id[:-4] + ("aaaa" if not streams[0].client_id.endswith("aaaa") else "bbbb")
    r = fresh(b.base, "POST", "/api/realtime", json={"clientId": unknown, "subscriptions": ["notes"]})
    assert r.status_code == 404, r.text

    ids = []
    for n in range(8):
        node = (a, b)[n % 2]
        r = fresh(node.base, "POST", "/api/collections/notes/records", json={"title": f"t{n}"})
        assert r.status_code == 200, r.text
        ids.append(r.json()["id"])
    for stream in streams:
        events = stream.wait(8)
        assert [(e, d["action"], d["record"]["id"]) for e, d in events] == [
            ("notes", "create", i) for i in ids
        ]

    # one process of all runs the crons
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND ((classid::bigint << 32) | objid::bigint) = %s",
            (CRON_LOCK_KEY,),
        ).fetchone()
    assert row is not None and row[0] == 1
    assert len(holders) >= 1 and len(answered) >= 1
