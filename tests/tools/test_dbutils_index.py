from __future__ import annotations

from typing import Any

import pytest

from satchel.errors import ValidationError, error_tree_to_dict
from satchel.tools.dbutils import (
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

# ---------------------------------------------------------------------------
# tokenizer
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "separators", "keep", "expected"),
    [
        ("a, b, (c, d)", ",", False, ["a", "b", "(c, d)"]),
        ("a,,b", ",", False, ["a", "b"]),
        ("'x,y', \"z,w\", `q,r`", ",", False, ["'x,y'", '"z,w"', "`q,r`"]),
        ("f(a, 'b)', c), d", ",", False, ["f(a, 'b)', c)", "d"]),
        ("a) , b", ",", False, ["a)", "b"]),  # a stray ')' is a plain character
        ("\\(a, b", ",", False, ["\\(a", "b"]),  # escaped parenthesis
        ("select a, b", ", ", True, ["select ", "a,", " ", "b"]),
        ("s.`i`", ".", False, ["s", "`i`"]),
        ("", ",", False, []),
    ],
)
def test_scan_tokens(text: str, separators: str, keep: bool, expected: list[str]) -> None:
    assert scan_tokens(text, separators, keep_separator=keep) == expected


@pytest.mark.parametrize("text", ["(a, b", "'a, b", 'a, "b'])
def test_scan_tokens_unbalanced(text: str) -> None:
    with pytest.raises(TokenizerError, match="unbalanced parenthesis or quoted expression"):
        scan_tokens(text)


# ---------------------------------------------------------------------------
# parse
# ---------------------------------------------------------------------------

ALL_FIELDS_SQL = """CREATE UNIQUE INDEX IF NOT EXISTS "schemaname".[indexname] on 'tablename' (
    col0,
    `col1`,
    json_extract("col2", "$.a") asc,
    "col3" collate NOCASE,
    "col4" collate RTRIM desc
) where test = 1"""


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("invalid", Index()),
        ("", Index()),
        (
            "create index indexname on tablename   (col1)",
            Index(index_name="indexname", table_name="tablename", columns=(IndexColumn("col1"),)),
        ),
        (
            "create index indexname on tablename(col1)",
            Index(index_name="indexname", table_name="tablename", columns=(IndexColumn("col1"),)),
        ),
        (
            ALL_FIELDS_SQL,
            Index(
                unique=True,
                optional=True,
                schema_name="schemaname",
                index_name="indexname",
                table_name="tablename",
                columns=(
                    IndexColumn("col0"),
                    IndexColumn("col1"),
                    IndexColumn('json_extract("col2", "$.a")', sort="ASC"),
                    IndexColumn("col3", collate="NOCASE"),
                    IndexColumn("col4", collate="RTRIM", sort="DESC"),
                ),
                where="test = 1",
            ),
        ),
        (
            "CREATE UNIQUE INDEX `idx_email_abc` ON `users` (`email`) WHERE `email` != ''",
            Index(
                unique=True,
                index_name="idx_email_abc",
                table_name="users",
                columns=(IndexColumn("email"),),
                where="`email` != ''",
            ),
        ),
        # no index name -> invalid
        ("CREATE INDEX ON tags (name)", Index(table_name="tags", columns=(IndexColumn("name"),))),
        # empty column list -> invalid
        ("CREATE INDEX idx ON tags ()", Index(index_name="idx", table_name="tags")),
        # the column list runs to the LAST ')', so a WHERE with parentheses is unparseable
        ("CREATE INDEX idx ON t (a) WHERE b IN (1,2)", Index(index_name="idx", table_name="t")),
    ],
)
def test_parse_index(sql: str, expected: Index) -> None:
    assert parse_index(sql) == expected


