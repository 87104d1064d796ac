"""``python -m satchel.precompile``: what a normal install leaves on disk for a fast start.

pip compiles a package's bytecode when it installs it; an editable install (``make``) or
a run under ``PYTHONDONTWRITEBYTECODE`` compiles every module of Satchel on every start
instead (about 300 ms of ``satchel serve``'s start-up).  This writes the bytecode of the
package and the cache of its dataclass methods (:mod:`satchel.tools.dataclass_cache`), as
``satchel serve`` uses them: ``make serve`` and the benchmark run it first.
"""

from __future__ import annotations

import compileall
import sys
import tempfile
from pathlib import Path

from satchel.tools import dataclass_cache

__all__ = ["main"]


def main() -> int:
    package = Path(__file__).resolve().parent
    ok = compileall.compile_dir(str(package), quiet=1, workers=1)
    # what `serve` builds before its first answer, on a throwaway data dir
    import satchel.server  # noqa: F401
    from satchel.api import build_asgi
    from satchel.api.router import import_all
    from satchel.cli import make_config, open_migrated_app

    with tempfile.TemporaryDirectory(prefix="satchel-precompile-") as tmp:
        app = open_migrated_app(make_config(data_dir=str(Path(tmp) / "pb_data")))
        try:
            build_asgi(app)
            _serve_imports()
            dataclass_cache.mark_start()  # what serve uses before its first answer: the first file
            import_all()  # the handler modules (imported on first use): their classes too
        finally:
            app.close()
    import satchel.workers  # noqa: F401  (serve --workers: its classes go to the second file)

    dataclass_cache.save(force=True)
    return 0 if ok else 1


def _serve_imports() -> None:
    """What ``run_server`` imports before its first answer, beyond the App and its ASGI app."""
    from satchel.server import import_uvicorn

    import_uvicorn()
    import satchel.api.health  # noqa: F401
    import satchel.core.ops.cron  # noqa: F401  (start_crons imports it; the scheduler is made later)
    import satchel.core.ops.jobs  # noqa: F401


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
