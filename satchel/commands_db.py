"""``satchel db copy``: open both sides, copy with a progress line, print the verification."""

from __future__ import annotations

import sys
from pathlib import Path

from satchel.cli import log_error
from satchel.core.ops.db_copy import copy_database
from satchel.errors import ApiError
from satchel.store.database import Database
from satchel.store.dialect import SqliteDialect
from satchel.store.postgres import PgDatabase, PgDialect, is_postgres_url

__all__ = ["run_db_copy"]


def _open(where: str, *, create: bool) -> tuple[Database, SqliteDialect]:
    if is_postgres_url(where):
        return PgDatabase(where, readers=1, query_timeout=0), PgDialect()
    data_dir = Path(where)
    if not create and not (data_dir / "data.db").is_file():
        raise FileNotFoundError(f"{data_dir / 'data.db'} does not exist")
    data_dir.mkdir(parents=True, exist_ok=True)
    return Database(str(data_dir / "data.db"), readers=1, query_timeout=0), SqliteDialect()


def _progress(name: str, done: int, total: int) -> None:
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\rcopying {name}: {done}/{total} rows{end}")
    sys.stderr.flush()


def run_db_copy(source: str, target: str) -> int:
    """0 when every collection has as many rows on both sides, 1 otherwise or on failure."""
    opened: list[Database] = []
    try:
        src, src_dialect = _open(source, create=False)
        opened.append(src)
        dst, dst_dialect = _open(target, create=True)
        opened.append(dst)
        counts = copy_database(src, src_dialect, dst, dst_dialect, _progress)
    except (ApiError, OSError, Exception) as exc:  # noqa: BLE001 - one line and exit 1, as every command
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        log_error(f"db copy failed: {message}")
        return 1
    finally:
        for database in opened:
            database.close()
    width = max([len(c.collection) for c in counts] + [10])
    print(f"{'collection':<{width}}  {'source':>8}  {'target':>8}")
    for c in counts:
        print(f"{c.collection:<{width}}  {c.source:>8}  {c.target:>8}{'' if c.ok else '  MISMATCH'}")
    if all(c.ok for c in counts):
        print(f"ok: {len(counts)} collections, {sum(c.source for c in counts)} rows")
        return 0
    log_error("db copy: the row counts differ (see above)")
    return 1
