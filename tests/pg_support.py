"""PostgreSQL for the tests: the server of the machine, one fresh database per test.

The server is the one on ``SATCHEL_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432``);
when none answers, ``tests/start_postgres.sh`` installs and starts one (Debian's package)
or the session fails with its message.  PostgreSQL tests are never skipped.
Each test gets ``CREATE DATABASE satchel_t_<random>`` and it is dropped afterwards, so tests
run in any order and in parallel sessions without seeing each other's tables.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

__all__ = ["SERVER_URL", "SharedDatabase", "drop_database", "ensure_server", "fresh_database", "pg_url"]

SERVER_URL = os.environ.get("SATCHEL_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
_SCRIPT = Path(__file__).parent / "start_postgres.sh"
_started = False


def _admin_url() -> str:
    return SERVER_URL.rstrip("/") + "/postgres"


def ensure_server() -> None:
    """Start the server once per session if it does not answer; fail loudly if impossible."""
    global _started
    if _started:
        return
    try:
        psycopg.connect(_admin_url(), connect_timeout=3).close()
    except psycopg.OperationalError:
        info = psycopg.conninfo.conninfo_to_dict(SERVER_URL)
        env = {
            **os.environ,
            "SATCHEL_TEST_PG_HOST": str(info.get("host", "127.0.0.1")),
            "SATCHEL_TEST_PG_PORT": str(info.get("port", "5432")),
        }
        done = subprocess.run(["bash", str(_SCRIPT)], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.fail(f"PostgreSQL is needed and could not be started:\n{done.stderr}", pytrace=False)
        psycopg.connect(_admin_url(), connect_timeout=10).close()
    _started = True


def fresh_database() -> tuple[str, str]:
    """Create an empty database; returns (its name, its URL)."""
    ensure_server()
    name = "satchel_t_" + secrets.token_hex(6)
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, SERVER_URL.rstrip("/") + "/" + name


def drop_database(name: str) -> None:
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a database of its own for one test (dropped afterwards)."""
    name, url = fresh_database()
    try:
        yield url
    finally:
        drop_database(name)


# -- one database for many tests ------------------------------------------------------
#
# CREATE DATABASE + the app's bootstrap + DROP DATABASE cost 3-10 s a test on this machine
# (DROP DATABASE forces a checkpoint), too much for the whole API suite.  So the tests that
# run on both databases share one database per session, bootstrapped once and put back
# before each test to exactly the state of that bootstrap: extra tables and views dropped,
# the system tables' rows and sequences restored from a copy kept in the schema
# ``satchel_seed`` (which the app never sees: it works in ``current_schema()``).  When a
# test changed the structure of a system table or a function (a catalog fingerprint tells),
# the whole ``public`` schema is rebuilt from a ``pg_dump`` of the bootstrap instead.

_FINGERPRINT = """
SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
  SELECT 'col ' || c.relname || ' ' || c.relkind::text || ' '
         || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)::text || ' ' || a.attname || ' '
         || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' ' || a.attidentity::text || ' '
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS x
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL SELECT 'idx ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'fn ' || oid::regprocedure::text || ' ' || md5(coalesce(prosrc, '')) || ' ' || prokind::text
    FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public'
  UNION ALL SELECT 'trg ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
  UNION ALL SELECT 'type ' || typname FROM pg_type
   WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e', 'd', 'r', 'm')
) AS parts
"""

