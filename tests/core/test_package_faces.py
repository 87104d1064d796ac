"""The domain packages' faces: every name they promise resolves, and they load lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

FACES = ["auth", "collections", "files", "mail", "migrations", "realtime", "records", "settings"]


@pytest.mark.parametrize("package", FACES)
def test_every_name_of_a_face_is_the_object_of_its_module(package: str) -> None:
    face = importlib.import_module(f"satchel.core.{package}")
    where: dict[str, str] = face._WHERE
    assert sorted(face.__all__) == sorted(where)
    for name, module in where.items():
        assert getattr(face, name) is getattr(importlib.import_module(f"satchel.core.{package}.{module}"), name)


def test_an_unknown_name_is_an_attribute_error_and_a_module_still_imports() -> None:
    face = importlib.import_module("satchel.core.records")
    with pytest.raises(AttributeError, match="no_such_name"):
        face.no_such_name  # noqa: B018
    from satchel.core.records import events

    assert events.__name__ == "satchel.core.records.events"


def test_importing_one_module_of_a_package_leaves_the_others_unloaded() -> None:
    code = (
        "import sys, satchel.core.records.model as m; "
        "print(sorted(k for k in sys.modules if k.startswith('satchel.core.records.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "satchel.core.records.model" in out
    assert "satchel.core.records.write" not in out


EVENT_DOMAINS = ["auth", "collections", "files", "mail", "realtime", "records", "settings"]


@pytest.mark.parametrize("package", EVENT_DOMAINS)
def test_hook_events_live_in_their_domain_and_reach_the_hook_api_unchanged(package: str) -> None:
    import satchel.hooks
    from satchel.core import hook_events as app_events

    module = importlib.import_module(f"satchel.core.{package}.hook_events")
    face = importlib.import_module(f"satchel.core.{package}")
    assert module.__all__
    for name in module.__all__:
        cls = getattr(module, name)
        assert cls.__module__ == module.__name__  # defined there, not re-exported
        assert getattr(face, name) is cls
        assert getattr(satchel.hooks, name) is cls  # the user-facing name is unchanged
        assert name in satchel.hooks.__all__
        assert name in dir(satchel.hooks)  # named lazily, listed all the same
        assert not hasattr(app_events, name)  # the app-wide module keeps only app-wide events
