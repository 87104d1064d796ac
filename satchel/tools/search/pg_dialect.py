"""PostgreSQL implementation of the search :class:`Dialect` with SQLite's semantics.

PocketBase's filter language leans on SQLite's loose typing: a number column
compares with a numeric text, ``LIKE`` is case-insensitive for ASCII only,
``json_extract`` never fails on text that is not JSON, values of different
types order NULL < numbers < text.  PostgreSQL is strict, so every compared
operand goes through ``satchel_v(...)`` (one overload per SQL type, all giving
``jsonb``) and is compared by ``satchel_cmp``, which restores those rules.  The
functions are SQL (inlinable) or small PL/pgSQL ones, created by the store
(``PG_FUNCTIONS``).  The price is that filters do not use column indexes;
PocketBase's own COALESCE wrapping already prevents most of that on SQLite.

Known differences (docs/compatibility.md): a number compares equal to a
numeric text whatever the operands are (SQLite converts only next to a
column of NUMERIC affinity: ``strftime('%Y', created) = 2026`` is true here,
false there), and JSON objects and arrays render with PostgreSQL's spacing.
"""

from __future__ import annotations

from collections.abc import Sequence

from satchel.tools.search.dialect import SqliteSearchDialect
from satchel.tools.search.types import Join

__all__ = ["PG_FUNCTIONS", "PgSearchDialect"]

_NUMERIC_TEXT = r"'^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'"
_UPPER = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"
_LOWER = "'abcdefghijklmnopqrstuvwxyz'"


def _sql_fn(signature: str, returns: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {signature} RETURNS {returns} "
        f"LANGUAGE sql STABLE PARALLEL SAFE COST 1 AS $fn$ {body} $fn$"
    )


