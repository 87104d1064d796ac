"""SIGTERM of a live ``satchel serve`` under concurrent writers and with a request that
cannot finish within the shutdown grace (3 s).

PocketBase 0.40.6, measured with its binary: a request whose body stalls is dropped
without an answer when its 1 s grace ends, exit status 0, nothing logged.  Satchel
answers it 503 in PocketBase's error shape after its 3 s grace, logs one line, exits 0.
"""

from __future__ import annotations

import json
import select
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

from tests.faults.conftest import Serve
from tests.faults.load_support import Writers, make_collection, stored_ids, superuser_token, upsert_superuser


def _answer(sock: socket.socket, limit: float) -> bytes:
    got = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.1)
        if ready:
            data = sock.recv(65536)
            if not data:
                break
            got += data
    return got


def test_sigterm_under_load_keeps_every_acknowledged_write(serve_factory: Callable[..., Serve], tmp_path: Path) -> None:
    data_dir = tmp_path / "pb_data"
    upsert_superuser(data_dir)
    server = serve_factory(data_dir)
    make_collection(server.base, superuser_token(server.base))

    writers = Writers(server.base)
    writers.start()
    time.sleep(1.5)
    # a request in flight that cannot finish: its body stops after 6 of 100 bytes
    stuck = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    stuck.sendall(
        b"POST /api/collections/notes/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"n":1'
    )
    time.sleep(0.3)
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    answer = _answer(stuck, 10)
    status = server.proc.wait(15)
    elapsed = time.monotonic() - started
    writers.stop()

    assert status == 0, server.output
    assert elapsed < 8, elapsed  # the 3 s grace, then out
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 "), answer
    assert json.loads(body) == {"status": 503, "message": "The server is shutting down, please try again later.", "data": {}}
    log = server.output
    assert "Traceback" not in log and "CancelledError" not in log, log
    assert len([line for line in log.splitlines() if "Cancel" in line]) == 1, log
    assert writers.server_errors == []
    assert len(writers.acknowledged) > 20, len(writers.acknowledged)

    ids, check = stored_ids(data_dir)
    assert check == "ok"
    assert writers.acknowledged <= ids, sorted(writers.acknowledged - ids)[:10]
    # and the data dir serves again
    restarted = serve_factory(data_dir)
    assert restarted.proc.poll() is None
