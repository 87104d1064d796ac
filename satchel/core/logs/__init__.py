"""Operations logging (spec 12 §3, §6).

* :mod:`.client_ip` -- PocketBase's ``RealIP()`` and the health ``possibleProxyHeader`` (pure);
* :mod:`.entry` -- request/application entries and their ``_logs`` rows (pure);
* :mod:`.writer` -- the batching writer thread;
* :mod:`.service` -- ``app.logs`` (levels, ``settings.logs``), retention, the Python logging bridge;
* :mod:`.query` -- list, view and hourly stats for ``/api/logs`` (loaded on first use: it
  imports the filter compiler, which serving a health check at start-up does not need).
"""

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names
from satchel.core.logs.client_ip import HeaderLookup, normalize_ip, possible_proxy_header, real_ip
from satchel.core.logs.entry import (
    DEBUG,
    ERROR,
    INFO,
    WARN,
    LogEntry,
    RawHeaders,
    RequestFacts,
    error_details,
    format_created,
    new_log_ids,
    request_row,
    rows_params,
    to_row,
)
from satchel.core.logs.service import (
    AppLogHandler,
    LogService,
    delete_all_logs,
    delete_old_logs,
    logs_cleanup,
)
from satchel.core.logs.writer import LogWriter

if TYPE_CHECKING:
    from satchel.core.logs.query import get_log, list_logs, log_stats

__getattr__ = lazy_names(__name__, {"get_log": "query", "list_logs": "query", "log_stats": "query"})

__all__ = [
    "DEBUG",
    "ERROR",
    "INFO",
    "WARN",
    "AppLogHandler",
    "HeaderLookup",
    "LogEntry",
    "LogService",
    "LogWriter",
    "RawHeaders",
    "RequestFacts",
    "delete_all_logs",
    "delete_old_logs",
    "error_details",
    "format_created",
    "get_log",
    "list_logs",
    "log_stats",
    "logs_cleanup",
    "new_log_ids",
    "normalize_ip",
    "possible_proxy_header",
    "real_ip",
    "request_row",
    "rows_params",
    "to_row",
]
