"""Migrations: the file generator, the authoring helpers and the runner.

The names load on first use (:mod:`satchel.core._face`): ``serve`` needs the runner, not
the generator and the authoring helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.migrations.authoring import (
        add_field,
        import_collections,
        new_collection,
        remove_field,
        unmarshal,
    )
    from satchel.core.migrations.automigrate import Automigrator
    from satchel.core.migrations.generate import (
        BLANK_TEMPLATE,
        diff_template,
        migration_action,
        migration_file_name,
        snake_name,
        snapshot_template,
    )
    from satchel.core.migrations.runner import Migration, MigrationError, MigrationsRunner, load_migrations

_WHERE = {
    "add_field": "authoring",
    "import_collections": "authoring",
    "new_collection": "authoring",
    "remove_field": "authoring",
    "unmarshal": "authoring",
    "Automigrator": "automigrate",
    "BLANK_TEMPLATE": "generate",
    "diff_template": "generate",
    "migration_action": "generate",
    "migration_file_name": "generate",
    "snake_name": "generate",
    "snapshot_template": "generate",
    "Migration": "runner",
    "MigrationError": "runner",
    "MigrationsRunner": "runner",
    "load_migrations": "runner",
}

__all__ = [
    "BLANK_TEMPLATE",
    "Automigrator",
    "Migration",
    "MigrationError",
    "MigrationsRunner",
    "load_migrations",
    "add_field",
    "diff_template",
    "import_collections",
    "migration_action",
    "migration_file_name",
    "new_collection",
    "remove_field",
    "snake_name",
    "snapshot_template",
    "unmarshal",
]
__getattr__ = lazy_names(__name__, _WHERE)
