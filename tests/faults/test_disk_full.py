"""A live ``satchel serve`` on a 4 MB tmpfs that fills up: every write answers
PocketBase's 400 (captured from 0.40.6 in pocketbase_040/disk_full.json), a COMMIT
the disk refuses leaves no orphan upload, logins and reads go on, and writes work
again once space is freed; the database is intact at the end."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.e2e.serve_support import LiveServer, satchel, start_serve, stop_serve
from tests.faults.disk_support import (
    SU_EMAIL,
    SU_PASSWORD,
    fill,
    free_bytes,
    free_pages,
    phase_steps,
    run_step,
    set_up,
    storage_files,
    tmpfs,
)
from tests.oracle import load, mismatches

EXPECTED = load("disk_full.json")


@dataclass
class Run:
    server: LiveServer
    entries: list[dict[str, Any]] = field(default_factory=list)
    orphans: dict[str, list[str]] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)  # what the server logged during each phase
    free_when_full: int = -1
    exit_status: int | None = None
    integrity: str = ""


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    """The whole scenario once (one server start), observations kept for the tests."""
    with tmpfs() as mnt:
        data = mnt / "satchel" / "pb_data"
        created = satchel("superuser", "upsert", SU_EMAIL, SU_PASSWORD, f"--dir={data}")
        assert created.returncode == 0, created.stderr
        server = start_serve(data)
        result = Run(server)
        try:
            with httpx.Client(base_url=server.base, timeout=30) as client:
                tokens = set_up(client)
                before = storage_files(data)
                filler = fill(mnt)
                result.free_when_full = free_bytes(mnt)
                for phase in ("full", "tight", "freed"):
                    if phase == "tight":
                        free_pages(filler, 2)
                    elif phase == "freed":
                        filler.unlink()
                    logged = len(server.stderr)
                    for step in phase_steps(phase):
                        result.entries.append({"phase": phase, **run_step(client, step, tokens)})
                    result.orphans[phase] = [f for f in storage_files(data) if f not in before]
                    result.logs[phase] = server.stderr[logged:]
        finally:
            result.exit_status = stop_serve(server)
        with sqlite3.connect(data / "data.db") as db:
            result.integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        yield result


def _entries(run: Run, phase: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    expected = [e for e in EXPECTED if e["phase"] == phase]
    actual = [e for e in run.entries if e["phase"] == phase]
    assert [e["name"] for e in actual] == [e["name"] for e in expected]
    return list(zip(expected, actual, strict=True))


def test_the_disk_was_really_full(run: Run) -> None:
    assert run.free_when_full == 0


@pytest.mark.parametrize("phase", ["full", "tight", "freed"])
def test_answers_as_pocketbase(run: Run, phase: str) -> None:
    problems = []
    for expected, actual in _entries(run, phase):
        diff = mismatches(
            {"status": expected["status"], "response": expected["response"]},
            {"status": actual["status"], "response": actual["response"]},
        )
        problems += [f"{expected['name']}: {d}" for d in diff]
    assert not problems, "\n".join(problems) + "\n-- server log --\n" + run.server.stderr[-3000:]


def test_no_orphan_upload_while_full(run: Run) -> None:
    assert run.orphans["full"] == []
    assert run.orphans["tight"] == []
    # the record created after space was freed has its file and .attrs
    assert len(run.orphans["freed"]) == 2


def test_clean_exit_and_intact_database(run: Run) -> None:
    assert run.exit_status == 0, run.server.stderr
    assert run.integrity == "ok"
    assert "Traceback" not in run.server.stderr, run.server.stderr


def test_no_server_error(run: Run) -> None:
    assert all(e["status"] < 500 for e in run.entries), [e for e in run.entries if e["status"] >= 500]