@pytest.mark.parametrize(
    ("sql", "valid"),
    [
        ("invalid", False),
        ("CREATE INDEX ON tags (name)", False),
        ("CREATE INDEX idx ON tags ()", False),
        ("CREATE INDEX idx ON t (a) WHERE b IN (1,2)", False),
        ("CREATE INDEX idx ON tags (name)", True),
        ("create unique index idx on tags (a, b desc)", True),
    ],
)
def test_is_valid(sql: str, valid: bool) -> None:
    assert parse_index(sql).is_valid() is valid


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (Index(), ""),
        (Index(table_name="t", columns=(IndexColumn("c"),)), ""),
        (Index(index_name="i", columns=(IndexColumn("c"),)), ""),
        (Index(index_name="i", table_name="t"), ""),
        (
            Index(index_name="index", table_name="table", columns=(IndexColumn("col"),)),
            "CREATE INDEX `index` ON `table` (`col`)",
        ),
        (
            Index(
                unique=True,
                optional=True,
                schema_name="schema",
                index_name="index",
                table_name="table",
                columns=(
                    IndexColumn("col1", collate="NOCASE", sort="asc"),
                    IndexColumn("col2", sort="desc"),
                    IndexColumn('json_extract("col3", "$.a")', collate="NOCASE"),
                ),
                where="test = 1 OR test = 2",
            ),
            "CREATE UNIQUE INDEX IF NOT EXISTS `schema`.`index` ON `table` (\n  `col1` COLLATE NOCASE ASC,\n  "
            '`col2` DESC,\n  json_extract("col3", "$.a") COLLATE NOCASE\n) WHERE test = 1 OR test = 2',
        ),
        # blank column names are skipped
        (
            Index(index_name="i", table_name="t", columns=(IndexColumn(" "), IndexColumn("a"))),
            "CREATE INDEX `i` ON `t` (\n  `a`\n)",
        ),
    ],
)
def test_build(index: Index, expected: str) -> None:
    assert index.build() == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "CREATE INDEX idx_x ON whatever (name COLLATE NOCASE)",
            "CREATE INDEX `idx_x` ON `whatever` (`name` COLLATE NOCASE)",
        ),
        ("create unique index \"idx\" on [tags] ('name')", "CREATE UNIQUE INDEX `idx` ON `tags` (`name`)"),
        ("CREATE INDEX i ON t (a, b DESC)", "CREATE INDEX `i` ON `t` (\n  `a`,\n  `b` DESC\n)"),
        (
            "CREATE INDEX idx_logs ON _logs (strftime('%Y', created))",
            "CREATE INDEX `idx_logs` ON `_logs` (strftime('%Y', created))",
        ),
    ],
)
def test_parse_build_round_trip(sql: str, expected: str) -> None:
    built = parse_index(sql).build()
    assert built == expected
    # the normalized form is a fixed point
    assert parse_index(built).build() == built
    assert parse_index(built) == parse_index(sql)


# ---------------------------------------------------------------------------
# table rewrite
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "table", "expected"),
    [
        # captured: another table -> rewritten and re-quoted
        (
            "CREATE INDEX idx_x ON whatever (name COLLATE NOCASE)",
            "tags",
            "CREATE INDEX `idx_x` ON `tags` (`name` COLLATE NOCASE)",
        ),
        # same table -> stored as given
        (
            "CREATE UNIQUE INDEX idx_tags_name ON tags (name)",
            "tags",
            "CREATE UNIQUE INDEX idx_tags_name ON tags (name)",
        ),
        ("CREATE INDEX i ON `tags` (name)", "tags", "CREATE INDEX i ON `tags` (name)"),
        # case differs -> rewritten (exact comparison)
        ("CREATE INDEX i ON Tags (name)", "tags", "CREATE INDEX `i` ON `tags` (`name`)"),
        # rename of the collection
        (
            "CREATE UNIQUE INDEX `idx_email_x` ON `users` (`email`) WHERE `email` != ''",
            "members",
            "CREATE UNIQUE INDEX `idx_email_x` ON `members` (`email`) WHERE `email` != ''",
        ),
        # unparseable -> unchanged
        ("nonsense", "tags", "nonsense"),
    ],
)
def test_normalize_index_for_table(sql: str, table: str, expected: str) -> None:
    assert normalize_index_for_table(sql, table) == expected


def test_rename_collection_id_in_indexes() -> None:
    indexes = [
        "CREATE UNIQUE INDEX `idx_email_pbc_1` ON `users` (`email`) WHERE `email` != ''",
        "CREATE INDEX other ON users (name)",
    ]
    assert rename_collection_id_in_indexes(indexes, "pbc_1", "pbc_2") == [
        "CREATE UNIQUE INDEX `idx_email_pbc_2` ON `users` (`email`) WHERE `email` != ''",
        "CREATE INDEX other ON users (name)",
    ]


