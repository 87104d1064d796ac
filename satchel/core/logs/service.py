"""The app's logger: request and application entries into ``_logs``, honouring
``settings.logs``, plus retention.

``app.logs.error("Failed to send verification email", error=str(exc))`` is the
``app.Logger()`` of PocketBase; :class:`AppLogHandler` also forwards the
``satchel.*`` Python loggers' warnings and errors, so existing
``log.error(...)`` calls (mail failures...) reach the same table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from satchel.core.logs.entry import DEBUG, ERROR, INFO, WARN, LogEntry, format_created
from satchel.core.logs.writer import LogWriter
from satchel.core.settings.model import LogsConfig
from satchel.store.database import Database, Tx

__all__ = ["AppLogHandler", "LogService", "delete_all_logs", "delete_old_logs", "logs_cleanup"]

DAY = 86400.0


def delete_old_logs(aux_db: Database, max_days: int, *, now: float | None = None) -> int:
    """Delete entries older than ``max_days`` days (all of them for 0); the number
    deleted.  The body of the ``__pbLogsCleanup__`` cron job."""
    if max_days <= 0:
        return delete_all_logs(aux_db, vacuum=False)
    cutoff = format_created((time.time() if now is None else now) - max_days * DAY)

    def run(tx: Tx) -> int:
        tx.execute("DELETE FROM `_logs` WHERE `created` < ?", (cutoff,))
        return int(tx.conn.changes())

    return aux_db.write_sync(run)


def delete_all_logs(aux_db: Database, *, vacuum: bool = True) -> int:
    """Delete every entry (``DELETE /api/logs``, ``maxDays`` set to 0), then VACUUM
    the aux database to give the space back."""

    def run(tx: Tx) -> int:
        tx.execute("DELETE FROM `_logs`")
        return int(tx.conn.changes())

    deleted = aux_db.write_sync(run)
    if vacuum:
        with aux_db.writer() as conn:
            conn.execute("VACUUM")
    return deleted


def logs_cleanup(aux_db: Database, old: LogsConfig, new: LogsConfig) -> None:
    """What a settings change does to stored entries: all gone when logs get disabled,
    else those older than ``maxDays`` or below a raised ``minLevel``."""
    if new.max_days <= 0:
        if old.max_days > 0:
            delete_all_logs(aux_db)
        return
    if new.max_days < old.max_days or old.max_days <= 0:
        delete_old_logs(aux_db, new.max_days)
    if new.min_level > old.min_level:
        aux_db.write_sync(lambda tx: tx.execute("DELETE FROM `_logs` WHERE `level` < ?", (new.min_level,)))


class LogService:
    def __init__(self, aux_db: Database, config: Callable[[], LogsConfig], *, interval: float = 3.0) -> None:
        self.aux_db = aux_db
        self.config = config
        self.writer = LogWriter(aux_db, config, interval=interval)

    def accepts(self, level: int) -> bool:
        """Whether an entry of ``level`` is kept (logs on, not below ``minLevel``)."""
        c = self.config()
        return c.max_days > 0 and level >= c.min_level

    def log(self, level: int, message: str, **data: Any) -> None:
        if self.accepts(level):
            self.writer.add(LogEntry(level, message, data, time.time()))

    def debug(self, message: str, **data: Any) -> None:
        self.log(DEBUG, message, **data)

    def info(self, message: str, **data: Any) -> None:
        self.log(INFO, message, **data)

    def warn(self, message: str, **data: Any) -> None:
        self.log(WARN, message, **data)

    def error(self, message: str, **data: Any) -> None:
        self.log(ERROR, message, **data)

    def settings_changed(self, old: LogsConfig, new: LogsConfig) -> None:
        """Apply a ``settings.logs`` change to the stored entries (sync: run it off the loop)."""
        if (old.max_days, old.min_level) != (new.max_days, new.min_level):
            self.writer.flush()
            logs_cleanup(self.aux_db, old, new)

    def flush(self) -> int:
        return self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class AppLogHandler(logging.Handler):
    """Python log records of ``satchel.*`` (warnings and up) as application entries; every
    level of ``satchel.hooks`` (``app.logger`` of hooks, as PocketBase's ``app.Logger()``),
    the settings' ``minLevel`` deciding what is kept."""

    LEVELS = ((logging.ERROR, ERROR), (logging.WARNING, WARN), (logging.INFO, INFO))

    def __init__(self, service: LogService) -> None:
        super().__init__(logging.DEBUG)
        self.service = service

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "satchel.logs":  # the writer's own trouble: never loop back into it
            return
        if record.levelno < logging.WARNING and not record.name.startswith("satchel.hooks"):
            return
        level = next((ours for py, ours in self.LEVELS if record.levelno >= py), DEBUG)
        data: dict[str, Any] = {"logger": record.name}
        if record.exc_info and record.exc_info[1] is not None:
            data["error"] = str(record.exc_info[1]) or type(record.exc_info[1]).__name__
        try:
            self.service.log(level, record.getMessage(), **data)
        except Exception:  # a logging handler must never raise into the caller
            self.handleError(record)