_RESET_FUNCTION = """
CREATE FUNCTION satchel_seed.reset() RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
BEGIN
  -- what the test created: relations that are not the bootstrap's (views first, sequences
  -- last: a table's identity sequence goes with it)
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm', 'r', 'p', 'f', 'S')
              AND c.relname NOT IN (SELECT name FROM satchel_seed.relations)
            ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 1 WHEN 'S' THEN 3 ELSE 2 END
  LOOP
    EXECUTE format(CASE r.relkind WHEN 'v' THEN 'DROP VIEW IF EXISTS public.%I CASCADE'
                                  WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS public.%I CASCADE'
                                  WHEN 'S' THEN 'DROP SEQUENCE IF EXISTS public.%I CASCADE'
                                  WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS public.%I CASCADE'
                                  ELSE 'DROP TABLE IF EXISTS public.%I CASCADE' END, r.relname);
  END LOOP;
  IF (FINGERPRINT) IS DISTINCT FROM (SELECT value FROM satchel_seed.meta WHERE key = 'fingerprint') THEN
    RETURN false;
  END IF;
  FOR r IN SELECT name FROM satchel_seed.relations WHERE kind IN ('r', 'p') LOOP
    EXECUTE format('DELETE FROM public.%I', r.name);
    EXECUTE format('INSERT INTO public.%I OVERRIDING SYSTEM VALUE SELECT * FROM satchel_seed.%I', r.name, r.name);
  END LOOP;
  FOR r IN SELECT name, last_value, is_called FROM satchel_seed.sequences LOOP
    PERFORM setval(format('public.%I', r.name), r.last_value, r.is_called);
  END LOOP;
  RETURN true;
END
$fn$
"""


class SharedDatabase:
    """A database bootstrapped once (``bootstrap(url)``) and reset to that state by :meth:`reset`."""

    def __init__(self, bootstrap: Callable[[str], None]) -> None:
        self.name, self.url = fresh_database()
        self.in_use = False
        bootstrap(self.url)
        self._script = self._dump()
        with psycopg.connect(self.url) as conn:
            self._make_seed(conn)

    def _dump(self) -> str:
        done = subprocess.run(
            ["pg_dump", "--schema=public", "--inserts", "--no-owner", "--no-privileges", self.url],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"pg_dump failed (PostgreSQL's client tools are needed):\n{done.stderr}"
        # psql's own commands (\restrict) are not SQL
        return "\n".join(line for line in done.stdout.splitlines() if not line.startswith("\\"))

    def _make_seed(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute("CREATE SCHEMA satchel_seed")
        conn.execute("CREATE TABLE satchel_seed.meta (key text PRIMARY KEY, value text)")
        conn.execute(
            "CREATE TABLE satchel_seed.relations AS SELECT relname::text AS name, relkind::text AS kind FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm', 'r', 'p', 'f', 'S')"
        )
        conn.execute(
            "CREATE TABLE satchel_seed.sequences AS SELECT sequencename::text AS name, "
            "coalesce(last_value, start_value) AS last_value, last_value IS NOT NULL AS is_called "
            "FROM pg_sequences WHERE schemaname = 'public'"
        )
        tables = conn.execute("SELECT name FROM satchel_seed.relations WHERE kind IN ('r', 'p')").fetchall()
        for (table,) in tables:
            conn.execute(
                sql.SQL("CREATE TABLE satchel_seed.{} AS SELECT * FROM public.{}").format(
                    sql.Identifier(table), sql.Identifier(table)
                )
            )
        conn.execute("INSERT INTO satchel_seed.meta VALUES ('fingerprint', (" + _FINGERPRINT + "))")
        conn.execute(_RESET_FUNCTION.replace("FINGERPRINT", _FINGERPRINT))

    def reset(self) -> None:
        """Put the database back to the state right after the bootstrap."""
        with psycopg.connect(self.url) as conn:
            # a connection some earlier test left open would hold locks the reset needs
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            conn.execute("SET lock_timeout = '10s'")
            row = conn.execute("SELECT satchel_seed.reset()").fetchone()
            if row is not None and row[0]:
                return
            conn.rollback()
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute(self._script)  # creates the schema too

    @contextmanager
    def use(self) -> Iterator[str]:
        """The database's URL, reset, for one user at a time (a second one is a bug in the tests)."""
        assert not self.in_use, "the shared PostgreSQL database is already in use by another fixture"
        self.in_use = True
        try:
            self.reset()
            yield self.url
        finally:
            self.in_use = False

    def drop(self) -> None:
        drop_database(self.name)
