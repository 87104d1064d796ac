"""The official JS SDKs against a live ``satchel serve``: SDK 0.21.5 (the guide's
``pb.admins.*``) and SDK 0.28.1 (password, refresh, OTP with a real SMTP server,
impersonate, authStore)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from satchel.app import App
from satchel.config import Config
from satchel.core.auth.superusers import upsert_superuser
from tests.auth_support import Inbox, free_port, make_user, smtp_server, text_of, use_smtp  # noqa: F401

JS = Path(__file__).parent / "js"
EMAIL, PASSWORD = "admin@example.com", "1234567890"



@pytest.fixture
def live(tmp_path: Path, smtp_server: tuple[Inbox, int]) -> Iterator[tuple[str, Inbox]]:  # noqa: F811
    inbox, smtp_port = smtp_server
    data = tmp_path / "pb_data"
    with App(Config(data_dir=data)) as app:
        upsert_superuser(app.db, app.records, app.registry, EMAIL, PASSWORD)
        make_user(app, "sdk@example.com")
        use_smtp(app, smtp_port)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "satchel", "serve", "--dir", str(data), "--http", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base, inbox
    finally:
        proc.terminate()
        proc.wait(10)


def run_node(script: str, *args: str, timeout: float = 60) -> dict[str, object]:
    r = subprocess.run(["node", str(JS / script), *args], capture_output=True, text=True, timeout=timeout, cwd=JS)
    assert r.returncode == 0, r.stderr + r.stdout
    out: dict[str, object] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def test_guide_admins_with_both_sdks(live: tuple[str, Inbox]) -> None:
    base, _ = live
    out = run_node("auth_legacy.mjs", base, EMAIL, PASSWORD)
    assert out == {
        "legacyKeys": ["admin", "token"], "legacyIsAdmin": True, "legacyModelEmail": EMAIL, "legacyAvatar": 0,
        "legacyRefreshIsAdmin": True, "legacyList": 1,
        "newKeys": ["record", "token"], "newIsSuperuser": True, "newModelEmail": EMAIL, "newRefreshValid": True,
        "clearedValid": False,
    }


def test_sdk_auth_flows(live: tuple[str, Inbox], tmp_path: Path) -> None:
    base, inbox = live
    code_file = tmp_path / "otp.txt"
    proc = subprocess.Popen(["node", str(JS / "auth_flows.mjs"), base, EMAIL, PASSWORD, str(code_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=JS)
    msg = inbox.wait(1, timeout=30)[0]
    code = re.search(r"one-time password is: (\d+)", text_of(msg))
    assert code
    code_file.write_text(code.group(1))
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr + stdout
    out = json.loads(stdout.strip().splitlines()[-1])
    assert out == {"recordEmail": "sdk@example.com", "isValid": True, "modelIsRecord": True, "refreshed": True,
                   "clearedValid": False, "otpId": 15, "otpVerified": True, "impersonated": True}
