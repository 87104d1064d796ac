"""Satchel vs PocketBase benchmark suite (``python -m bench``).

Starts both servers pinned to one core, seeds them with the same data through the public
API, drives the same workloads against both (interleaved), checks that both answer the same
shape before timing anything, and writes a table plus a JSON file to ``bench/results/``.
"""

from __future__ import annotations

__all__: list[str] = []
