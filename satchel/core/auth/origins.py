"""New-login alerts and ``_authOrigins`` (spec 10 §9)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from satchel.core.auth.rows import delete_row, find_rows, insert_row, system_collection
from satchel.core.collections.model import Collection
from satchel.core.mail.sender import get_mailer, send_template
from satchel.store.database import Tx
from satchel.tools.timeutil import now_text

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["ALERT_WAIT", "MAX_ORIGINS", "fingerprint", "track_origin"]

log = logging.getLogger("satchel.auth")
MAX_ORIGINS = 5
ALERT_WAIT = 15.0


def fingerprint(ip: str, user_agent: str) -> str:
    if len(user_agent) > 200:
        user_agent = user_agent[:200] + "..."
    return hashlib.md5((ip + user_agent).encode()).hexdigest()


def _save_origin(app: App, tx: Tx, c: Collection, record: Mapping[str, Any], fp: str) -> tuple[bool, bool]:
    """(the record had origins before, this fingerprint is new)."""
    origins_c = system_collection(app, "_authOrigins")
    rows = find_rows(app, tx.conn, origins_c, {"collectionRef": c.id, "recordRef": record["id"]}, order="updated")
    had_origins = bool(rows)
    existing = next((row for row in rows if row.get("fingerprint") == fp), None)
    if existing is not None:
        app.records.update_sync(tx, origins_c, str(existing["id"]), {"updated": now_text()})
        return had_origins, False
    for old in rows[: max(0, len(rows) - (MAX_ORIGINS - 1))]:
        delete_row(app, tx, origins_c, old)
    insert_row(app, tx, origins_c, {"collectionRef": c.id, "recordRef": record["id"], "fingerprint": fp})
    return had_origins, True


async def track_origin(app: App, c: Collection, record: Mapping[str, Any], ip: str, user_agent: str) -> None:
    """Remember where the record logged in from; mail an alert for a new place."""
    if not (c.options.get("authAlert") or {}).get("enabled"):
        return
    fp = fingerprint(ip, user_agent)
    saved = await app.db.try_write(lambda tx: _save_origin(app, tx, c, record, fp), "login origin")
    if saved is None:
        return  # a full disk must not keep the user out (nor mail an alert for every retry)
    had_origins, is_new = saved
    email = str(record.get("email") or "")
    if not (had_origins and is_new and email):
        return
    import html  # here: its entity table costs start-up time and only this alert needs it

    info = html.escape(f"{now_text()} - {ip} {user_agent}")
    message = send_template(app, c, record, "authAlert", email, {"{ALERT_INFO}": info})
    task = get_mailer(app).send_background(message)
    try:
        await asyncio.wait_for(asyncio.shield(task), ALERT_WAIT)
    except TimeoutError:
        log.warning("login alert mail to %s still pending after %ss", email, ALERT_WAIT)
