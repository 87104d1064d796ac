"""The v0.22 external-auth routes (SDK 0.21's ``listExternalAuths`` /
``unlinkExternalAuth``), served from the v0.40 ``_externalAuths`` collection.

- ``GET /api/collections/{c}/records/{id}/external-auths`` -> the record's links,
  oldest first, in the v0.22 shape ``{id, created, updated, collectionId,
  recordId, provider, providerId}``;
- ``DELETE /api/collections/{c}/records/{id}/external-auths/{provider}`` -> 204.

As in PocketBase 0.22 (checked against the 0.22.27 binary): the collection is
checked first (404, then 400 ``Unsupported collection type.`` for a non-auth
one), then the caller: a superuser (legacy ``admin`` token or v0.40 superuser
token) or the record itself (401 without a valid token, 403 for anyone else);
then the record (404) and the link (404 ``Missing external auth provider
relation.``).  No collection rule is consulted.  Errors use the v0.22 body
``{"code","message","data"}``.  Unlike 0.22, the owner check compares the
collection too, not only the record id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from satchel.api.admins import legacy_endpoint
from satchel.api.request import get_app, get_auth
from satchel.core.auth.rows import delete_row, find_rows, system_collection
from satchel.core.collections.model import Collection
from satchel.errors import ApiError, BadRequestError, ForbiddenError, NotFoundError
from satchel.store.database import Tx

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["list_external_auths", "unlink_external_auth"]

EXTERNAL_AUTHS = "_externalAuths"


def legacy_external_auth(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``_externalAuths`` row as v0.22's ``models.ExternalAuth``."""
    return {
        "id": row["id"],
        "created": row.get("created", ""),
        "updated": row.get("updated", ""),
        "collectionId": row.get("collectionRef", ""),
        "recordId": row.get("recordRef", ""),
        "provider": row.get("provider", ""),
        "providerId": row.get("providerId", ""),
    }


async def _authorized(request: Request) -> tuple[App, Collection, str]:
    """The auth collection and record id of the path, once the caller may use them."""
    app = get_app(request)
    c = app.registry.get(request.path_params["collection"])
    if c is None:
        raise NotFoundError()
    if not c.is_auth:
        raise BadRequestError("Unsupported collection type.")
    record_id = str(request.path_params["id"])
    auth = await get_auth(request)
    if auth.is_superuser:  # a v0.40 superuser or a legacy ``admin`` token
        pass
    elif auth.record is None or auth.collection is None:
        raise ApiError(401, "The request requires admin or record authorization token to be set.")
    elif auth.record.get("id") != record_id or auth.collection.id != c.id:
        raise ForbiddenError("You are not allowed to perform this request.")
    return app, c, record_id


def _record_links(app: App, conn: Any, c: Collection, record_id: str) -> list[dict[str, Any]]:
    if app.records.find_by_field_sync(conn, c, "id", record_id) is None:
        raise NotFoundError()
    ext = system_collection(app, EXTERNAL_AUTHS)
    return find_rows(app, conn, ext, {"collectionRef": c.id, "recordRef": record_id})


@legacy_endpoint
async def list_external_auths(request: Request) -> Response:
    app, c, record_id = await _authorized(request)
    rows = await app.db.read(lambda conn: _record_links(app, conn, c, record_id))
    return Response(orjson.dumps([legacy_external_auth(r) for r in rows]), 200, media_type="application/json")


@legacy_endpoint
async def unlink_external_auth(request: Request) -> Response:
    app, c, record_id = await _authorized(request)
    provider = str(request.path_params["provider"])

    def unlink(tx: Tx) -> None:
        links = [r for r in _record_links(app, tx.conn, c, record_id) if r.get("provider") == provider]
        if not links:
            raise NotFoundError("Missing external auth provider relation.")
        delete_row(app, tx, system_collection(app, EXTERNAL_AUTHS), links[0])

    await app.db.write(unlink)
    return Response(status_code=204)
