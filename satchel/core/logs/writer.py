"""Batched writes of log entries to ``_logs``, off the event loop.

The request path only appends to a deque (no lock, no formatting); one thread
owned by the writer wakes as soon as ``batch_size`` entries wait, or ``interval``
seconds after the last entry (as PocketBase's ticker, reset by every entry), turns
them into rows and inserts them in one statement (its own transaction; several above
256 rows) through the aux database's writer connection.  :meth:`LogWriter.flush`
writes what is queued now; :meth:`LogWriter.close` writes everything left and
stops the thread, so no entry of a finished request is lost on a clean stop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from itertools import repeat
from typing import Any

import apsw

from satchel.core.logs.entry import LogEntry, RequestFacts, new_log_ids, rows_params
from satchel.core.settings.model import LogsConfig
from satchel.store.database import Database

__all__ = ["INSERT_LOG", "LogWriter"]

log = logging.getLogger("satchel.logs")

INSERT_LOG = "INSERT INTO `_logs` (`id`, `level`, `message`, `data`, `created`) VALUES (?, ?, ?, ?, ?)"
WRITE_ATTEMPTS = 3
#: the row counts of the INSERT statements: a batch is written by the smallest that holds
#: it (a batch of more than 256 rows by several), its unused places NULLs that ``OR
#: IGNORE`` skips (the NOT NULL constraints).  One statement is one transaction of its
#: own, with no BEGIN/COMMIT around it: PocketBase's index on ``strftime(created)`` makes
#: SQLite keep a statement journal (a copy of every page a multi-row INSERT touches)
#: for a multi-row INSERT inside a transaction, ~2.5 k instructions a row, which a
#: statement that is its own transaction does not need.  Ten statements, always in apsw's
#: cache: a batch of a new size prepares nothing (a 256-row INSERT costs ~2.5 M
#: instructions to prepare), and a padding row ~1.6 k, so steps of 32 waste at most ~5 %.
SIZES = (8, 16, 32, 64, 96, 128, 160, 192, 224, 256)
CAPACITY = SIZES[-1]
INSERTS = {size: "INSERT OR IGNORE" + INSERT_LOG[6:] + ", (?, ?, ?, ?, ?)" * (size - 1) for size in SIZES}
_PADDING = (None,) * (5 * CAPACITY)


class LogWriter:
    def __init__(
        self,
        aux_db: Database,
        config: Callable[[], LogsConfig],
        *,
        interval: float = 3.0,
        batch_size: int = 200,
    ) -> None:
        self.aux_db = aux_db
        self.config = config
        self.interval = interval
        self.batch_size = batch_size
        self.written = 0
        self._queue: deque[LogEntry | RequestFacts] = deque()
        self._wake = threading.Event()
        self._drain_lock = threading.Lock()  # one drain+write at a time keeps rows in order
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="satchel-logs", daemon=True)
        self._thread.start()

    def add(self, item: LogEntry | RequestFacts) -> None:
        """Queue one entry (cheap: called on the request path)."""
        self._queue.append(item)
        if len(self._queue) >= self.batch_size and not self._wake.is_set():  # set() takes a lock
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def flush(self) -> int:
        """Write every entry queued so far; the number written."""
        with self._drain_lock:
            return self._write_queued()

    def close(self) -> None:
        """Write everything left and stop the thread (idempotent)."""
        if self._stopping:
            return
        self._stopping = True
        self._wake.set()
        self._thread.join()
        self.flush()  # anything added while the thread was finishing

    def _run(self) -> None:
        timeout = self.interval
        while not self._stopping:
            self._wake.wait(timeout)
            self._wake.clear()
            # PocketBase's ticker is reset by every entry: while entries keep coming, only
            # full batches are written (fewer, larger transactions), and the rest once no
            # entry has come for an interval.  The last entry's own time tells, so the
            # request path does nothing more than queue it.
            wait = self._wait_more()
            if wait > 0 and not self._stopping:
                timeout = wait
                continue
            timeout = self.interval
            try:
                self.flush()
            except Exception:  # a bad entry must not stop the thread that writes the others
                log.exception("log writer failed")

    def _wait_more(self) -> float:
        """Seconds until the queue is due: 0 once full, or an interval after its last entry
        (at once if that entry is from the future: the clock was set back)."""
        queue = self._queue
        if not queue or len(queue) >= self.batch_size:
            return 0.0
        last = queue[-1]
        created: float = last[12] if type(last) is tuple else last.created  # type: ignore[union-attr]
        wait = created + self.interval - time.time()
        return wait if wait <= self.interval else 0.0

    def _write_queued(self) -> int:
        queue = self._queue
        # the entries queued so far, each popped in C (no bytecode per entry); one the
        # loop adds meanwhile stays for the next batch
        items: list[LogEntry | RequestFacts] = list(map(deque.popleft, repeat(queue, len(queue))))
        if not items:
            return 0
        config = self.config()
        ids = new_log_ids(len(items))
        max_data = config.max_data_size
        params = rows_params(items, ids, max_data)  # the rows' values one after the other
        count = len(items)
        written = 0
        for start in range(0, count, CAPACITY):
            rows = min(count - start, CAPACITY)
            written += self._insert(params if rows == count else params[start * 5 : (start + rows) * 5], rows)
        self.written += written
        return written

    def _insert(self, values: list[Any], rows: int) -> int:
        """Insert ``rows`` rows (``values`` one after the other) in one statement, its own
        transaction; the number written (a row whose random id is taken already is
        skipped, where it used to fail its whole batch)."""
        size = next(size for size in SIZES if size >= rows)
        if size > rows:
            values += _PADDING[: (size - rows) * 5]
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self.aux_db.writer() as conn:
                    conn.execute(INSERTS[size], values)
                    return int(conn.changes())
            except apsw.Error as exc:  # logs are not worth failing requests or the thread for
                if attempt == WRITE_ATTEMPTS:
                    log.error("dropped %d log entries: %s", rows, exc)
        return 0
