"""``check_rule``: rules compiled with the record resolver in rule mode, PocketBase's raw texts.

The first cases replay tests/fixtures/pocketbase_040/collections_create.json; the
others were asked of the PocketBase 0.40.6 binary (collection PATCH with the rule).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from satchel.core.collections.model import Collection
from satchel.core.collections.rules import check_rule
from satchel.core.fields import field_from_dict
from satchel.core.fields.defaults import auth_system_fields

FIXTURE = Path(__file__).parents[1] / "fixtures" / "pocketbase_040" / "collections_create.json"
ID_FIELD = {"name": "id", "type": "text", "primaryKey": True, "system": True}

USERS = Collection(
    id="_pb_users_auth_",
    name="users",
    type="auth",
    fields=[
        field_from_dict(ID_FIELD),
        *auth_system_fields(),
        field_from_dict({"name": "name", "type": "text"}),
    ],
)
TAGS = Collection(
    id="pbc_tags",
    name="tags",
    fields=[field_from_dict(ID_FIELD), field_from_dict({"name": "name", "type": "text"})],
)


def lookup(ref: str) -> Collection | None:
    for c in (USERS, TAGS):
        if ref in (c.id, c.name) or ref.lower() == c.name.lower():
            return c
    return None


def collection_from(body: dict[str, Any]) -> Collection:
    fields = [field_from_dict(ID_FIELD), *(field_from_dict(f) for f in body.get("fields", []))]
    return Collection(id="pbc_new", name=body["name"], fields=fields)


FIXTURE_CASES = ["rule with unknown field", "rule unknown @request field", "rule unknown @collection",
                 "rule with all five invalid", "valid complex rule"]  # fmt: skip


@pytest.mark.parametrize("name", FIXTURE_CASES)
def test_fixture_rules(name: str) -> None:
    case = next(c for c in json.loads(FIXTURE.read_text()) if c["name"] == name)
    body = case["body"]
    c = collection_from(body)
    errors = case["response"].get("data", {}) if case["status"] == 400 else {}
    for key in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule"):
        if not body.get(key):
            continue
        problem = check_rule(body[key], c, lookup)
        if key in errors:
            assert f"Invalid rule. Raw error: {problem}." == errors[key]["message"]
        else:
            assert problem is None, (key, problem)


POSTS = Collection(
    id="pbc_posts",
    name="posts",
    fields=[
        field_from_dict(ID_FIELD),
        field_from_dict({"name": "title", "type": "text"}),
        field_from_dict({"name": "secret", "type": "text", "hidden": True}),
        field_from_dict(
            {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}
        ),
        field_from_dict({"name": "tags", "type": "relation", "collectionId": "pbc_tags", "maxSelect": 9}),
        field_from_dict({"name": "parent", "type": "relation", "collectionId": "pbc_posts", "maxSelect": 1}),
        field_from_dict({"name": "meta", "type": "json"}),
    ],
)


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("title = 'x'", None),
        ("secret = 'x'", None),  # hidden fields are fine in rules
        ("author.name = @request.auth.name && tags.name ?= 'x'", None),
        ("posts_via_parent.title ?= 'x' && parent.parent.title = 'x'", None),  # self reference by name
        ("@collection.posts.parent ?= id && @collection.users:u.email ?= 'a'", None),
        ("meta.a.b.0 = 1 && title:lower = 'x' && tags:length > 1 && tags:each ?= 'x'", None),
        ("@request.body.title:changed = false && @request.body.tags:each ?= 'x'", None),
        ("@request.auth.anything.at.all = 1 && @request.query.q = 1 && @request.headers.x_a = 1", None),
        ("@request.data.title = 1", None),  # Satchel extension (PocketBase: failed to resolve field)
        ("@now > @yesterday && null = true", None),
        ("@request.auth = 1", 'invalid left operand "@request.auth" - failed to resolve field "@request.auth"'),
        ("author.nope = 1", 'invalid left operand "author.nope" - unknown field "nope"'),
        ("nope.title = 1", 'invalid left operand "nope.title" - failed to resolve field "nope"'),
        ("title = tags.nope", 'invalid right operand "tags.nope" - unknown field "nope"'),
        ("title.x = 1", 'invalid left operand "title.x" - field "title" is not a valid relation'),
        ("title:nope = 1", 'invalid left operand "title:nope" - unknown modifier in "title:nope"'),
        (
            "@request.body.title:each ?= 1",
            'invalid left operand "@request.body.title:each" - field "title" doesn\'t support multivalue operations',
        ),
        ("posts_via_author.id = 1", 'invalid left operand "posts_via_author.id" - '
                                    'invalid collection reference of a back relation field "author"'),
        ("parent.parent.parent.parent.parent.parent.parent.id = 1",
         'invalid left operand "parent.parent.parent.parent.parent.parent.parent.id" - '
         'max nested relations reached for field "parent"'),
        ("nope(1) = 1", 'invalid left operand "nope" - unknown function "nope"'),
        ("title = ", "invalid or incomplete filter expression"),
        (" && ".join(["title = 'x'"] * 201), "max filter expressions limit reached"),
    ],
)  # fmt: skip
def test_check_rule(rule: str, problem: str | None) -> None:
    assert check_rule(rule, POSTS, lookup) == problem


def test_rule_of_a_collection_not_saved_yet_can_reference_itself() -> None:
    new = Collection(
        id="pbc_new",
        name="things",
        fields=[
            field_from_dict(ID_FIELD),
            field_from_dict({"name": "up", "type": "relation", "collectionId": "pbc_new", "maxSelect": 1}),
        ],
    )
    assert (
        check_rule("up.up.id != '' && things_via_up.id ?= '' && @collection.things.id ?= id", new, lookup)
        is None
    )
