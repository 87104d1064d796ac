"""Profile Satchel under load with py-spy and summarise the collapsed stacks as text.

``python -m bench --profile WORKLOAD`` records the Satchel process during that workload's first
round into ``bench/results/profile-WORKLOAD.txt`` (py-spy's "raw" collapsed format, loadable in
speedscope or flamegraph.pl) and prints the frames with the most samples.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

__all__ = ["Profiler", "summarise"]


def _frame_name(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/module.py:123)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/satchel/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/satchel/":
                path = "satchel/" + path
            break
    return f"{name} ({path})"


def _package(name: str) -> str:
    """``satchel/api/request.py`` -> ``satchel.api.request``; ``uvicorn/...`` -> ``uvicorn``."""
    path = name.rpartition(" (")[2].rstrip(")")
    if path.startswith("satchel/"):
        return path.removesuffix(".py").replace("/", ".")
    return path.split("/", 1)[0].removesuffix(".py") or "?"


def summarise(collapsed: str, top: int = 15) -> str:
    """Self samples by package and top frames (self and inclusive), as % of all GIL-holding samples.

    Under uvloop a coroutine's stack starts at the frame the C loop resumed, so inclusive
    figures are per resumed stack; the self-time views are the reliable ones.
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame_name(f) for f in stack.split(";") if f and not f.startswith("process ")]
        for name in set(frames):
            inclusive[name] += count
        if frames:
            own[frames[-1]] += count
            packages[_package(frames[-1])] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples", "", "self, by package:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in packages.most_common(top)]
    lines += ["", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


class Profiler:
    def __init__(self, pid: int, out: Path) -> None:
        self.out = out
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists():
            raise FileNotFoundError("--profile needs py-spy: .venv/bin/pip install py-spy (not a dependency)")
        out.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--rate", "250", "--gil", "--nonblocking", "--format", "raw", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        return summarise(self.out.read_text()) if self.out.exists() else "py-spy wrote nothing"
