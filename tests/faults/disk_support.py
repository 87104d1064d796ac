"""A full disk on demand: a small tmpfs (the tests run as root), a filler file that
takes every free page, and the request scenario run against PocketBase 0.40.6
(tests/fixtures/capture_disk_full.py) and against ``satchel serve``
(tests/faults/test_disk_full.py), so both answer the same requests in the same state.

The scenario has three phases: ``full`` (not one free page), ``tight`` (two free
pages: an upload and its ``.attrs`` fit, the COMMIT that follows does not) and
``freed`` (the filler removed).  Volatile values (tokens, timestamps, stored
file names) are replaced by ``<volatile>`` the way tests/oracle.py reads them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "DOC_ID",
    "PAGE",
    "SU_EMAIL",
    "SU_PASSWORD",
    "USER_EMAIL",
    "USER_PASSWORD",
    "Step",
    "fill",
    "free_bytes",
    "free_pages",
    "phase_steps",
    "run_step",
    "set_up",
    "storage_files",
    "tmpfs",
]

PAGE = 4096
SU_EMAIL, SU_PASSWORD = "test@example.com", "1234567890"
USER_EMAIL, USER_PASSWORD = "user@example.com", "1234567890"
USER_ID = "user00000000001"
DOC_ID = "doc000000000001"
VOLATILE = "<volatile>"
_VOLATILE_KEYS = frozenset({"token", "created", "updated", "doc", "otpId"})


# -- the disk ----------------------------------------------------------------------


@contextmanager
def tmpfs(size: str = "4m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted on a temporary directory, unmounted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="satchel-disk-"))
    mnt = root / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        # lazy: a server killed a moment ago may still hold a file open
        subprocess.run(["umount", "-l", str(mnt)], check=False)
        shutil.rmtree(root, ignore_errors=True)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(mnt: Path) -> Path:
    """Take every free page of the filesystem with one file; returns it."""
    filler = mnt / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    chunk = b"\0" * PAGE
    try:
        while os.write(fd, chunk) == PAGE:
            pass
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(fd)
    return filler


def free_pages(filler: Path, pages: int) -> None:
    """Give ``pages`` pages back (tmpfs counts whole pages)."""
    size = filler.stat().st_size
    os.truncate(filler, max(0, (size // PAGE - pages) * PAGE))


def storage_files(data_dir: Path) -> list[str]:
    """Every file under ``storage/`` (uploads and their ``.attrs``), relative."""
    root = data_dir / "storage"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# -- the scenario ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    body: Any = None
    as_: str = ""  # "su", "user" or guest
    upload: bool = False  # multipart with one small text file in ``doc``
    headers: dict[str, str] = field(default_factory=dict)


def _file_part() -> dict[str, tuple[str, bytes, str]]:
    return {"doc": ("note.txt", b"hello disk " * 8, "text/plain")}


def set_up(client: httpx.Client) -> dict[str, str]:
    """Collections, one user and one record while the disk has room; returns the tokens."""
    su = _login(client, "_superusers", SU_EMAIL, SU_PASSWORD)
    h = {"Authorization": su}
    for method, path, body in (
        ("PATCH", "/api/settings", {"batch": {"enabled": True, "maxRequests": 50}}),
        ("PATCH", "/api/collections/users", {"otp": {"enabled": True}}),
        (
            "POST",
            "/api/collections",
            {
                "name": "docs",
                **{rule: "" for rule in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")},
                "fields": [
                    {"name": "title", "type": "text"},
                    {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 1000000},
                ],
            },
        ),
        ("POST", "/api/collections", {"name": "spare", "fields": [{"name": "t", "type": "text"}]}),
        (
            "POST",
            "/api/collections/users/records",
            {"id": USER_ID, "email": USER_EMAIL, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD},
        ),
        ("POST", "/api/collections/docs/records", {"id": DOC_ID, "title": "one"}),
    ):
        r = client.request(method, path, json=body, headers=h)
        assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text}"
    user = _login(client, "users", USER_EMAIL, USER_PASSWORD, {"User-Agent": "device-a"})
    return {"su": su, "user": user}


def _login(client: httpx.Client, collection: str, email: str, password: str, headers: Any = None) -> str:
    r = client.post(
        f"/api/collections/{collection}/auth-with-password",
        json={"identity": email, "password": password},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


def phase_steps(phase: str) -> list[Step]:
    records = "/api/collections/docs/records"
    if phase == "tight":
        return [Step("create with a file, the COMMIT fails", "POST", records, {"title": "tight"}, upload=True)]
    if phase == "freed":
        return [
            Step("create with a file after space is freed", "POST", records, {"title": "freed"}, upload=True),
            Step("update after space is freed", "PATCH", f"{records}/{DOC_ID}", {"title": "one-b"}),
            Step("list after space is freed", "GET", f"{records}?fields=title,doc&sort=title"),
        ]
    batch = {"requests": [{"method": "POST", "url": records, "body": {"title": "b1"}}]}
    user_agent = {"User-Agent": "device-b"}
    return [
        Step("create (JSON)", "POST", records, {"title": "two"}),
        Step("create with a file", "POST", records, {"title": "three"}, upload=True),
        Step("update (JSON)", "PATCH", f"{records}/{DOC_ID}", {"title": "one-b"}),
        Step("update with a file", "PATCH", f"{records}/{DOC_ID}", {"title": "one-c"}, upload=True),
        Step("delete", "DELETE", f"{records}/{DOC_ID}"),
        Step("batch create", "POST", "/api/batch", batch, as_="su"),
        Step("collection create", "POST", "/api/collections", {"name": "more"}, as_="su"),
        Step("collection update", "PATCH", "/api/collections/docs", {"listRule": "id != ''"}, as_="su"),
        Step("collection delete", "DELETE", "/api/collections/spare", as_="su"),
        Step(
            "user login from a new device",
            "POST",
            "/api/collections/users/auth-with-password",
            {"identity": USER_EMAIL, "password": USER_PASSWORD},
            headers=user_agent,
        ),
        Step(
            "superuser login from a new device",
            "POST",
            "/api/collections/_superusers/auth-with-password",
            {"identity": SU_EMAIL, "password": SU_PASSWORD},
            headers=user_agent,
        ),
        Step("auth-refresh", "POST", "/api/collections/users/auth-refresh", as_="user"),
        Step("request-password-reset", "POST", "/api/collections/users/request-password-reset", {"email": USER_EMAIL}),
        Step("request-verification", "POST", "/api/collections/users/request-verification", {"email": USER_EMAIL}),
        Step("request-otp", "POST", "/api/collections/users/request-otp", {"email": USER_EMAIL}),
        Step("list", "GET", f"{records}?fields=id,title"),
        Step("view", "GET", f"{records}/{DOC_ID}?fields=id,title"),
        Step("health", "GET", "/api/health"),
    ]


def _volatile(key: str, value: Any) -> bool:
    if key == "id":  # random ids; the ones the scenario chose are kept
        return value not in (USER_ID, DOC_ID)
    return key in _VOLATILE_KEYS and bool(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: VOLATILE if _volatile(k, v) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def run_step(client: httpx.Client, step: Step, tokens: dict[str, str]) -> dict[str, Any]:
    """Send ``step``; its entry in the capture format (``status``, scrubbed ``response``)."""
    headers = dict(step.headers)
    if step.as_:
        headers["Authorization"] = tokens[step.as_]
    if step.upload:
        r = client.request(step.method, step.path, data=step.body, files=_file_part(), headers=headers)
    else:
        r = client.request(step.method, step.path, json=step.body, headers=headers)
    entry: dict[str, Any] = {"name": step.name, "method": step.method, "path": step.path, "body": step.body}
    if step.as_:
        entry["as"] = step.as_
    if step.upload:
        entry["upload"] = True
    entry["status"] = r.status_code
    entry["response"] = _scrub(r.json()) if r.content else None
    return entry
