"""examples/blog end to end: its migrations and hook files in a live ``satchel serve``, driven
by the official JS SDK (tests/e2e/js/blog_example.mjs), its verification mail caught by a real
SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel.app import App
from satchel.config import Config
from satchel.core.auth.superusers import upsert_superuser
from tests.auth_support import Inbox, smtp_server, use_smtp  # noqa: F401
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, run_node, start_serve, stop_serve

BLOG = Path(__file__).parents[2] / "examples" / "blog"


@pytest.fixture
def blog(tmp_path: Path, smtp_server: tuple[Inbox, int]) -> Iterator[tuple[LiveServer, Inbox]]:  # noqa: F811
    inbox, port = smtp_server
    data = tmp_path / "pb_data"
    with App(Config(data_dir=data)) as app:
        upsert_superuser(app.db, app.records, app.registry, EMAIL, PASSWORD)
        use_smtp(app, port)
    # the example's own directories; --automigrate=false: nothing is written into the repository
    live = start_serve(data, f"--hooksDir={BLOG / 'pb_hooks'}", f"--migrationsDir={BLOG / 'pb_migrations'}",
                       "--automigrate=false")
    try:
        yield live, inbox
    finally:
        assert stop_serve(live) == 0, live.stderr


def test_blog_with_the_js_sdk(blog: tuple[LiveServer, Inbox]) -> None:
    live, inbox = blog
    out = run_node("blog_example.mjs", live.base)
    assert out == {
        "postAuthorIsAlice": True,
        "postCount": 0,
        "guestCreate": 400,
        "commentAuthorIsBob": True,
        "countAfterTwo": 2,
        "countAfterDelete": 1,
        "badComment": 400,
        "myPosts": {"total": 1, "titles": ["Hello blog"], "hasEmail": False},
        "bobPosts": 0,
        "guestMyPosts": 401,
        "superuserMyPosts": 403,
        "crons": ["nightly-digest"],
        "digest": ['1 new post(s); most discussed: "Hello blog"'],
    }
    mail = inbox.wait(1)[0]
    assert mail["Subject"] == "Welcome to the blog! Please verify your email"
    assert mail["To"] == "alice@example.com"
