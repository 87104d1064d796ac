"""Which record writes may run on the event loop (``Database.write(here_if_idle=True)``):
small, bounded ones only; the rest keep the writer thread."""

from __future__ import annotations

from starlette.testclient import TestClient

from satchel.api.records import _write_runs_inline
from satchel.app import App
from satchel.core.records.query import RecordEnv
from satchel.core.records.resolver import RequestInfo
from satchel.core.records.write import WriteRequest


def test_bounded_writes_run_inline_and_the_others_do_not(app: App, client: TestClient) -> None:
    posts = app.collections.create_sync({"name": "posts", "type": "base", "updateRule": "", "deleteRule": "",
                                         "fields": [{"name": "title", "type": "text"}]})
    app.collections.create_sync({"name": "comments", "type": "base", "updateRule": "post.title != ''",
                                 "deleteRule": "@collection.posts.title = 'x'",
                                 "fields": [{"name": "post", "type": "relation", "collectionId": posts.id,
                                             "maxSelect": 1}]})
    app.collections.create_sync({"name": "docs", "type": "base", "updateRule": "", "deleteRule": "",
                                 "fields": [{"name": "file", "type": "file", "maxSelect": 1}]})
    get = app.registry.get
    req = WriteRequest(RequestInfo())
    assert _write_runs_inline(app, get("posts"), req, "update")
    # a relation points at posts: deleting one unlinks (and may scan) other tables
    assert not _write_runs_inline(app, get("posts"), None, "delete")
    # a primary-key join in the rule is bounded; @collection is not
    assert _write_runs_inline(app, get("comments"), req, "update")
    assert not _write_runs_inline(app, get("comments"), None, "delete")
    # files removed after COMMIT (local disk or S3) stay off the loop
    assert not _write_runs_inline(app, get("docs"), req, "update")
    assert not _write_runs_inline(app, get("docs"), None, "delete")
    assert not _write_runs_inline(app, get("users"), req, "update")  # auth: passwords are hashed
    assert not _write_runs_inline(app, get("posts"), WriteRequest(RequestInfo(), expand="x"), "update")


def test_a_create_answers_what_a_read_gives(app: App, su: TestClient) -> None:
    """A create of a text-only collection answers from the row it inserted (no SELECT):
    the bytes must be those of reading the record back; other collections still read it."""
    from satchel.core.records.write import _stored_as_sent, _text_affinity

    app.collections.create_sync({"name": "notes", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "site", "type": "url"}, {"name": "when", "type": "date"},
        {"name": "kind", "type": "select", "values": ["a", "b"], "maxSelect": 1},
        {"name": "created", "type": "autodate", "onCreate": True}]})
    app.collections.create_sync({"name": "scores", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "n", "type": "number"}]})
    for name, body in (("notes", {"title": "1e5", "site": "https://x.io", "when": "2024-01-02 03:04:05Z", "kind": "b"}),
                       ("scores", {"title": "0012", "n": 5.0})):
        created = su.post(f"/api/collections/{name}/records", json=body)
        assert created.status_code == 200
        read = su.get(f"/api/collections/{name}/records/{created.json()['id']}")
        assert created.content == read.content
    notes, scores = app.registry.get("notes"), app.registry.get("scores")
    assert notes is not None and scores is not None
    env_ok = app.db.write_sync(lambda tx: (_stored_as_sent(tx, RecordEnv.from_app(app), notes),
                                           _stored_as_sent(tx, RecordEnv.from_app(app), scores)))
    assert env_ok == (app.dialect.name == "sqlite", False)  # PostgreSQL always reads back
    assert _text_affinity("TEXT") and _text_affinity("VARCHAR(5)") and not _text_affinity("NUMERIC")
    assert not _text_affinity("POINTEXT")  # contains INT: INTEGER affinity wins
