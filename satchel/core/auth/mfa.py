"""Multi-factor auth: the ``_mfas`` rows between the first and the second method (spec 10 §7)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from satchel.core.auth.rows import delete_row, insert_row, system_collection
from satchel.core.auth.rule_check import record_matches_rule
from satchel.core.collections.model import Collection
from satchel.errors import BadRequestError
from satchel.store.database import Tx
from satchel.tools.timeutil import format_datetime

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["check_mfa", "expired", "mfa_applies"]


def expired(created: str, duration_seconds: float) -> bool:
    """Is a row created at ``created`` (PocketBase datetime text) older than the duration?"""
    limit = format_datetime(datetime.now(UTC) - timedelta(seconds=duration_seconds))
    return not created or created < limit


async def mfa_applies(
    app: App, c: Collection, record: Mapping[str, Any], request_auth: Mapping[str, Any] | None = None
) -> bool:
    mfa = c.options.get("mfa") or {}
    if not mfa.get("enabled"):
        return False
    return await record_matches_rule(app, c, record, str(mfa.get("rule") or ""), request_auth)


async def check_mfa(
    app: App,
    c: Collection,
    record: Mapping[str, Any],
    method: str,
    mfa_id: str,
    request_auth: Mapping[str, Any] | None = None,
) -> str:
    """``""`` when the login may proceed; else the id of a new MFA session (answer 401).

    With ``mfa_id`` the session is checked (different method, same record, not
    expired) and consumed.
    """
    if not method or not await mfa_applies(app, c, record, request_auth):
        return ""
    mfas = system_collection(app, "_mfas")
    duration = float((c.options.get("mfa") or {}).get("duration") or 600)
    if mfa_id:
        row = await app.records.find_by_field(mfas, "id", mfa_id)
        if row is None:
            raise BadRequestError("Invalid or expired MFA session.")
        if expired(str(row.get("created") or ""), duration):
            await app.db.try_write(lambda tx: delete_row(app, tx, mfas, row), "removal of an expired MFA")
            raise BadRequestError("Invalid or expired MFA session.")
        if row.get("recordRef") != record["id"] or row.get("collectionRef") != c.id:
            raise BadRequestError("Invalid MFA session.")
        if row.get("method") == method:
            raise BadRequestError("A different authentication method is required.")
        await app.db.write(lambda tx: delete_row(app, tx, mfas, row))
        return ""

    def create(tx: Tx) -> str:
        row = insert_row(app, tx, mfas, {"collectionRef": c.id, "recordRef": record["id"], "method": method})
        return str(row["id"])

    return await app.db.write(create)
