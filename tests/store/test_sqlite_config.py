"""Process-wide SQLite configuration done when the store is imported: memory statistics off
(each malloc/free otherwise takes a global mutex), never under a connection already open."""

from __future__ import annotations

import subprocess
import sys

OFF = """
import apsw
import satchel.store.connection as c
conn = c.open_connection(":memory:")
conn.execute("CREATE TABLE t (a); INSERT INTO t VALUES (randomblob(100000))")
print(apsw.memory_used(), conn.execute("SELECT length(a) FROM t").fetchall()[0][0])
"""

OPENED_FIRST = """
import apsw
first = apsw.Connection(":memory:")
first.execute("CREATE TABLE t (a); INSERT INTO t VALUES (randomblob(100000))")
import satchel.store.connection
print(apsw.memory_used() > 100000, first.execute("SELECT length(a) FROM t").fetchall()[0][0])
"""


def run(code: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()


def test_memory_statistics_are_off_once_the_store_is_imported() -> None:
    assert run(OFF) == ["0", "100000"]


def test_a_connection_opened_before_the_store_is_left_alone() -> None:
    assert run(OPENED_FIRST) == ["True", "100000"]
