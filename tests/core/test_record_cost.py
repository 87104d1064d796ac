"""Which view rules are cheap enough to evaluate on the event loop."""

from __future__ import annotations

import pytest

from satchel.core.collections.model import Collection
from satchel.core.fields import field_from_dict
from satchel.core.records.cost import rules_are_bounded
from satchel.store.dialect import SqliteDialect


def _schema() -> dict[str, Collection]:
    pk = {"name": "id", "type": "text", "primaryKey": True}
    orgs = Collection(id="o1", name="orgs", fields=[field_from_dict(pk), field_from_dict({"name": "name", "type": "text"})])
    users = Collection(
        id="u1",
        name="users",
        type="auth",
        fields=[field_from_dict(pk), field_from_dict({"name": "org", "type": "relation", "collectionId": "o1", "maxSelect": 1})],
    )
    posts = Collection(
        id="p1",
        name="posts",
        fields=[
            field_from_dict(pk),
            field_from_dict({"name": "author", "type": "relation", "collectionId": "u1", "maxSelect": 1}),
            field_from_dict({"name": "tags", "type": "relation", "collectionId": "o1", "maxSelect": 5}),
        ],
    )
    comments = Collection(
        id="c1",
        name="comments",
        fields=[field_from_dict(pk), field_from_dict({"name": "post", "type": "relation", "collectionId": "p1", "maxSelect": 1})],
    )
    out = {c.id: c for c in (orgs, users, posts, comments)}
    out.update({c.name: c for c in (orgs, users, posts, comments)})
    return out


@pytest.mark.parametrize(
    ("rule", "bounded"),
    [
        ("", True),
        ("@request.auth.id != ''", True),
        ("author = @request.auth.id", True),
        ("author.org.name = 'x'", True),
        ("tags.name ?= 'x'", True),
        ("@request.auth.org.name = author.org.name", True),
        ("comments_via_post.id != ''", False),
        ("@collection.orgs.name = 'x'", False),
        ("not a rule", False),
    ],
)
def test_bounded_rules(rule: str, bounded: bool) -> None:
    schema = _schema()
    assert rules_are_bounded(schema.get, schema["posts"], [rule], SqliteDialect()) is bounded
