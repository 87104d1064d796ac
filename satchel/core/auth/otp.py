"""One-time passwords: ``_otps`` rows, their check, and the per-record attempt limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from satchel.core.auth.mfa import expired
from satchel.core.auth.rows import delete_row, find_rows, insert_row, system_collection
from satchel.core.collections.model import Collection
from satchel.core.records.rows import check_password, hash_password
from satchel.store.database import Tx
from satchel.tools.security import random_string

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["AttemptLimiter", "OTP_HASH_COST", "create_otp", "new_otp_code"]

OTP_HASH_COST = 8
MAX_ACTIVE_OTPS = 9


def new_otp_code(c: Collection) -> str:
    length = int((c.options.get("otp") or {}).get("length") or 8)
    return random_string(max(length, 1), "0123456789")


def create_otp(
    app: App, tx: Tx, c: Collection, record: Mapping[str, Any], code: str, *, reuse: bool = True
) -> tuple[dict[str, Any], bool]:
    """Store a new OTP for ``record`` -> (row, created).

    When the record already has more than 9 unexpired OTPs the newest is reused
    (not in dev mode), as PocketBase does; ``created`` is False then.
    """
    otps = system_collection(app, "_otps")
    duration = float((c.options.get("otp") or {}).get("duration") or 180)
    if reuse and not app.config.dev:
        active = [
            row
            for row in find_rows(app, tx.conn, otps, {"collectionRef": c.id, "recordRef": record["id"]})
            if not expired(str(row.get("created") or ""), duration)
        ]
        if len(active) > MAX_ACTIVE_OTPS:
            return active[-1], False
    row = insert_row(
        app,
        tx,
        otps,
        {
            "collectionRef": c.id,
            "recordRef": record["id"],
            "password": hash_password(code, OTP_HASH_COST),
            "sentTo": "",
        },
    )
    return row, True


def otp_matches(row: Mapping[str, Any], code: str) -> bool:
    return check_password(code, str(row.get("password") or "") or None)


def delete_otp(app: App, tx: Tx, row: Mapping[str, Any]) -> None:
    delete_row(app, tx, system_collection(app, "_otps"), row)


class AttemptLimiter:
    """At most ``limit`` attempts per ``window`` seconds per key (fixed window)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 10000:
                self._hits = {k: v for k, v in self._hits.items() if now - v[0] < self.window}
            start, count = self._hits.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._hits[key] = (start, count)
            return count <= self.limit


def get_limiter(app: App, name: str, limit: int, window: float) -> AttemptLimiter:
    limiters: dict[str, AttemptLimiter] = app.state.setdefault("auth_limiters", {})
    limiter = limiters.get(name)
    if limiter is None:
        limiter = limiters[name] = AttemptLimiter(limit, window)
    return limiter
