"""Batched writes of log entries to ``_logs``, off the event loop.

The request path only appends to a deque (no lock, no formatting); one thread
owned by the writer wakes every ``interval`` seconds, or as soon as
``batch_size`` entries wait, turns them into rows and inserts them in one
transaction through the aux database's writer connection.  :meth:`LogWriter.flush`
writes what is queued now; :meth:`LogWriter.close` writes everything left and
stops the thread, so no entry of a finished request is lost on a clean stop.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from itertools import repeat

import apsw

from satchel.core.logs.entry import LogEntry, RequestFacts, new_log_ids, rows_params
from satchel.core.settings.model import LogsConfig
from satchel.store.database import Database, Tx

__all__ = ["INSERT_LOG", "LogWriter"]

log = logging.getLogger("satchel.logs")

INSERT_LOG = "INSERT INTO `_logs` (`id`, `level`, `message`, `data`, `created`) VALUES (?, ?, ?, ?, ?)"
WRITE_ATTEMPTS = 3
#: rows per INSERT statement.  One statement of many rows keeps its index cursors open
#: from row to row, so the indexes that only grow at their end (level, the hour of
#: ``created``, a repeated message) append without a search from the root, and apsw
#: binds and steps once per chunk (one GIL release) rather than per row: ~15 % fewer
#: instructions per row than executemany (callgrind, docs/performance.md).  5 x 50
#: parameters is far below SQLite's limit.
CHUNK = 50
#: the statement sizes a batch is cut into: chunks of 50, then the rest by its binary
#: digits (37 = 32 + 4 + 1).  Seven statements in all, always in apsw's cache: a batch
#: of a size not seen before prepares nothing (a 50-row INSERT costs ~0.3 M instructions
#: to prepare), and after a VACUUM (logs turned off and on) only these are prepared again
SIZES = (CHUNK, 32, 16, 8, 4, 2, 1)
INSERTS = {size: INSERT_LOG + ", (?, ?, ?, ?, ?)" * (size - 1) for size in SIZES}


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
        while not self._stopping:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a bad entry must not stop the thread that writes the others
                log.exception("log writer failed")

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

        def insert(tx: Tx) -> None:
            conn = tx.conn
            start = 0
            for size in SIZES:  # 50 as often as it fits, then each binary digit of the rest once
                while count - start >= size:
                    conn.execute(INSERTS[size], params[start * 5 : (start + size) * 5])
                    start += size

        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self.aux_db.write_sync(insert)
                break
            except apsw.Error as exc:  # logs are not worth failing requests or the thread for
                if attempt == WRITE_ATTEMPTS:
                    log.error("dropped %d log entries: %s", count, exc)
                    return 0
        self.written += count
        return count
