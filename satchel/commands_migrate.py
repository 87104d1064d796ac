"""``satchel migrate [up|down [n]|create NAME|collections|history-sync]`` (spec 13 §4).

Texts, prompts and streams as PocketBase 0.40.6's (checked with the binary): the
question goes to stderr and a "no" (or no answer) cancels with exit status 0.

As PocketBase's (whose commands run after its bootstrap, with the JS hooks registered),
the commands that open the app load ``pb_hooks/*.py`` first: their ``on_bootstrap``
runs, the model hooks fire on what a migration saves, and ``on_terminate`` runs at
the end.  Checked with the 0.40.6 binary and a ``pb_hooks/main.pb.js``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from satchel.cli import load_hooks, log_error, open_app
from satchel.config import Config
from satchel.core.hook_events import BootstrapEvent, TerminateEvent
from satchel.core.migrations import (
    BLANK_TEMPLATE,
    MigrationError,
    migration_file_name,
    snake_name,
    snapshot_template,
)

__all__ = ["run_migrate"]

CANCELLED = "The command has been cancelled"


def confirm(question: str) -> bool:
    sys.stderr.write(f"{question} (y/N) ")
    sys.stderr.flush()
    answer = sys.stdin.readline() if sys.stdin is not None else ""
    return answer.strip().lower() in ("y", "yes")


def _fail(message: str) -> None:
    log_error(message)
    sys.exit(1)


def _write_new_file(directory: Path, stem: str, source: str) -> None:
    path = directory.resolve() / migration_file_name(int(time.time()), stem)
    if not confirm(f'Do you really want to create migration "{path}"?'):
        print(CANCELLED)
        return
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    print(f'Successfully created file "{path}"')


def _up(app: Any) -> None:
    applied = app.migrations.up()
    if not applied:
        print("No new migrations to apply.")
    for name in applied:
        print(f"Applied {name}")


def _down(app: Any, args: list[str]) -> None:
    try:
        count = int(args[0]) if args else 1
    except ValueError:
        count = 0  # PocketBase reads a non-number as 0
    names = app.migrations.to_revert(count) if count else []
    sys.stderr.write("\n" + "\n".join(names) + "\n")
    if not confirm(f"Do you really want to revert the last {count} applied migration(s)?"):
        print(CANCELLED)
        return
    reverted = app.migrations.down(count) if count else []
    if not reverted:
        print("No migrations to revert.")
    for name in reverted:
        print(f"Reverted {name}")


def _collections(app: Any) -> None:
    collections = [c.to_api_dict() for c in app.registry.all()]
    _write_new_file(app.migrations.directory, "collections_snapshot", snapshot_template(collections))


def run_migrate(config: Config, args: list[str]) -> None:
    command = args[0] if args else "up"
    if command == "create":
        name = snake_name(args[1]) if len(args) > 1 else ""
        if not name:
            _fail("missing migration file name")
        _write_new_file(config.resolved_migrations_dir, name, BLANK_TEMPLATE)
        return
    if command not in ("up", "down", "collections", "history-sync"):
        _fail(f'unsupported command: "{command}"')
    app = open_app(config)
    load_hooks(app)  # a broken hook file: its traceback, exit 1, nothing migrated
    hooks = app.hooks
    try:
        hooks.on_bootstrap.trigger_sync(BootstrapEvent(app=hooks.app))
        if command == "up":
            _up(app)
        elif command == "down":
            _down(app, args[1:])
        elif command == "collections":
            _collections(app)
        else:
            app.migrations.history_sync()
            print("The _migrations table was synced with the available migrations.")
        hooks.on_terminate.trigger_sync(TerminateEvent(app=hooks.app, is_restart=False))
    except MigrationError as exc:
        hooks.on_terminate.trigger_sync(TerminateEvent(app=hooks.app, is_restart=False))
        _fail(str(exc))
    finally:
        app.close()
