"""SQL functions the PostgreSQL dialects rely on, installed once per database.

The search dialect's functions (``PG_FUNCTIONS``: SQLite's comparison, LIKE,
JSON and strftime rules) plus the store's own (the default record id).  They
are created under one advisory lock, so several nodes starting at once do not
race on ``CREATE OR REPLACE``; a digest of their text, kept in
``_satchel_meta``, skips the work when nothing changed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from satchel.tools.search.pg_dialect import PG_FUNCTIONS

__all__ = ["FUNCTIONS", "FUNCTIONS_DIGEST", "install_functions"]

_LOCK_KEY = 0x73617463686D

STORE_FUNCTIONS = (
    # SQLite's aggregates that PocketBase view queries use: total() (0.0 over no row)
    # and group_concat(x [, sep]) (NULLs skipped, ',' by default)
    """CREATE OR REPLACE AGGREGATE total(double precision)
(SFUNC = float8pl, STYPE = double precision, INITCOND = '0')""",
    """CREATE OR REPLACE FUNCTION satchel_group_concat(state text, v text, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
SELECT CASE WHEN v IS NULL THEN state WHEN state IS NULL THEN v ELSE state || sep || v END
$fn$""",
    """CREATE OR REPLACE FUNCTION satchel_group_concat(state text, v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$ SELECT satchel_group_concat(state, v, ',') $fn$""",
    """CREATE OR REPLACE AGGREGATE group_concat(text) (SFUNC = satchel_group_concat, STYPE = text)""",
    """CREATE OR REPLACE AGGREGATE group_concat(text, text) (SFUNC = satchel_group_concat, STYPE = text)""",
    # SQLite's json_each(text) for view queries written for SQLite (PocketBase's docs
    # count relations with it): key, value (SQL value: text for strings), type
    """CREATE OR REPLACE FUNCTION json_each(v text)
RETURNS TABLE (key text, value text, type text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT e.k, satchel_json_item(e.j), jsonb_typeof(e.j)
FROM (SELECT (ord - 1)::text AS k, elem AS j
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(satchel_jsonb(v)) = 'array' THEN satchel_jsonb(v) END)
           WITH ORDINALITY AS a(elem, ord)
      UNION ALL
      SELECT o.key, o.value FROM jsonb_each(CASE WHEN jsonb_typeof(satchel_jsonb(v)) = 'object'
                                                 THEN satchel_jsonb(v) END) AS o) AS e
$fn$""",
    # PocketBase's default primary key: 'r' + 14 hex digits
    """CREATE OR REPLACE FUNCTION satchel_random_id() RETURNS text
LANGUAGE sql VOLATILE AS $fn$
SELECT 'r' || substr(md5(random()::text || clock_timestamp()::text), 1, 14)
$fn$""",
)
FUNCTIONS = PG_FUNCTIONS + STORE_FUNCTIONS
FUNCTIONS_DIGEST = hashlib.sha256("\n;\n".join(FUNCTIONS).encode()).hexdigest()[:16]


def install_functions(conn: Any) -> None:
    """Create or update the functions (``conn``: a :class:`PgConnection` outside a transaction).

    Runs on the raw psycopg connection: the function bodies are not statements
    of the domain and must not go through the ``:name`` translation.
    """
    raw = conn.raw
    raw.execute("CREATE TABLE IF NOT EXISTS _satchel_meta (key text PRIMARY KEY, value text NOT NULL)")
    row = raw.execute("SELECT value FROM _satchel_meta WHERE key = 'functions'").fetchone()
    if row is not None and row[0] == FUNCTIONS_DIGEST:
        return
    with raw.transaction():
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        for stmt in FUNCTIONS:
            raw.execute(stmt)
        raw.execute(
            "INSERT INTO _satchel_meta (key, value) VALUES ('functions', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (FUNCTIONS_DIGEST,),
        )
