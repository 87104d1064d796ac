"""The facade of satchel.hooks: the app proxy, errors, data access through the API's code."""

from __future__ import annotations

from typing import Any

import pytest

from satchel import errors
from satchel.app import App
from satchel.core.records.events import RecordEvent as Published
from satchel.core.records.events import subscribe
from satchel.hooks import (
    ApiError,
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    Record,
    UnauthorizedError,
    current_app,
    set_current_app,
)
from satchel.hooks import (
    app as proxy,
)


def _posts(app: App) -> None:
    app.hook_app.save(
        {
            "name": "posts",
            "type": "base",
            "fields": [
                {"name": "title", "type": "text", "required": True, "max": 20},
                {"name": "views", "type": "number"},
            ],
        }
    )


def test_errors_are_the_projects_api_errors() -> None:
    assert BadRequestError is errors.BadRequestError
    assert ForbiddenError("no").to_dict() == {"data": {}, "message": "No.", "status": 403}
    assert NotFoundError().status == 404 and UnauthorizedError().status == 401
    assert issubclass(BadRequestError, ApiError)


def test_proxy_points_to_the_running_app_and_is_clear_without_one(app: App) -> None:
    assert current_app() is app.hook_app
    assert proxy.settings() is app.settings.current
    assert proxy.cron is app.cron
    set_current_app(None)
    try:
        with pytest.raises(RuntimeError, match="before a Satchel app exists"):
            proxy.find_collection_by_name_or_id("users")
    finally:
        set_current_app(app.hook_app)


def test_save_find_update_delete_records(app: App) -> None:
    _posts(app)
    published: list[Published] = []
    subscribe(app, published.append)
    h = app.hook_app
    posts = h.find_collection_by_name_or_id("posts")
    record = Record(posts)
    record.set("title", "hello")
    record.set("views", "5")  # normalised as the API does
    assert record.is_new()
    h.save(record)
    assert not record.is_new() and len(record.id) == 15
    assert [(p.action, p.record["title"]) for p in published] == [("create", "hello")]

    found = h.find_record_by_id("posts", record.id)
    assert found.get("title") == "hello" and found.get("views") == 5
    found.set("views+", 2)
    h.save(found)
    assert h.find_record_by_id(posts, record.id).get("views") == 7
    assert published[-1].action == "update"

    h.save(Record(posts, {"title": "second", "views": 1}))
    many = h.find_records_by_filter("posts", "views > {:min}", "-views", 10, 0, {"min": 0})
    assert [r.get("title") for r in many] == ["hello", "second"]
    assert [r.get("title") for r in h.find_records_by_filter("posts", "", "views", 1, 1)] == ["hello"]
    assert h.find_first_record_by_filter("posts", "title = {:t}", {"t": "second"}).get("views") == 1
    with pytest.raises(NotFoundError):
        h.find_first_record_by_filter("posts", "title = 'none'")

    h.delete(found)
    with pytest.raises(NotFoundError):
        h.find_record_by_id("posts", record.id)
    assert published[-1].action == "delete"


def test_save_validates_like_the_api(app: App) -> None:
    _posts(app)
    h = app.hook_app
    with pytest.raises(ApiError) as info:
        h.save(Record(h.find_collection_by_name_or_id("posts"), {"title": "x" * 30}))
    assert info.value.status == 400
    assert info.value.to_dict()["data"]["title"]["code"] == "validation_max_text_constraint"


def test_auth_records_get_their_password_confirmed_and_hashed(app: App) -> None:
    h = app.hook_app
    user = Record(h.find_collection_by_name_or_id("users"), {"email": "a@example.com"})
    user.set_password("1234567890")
    h.save(user)
    stored = h.find_record_by_id("users", user.id)
    assert stored.values["password"].hash.startswith("$2")


