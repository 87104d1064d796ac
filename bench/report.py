"""Results: the row model, the text table and the JSON file."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Row", "format_table", "machine_info", "write_json"]

SERVERS = ("satchel", "pocketbase")


@dataclass
class Row:
    name: str
    description: str
    unit: str
    better: str
    floor: float | None = None
    goal: float | None = None
    expected: dict[str, Any] | None = None
    shapes: dict[str, dict[str, Any]] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    rounds: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SERVERS})
    details: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {s: [] for s in SERVERS})

    def value(self, server: str) -> float | None:
        values = self.rounds.get(server) or []
        return statistics.median(values) if values else None

    @property
    def ratio(self) -> float | None:
        """Satchel / PocketBase, so >1 is better for throughput and <1 is better for time and memory."""
        s, p = self.value("satchel"), self.value("pocketbase")
        return s / p if s is not None and p else None

    @property
    def budget(self) -> str:
        ratio = self.ratio
        if ratio is None or self.floor is None and self.goal is None:
            return ""
        higher = self.better == "higher"
        limit = self.floor if self.floor is not None else self.goal
        assert limit is not None
        meets = ratio >= limit if higher else ratio <= limit
        return f"{'ok' if meets else 'BELOW'} ({'≥' if higher else '≤'}{limit:g})"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data |= {"value": {s: self.value(s) for s in SERVERS}, "ratio": self.ratio, "budget": self.budget}
        return data


def _cell(row: Row, server: str) -> str:
    value = row.value(server)
    if value is not None:
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    verdict = row.verdicts.get(server, "")
    if verdict.startswith("mismatch"):
        return "mismatch"
    return verdict or "-"


def format_table(rows: list[Row]) -> str:
    header = ("workload", "unit", "Satchel", "PocketBase", "ratio S/PB", "better", "budget floor")
    body = [
        (r.name, r.unit, _cell(r, "satchel"), _cell(r, "pocketbase"),
         f"{r.ratio:.2f}" if r.ratio is not None else "-", r.better, r.budget)
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in (header, *body)) for i in range(len(header))]
    lines = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) + " |" for line in body]
    notes = [f"- {r.name} / {s}: {v}" for r in rows for s, v in r.verdicts.items() if v.startswith("mismatch")]
    return "\n".join(lines + (["", "shape mismatches (not timed):", *notes] if notes else []))


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def write_json(path: Path, meta: dict[str, Any], rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**meta, "workloads": [r.to_json() for r in rows]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
