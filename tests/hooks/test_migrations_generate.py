"""The migration generator: generate -> run ``up`` -> the collection is as after;
run ``down`` -> as before, on a real pb_data through the collection service."""

from __future__ import annotations

import copy
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satchel.app import App
from satchel.config import Config
from satchel.core.fields import field_from_dict
from satchel.core.migrations import diff_template, migration_action, migration_file_name, snapshot_template
from satchel.core.migrations.generate import field_ops, py_literal

VOLATILE = ("created", "updated")


@pytest.fixture(scope="module")
def mapp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    application = App(Config(data_dir=tmp_path_factory.mktemp("gen") / "pb_data"))
    yield application
    application.close()


def api_json(app: App, ref: str) -> dict[str, Any] | None:
    c = app.registry.get(ref)
    if c is None:
        return None
    data = c.to_api_dict()
    for key in VOLATILE:
        data.pop(key)
    return data


def run(source: str, app: App, fn: str) -> None:
    module = types.ModuleType("migration_under_test")
    exec(compile(source, "<migration>", "exec"), module.__dict__)  # noqa: S102 - our own generated file
    app.hook_app.run_in_transaction(lambda a: getattr(module, fn)(a))


def round_trip(app: App, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """Given the DB holds ``after``, check down gives ``before`` and up gives ``after`` again."""
    source = diff_template(before, after)
    assert source is not None
    compile(source, "<migration>", "exec")
    ref = str((after or before or {})["id"])
    run(source, app, "down")
    assert api_json(app, ref) == before
    run(source, app, "up")
    assert api_json(app, ref) == after


def test_create_update_delete_round_trips(mapp: App) -> None:
    mapp.collections.create_sync(
        {"name": "gen_posts", "type": "base", "fields": [{"name": "title", "type": "text"}]}
    )
    created = api_json(mapp, "gen_posts")
    round_trip(mapp, None, created)

    mapp.collections.update_sync(
        "gen_posts",
        {
            "listRule": "",
            "viewRule": "title != ''",
            "fields": [
                *created["fields"],  # type: ignore[index]
                {"name": "body", "type": "editor"},
                {"name": "n", "type": "number", "min": 1},
            ],
            "indexes": ["CREATE INDEX idx_gen_title ON gen_posts (title)"],
        },
    )
    updated = api_json(mapp, "gen_posts")
    round_trip(mapp, created, updated)

    # change one field, remove another, reorder
    fields = copy.deepcopy(updated["fields"])  # type: ignore[index]
    fields[1]["max"] = 30
    fields = [fields[0], fields[3], fields[1]]
    mapp.collections.update_sync("gen_posts", {"fields": fields, "name": "gen_articles", "indexes": []})
    renamed = api_json(mapp, "gen_articles")
    round_trip(mapp, updated, renamed)

    mapp.collections.delete_sync("gen_articles")
    round_trip(mapp, renamed, None)


def test_auth_and_view_collections(mapp: App) -> None:
    mapp.collections.create_sync(
        {"name": "gen_members", "type": "auth", "fields": [{"name": "nick", "type": "text"}]}
    )
    created = api_json(mapp, "gen_members")
    round_trip(mapp, None, created)
    mapp.collections.update_sync(
        "gen_members",
        {
            "authToken": {"duration": 1234},
            "passwordAuth": {"identityFields": ["email"]},
            "manageRule": "id != ''",
            "otp": {"enabled": True},
        },
    )
    updated = api_json(mapp, "gen_members")
    round_trip(mapp, created, updated)

    mapp.collections.create_sync(
        {"name": "gen_names", "type": "view", "viewQuery": "SELECT id, nick FROM gen_members"}
    )
    view = api_json(mapp, "gen_names")
    round_trip(mapp, None, view)
    mapp.collections.update_sync(
        "gen_names", {"viewQuery": "SELECT id, nick, email FROM gen_members", "listRule": ""}
    )
    view2 = api_json(mapp, "gen_names")
    round_trip(mapp, view, view2)


def test_no_change_no_file() -> None:
    data = {"id": "pbc_1", "name": "a", "type": "base", "fields": [], "listRule": None, "created": "x"}
    assert diff_template(data, {**data, "created": "y", "updated": "z"}) is None


def test_oauth2_providers_are_left_out() -> None:
    before = {
        "id": "pbc_1",
        "name": "u",
        "type": "auth",
        "fields": [],
        "oauth2": {"enabled": False, "providers": []},
    }
    after = {**before, "oauth2": {"enabled": False, "providers": [{"name": "google", "clientId": "x"}]}}
    assert diff_template(before, after) is None
    source = diff_template(None, after)
    assert source is not None and "google" not in source


def test_file_names_as_pocketbase() -> None:
    a = {"id": "pbc_1", "name": "posts"}
    assert migration_file_name(1795460809, migration_action(None, a)) == "1795460809_created_posts.py"
    assert migration_action(a, {**a, "name": "articles"}) == "updated_posts"
    assert migration_action(a, None) == "deleted_posts"
    assert migration_action({"id": "x", "name": "latest"}, None) == "deleted_latest_"


def test_literals_are_python() -> None:
    value = {"b": [True, None, 1.5, 'q"\n\u00e9'], "a": {}}
    assert eval(py_literal(value)) == value  # noqa: S307 - the literal we just wrote
    assert py_literal(value).index('"a"') < py_literal(value).index('"b"')


def test_snapshot_compiles() -> None:
    source = snapshot_template([{"id": "pbc_1", "name": "x", "type": "base", "fields": [], "created": "c"}])
    compile(source, "<snapshot>", "exec")
    assert '"created"' not in source and "import_collections(app, snapshot" in source


FIELD = st.fixed_dictionaries({"id": st.sampled_from("abcdefg"), "v": st.integers(0, 2)})


@given(st.lists(FIELD, unique_by=lambda f: f["id"]), st.lists(FIELD, unique_by=lambda f: f["id"]))
def test_field_ops_reach_the_new_list(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    current = copy.deepcopy(old)
    for op, arg in field_ops(old, new):
        if op == "remove":
            current = [f for f in current if f["id"] != arg]
        else:
            index, field = arg
            current = [f for f in current if f["id"] != field["id"]]
            current.insert(index, field)
    assert current == new


TYPES = st.sampled_from(["text", "number", "bool", "email", "url", "date", "json", "editor"])
RULES = st.sampled_from([None, "", "id != ''", "id = @request.auth.id"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "eps"]), unique=True, max_size=4),
    types_=st.lists(TYPES, min_size=5, max_size=5),
    rules=st.lists(RULES, min_size=5, max_size=5),
    required=st.booleans(),
    with_index=st.booleans(),
)
def test_random_changes_round_trip(
    mapp: App, names: list[str], types_: list[str], rules: list[str | None], required: bool, with_index: bool
) -> None:
    if mapp.registry.get("gen_hyp") is None:
        mapp.collections.create_sync(
            {"name": "gen_hyp", "type": "base", "fields": [{"name": "alpha", "type": "text"}]}
        )
    before = api_json(mapp, "gen_hyp")
    assert before is not None
    by_name = {f["name"]: f for f in before["fields"]}
    fields = [before["fields"][0]]
    for i, name in enumerate(names):
        kept = by_name.get(name)
        if kept is not None and kept["type"] == types_[i]:
            fields.append({**kept, "required": required})
        else:
            fields.append({"name": name, "type": types_[i], "required": required})
    payload: dict[str, Any] = {"fields": fields, "indexes": []}
    if with_index and names:
        payload["indexes"] = [f"CREATE INDEX idx_gen_hyp ON gen_hyp ({names[0]})"]
    for key, rule in zip(
        ("listRule", "viewRule", "createRule", "updateRule", "deleteRule"), rules, strict=True
    ):
        payload[key] = rule
    mapp.collections.update_sync("gen_hyp", payload)
    after = api_json(mapp, "gen_hyp")
    if diff_template(before, after) is None:
        assert before == after
        return
    round_trip(mapp, before, after)


