"""SQL functions the PostgreSQL dialect relies on, installed once per database.

SQLite is forgiving where PostgreSQL is strict: ``json_valid`` on any text,
``strftime`` on a text date.  These small functions give the dialect the same
behaviour (an invalid JSON text is not an error but "not JSON").  They are
created under one advisory lock, so several nodes starting at once do not race
on ``CREATE OR REPLACE``; a version number skips the work once done.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FUNCTIONS", "FUNCTIONS_VERSION", "install_functions"]

FUNCTIONS_VERSION = 1
_LOCK_KEY = 0x73617463686D

FUNCTIONS = (
    # text -> jsonb, NULL when the text is not JSON (SQLite: json_valid() = 0)
    """CREATE OR REPLACE FUNCTION satchel_jsonb(v text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF v IS NULL OR v = '' THEN RETURN NULL; END IF;
  RETURN v::jsonb;
EXCEPTION WHEN others THEN RETURN NULL;
END $$""",
    # a JSON array of the value: the value itself when it is one, else [value]
    # (NULL and '' give [] as PocketBase's json_array_length CASE does)
    """CREATE OR REPLACE FUNCTION satchel_json_array(v text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE j jsonb;
BEGIN
  j := satchel_jsonb(v);
  IF j IS NOT NULL AND jsonb_typeof(j) = 'array' THEN RETURN j; END IF;
  RETURN jsonb_build_array(v);
END $$""",
    # a JSON value as SQLite's json_extract returns it: text for strings, the
    # JSON text for objects/arrays, 'true'/'false' as 1/0, NULL for null
    """CREATE OR REPLACE FUNCTION satchel_json_value(j jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE jsonb_typeof(j)
  WHEN 'string' THEN j #>> '{}'
  WHEN 'null' THEN NULL
  WHEN 'boolean' THEN CASE WHEN j = 'true'::jsonb THEN '1' ELSE '0' END
  ELSE j::text END
$$""",
    # PocketBase's default primary key: 'r' + 14 hex digits
    """CREATE OR REPLACE FUNCTION satchel_random_id() RETURNS text
LANGUAGE sql VOLATILE AS $$
SELECT 'r' || substr(md5(random()::text || clock_timestamp()::text), 1, 14)
$$""",
    """CREATE TABLE IF NOT EXISTS _satchel_meta (key text PRIMARY KEY, value text NOT NULL)""",
)


def install_functions(conn: Any) -> None:
    """Create or update the functions (``conn``: a :class:`PgConnection` outside a transaction)."""
    row = conn.execute(
        "SELECT value FROM _satchel_meta WHERE key = 'functions'"
        if _has_meta(conn)
        else "SELECT NULL WHERE FALSE"
    ).fetchone()
    if row is not None and int(row[0]) >= FUNCTIONS_VERSION:
        return
    conn.execute("BEGIN")
    try:
        conn.execute(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
        for stmt in FUNCTIONS:
            conn.execute(stmt)
        conn.execute(
            "INSERT INTO _satchel_meta (key, value) VALUES ('functions', :v) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            {"v": str(FUNCTIONS_VERSION)},
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _has_meta(conn: Any) -> bool:
    return conn.execute("SELECT to_regclass('_satchel_meta') IS NOT NULL").fetchone()[0] is True
