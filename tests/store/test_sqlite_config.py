"""SQLite's process-wide configuration stays as apsw's import made it.

The store used to turn SQLite's memory statistics off when it was imported, which needs
``apsw.shutdown()`` first; connections opened after that corrupted memory as soon as
several threads used theirs at once (the test process died of SIGSEGV or SIGABRT in
SQLite or in the garbage collector, about one run of the API tests in five).  This runs
that load in a child process, so a crash fails the test instead of killing pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

THREADS_AT_ONCE = """
import os, sys, threading, time
import apsw
from satchel.store.connection import open_connection

folder, seconds = sys.argv[1], float(sys.argv[2])
held = open_connection(":memory:")
held.execute("CREATE TABLE t (a); INSERT INTO t VALUES (randomblob(100000))")
stop = threading.Event()
rounds = [0, 0, 0]

def work(k: int) -> None:
    while not stop.is_set():
        conn = open_connection(os.path.join(folder, f"db{k}.db"))
        conn.execute("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, v TEXT)")
        with conn:
            for i in range(50):
                conn.execute("INSERT OR REPLACE INTO t VALUES (?, ?)", (f"{rounds[k]}-{i}", "x" * (i * 7)))
        assert len(conn.execute("SELECT * FROM t LIMIT 100").fetchall()) >= 50
        conn.close()
        rounds[k] += 1
        garbage = [[i, {i: (i,)}] for i in range(500)]  # the Python heap in use meanwhile

threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
for t in threads:
    t.start()
time.sleep(seconds)
stop.set()
for t in threads:
    t.join()
# memory statistics on (SQLite's default): what an unconfigured SQLite reports
print(min(rounds) > 0, apsw.memory_used() > 100000)
"""


def test_connections_of_several_threads_at_once_do_not_corrupt_memory(tmp_path: Path) -> None:
    """Three threads opening, writing, reading and closing their own connections for 5 s:
    with the old import-time configuration the child died (SIGSEGV or SIGABRT) in 9 runs
    of 10, with SQLite as apsw leaves it in none of 10."""
    done = subprocess.run([sys.executable, "-X", "faulthandler", "-c", THREADS_AT_ONCE, str(tmp_path), "5"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["True", "True"]
