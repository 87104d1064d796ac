"""Which members of a relay listen to commit events, in memory every worker shares.

A worker publishes a transaction's record events on the relay only when some member
has something that handles them (a realtime client); otherwise every write would wake
the parent and both workers (a reader thread and an event loop each) and encode and
decode its events for nobody.  The relay forwards an event only to the members that
listen, for the same reason.

One byte per member in an anonymous shared mapping the parent makes before it forks
(a restarted worker is forked from the parent too, so it shares the same bytes).  A
member writes only its own byte (a one-byte store: nothing to tear, no lock); anyone
reads all of them.

Why no event is lost: a member raises its byte *before* the thing that listens can be
reached from outside (a realtime client's byte is set before its ``PB_CONNECT`` is
sent, so before it can subscribe); a writer reads the bytes after its COMMIT (under
the write gate), and the relay reads them after that writer's frame arrived.  Every
step between the raise and the read is a system call (a socket write, a read, the
gate's ``flock``), which orders the memory accesses across processes.  A write that
commits before a client subscribed need not reach it (as with one process).
"""

from __future__ import annotations

import mmap

__all__ = ["Listeners"]


class Listeners:
    def __init__(self, members: int) -> None:
        """In the parent, before forking: room for ``members`` members."""
        self.size = max(1, members)
        self._map = mmap.mmap(-1, self.size)  # MAP_SHARED | MAP_ANONYMOUS: kept across fork
        self._none = bytes(self.size)
        self.member: int | None = None
        self._listening = False

    def join(self, member: int) -> None:
        """In a worker: own ``member``'s byte, not listening yet (a restarted member's
        predecessor may have died listening)."""
        self.member = member
        self._listening = False
        self._map[member] = 0

    def set(self, listening: bool) -> None:
        """This member listens (or stopped): from its event loop."""
        if listening is self._listening or self.member is None:
            return
        self._listening = listening
        self._map[self.member] = 1 if listening else 0

    def any(self) -> bool:
        """Whether some member listens."""
        return self._map[:] != self._none

    def listens(self, member: int) -> bool:
        return 0 <= member < self.size and self._map[member] != 0

    def close(self) -> None:
        self._map.close()