# ---------------------------------------------------------------------------
# single column unique helpers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indexes", "column", "expected"),
    [
        ([], "email", None),
        (["CREATE INDEX a ON t (email)"], "email", None),  # not unique
        (["CREATE UNIQUE INDEX a ON t (email, name)"], "email", None),  # multi column
        (
            ["CREATE UNIQUE INDEX a ON t (EMAIL) WHERE email != ''"],
            "email",
            "a",
        ),  # case-insensitive, WHERE ignored
        (
            ["CREATE UNIQUE INDEX a ON t (name)", "CREATE UNIQUE INDEX b ON t (`email` COLLATE NOCASE)"],
            "email",
            "b",
        ),
        (["garbage"], "email", None),
    ],
)
def test_find_single_column_unique_index(indexes: list[str], column: str, expected: str | None) -> None:
    found = find_single_column_unique_index(indexes, column)
    assert (found.index_name if found else None) == expected
    assert has_single_column_unique_index(indexes, column) is (expected is not None)


# ---------------------------------------------------------------------------
# auth defaults
# ---------------------------------------------------------------------------


def test_auth_field_index_name() -> None:
    assert auth_field_index_name("email", "_pb_users_auth_", "users") == "idx_email__pb_users_auth_"
    assert auth_field_index_name("tokenKey", "", "users") == "idx_tokenKey_users"
    long_id = "x" * 100
    assert auth_field_index_name("tokenKey", long_id) == ("idx_tokenKey_" + long_id)[:64]
    assert len(auth_field_index_name("tokenKey", long_id)) == 64
    rnd = auth_field_index_name("email")
    assert rnd.startswith("idx_email_") and len(rnd) == len("idx_email_") + 10


def test_default_auth_indexes() -> None:
    assert default_auth_indexes("_pb_users_auth_", "users") == {
        "tokenKey": "CREATE UNIQUE INDEX `idx_tokenKey__pb_users_auth_` ON `users` (`tokenKey`)",
        "email": "CREATE UNIQUE INDEX `idx_email__pb_users_auth_` ON `users` (`email`) WHERE `email` != ''",
    }


def test_ensure_auth_unique_indexes() -> None:
    assert ensure_auth_unique_indexes("pbc_9", "members", []) == [
        "CREATE UNIQUE INDEX `idx_tokenKey_pbc_9` ON `members` (`tokenKey`)",
        "CREATE UNIQUE INDEX `idx_email_pbc_9` ON `members` (`email`) WHERE `email` != ''",
    ]
    existing = ["CREATE UNIQUE INDEX my_email ON members (email)"]
    assert ensure_auth_unique_indexes("pbc_9", "members", existing) == [
        existing[0],
        "CREATE UNIQUE INDEX `idx_tokenKey_pbc_9` ON `members` (`tokenKey`)",
    ]


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

AUTH_OK = [
    "CREATE UNIQUE INDEX `idx_tokenKey_pbc_9` ON `members` (`tokenKey`)",
    "CREATE UNIQUE INDEX `idx_email_pbc_9` ON `members` (`email`) WHERE `email` != ''",
]


