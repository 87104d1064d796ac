"""The official JS SDK 0.28.1 (with the ``eventsource`` package, Node has no EventSource)
against a live ``satchel serve``: subscriptions, options, rules, unsubscribe, and
reconnect after the server drops the stream (a restart on the same port)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

JS = Path(__file__).parent / "js"
EMAIL, PASSWORD = "admin@example.com", "1234567890"



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """``python -m satchel serve`` on a fixed port, restartable."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "satchel", "serve", f"--http=127.0.0.1:{self.port}", f"--dir={self.data}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{self.url}/api/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "satchel serve did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def test_js_sdk_realtime(tmp_path: Path) -> None:
    data = tmp_path / "pb_data"
    subprocess.run(
        [sys.executable, "-m", "satchel", "superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}"],
        check=True,
        capture_output=True,
    )
    server = Serve(data)
    server.start()
    node = subprocess.Popen(
        ["node", str(JS / "realtime_sdk.mjs"), server.url, EMAIL, PASSWORD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=JS,
    )
    try:
        assert node.stdout is not None and node.stdin is not None
        line = node.stdout.readline().strip()
        assert line == "RESTART", line + (node.stderr.read() if node.stderr else "")
        server.stop()
        time.sleep(0.5)  # the SDK retries against a closed port meanwhile
        server.start()
        node.stdin.write("GO\n")
        node.stdin.flush()
        stdout, stderr = node.communicate(timeout=90)
        assert node.returncode == 0, stderr + stdout
        out = json.loads(stdout.strip().splitlines()[-1])
    finally:
        if node.poll() is None:
            node.kill()
        server.stop()

    assert out == {
        "clientIdLength": 40,
        "guestTags": [["create", "rt-yes"], ["create", "no-match"]],
        "aliceTags": [["create", "rt-yes"]],
        "aliceNotes": [["create", "alice note"]],
        "aliceExpand": "Alice",
        "aliceSecret": False,
        "bobNotes": [["create", "bob note"]],
        "suSecrets": ["s1", "s2"],
        "afterUnsubscribeStar": 2,
        "aliceNotesTotal": 4,
        "bobDelete": "delete",
        "afterRestart": [["create", "rt-after-restart"], ["create", "rt-after-restart"]],
        "newClientId": True,
    }
