"""``satchel migrate`` through the real entry point, and automigrate with a live ``serve``
(texts, prompts, streams and exit codes as PocketBase 0.40.6's, spec 13 §4)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from satchel.app import App
from satchel.config import Config
from tests.cli.test_cli import STAMP, assert_log_line
from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    PROJECT,
    _env,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)

POSTS = '''from satchel.migrations import new_collection


def up(app):
    app.save(new_collection({"name": "posts", "type": "base", "fields": [{"name": "title", "type": "text"}]}))


def down(app):
    app.delete(app.find_collection_by_name_or_id("posts"))
'''


def answer(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``satchel ARGS`` with ``text`` on its stdin (the answer to the prompt)."""
    return subprocess.run([sys.executable, "-m", "satchel", *args], input=text, capture_output=True, text=True,
                          timeout=30, env=_env(None), cwd=PROJECT)


def collections_json(data_dir: Path, migrations: Path) -> dict[str, Any]:
    with App(Config(data_dir=data_dir, migrations_dir=migrations)) as app:
        return {c.id: {k: v for k, v in c.to_api_dict().items() if k not in ("created", "updated")}
                for c in app.registry.all()}


def test_create_prompts_and_writes_a_blank_template(tmp_path: Path) -> None:
    d = f"--dir={tmp_path / 'pb_data'}"
    r = answer("y\n", "migrate", "create", "addPosts table", d)
    assert r.returncode == 0, r.stderr
    path = re.fullmatch(r'Successfully created file "(.+)"\n', r.stdout)
    assert path is not None
    created = Path(path.group(1))
    assert created.parent == tmp_path / "pb_migrations"
    assert re.fullmatch(r"\d{10}_add_posts_table\.py", created.name)
    assert r.stderr == f'Do you really want to create migration "{created}"? (y/N) '
    assert "def up(app):" in created.read_text() and "def down(app):" in created.read_text()

    r = answer("y\n", "migrate", "collections", d)
    assert r.returncode == 0, r.stderr
    snapshot = re.fullmatch(r'Successfully created file "(.+_collections_snapshot\.py)"\n', r.stdout)
    assert snapshot is not None and "import_collections(app, snapshot" in Path(snapshot.group(1)).read_text()
    r = satchel("migrate", "up", d)  # the snapshot of what is there changes nothing
    assert r.returncode == 0 and r.stdout.endswith(f"Applied {Path(snapshot.group(1)).name}\n"), r.stderr

    r = answer("n\n", "migrate", "create", "other", d)
    assert (r.returncode, r.stdout) == (0, "The command has been cancelled\n")
    r = answer("", "migrate", "create", d)
    assert r.returncode == 1
    assert_log_line(r.stderr, "missing migration file name")
    r = satchel("migrate", "bogus", d)
    assert r.returncode == 1
    assert_log_line(r.stderr, 'unsupported command: "bogus"')


def test_up_down_history_sync_and_a_failing_migration(tmp_path: Path) -> None:
    d = f"--dir={tmp_path / 'pb_data'}"
    migrations = tmp_path / "pb_migrations"
    migrations.mkdir()
    (migrations / "1700000001_posts.py").write_text(POSTS)
    r = satchel("migrate", d)  # no argument: up
    assert (r.returncode, r.stdout) == (0, "Applied 1700000001_posts.py\n"), r.stderr
    r = satchel("migrate", "up", d)
    assert (r.returncode, r.stdout) == (0, "No new migrations to apply.\n")

    r = answer("y\n", "migrate", "down", d)
    assert (r.returncode, r.stdout) == (0, "Reverted 1700000001_posts.py\n"), r.stderr
    assert r.stderr == "\n1700000001_posts.py\nDo you really want to revert the last 1 applied migration(s)? (y/N) "
    r = answer("y\n", "migrate", "down", "0", d)
    assert (r.returncode, r.stdout) == (0, "No migrations to revert.\n")

    (migrations / "1700000002_bad.py").write_text('def up(app):\n    raise RuntimeError("boom here")\n')
    r = satchel("migrate", "up", d)  # posts and bad in one run: both rolled back
    assert r.returncode == 1 and r.stdout == ""
    assert_log_line(r.stderr, "failed to apply migration 1700000002_bad.py: boom here")
    assert "posts" not in {c["name"] for c in collections_json(tmp_path / "pb_data", migrations).values()}

    (migrations / "1700000002_bad.py").unlink()
    assert satchel("migrate", "up", d).returncode == 0
    (migrations / "1700000001_posts.py").unlink()
    r = satchel("migrate", "history-sync", d)
    assert (r.returncode, r.stdout) == (0, "The _migrations table was synced with the available migrations.\n")
    r = answer("y\n", "migrate", "down", d)  # nothing of ours is left to revert
    assert r.stdout == "No migrations to revert.\n"