PG_FUNCTIONS: tuple[str, ...] = (
    # text -> jsonb, NULL when the text is not JSON (SQLite: json_valid() = 0)
    """CREATE OR REPLACE FUNCTION satchel_jsonb(v text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
  IF v IS NULL OR v = '' THEN RETURN NULL; END IF;
  RETURN v::jsonb;
EXCEPTION WHEN others THEN RETURN NULL;
END $fn$""",
    # a jsonb value as SQLite hands JSON values to SQL: true/false are 1/0, null is NULL,
    # objects and arrays are their JSON text
    _sql_fn(
        "satchel_sqlvalue(j jsonb)",
        "jsonb",
        "SELECT CASE jsonb_typeof(j) WHEN 'null' THEN NULL "
        "WHEN 'boolean' THEN CASE WHEN j = 'true'::jsonb THEN '1'::jsonb ELSE '0'::jsonb END "
        "WHEN 'object' THEN to_jsonb(j::text) WHEN 'array' THEN to_jsonb(j::text) ELSE j END",
    ),
    # satchel_v: any SQL value -> jsonb (text -> string, numbers -> number, bool -> 1/0)
    _sql_fn("satchel_v(v text)", "jsonb", "SELECT to_jsonb(v)"),
    _sql_fn("satchel_v(v double precision)", "jsonb", "SELECT to_jsonb(v)"),
    _sql_fn("satchel_v(v numeric)", "jsonb", "SELECT to_jsonb(v)"),
    _sql_fn("satchel_v(v bigint)", "jsonb", "SELECT to_jsonb(v)"),
    _sql_fn("satchel_v(v boolean)", "jsonb", "SELECT CASE WHEN v THEN '1'::jsonb WHEN NOT v THEN '0'::jsonb END"),
    _sql_fn("satchel_v(v jsonb)", "jsonb", "SELECT v"),
    # SQLite's comparison of two values: NULL if either is NULL; a number and a
    # numeric text compare as numbers; otherwise numbers < text, then by value
    _sql_fn(
        "satchel_cmp(a jsonb, b jsonb)",
        "integer",
        "SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL "
        "WHEN jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'string' "
        f"AND (b #>> '{{}}') ~ {_NUMERIC_TEXT} "
        "THEN sign((a #>> '{}')::numeric - trim(b #>> '{}')::numeric)::integer "
        "WHEN jsonb_typeof(a) = 'string' AND jsonb_typeof(b) = 'number' "
        f"AND (a #>> '{{}}') ~ {_NUMERIC_TEXT} "
        "THEN sign(trim(a #>> '{}')::numeric - (b #>> '{}')::numeric)::integer "
        "WHEN jsonb_typeof(a) = 'number' AND jsonb_typeof(b) <> 'number' THEN -1 "
        "WHEN jsonb_typeof(a) <> 'number' AND jsonb_typeof(b) = 'number' THEN 1 "
        "WHEN a < b THEN -1 WHEN a > b THEN 1 ELSE 0 END",
    ),
    # SQLite's IS: NULL-safe equality
    _sql_fn(
        "satchel_is(a jsonb, b jsonb)",
        "boolean",
        "SELECT CASE WHEN a IS NULL OR b IS NULL THEN a IS NULL AND b IS NULL ELSE satchel_cmp(a, b) = 0 END",
    ),
    # satchel_text: any SQL value as SQLite's text of it
    _sql_fn("satchel_text(v text)", "text", "SELECT v"),
    _sql_fn("satchel_text(v double precision)", "text", "SELECT v::text"),
    _sql_fn("satchel_text(v numeric)", "text", "SELECT v::text"),
    _sql_fn("satchel_text(v bigint)", "text", "SELECT v::text"),
    _sql_fn("satchel_text(v boolean)", "text", "SELECT CASE WHEN v THEN '1' WHEN NOT v THEN '0' END"),
    _sql_fn(
        "satchel_text(v jsonb)",
        "text",
        "SELECT CASE jsonb_typeof(v) WHEN 'string' THEN v #>> '{}' WHEN 'null' THEN NULL ELSE v::text END",
    ),
    # satchel_num: a value as a number, NULL when it is not one (for geoDistance's arguments)
    _sql_fn(
        "satchel_num(v text)",
        "double precision",
        f"SELECT CASE WHEN v ~ {_NUMERIC_TEXT} THEN trim(v)::double precision END",
    ),
    _sql_fn("satchel_num(v double precision)", "double precision", "SELECT v"),
    _sql_fn("satchel_num(v numeric)", "double precision", "SELECT v::double precision"),
    _sql_fn("satchel_num(v bigint)", "double precision", "SELECT v::double precision"),
    _sql_fn("satchel_num(v jsonb)", "double precision", "SELECT satchel_num(satchel_text(v))"),
    # SQLite's LIKE: case-insensitive for ASCII letters only, '\' escapes
    _sql_fn(
        "satchel_like(v text, p text)",
        "boolean",
        f"SELECT translate(v, {_UPPER}, {_LOWER}) LIKE translate(p, {_UPPER}, {_LOWER}) ESCAPE '\\'",
    ),
    # SQLite's lower(): ASCII letters only
    _sql_fn("satchel_lower(v text)", "text", f"SELECT translate(v, {_UPPER}, {_LOWER})"),
    # the JSON array a column holds, or [value] when it holds something else
    _sql_fn(
        "satchel_json_array(v text)",
        "jsonb",
        "SELECT CASE WHEN jsonb_typeof(satchel_jsonb(v)) = 'array' THEN satchel_jsonb(v) "
        "ELSE jsonb_build_array(v) END",
    ),
    _sql_fn(
        "satchel_json_array(v jsonb)",
        "jsonb",
        "SELECT CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE jsonb_build_array(v) END",
    ),
    # PocketBase's :length: NULL and '' have no item
    _sql_fn(
        "satchel_json_length(v text)",
        "integer",
        "SELECT CASE WHEN v IS NULL OR v = '' THEN 0 ELSE jsonb_array_length(satchel_json_array(v)) END",
    ),
    _sql_fn(
        "satchel_json_length(v jsonb)",
        "integer",
        "SELECT CASE WHEN v IS NULL THEN 0 ELSE jsonb_array_length(satchel_json_array(v)) END",
    ),
    # json_extract(col, path) as PocketBase writes it: a text that is not JSON is
    # the value itself at the root and has nothing below it
    _sql_fn(
        "satchel_json_get(v text, path text[])",
        "jsonb",
        "SELECT CASE WHEN satchel_jsonb(v) IS NOT NULL THEN satchel_sqlvalue(satchel_jsonb(v) #> path) "
        "WHEN cardinality(path) = 0 THEN to_jsonb(v) END",
    ),
    _sql_fn("satchel_json_get(v jsonb, path text[])", "jsonb", "SELECT satchel_json_get(satchel_text(v), path)"),
    # a JSON array element as json_each's value column gives it (text for strings)
    _sql_fn("satchel_json_item(j jsonb)", "text", "SELECT satchel_text(satchel_sqlvalue(j))"),
    # SQLite's strftime(format, time, modifiers...) for the formats and modifiers
    # PocketBase users write; NULL for what SQLite would not understand either
    """CREATE OR REPLACE FUNCTION satchel_strftime(fmt text, v text, VARIADIC mods text[] DEFAULT '{}')
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  t timestamp;
  m text;
  parts text[];
  out text := '';
  i integer := 1;
  c text;
BEGIN
  IF fmt IS NULL OR v IS NULL THEN RETURN NULL; END IF;
  IF lower(v) = 'now' THEN
    t := now() AT TIME ZONE 'UTC';
  ELSIF v ~ '^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?)?\\s*(Z|[-+][0-9]{2}:[0-9]{2})?\\s*$' THEN
    BEGIN
      t := (CASE WHEN v ~ '(Z|[-+][0-9]{2}:[0-9]{2})\\s*$' THEN v::timestamptz ELSE (v || 'Z')::timestamptz END)
           AT TIME ZONE 'UTC';
    EXCEPTION WHEN others THEN RETURN NULL;
    END;
  ELSE
    RETURN NULL;
  END IF;
  FOREACH m IN ARRAY mods LOOP
    m := lower(trim(m));
    IF m IN ('start of day', 'start of month', 'start of year') THEN
      t := date_trunc(substr(m, 10), t);
    ELSIF m ~ '^[-+]?[0-9]+(\\.[0-9]+)? +(second|minute|hour|day|month|year)s?$' THEN
      parts := regexp_match(m, '^([-+]?[0-9]+(\\.[0-9]+)?) +([a-z]+?)s?$');
      t := t + (parts[1] || ' ' || parts[3])::interval;
    ELSIF m = 'utc' OR m = 'localtime' THEN
      NULL;
    ELSE
      RETURN NULL;
    END IF;
  END LOOP;
  WHILE i <= length(fmt) LOOP
    c := substr(fmt, i, 1);
    IF c = '%' AND i < length(fmt) THEN
      i := i + 1;
      c := substr(fmt, i, 1);
      out := out || CASE c
        WHEN 'Y' THEN to_char(t, 'YYYY')
        WHEN 'm' THEN to_char(t, 'MM')
        WHEN 'd' THEN to_char(t, 'DD')
        WHEN 'e' THEN lpad(extract(day FROM t)::integer::text, 2, ' ')
        WHEN 'H' THEN to_char(t, 'HH24')
        WHEN 'I' THEN to_char(t, 'HH12')
        WHEN 'M' THEN to_char(t, 'MI')
        WHEN 'S' THEN to_char(t, 'SS')
        WHEN 'f' THEN to_char(t, 'SS.MS')
        WHEN 'j' THEN to_char(t, 'DDD')
        WHEN 'w' THEN extract(dow FROM t)::integer::text
        WHEN 'u' THEN extract(isodow FROM t)::integer::text
        WHEN 'W' THEN lpad(((extract(doy FROM t)::integer + 6 - ((extract(dow FROM t)::integer + 6) % 7)) / 7)::text, 2, '0')
        WHEN 's' THEN floor(extract(epoch FROM t))::bigint::text
        WHEN 'F' THEN to_char(t, 'YYYY-MM-DD')
        WHEN 'T' THEN to_char(t, 'HH24:MI:SS')
        WHEN 'R' THEN to_char(t, 'HH24:MI')
        WHEN 'J' THEN (extract(epoch FROM t) / 86400.0 + 2440587.5)::text
        WHEN '%' THEN '%'
        ELSE NULL END;
      IF out IS NULL THEN RETURN NULL; END IF;
    ELSE
      out := out || c;
    END IF;
    i := i + 1;
  END LOOP;
  RETURN out;
END $fn$""",
)


