"""``python -m bench.file_cost``: server instructions per file, thumb and view request.

One ``satchel serve --workers=1`` under ``valgrind --tool=callgrind`` (whole process,
all threads), request logs off; a public collection with a 400x300 PNG whose 100x100
thumb is made before counting.  Per workload: counters zeroed, ``N`` sequential
requests, dump; again with ``N/4``; the difference over ``3N/4`` is the marginal cost
of one request (start-up and one-off costs cancel).  Load-independent, so a
before/after comparison runs the two trees one after the other:
``PYTHONPATH=<other tree> python -m bench.file_cost``.

    python -m bench.file_cost [--requests 400]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.logs_cost import callgrind_kind, latest_dump_total, stop, warm_up
from bench.servers import SUPERUSER_EMAIL, SUPERUSER_PASSWORD, Server, ServerKind


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 60)).save(out, "PNG")
    return out.getvalue()


def prepare(client: httpx.Client) -> dict[str, str]:
    token = client.post("/api/collections/_superusers/auth-with-password",
                        json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}).json()["token"]
    client.headers["Authorization"] = token
    client.patch("/api/settings", json={"logs": {"maxDays": 0}}).raise_for_status()
    client.post("/api/collections", json={
        "name": "posts", "type": "base", "listRule": "", "viewRule": "",
        "fields": [{"name": "title", "type": "text"},
                   {"name": "cover", "type": "file", "maxSelect": 1, "maxSize": 5_000_000,
                    "thumbs": ["100x100"]}]}).raise_for_status()
    rec = client.post("/api/collections/posts/records", data={"title": "a"},
                      files={"cover": ("cover.png", png(), "image/png")}).json()
    base = f"/api/files/posts/{rec['id']}/{rec['cover']}"
    client.get(base + "?thumb=100x100").raise_for_status()  # made once, served from storage after
    return {"file": base, "thumb": base + "?thumb=100x100",
            "view": f"/api/collections/posts/records/{rec['id']}"}


def count(out_dir: Path, server: Server, client: httpx.Client, path: str, n: int) -> int:
    assert server.proc is not None
    pid = str(server.proc.pid)
    subprocess.run(["callgrind_control", "--zero", pid], check=True, capture_output=True)
    for _ in range(n):
        client.get(path).raise_for_status()
    subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
    return latest_dump_total(out_dir, server.proc.pid)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.file_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--no-warm-up", action="store_true", help="skip waiting for the first cron tick")
    args = parser.parse_args()
    n, small = args.requests, args.requests // 4
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "pb_data"
        Server(ServerKind.satchel(), data_dir).upsert_superuser()
        server = Server(callgrind_kind(Path(tmp)), data_dir)
        server.start(timeout=900)
        started = time.time()
        try:
            with httpx.Client(base_url=server.base, timeout=120) as admin, \
                    httpx.Client(base_url=server.base, timeout=120) as guest:
                paths = prepare(admin)
                if not args.no_warm_up:
                    warm_up(started)
                for name, path in paths.items():
                    count(Path(tmp), server, guest, path, small)  # warm: caches, first-use imports
                    big = count(Path(tmp), server, guest, path, n)
                    little = count(Path(tmp), server, guest, path, small)
                    print(f"{name}: {(big - little) / (n - small):,.0f} instructions/request", flush=True)
        finally:
            stop(server)


if __name__ == "__main__":
    main()
