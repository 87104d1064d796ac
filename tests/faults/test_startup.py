"""``satchel serve`` on a read-only, missing, corrupt or write-locked data.db.

Expected values: PocketBase 0.40.6's own outcome of each case, captured with
``python -m tests.faults.startup_support /work/pbvenv/bin/pocketbase`` (2026-12-05).
The error lines carry a timestamp, compared without it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.faults.startup_support import observe, prepared

SATCHEL = [sys.executable, "-m", "satchel"]
STAMP = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} ")

# case: (serving, exit code, health, guest list status, error line without its timestamp)
POCKETBASE_040 = {
    "readonly": (False, 1, None, None, "unable to open database file (14)"),
    "missing": (True, None, 200, 200, ""),  # a fresh data.db is created
    "corrupt": (False, 1, None, None, "file is not a database (26)"),
    "locked": (True, None, 200, 200, ""),  # starts and serves reads under another writer
}


@pytest.mark.parametrize("case", sorted(POCKETBASE_040))
def test_start_up_on_a_broken_data_dir_matches_pocketbase(case: str, tmp_path: Path) -> None:
    with prepared(case, SATCHEL, tmp_path) as data_dir:
        outcome = observe(SATCHEL, data_dir)
    serving, exit_code, health, list_status, error = POCKETBASE_040[case]
    assert (outcome.serving, outcome.exit_code, outcome.health, outcome.list_status) == (
        serving,
        exit_code,
        health,
        list_status,
    ), outcome
    if error:
        assert STAMP.match(outcome.error_line), outcome.error_line
    assert STAMP.sub("", outcome.error_line) == error


def test_a_busy_port_is_pocketbases_one_line(tmp_path: Path) -> None:
    """PocketBase 0.40.6: ``<stamp> listen tcp 127.0.0.1:<port>: bind: address already in use``
    on stderr, nothing on stdout, exit 1."""
    import socket
    import subprocess

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = subprocess.run(
            [*SATCHEL, "serve", f"--http=127.0.0.1:{port}", f"--dir={tmp_path / 'pb_data'}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and STAMP.match(lines[0]), r.stderr
    assert STAMP.sub("", lines[0]) == f"listen tcp 127.0.0.1:{port}: bind: address already in use"
