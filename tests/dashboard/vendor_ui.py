"""Vendor the dashboard's third-party browser libraries from the npm registry (`make vendor-ui`).

The dashboard has no build step and `pip install` needs no node, so the built files of each
library are committed under ``satchel/ui/assets/vendor/<name>/``. ``satchel/ui/vendor.lock.json``
pins each library: its version, the registry tarball and that tarball's ``sha512`` integrity
(as ``npm view <name>@<version> dist.integrity`` prints it), and the sha256 of every file taken
from it. This script downloads the tarball, refuses it unless the integrity matches, and writes
the listed files; ``--relock`` (after changing a version and its integrity) rewrites the file
hashes. ``test_dashboard_vendor.py`` checks the committed files against the lock, offline.

To update a library: set its ``version`` and ``integrity`` in the lock, run
``make vendor-ui RELOCK=1``, look at the diff and run the dashboard tests.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "satchel" / "ui" / "vendor.lock.json"
VENDOR = ROOT / "satchel" / "ui" / "assets" / "vendor"
REGISTRY = "https://registry.npmjs.org"


def load_lock() -> dict[str, Any]:
    lock: dict[str, Any] = json.loads(LOCK.read_text("utf-8"))
    return lock


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tarball_url(name: str, version: str) -> str:
    return f"{REGISTRY}/{name}/-/{name}-{version}.tgz"


def _check_integrity(data: bytes, integrity: str) -> None:
    algo, _, expected = integrity.partition("-")
    if algo != "sha512":
        raise SystemExit(f"unsupported integrity {algo!r}: pin the sha512 one")
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != expected:
        raise SystemExit(f"the tarball's sha512 is {got}, the lock pins {expected}")


def vendor_library(name: str, pin: dict[str, Any], relock: bool) -> None:
    url = tarball_url(name, pin["version"])
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 - a fixed https registry URL
        data = answer.read()
    _check_integrity(data, pin["integrity"])
    target = VENDOR / name
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for inside, local in pin["files"].items():
            member = tar.extractfile(f"package/{inside}")
            if member is None:
                raise SystemExit(f"{name}@{pin['version']} has no file {inside}")
            body = member.read()
            if relock:
                pin["hashes"][local] = sha256_of(body)
            elif pin["hashes"].get(local) != sha256_of(body):
                raise SystemExit(f"{name}: {inside} does not match the lock (run with --relock after a version change)")
            path = target / local
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
    print(f"vendored {name}@{pin['version']}: {len(pin['files'])} files in {target.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relock", action="store_true", help="write the files' sha256 into the lock")
    args = parser.parse_args()
    lock = load_lock()
    for name, pin in lock["libraries"].items():
        pin.setdefault("hashes", {})
        vendor_library(name, pin, args.relock)
    if args.relock:
        LOCK.write_text(json.dumps(lock, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