def test_generated_file_reads_well(tmp_path: Path) -> None:
    before = {
        "id": "pbc_9",
        "name": "notes",
        "type": "base",
        "listRule": None,
        "fields": [{"id": "text1", "name": "title", "type": "text"}],
    }
    after = {
        **before,
        "listRule": "",
        "fields": [*before["fields"], {"id": "editor2", "name": "body", "type": "editor"}],
    }
    source = diff_template(before, after)
    assert source is not None
    assert 'collection = app.find_collection_by_name_or_id("pbc_9")' in source
    assert 'unmarshal({\n        "listRule": "",\n    }, collection)' in source
    assert "# add field\n    add_field(collection, 1, {" in source
    assert '# remove field\n    remove_field(collection, "editor2")' in source
    assert 'unmarshal({\n        "listRule": None,\n    }, collection)' in source


def test_docs_example_is_what_the_generator_writes() -> None:
    """docs/hooks.md shows a generated update: it must be the generator's output."""
    docs = (Path(__file__).parents[2] / "docs" / "hooks.md").read_text()
    section = docs[docs.index("## Migrations"):]
    blocks = section.split("```python\n")[1:]
    example = next(b.split("```")[0] for b in blocks if b.startswith('"""Updated collection'))
    fields = [
        {"id": "text3208210256", "name": "id", "type": "text"},
        {"id": "text724990059", "name": "title", "type": "text"},
    ]
    body = field_from_dict({"id": "editor3685223346", "name": "body", "type": "editor"}).to_dict()
    before = {"id": "pbc_3395098727", "name": "notes", "type": "base", "listRule": None, "fields": fields}
    after = {**before, "listRule": "", "fields": [*fields, body]}
    assert diff_template(before, after) == example
