"""SQL text for SQLite, in one place.

Every statement the store runs is produced here (or by the search compiler's
dialect, which this class extends), so a PostgreSQL dialect can be added later
without touching the domain code.  The DDL mirrors what PocketBase writes so
that a pb_data made by either program opens in the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from satchel.tools.search.dialect import SqliteSearchDialect

__all__ = ["COLUMN_DDL", "SqliteDialect"]

# Column definitions keyed by storage kind (see satchel.core.fields ColumnKind).
COLUMN_DDL: dict[str, str] = {
    "primary_key": "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL",
    "text": "TEXT DEFAULT '' NOT NULL",
    "number": "NUMERIC DEFAULT 0 NOT NULL",
    "bool": "BOOLEAN DEFAULT FALSE NOT NULL",
    "json": "JSON DEFAULT NULL",
    "json_array": "JSON DEFAULT '[]' NOT NULL",
    "geo_point": """JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL""",
}


class SqliteDialect(SqliteSearchDialect):
    name = "sqlite"

    # -- identifiers ---------------------------------------------------------

    @staticmethod
    def q(identifier: str) -> str:
        """Quote an identifier with backticks as PocketBase does."""
        return "`" + identifier.replace("`", "``") + "`"

    # -- record tables -------------------------------------------------------

    def column_def(self, name: str, kind: str) -> str:
        return f"{self.q(name)} {COLUMN_DDL[kind]}"

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
        """The view's SELECT; with ``cast_columns`` the id is re-selected as TEXT (PocketBase's rule)."""
        if not cast_columns:
            return query
        cols = ",".join(f"CAST({self.q(c)} as TEXT) {self.q(c)}" if c == "id" else self.q(c) for c in cast_columns)
        return f"SELECT {cols} FROM ({query})"

    def create_view(self, view: str, query: str, cast_columns: Sequence[str] | None = None) -> str:
        return f"CREATE VIEW {self.q(view)} AS SELECT * FROM ({self.view_select(query, cast_columns)})"

    def single_to_multi(self, table: str, column: str) -> str:
        c = self.q(column)
        return (
            f"UPDATE {self.q(table)} SET {c} = CASE WHEN COALESCE({c}, '') = '' THEN '[]' "
            f"WHEN json_valid({c}) AND json_type({c}) = 'array' THEN {c} ELSE json_array({c}) END"
        )

    def multi_to_single(self, table: str, column: str) -> str:
        c = self.q(column)
        return (
            f"UPDATE {self.q(table)} SET {c} = CASE WHEN json_valid({c}) AND json_type({c}) = 'array' "
            f"THEN COALESCE(json_extract({c}, '$[#-1]'), '') ELSE COALESCE({c}, '') END"
        )

    # -- introspection -------------------------------------------------------

    def table_names(self) -> str:
        return "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')"

    def table_exists(self) -> str:
        return "SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND lower(name) = lower(:name)"

    def index_names(self) -> str:
        return "SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"

    def table_indexes(self) -> str:
        return "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = :table"

    def table_info(self, table: str) -> str:
        """Rows of (position, column name, declared type) of a table or view."""
        return f"PRAGMA table_info({self.q(table)})"

    def column_names_of_query(self, query: str) -> str:
        return f"SELECT * FROM ({query}) LIMIT 0"

    def select_columns(self, table: str, columns: Sequence[str]) -> str:
        return f"SELECT {', '.join(self.q(c) for c in columns)} FROM {self.q(table)}"
