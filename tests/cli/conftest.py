"""Servers for the CLI tests: real ``satchel serve`` subprocesses, one per configuration and
module, each stopped with SIGTERM and required to exit 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.serve_support import LiveServer, start_serve, stop_serve

ALLOWED_ORIGINS = ("https://a.example", "https://b.example")


def _stopped_cleanly(server: LiveServer) -> None:
    status = stop_serve(server)
    assert status == 0, f"satchel serve did not exit cleanly on SIGTERM ({status}):\n{server.stderr}"


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``serve`` on a data dir that does not exist yet, default flags, no pb_public."""
    server = start_serve(tmp_path_factory.mktemp("fresh") / "pb_data")
    try:
        yield server
    finally:
        _stopped_cleanly(server)


def make_public_dir(root: Path) -> Path:
    """The layout of spec 13 §2: index.html, a.txt, sub/index.html, docs/x.txt."""
    public = root / "site"
    (public / "sub").mkdir(parents=True)
    (public / "docs").mkdir()
    (public / "index.html").write_text("<h1>root index</h1>")
    (public / "a.txt").write_text("file a")
    (public / "sub" / "index.html").write_text("<h1>sub index</h1>")
    (public / "docs" / "x.txt").write_text("doc x")
    return public


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``serve --publicDir=<site> --origins=https://a.example,https://b.example``."""
    root = tmp_path_factory.mktemp("web")
    public = make_public_dir(root)
    server = start_serve(root / "pb_data", f"--publicDir={public}", f"--origins={','.join(ALLOWED_ORIGINS)}")
    try:
        yield server
    finally:
        _stopped_cleanly(server)


@pytest.fixture(scope="module")
def no_fallback_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``serve --publicDir=<site> --no-indexFallback``."""
    root = tmp_path_factory.mktemp("nofallback")
    public = make_public_dir(root)
    server = start_serve(root / "pb_data", f"--publicDir={public}", "--no-indexFallback")
    try:
        yield server
    finally:
        _stopped_cleanly(server)