def test_run_in_transaction_commits_together_or_not_at_all(app: App) -> None:
    _posts(app)
    h = app.hook_app
    posts = h.find_collection_by_name_or_id("posts")

    def two(tx_app: object) -> None:
        h.save(Record(posts, {"title": "one"}))
        # reads inside the transaction see its own rows
        assert len(h.find_records_by_filter("posts")) == 1
        h.save(Record(posts, {"title": "two"}))
        raise BadRequestError("changed my mind")

    with pytest.raises(BadRequestError):
        h.run_in_transaction(two)
    assert h.find_records_by_filter("posts") == []

    h.run_in_transaction(lambda tx_app: h.save(Record(posts, {"title": "kept"})))
    assert [r.get("title") for r in h.find_records_by_filter("posts")] == ["kept"]


def test_a_failed_inner_write_undoes_only_its_part(app: App) -> None:
    _posts(app)
    h = app.hook_app
    posts = h.find_collection_by_name_or_id("posts")

    def outer(tx_app: object) -> None:
        h.save(Record(posts, {"title": "outer"}))
        with pytest.raises(ApiError):
            h.save(Record(posts, {"title": "y" * 50}))

    h.run_in_transaction(outer)
    assert [r.get("title") for r in h.find_records_by_filter("posts")] == ["outer"]


def test_collections_save_and_delete(app: App) -> None:
    _posts(app)
    h = app.hook_app
    c = h.find_collection_by_name_or_id("posts")
    c.listRule = ""
    h.save(c)
    assert h.find_collection_by_name_or_id("posts").listRule == ""
    h.delete("posts")
    with pytest.raises(NotFoundError):
        h.find_collection_by_name_or_id("posts")


def test_awaitable_twins_for_coroutine_handlers(app: App) -> None:
    import asyncio

    _posts(app)
    h = app.hook_app
    posts = h.find_collection_by_name_or_id("posts")

    async def main() -> list[str]:
        record = await h.asave(Record(posts, {"title": "async", "views": 3}))
        assert (await h.afind_record_by_id("posts", record.id)).get("views") == 3
        assert (await h.afind_first_record_by_filter("posts", "views = {:v}", {"v": 3})).id == record.id

        def two(tx_app: object) -> None:
            h.save(Record(posts, {"title": "t1"}))
            h.save(Record(posts, {"title": "t2"}))

        await h.arun_in_transaction(two)
        await h.adelete(record)
        return [r.get("title") for r in await h.afind_records_by_filter("posts", "", "title")]

    assert asyncio.run(main()) == ["t1", "t2"]


def test_save_attaches_files_and_a_rollback_removes_them(app: App, tmp_path: Any) -> None:
    from satchel.hooks import File

    h = app.hook_app
    h.save({"name": "docs", "type": "base",
            "fields": [{"name": "title", "type": "text"}, {"name": "files", "type": "file", "maxSelect": 5}]})
    docs = h.find_collection_by_name_or_id("docs")
    storage = app.files.storage

    record = Record(docs, {"title": "one"})
    record.set("files", File.from_bytes("hello.txt", b"hello"))
    h.save(record)
    names = record.get("files")
    assert len(names) == 1 and names[0].startswith("hello_") and names[0].endswith(".txt")
    assert storage.read_bytes(f"{docs.id}/{record.id}/{names[0]}") == b"hello"
    assert not record.uploads

    path = tmp_path / "notes.md"
    path.write_bytes(b"# notes")
    record.set("files+", [File.from_path(path)])  # appended, as the API's "files+"
    h.save(record)
    again = h.find_record_by_id("docs", record.id).get("files")
    assert again[0] == names[0] and len(again) == 2 and again[1].startswith("notes_")
    assert storage.read_bytes(f"{docs.id}/{record.id}/{again[1]}") == b"# notes"

    before = set(storage.list_keys(f"{docs.id}/"))

    def fails(tx_app: Any) -> None:
        other = Record(docs, {"title": "two"})
        other.set("files", File.from_bytes("gone.txt", b"gone"))
        tx_app.save(other)
        assert any(k.endswith(".txt") and "gone_" in k for k in storage.list_keys(f"{docs.id}/"))
        raise BadRequestError("undo")

    with pytest.raises(BadRequestError):
        h.run_in_transaction(fails)
    assert set(storage.list_keys(f"{docs.id}/")) == before  # the stored file went with the rollback
    assert len(h.find_records_by_filter("docs")) == 1
