"""kill -9 of a live ``satchel serve`` under concurrent writers and batches, a few cycles:
after each, every acknowledged write is in data.db and ``integrity_check`` is ok, and the
server starts again on the same data dir.  (``make soak`` runs the long version.)"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from tests.faults.conftest import Serve
from tests.faults.load_support import Writers, make_collection, stored_ids, superuser_token, upsert_superuser

CYCLES = int(os.environ.get("SATCHEL_KILL9_CYCLES", "3"))
LOAD_SECONDS = 1.5


def test_kill9_loses_no_acknowledged_write(serve_factory: Callable[..., Serve], tmp_path: Path) -> None:
    data_dir = tmp_path / "pb_data"
    upsert_superuser(data_dir)
    server = serve_factory(data_dir)
    make_collection(server.base, superuser_token(server.base))
    acknowledged: set[str] = set()
    for cycle in range(CYCLES):
        writers = Writers(server.base)
        writers.start()
        time.sleep(LOAD_SECONDS)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        writers.stop()
        assert writers.server_errors == [], writers.server_errors[:5]
        assert writers.acknowledged, f"cycle {cycle}: no write was acknowledged"
        acknowledged |= writers.acknowledged

        ids, check = stored_ids(data_dir)
        assert check == "ok", f"cycle {cycle}: {check}"
        missing = acknowledged - ids
        assert not missing, f"cycle {cycle}: {len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:5]}"
        server = serve_factory(data_dir)
    assert len(acknowledged) > 30 * CYCLES
