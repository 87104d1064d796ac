"""docs/cli.md names every flag the commands accept (the docs stay true as flags are added)."""

from __future__ import annotations

from pathlib import Path

import click

from satchel.commands import main

DOC = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        out.append((prefix + name, command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{prefix}{name} "))
    return out


def test_every_flag_is_documented() -> None:
    missing = set()
    for name, command in _commands(main):
        for param in command.params:
            for opt in (*param.opts, *param.secondary_opts):
                if opt.startswith("--") and opt != "--help" and f"`{opt}`" not in DOC:
                    missing.add(f"{name} {opt}")
    assert not missing, f"flags missing from docs/cli.md: {sorted(missing)}"