def _validate(
    indexes: list[str],
    *,
    name: str = "tags",
    type_: str = "base",
    others: dict[str, str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    return error_tree_to_dict(validate_indexes(name, type_, indexes, {"id", "name"}, others or {}, **kwargs))


def _err(code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return ValidationError(code, message, params).to_dict()


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"indexes": []}, {}),
        ({"indexes": ["CREATE UNIQUE INDEX idx_tags_name ON tags (name)"]}, {}),
        # the index table is ignored (rewritten on save)
        ({"indexes": ["CREATE INDEX idx_x ON whatever (name)"]}, {}),
        (
            {"indexes": ["CREATE INDEX a ON tags (name)", "nope"]},
            {
                "indexes": {
                    "1": _err("validation_invalid_index_expression", "Invalid CREATE INDEX expression.")
                }
            },
        ),
        (
            {"indexes": ["CREATE INDEX idx ON tags (a)", "CREATE INDEX IDX ON tags (b)"]},
            {"indexes": {"1": _err("validation_duplicated_index_name", "The index name already exists.")}},
        ),
        (
            {"indexes": ["CREATE INDEX idx_used ON tags (name)"], "others": {"idx_used": "posts"}},
            {
                "indexes": {
                    "0": _err(
                        "validation_existing_index_name",
                        "The index name is already used in posts collection.",
                        {"usedTableName": "posts"},
                    )
                }
            },
        ),
        # index names of this very table (current or original name) are fine
        ({"indexes": ["CREATE INDEX idx_used ON tags (name)"], "others": {"idx_used": "Tags"}}, {}),
        (
            {
                "indexes": ["CREATE INDEX idx_used ON tags (name)"],
                "others": {"idx_used": "old"},
                "old_name": "old",
            },
            {},
        ),
        (
            {"indexes": ["CREATE INDEX a ON tags (name)", "CREATE INDEX b ON other (`name`)"]},
            {
                "indexes": {
                    "1": _err(
                        "validation_duplicated_index_definition", "The index definition already exists."
                    )
                }
            },
        ),
        # a different uniqueness / collate / where is a different definition
        ({"indexes": ["CREATE INDEX a ON tags (name)", "CREATE UNIQUE INDEX b ON tags (name)"]}, {}),
        ({"indexes": ["CREATE INDEX a ON tags (name)", "CREATE INDEX b ON tags (name COLLATE NOCASE)"]}, {}),
        (
            {"indexes": ["CREATE INDEX a ON v (name)"], "type_": "view"},
            {"indexes": _err("validation_indexes_not_supported", "View collections don't support indexes.")},
        ),
        ({"indexes": [], "type_": "view"}, {}),
        # auth: required unique indexes
        ({"indexes": AUTH_OK, "type_": "auth", "name": "members"}, {}),
        (
            {"indexes": AUTH_OK[1:], "type_": "auth", "name": "members"},
            {
                "indexes": _err(
                    "validation_missing_required_unique_index",
                    'Missing required unique index for field "tokenKey".',
                    {"fieldName": "tokenKey"},
                )
            },
        ),
        (
            {
                "indexes": [AUTH_OK[0], "CREATE INDEX e ON members (email)"],
                "type_": "auth",
                "name": "members",
            },
            {
                "indexes": _err(
                    "validation_missing_required_unique_index",
                    'Missing required unique index for field "email".',
                    {"fieldName": "email"},
                )
            },
        ),
        # update: unique index on a system field must survive (name/where/collate/sort don't matter)
        (
            {
                "indexes": [AUTH_OK[0], "CREATE UNIQUE INDEX renamed ON members (email COLLATE NOCASE)"],
                "type_": "auth",
                "name": "members",
                "old_indexes": AUTH_OK,
                "system_field_names": ["id", "email", "tokenKey"],
            },
            {},
        ),
        (
            {
                "indexes": ["CREATE UNIQUE INDEX x ON members (tokenKey, email)", AUTH_OK[1]],
                "type_": "auth",
                "name": "members",
                "old_indexes": AUTH_OK,
                "system_field_names": ["id", "email", "tokenKey"],
            },
            {
                "indexes": _err(
                    "validation_invalid_unique_system_field_index",
                    "Unique index definition on system fields (tokenKey) is invalid or missing.",
                    {"fieldName": "tokenKey"},
                )
            },
        ),
        # only unique indexes on *system* fields are protected
        (
            {
                "indexes": [],
                "old_indexes": ["CREATE UNIQUE INDEX n ON tags (name)", "CREATE INDEX i ON tags (id)"],
                "system_field_names": ["id"],
            },
            {},
        ),
        (
            {
                "indexes": [],
                "old_indexes": ["CREATE UNIQUE INDEX s ON tags (slug)"],
                "system_field_names": ["id", "slug"],
            },
            {
                "indexes": _err(
                    "validation_invalid_unique_system_field_index",
                    "Unique index definition on system fields (slug) is invalid or missing.",
                    {"fieldName": "slug"},
                )
            },
        ),
    ],
)
def test_validate_indexes(kwargs: dict[str, Any], expected: dict[str, Any]) -> None:
    indexes = kwargs.pop("indexes")
    assert _validate(indexes, **kwargs) == expected


def test_validate_indexes_reports_first_problem_only() -> None:
    out = _validate(["bad", "CREATE INDEX a ON tags (x)", "CREATE INDEX a ON tags (y)"])
    assert list(out["indexes"]) == ["0"]
