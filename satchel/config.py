"""Command-line flags and environment turned into one frozen value (pure)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Config", "DEFAULT_BODY_LIMIT", "usable_cores"]

DEFAULT_BODY_LIMIT = 32 << 20  # 32 MiB, PocketBase's default for every route


def usable_cores() -> int:
    """The default of ``serve --workers``: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Config:
    """How this process runs: the ``serve`` flags and the paths derived from them."""
    data_dir: Path = Path("pb_data")
    http: str = "127.0.0.1:8090"
    public_dir: Path | None = None
    origins: tuple[str, ...] = ("*",)
    dev: bool = False
    query_timeout: float = 30.0
    encryption_env: str = ""
    index_fallback: bool = True
    workers: int = 1  # serving processes of `satchel serve` (see satchel.workers)
    migrations_dir: Path | None = None  # --migrationsDir; default <dir>/../pb_migrations
    automigrate: bool = True  # write a migration file on every collection change through the API
    # a PostgreSQL URL: the data lives there instead of <data_dir>/data.db (logs stay in auxiliary.db)
    db: str = ""
    # --bus (SATCHEL_BUS): redis://... or nats://... between nodes; empty: PostgreSQL's LISTEN/NOTIFY
    bus: str = ""
    hooks_dir: Path | None = None  # --hooksDir; default <dir>/../pb_hooks
    hooks_watch: bool = True  # --hooksWatch: reload the hook files when they change
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def data_db(self) -> Path:
        return self.data_dir / "data.db"

    @property
    def aux_db(self) -> Path:
        return self.data_dir / "auxiliary.db"

    @property
    def encryption_key(self) -> str | None:
        """The settings encryption key, read from the env var ``--encryptionEnv`` names."""
        if not self.encryption_env:
            return None
        value = os.environ.get(self.encryption_env, "")
        return value or None

    @property
    def resolved_public_dir(self) -> Path:
        if self.public_dir is not None:
            return self.public_dir
        return self.data_dir.resolve().parent / "pb_public"

    @property
    def resolved_migrations_dir(self) -> Path:
        """As PocketBase: relative to ``--dir``'s parent, not the working directory."""
        if self.migrations_dir is not None:
            return self.migrations_dir
        return self.data_dir.resolve().parent / "pb_migrations"

    @property
    def resolved_hooks_dir(self) -> Path:
        """As PocketBase: beside ``--dir`` unless ``--hooksDir`` says otherwise."""
        if self.hooks_dir is not None:
            return self.hooks_dir
        return self.data_dir.resolve().parent / "pb_hooks"

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.http.rpartition(":")
        return (host or "127.0.0.1"), int(port or 8090)
