"""The vendored browser libraries (TinyMCE, Leaflet) are exactly the files of the pinned npm
versions: each file's sha256 is in ``satchel/ui/vendor.lock.json``, written by ``make vendor-ui``
from the registry tarball it checked against the pinned sha512 integrity. Offline, in-process."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.dashboard.vendor_ui import VENDOR, load_lock, tarball_url

LIBRARIES = load_lock()["libraries"]


@pytest.mark.parametrize("name", sorted(LIBRARIES))
def test_vendored_files_match_the_pinned_version(name: str) -> None:
    pin = LIBRARIES[name]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pin["version"]), "pin an exact version"
    assert pin["integrity"].startswith("sha512-")
    assert set(pin["hashes"]) == set(pin["files"].values()), "every file taken has its hash (make vendor-ui RELOCK=1)"
    folder = VENDOR / name
    for local, digest in pin["hashes"].items():
        assert hashlib.sha256((folder / local).read_bytes()).hexdigest() == digest, f"{name}/{local} differs from {name}@{pin['version']}"
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk == set(pin["hashes"]) | {"README.md"}, "only the pinned files and the README are vendored"


@pytest.mark.parametrize("name", sorted(LIBRARIES))
def test_each_library_says_its_version_licence_and_how_to_update(name: str) -> None:
    pin = LIBRARIES[name]
    readme = (VENDOR / name / "README.md").read_text("utf-8")
    assert f"{name} {pin['version']}" in readme and pin["license"] in readme and "make vendor-ui" in readme
    assert any(re.search(r"licen[sc]e", f, re.I) for f in pin["files"].values()), "its licence file is vendored with it"
    assert tarball_url(name, pin["version"]) == f"https://registry.npmjs.org/{name}/-/{name}-{pin['version']}.tgz"
