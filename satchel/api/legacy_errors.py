"""The v0.22 error body ``{"code","message","data"}`` of the legacy admin routes, and their
route class (a wrong method answers that body's 404).

Apart from :mod:`satchel.api.admins` so that the route table names those routes without
importing their handlers (start-up, docs/performance.md).
"""

from __future__ import annotations

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from satchel.api.lazy_route import LazyPathRoute
from satchel.errors import ApiError, NotFoundError, error_tree_to_dict, sentenize

__all__ = ["LegacyRoute", "legacy_error"]


def legacy_error(err: ApiError) -> Response:
    body = {"code": err.status, "message": sentenize(err.message), "data": error_tree_to_dict(err.data)}
    return Response(orjson.dumps(body), err.status, media_type="application/json")


class LegacyRoute(LazyPathRoute):
    """A legacy route whose wrong-method answer is 0.22's ``{"code":404,...}`` (never 405)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            await legacy_error(NotFoundError("Not Found."))(scope, receive, send)
            return
        await super().handle(scope, receive, send)
