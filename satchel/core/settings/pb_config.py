"""``pb_config.yaml`` (the user guide's S3 configuration; a Satchel extension, spec 14 §6).

Looked up on boot next to ``pb_data`` (``<dir>/../pb_config.yaml``), then inside
it (``<dir>/pb_config.yaml``), then in the working directory; the first one found
is used.  Its ``filesystem:`` section is validated like a settings PATCH and
stored into ``settings.s3`` (``enabled: true`` unless it says otherwise), so the
stored settings afterwards behave exactly as PocketBase's.  A bad file stops the
start with a one-line error (:class:`~satchel.core.settings.model.PbConfigError`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from satchel.core.settings.model import PbConfigError, apply_pb_config_filesystem, settings_to_storage_dict
from satchel.core.settings.service import SettingsService

__all__ = ["FILE_NAME", "apply_pb_config", "find_pb_config", "load_pb_config"]

FILE_NAME = "pb_config.yaml"


def find_pb_config(data_dir: Path, cwd: Path | None = None) -> Path | None:
    candidates = [data_dir.resolve().parent / FILE_NAME, data_dir / FILE_NAME, (cwd or Path.cwd()) / FILE_NAME]
    seen: set[Path] = set()
    for path in candidates:
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        if resolved.is_file():
            return resolved
    return None


def load_pb_config(path: Path) -> Any:
    import yaml  # only when a pb_config.yaml exists

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PbConfigError(f"pb_config.yaml: can't read {path}: {exc}") from exc


def apply_pb_config(data_dir: Path, settings: SettingsService, cwd: Path | None = None) -> Path | None:
    """Apply the first ``pb_config.yaml`` found to the stored settings; returns its path.

    Nothing is written when the file changes nothing (every start re-applies it)."""
    path = find_pb_config(data_dir, cwd)
    if path is None:
        return None
    document = load_pb_config(path)
    if document is None:
        return path
    updated = apply_pb_config_filesystem(settings.current, document)
    if settings_to_storage_dict(updated) != settings_to_storage_dict(settings.current):
        settings.save_sync(updated)
    return path