def _text_array(items: Sequence[str]) -> str:
    if not items:
        return "ARRAY[]::text[]"
    return "ARRAY[" + ", ".join("'" + s.replace("'", "''") + "'" for s in items) + "]::text[]"


class PgSearchDialect(SqliteSearchDialect):
    """The compiler's SQL for PostgreSQL (double-quoted identifiers, ``satchel_*`` functions)."""

    name = "postgresql"

    @staticmethod
    def q(identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def bool_literal(self, value: bool) -> str:
        return "1" if value else "0"

    def is_true(self, column: str) -> str:
        return f"{column} = 1"  # bool fields are smallint 0/1, as SQLite stores them

    def compare(self, left: str, op: str, right: str) -> str:
        return f"satchel_cmp(satchel_v({left}), satchel_v({right})) {op} 0"

    def is_(self, left: str, right: str) -> str:
        return f"satchel_is(satchel_v({left}), satchel_v({right}))"

    def is_not(self, left: str, right: str) -> str:
        return f"NOT satchel_is(satchel_v({left}), satchel_v({right}))"

    def coalesce_empty(self, expr: str) -> str:
        return f"COALESCE(satchel_v({expr}), '\"\"'::jsonb)"

    def like(self, left: str, pattern: str, negate: bool) -> str:
        test = f"satchel_like(satchel_text({left}), satchel_text({pattern}))"
        return f"NOT {test}" if negate else test

    def contains_pattern(self, expr: str) -> str:
        return f"('%' || satchel_text({expr}) || '%')"

    def lower(self, expr: str) -> str:
        return f"satchel_lower(satchel_text({expr}))"

    def json_extract(self, column: str, path: Sequence[str]) -> str:
        return f"satchel_json_get({column}, {_text_array(path)})"

    def json_array(self, column: str) -> str:
        return f"satchel_json_array({column})"

    def json_each(self, column: str) -> str:
        # a LATERAL subquery so that "<json_each> alias" works in FROM and JOIN alike
        return (
            f"LATERAL (SELECT satchel_json_item(je.v) AS value "
            f"FROM jsonb_array_elements(satchel_json_array({column})) AS je(v))"
        )

    def json_each_array(self, expr: str) -> str:
        return self.json_each(expr)

    def json_array_length(self, column: str) -> str:
        return f"satchel_json_length({column})"

    def strftime(self, fmt: str, args: Sequence[str]) -> str:
        if not args:
            return "NULL"
        rest = "".join(f", satchel_text({a})" for a in args[1:])
        return f"satchel_strftime(satchel_text({fmt}), satchel_text({args[0]}){rest})"

    def geo_distance(self, lon_a: str, lat_a: str, lon_b: str, lat_b: str) -> str:
        la, pa, lb, pb = (f"satchel_num({x})" for x in (lon_a, lat_a, lon_b, lat_b))
        return (
            f"(6371 * acos(LEAST(1, GREATEST(-1, cos(radians({pa})) * cos(radians({pb})) * "
            f"cos(radians({lb}) - radians({la})) + sin(radians({pa})) * sin(radians({pb}))))))"
        )

    def multi_match_not_exists(
        self, where: str, left: tuple[str, str], right: tuple[str, str] | None = None
    ) -> str:
        out = f"NOT EXISTS (SELECT 1 FROM ({left[0]}) {self.q(left[1])}"
        if right is not None:
            out += f" LEFT JOIN ({right[0]}) {self.q(right[1])} ON TRUE"
        return out + f" WHERE {where})"

    def join_clause(self, join: Join) -> str:
        return f"LEFT JOIN {join.table} {self.q(join.alias)} ON {join.on or 'TRUE'}"

    def order_item(self, expr: str, desc: bool) -> str:
        # SQLite holds NULL as the smallest value; PostgreSQL as the largest by default
        return f"{expr} DESC NULLS LAST" if desc else f"{expr} ASC NULLS FIRST"