def test_automigrate_from_a_live_serve_replays_on_fresh_pb_data(tmp_path: Path) -> None:
    live = tmp_path / "live" / "pb_data"
    assert satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={live}").returncode == 0
    server = start_serve(live)
    try:
        h = {"Authorization": superuser_token(server.base)}
        r = httpx.post(f"{server.base}/api/collections", headers=h, json={
            "name": "notes", "type": "base", "fields": [{"name": "title", "type": "text"}]})
        assert r.status_code == 200, r.text
        notes = r.json()
        r = httpx.patch(f"{server.base}/api/collections/notes", headers=h, json={
            "listRule": "", "fields": [*notes["fields"], {"name": "n", "type": "number"}]})
        assert r.status_code == 200, r.text
        r = httpx.post(f"{server.base}/api/collections", headers=h, json={
            "name": "tags", "type": "base", "fields": [
                {"name": "note", "type": "relation", "collectionId": notes["id"], "maxSelect": 1}]})
        assert r.status_code == 200, r.text
        r = httpx.patch(f"{server.base}/api/collections/users", headers=h, json={"createRule": None})
        assert r.status_code == 200, r.text
    finally:
        assert stop_serve(server) == 0, server.stderr
    migrations = tmp_path / "live" / "pb_migrations"
    files = sorted(p.name for p in migrations.iterdir())
    assert [f.split("_", 1)[1] for f in files] == [
        "created_notes.py", "updated_notes.py", "created_tags.py", "updated_users.py"]
    expected = collections_json(live, migrations)

    fresh = tmp_path / "fresh" / "pb_data"
    r = satchel("migrate", "up", f"--dir={fresh}", f"--migrationsDir={migrations}")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "".join(f"Applied {f}\n" for f in files)
    assert collections_json(fresh, migrations) == expected

    # serve applies pending migrations at start; automigrate off writes no file
    served = tmp_path / "served" / "pb_data"
    server = start_serve(served, f"--migrationsDir={migrations}", "--automigrate=false")
    try:
        assert not (tmp_path / "served" / "pb_migrations").exists()
    finally:
        assert stop_serve(server) == 0, server.stderr
    assert collections_json(served, migrations) == expected


def test_serve_stops_on_a_failing_migration(tmp_path: Path) -> None:
    migrations = tmp_path / "pb_migrations"
    migrations.mkdir()
    (migrations / "1700000001_bad.py").write_text('def up(app):\n    raise ValueError("nope")\n')
    r = satchel("serve", "--http=127.0.0.1:0", f"--dir={tmp_path / 'pb_data'}")
    assert r.returncode == 1
    assert re.fullmatch(rf"{STAMP} failed to apply migration 1700000001_bad.py: nope\n", r.stderr), r.stderr


HOOKS = '''from satchel.hooks import app


@app.on_bootstrap
def started(e):
    e.next()
    print("hook: bootstrap", flush=True)


@app.on_record_create("notes")
def shout(e):
    e.record.set("title", e.record.get("title") + "!")
    e.next()


@app.on_collection_create
def seen(e):
    print("hook: collection", e.collection.name, flush=True)
    e.next()


@app.on_terminate
def stopped(e):
    print("hook: terminate", e.is_restart, flush=True)
    e.next()
'''

NOTES = '''from satchel.hooks import Record
from satchel.migrations import new_collection


def up(app):
    app.save(new_collection({"name": "notes", "type": "base", "fields": [{"name": "title", "type": "text"}]}))
    note = Record(app.find_collection_by_name_or_id("notes"))
    note.set("title", "hi")
    app.save(note)


def down(app):
    app.delete(app.find_collection_by_name_or_id("notes"))
'''


def test_migrate_runs_with_the_hook_files_loaded(tmp_path: Path) -> None:
    """As PocketBase's (checked with 0.40.6 and a main.pb.js): bootstrap hooks, model hooks
    on what a migration saves, terminate hooks at the end; a broken hook file stops it."""
    d = f"--dir={tmp_path / 'pb_data'}"
    (tmp_path / "pb_migrations").mkdir()
    (tmp_path / "pb_migrations" / "1700000001_notes.py").write_text(NOTES)
    (tmp_path / "pb_hooks").mkdir()
    (tmp_path / "pb_hooks" / "main.py").write_text(HOOKS)
    r = satchel("migrate", "up", d)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("hook: bootstrap\nhook: collection notes\nApplied 1700000001_notes.py\n"
                        "hook: terminate False\n")
    with App(Config(data_dir=tmp_path / "pb_data")) as app:
        titles = app.db.read_sync(lambda c: [row[0] for row in c.execute("SELECT title FROM notes")])
    assert titles == ["hi!"]

    (tmp_path / "pb_migrations" / "1700000002_bad.py").write_text('def up(app):\n    raise RuntimeError("boom")\n')
    r = satchel("migrate", "up", d)  # the failure is reported after the terminate hooks, as PocketBase
    assert (r.returncode, r.stdout) == (1, "hook: bootstrap\nhook: terminate False\n")
    assert_log_line(r.stderr, "failed to apply migration 1700000002_bad.py: boom")

    (tmp_path / "pb_hooks" / "main.py").write_text("raise RuntimeError('bad hook file')\n")
    r = satchel("migrate", "up", d)
    assert r.returncode == 1 and r.stdout == ""
    assert "bad hook file" in r.stderr
