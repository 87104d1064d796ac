"""Database helpers shared by the store and the collection logic."""

from satchel.tools.dbutils.index import (
    AUTH_UNIQUE_INDEX_FIELDS,
    Index,
    IndexColumn,
    TokenizerError,
    auth_field_index_name,
    default_auth_indexes,
    ensure_auth_unique_indexes,
    find_single_column_unique_index,
    has_single_column_unique_index,
    normalize_index_for_table,
    parse_index,
    rename_collection_id_in_indexes,
    scan_tokens,
    validate_indexes,
)

__all__ = [
    "AUTH_UNIQUE_INDEX_FIELDS",
    "Index",
    "IndexColumn",
    "TokenizerError",
    "auth_field_index_name",
    "default_auth_indexes",
    "ensure_auth_unique_indexes",
    "find_single_column_unique_index",
    "has_single_column_unique_index",
    "normalize_index_for_table",
    "parse_index",
    "rename_collection_id_in_indexes",
    "scan_tokens",
    "validate_indexes",
]
