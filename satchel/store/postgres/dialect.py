"""SQL text for PostgreSQL: :class:`satchel.store.dialect.SqliteDialect`'s methods, same names.

Record tables keep PocketBase's layout (one column per field, same names); the
column types are PostgreSQL's nearest: numbers are ``DOUBLE PRECISION`` (a
PocketBase number is a float64), JSON values are kept as their text (``TEXT``,
read with the ``satchel_*`` functions) so the domain code reads and writes the
same strings as on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from satchel.tools.search.pg_dialect import PgSearchDialect

__all__ = ["PG_COLUMN_DDL", "PgDialect"]

PG_COLUMN_DDL: dict[str, str] = {
    "primary_key": "TEXT PRIMARY KEY DEFAULT satchel_random_id() NOT NULL",
    "text": "TEXT DEFAULT '' NOT NULL",
    "number": "DOUBLE PRECISION DEFAULT 0 NOT NULL",
    "bool": "BOOLEAN DEFAULT FALSE NOT NULL",
    "json": "TEXT DEFAULT NULL",
    "json_array": "TEXT DEFAULT '[]' NOT NULL",
    "geo_point": """TEXT DEFAULT '{"lon":0,"lat":0}' NOT NULL""",
}

# indexes that back no constraint (SQLite: "sql IS NOT NULL" leaves out the automatic ones)
_USER_INDEXES = (
    "SELECT i.relname AS name, t.relname AS tbl_name FROM pg_index x "
    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
    "JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
)


class PgDialect(PgSearchDialect):
    name = "postgresql"

    # -- record tables -------------------------------------------------------

    def column_def(self, name: str, kind: str) -> str:
        return f"{self.q(name)} {PG_COLUMN_DDL[kind]}"

    def create_table(self, table: str, columns: Iterable[tuple[str, str]]) -> str:
        cols = sorted(columns, key=lambda c: c[0])
        body = ", ".join(self.column_def(name, kind) for name, kind in cols)
        return f"CREATE TABLE {self.q(table)} ({body})"

    def add_column(self, table: str, name: str, kind: str) -> str:
        return f"ALTER TABLE {self.q(table)} ADD COLUMN {self.column_def(name, kind)}"

    def drop_column(self, table: str, name: str) -> str:
        return f"ALTER TABLE {self.q(table)} DROP COLUMN {self.q(name)}"

    def rename_column(self, table: str, old: str, new: str) -> str:
        return f"ALTER TABLE {self.q(table)} RENAME COLUMN {self.q(old)} TO {self.q(new)}"

    def rename_table(self, old: str, new: str) -> str:
        return f"ALTER TABLE {self.q(old)} RENAME TO {self.q(new)}"

    def drop_table(self, table: str) -> str:
        return f"DROP TABLE IF EXISTS {self.q(table)}"

    def drop_view(self, view: str) -> str:
        return f"DROP VIEW IF EXISTS {self.q(view)}"

    def drop_index(self, index: str) -> str:
        return f"DROP INDEX IF EXISTS {self.q(index)}"

    def view_select(self, query: str, cast_columns: Sequence[str] | None = None) -> str:
        if not cast_columns:
            return query
        cols = ",".join(f"CAST({self.q(c)} AS TEXT) {self.q(c)}" if c == "id" else self.q(c) for c in cast_columns)
        return f"SELECT {cols} FROM ({query}) AS {self.q('_satchel_view')}"

    def create_view(self, view: str, query: str, cast_columns: Sequence[str] | None = None) -> str:
        inner = self.view_select(query, cast_columns)
        return f"CREATE VIEW {self.q(view)} AS SELECT * FROM ({inner}) AS {self.q('_satchel_v')}"

    def single_to_multi(self, table: str, column: str) -> str:
        c = self.q(column)
        return (
            f"UPDATE {self.q(table)} SET {c} = CASE WHEN COALESCE({c}, '') = '' THEN '[]' "
            f"WHEN jsonb_typeof(satchel_jsonb({c})) = 'array' THEN {c} ELSE jsonb_build_array({c})::text END"
        )

    def multi_to_single(self, table: str, column: str) -> str:
        c = self.q(column)
        return (
            f"UPDATE {self.q(table)} SET {c} = CASE WHEN jsonb_typeof(satchel_jsonb({c})) = 'array' "
            f"THEN COALESCE(satchel_text(satchel_jsonb({c}) -> -1), '') ELSE COALESCE({c}, '') END"
        )

    # -- introspection -------------------------------------------------------

    def table_names(self) -> str:
        return "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"

    def table_exists(self) -> str:
        return (
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND lower(table_name) = lower(:name)"
        )

    def index_names(self) -> str:
        return _USER_INDEXES

    def table_indexes(self) -> str:
        return f"SELECT name FROM ({_USER_INDEXES}) AS idx WHERE tbl_name = :table"

    def column_names_of_query(self, query: str) -> str:
        return f"SELECT * FROM ({query}) AS {self.q('_satchel_q')} LIMIT 0"

    def select_columns(self, table: str, columns: Sequence[str]) -> str:
        return f"SELECT {', '.join(self.q(c) for c in columns)} FROM {self.q(table)}"
