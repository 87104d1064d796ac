"""A write gate shared by the processes serving one database file (``serve --workers``).

SQLite lets one writer in at a time; processes that race for its lock get
``SQLITE_BUSY`` and sleep in its busy handler, which under load is unfair and can
run out its timeout.  The gate is an ``flock`` on a side file taken around every
write transaction, so writers of all processes queue in the kernel instead.

The same file holds a counter, advanced under the gate for every committed
transaction: the order of the numbers is the commit order across processes, which
is what the bus uses to keep record events in commit order.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
from types import TracebackType
from typing import Protocol

__all__ = ["Gate", "WriteGate"]

_COUNTER = struct.Struct("<Q")


class Gate(Protocol):
    """What the database needs of a gate (the workers' file lock, the nodes' advisory lock)."""

    seq: int

    def __enter__(self) -> object: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None: ...

    def advance(self) -> int: ...

    def try_enter(self) -> bool:
        """Take the gate only if that needs no wait (True: leave it with ``__exit__``)."""
        ...


class WriteGate:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < _COUNTER.size:
            os.ftruncate(self._fd, _COUNTER.size)
        self._map = mmap.mmap(self._fd, _COUNTER.size)
        self._depth = 0  # re-entered by the thread holding the database's (reentrant) write lock
        self.seq = 0  # the number of the last commit made under this process's gate

    def __enter__(self) -> WriteGate:
        """Only under the database's write lock: one thread of this process at a time."""
        if self._depth == 0:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._depth += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth == 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def try_enter(self) -> bool:
        """As ``__enter__``, but False at once when another process holds the gate: the
        event loop may then write inline without ever sleeping in ``flock``."""
        if self._depth == 0:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
        self._depth += 1
        return True

    @property
    def held(self) -> bool:
        return self._depth > 0

    def advance(self) -> int:
        """The next commit number (call while holding the gate)."""
        value = int(_COUNTER.unpack_from(self._map, 0)[0]) + 1
        _COUNTER.pack_into(self._map, 0, value)
        self.seq = value
        return value

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)
