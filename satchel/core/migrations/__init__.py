"""Migrations: the file generator, the authoring helpers and the runner."""

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
