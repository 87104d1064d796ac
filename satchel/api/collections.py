"""``/api/collections*``: superuser-only management of collections (spec 01 §6).

Collections carry the v0.22 keys ``schema``/``options`` only for legacy clients:
a request with a 0.22 admin token (SDK 0.21), or a create/update whose body is
in the v0.22 shape (the guide's curl).  Everyone else gets PocketBase 0.40's body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.hook_request import hook_event, new_request_event, run_request_hook
from satchel.api.request import AuthState, endpoint, get_app, is_form, read_body, require_superuser
from satchel.api.responses import no_content, ordered_json_response
from satchel.core.collections import form
from satchel.core.collections.hook_events import CollectionsImportRequestEvent, CollectionsListRequestEvent
from satchel.core.collections.legacy import is_legacy_payload
from satchel.core.collections.listing import list_collections
from satchel.core.collections.model import AUTH, BASE, RULE_KEYS, VIEW, Collection
from satchel.errors import ApiError, BadRequestError, NotFoundError, ValidationError

__all__ = [
    "create_collection",
    "delete_collection",
    "dry_run_view",
    "get_collection",
    "import_collections",
    "PREVIEW_KEY",
    "list_collections_endpoint",
    "scaffolds",
    "truncate_collection",
    "update_collection",
]


async def _automigrate(app: Any, before: Any, after: Any) -> None:
    """``--automigrate``: the change just made through the API as a migration file."""
    if app.automigrate is None:
        return
    old = before.to_api_dict() if before is not None else None
    new = after.to_api_dict() if after is not None else None
    await app.db.on_writer(app.automigrate.record, old, new)


def _legacy_client(auth: AuthState, body: Mapping[str, Any]) -> bool:
    return auth.legacy_admin or is_legacy_payload(body)


@endpoint
async def list_collections_endpoint(request: Request) -> Response:
    auth = await require_superuser(request)
    app = get_app(request)
    hook = app.hooks.on_collections_list_request
    if not hook.handlers:
        return ordered_json_response(
            await list_collections(app, dict(request.query_params), legacy_keys=auth.legacy_admin)
        )
    models: list[Collection] = []
    result = await list_collections(app, dict(request.query_params), legacy_keys=auth.legacy_admin, keep=models)
    event = await new_request_event(request, CollectionsListRequestEvent, collections=models, result=result)

    def send(e: CollectionsListRequestEvent) -> None:
        e.response = ordered_json_response(e.result)

    return await run_request_hook(hook, event, send)


@endpoint
async def get_collection(request: Request) -> Response:
    auth = await require_superuser(request)
    app = get_app(request)
    c = app.registry.get(request.path_params["collection"])
    if c is None:
        raise NotFoundError()
    return ordered_json_response(c.to_api_dict(legacy_keys=auth.legacy_admin))


# the scope key of the API dict of the e.collection an on_collection_create_request
# handler was given (to tell what it changed)
PREVIEW_KEY = "satchel.collection_preview"


def _with_hook_changes(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """The body with the keys an ``on_collection_create_request`` handler changed on
    ``e.collection`` (PocketBase saves the event's collection itself)."""
    before = request.scope.get(PREVIEW_KEY)
    event = hook_event(request)
    collection = getattr(event, "collection", None)
    if before is None or not isinstance(collection, Collection):
        return body
    after = collection.to_api_dict()
    return {**body, **{k: v for k, v in after.items() if before.get(k) != v}}


@endpoint
async def create_collection(request: Request) -> Response:
    auth = await require_superuser(request)
    type_data_error = "Failed to load the collection type data due to invalid formatting."
    body = await read_body(request, invalid_message=type_data_error)
    for key in ("name", "type"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequestError(type_data_error)
    if is_form(request):
        # PocketBase's form binding leaves the rules it wasn't sent as "" (public)
        for key in RULE_KEYS:
            body.setdefault(key, "")
    app = get_app(request)
    created = await app.collections.create(_with_hook_changes(request, body))
    await _automigrate(app, None, created)
    return ordered_json_response(created.to_api_dict(legacy_keys=_legacy_client(auth, body)))


@endpoint
async def update_collection(request: Request) -> Response:
    auth = await require_superuser(request)
    app = get_app(request)
    before = app.registry.get(request.path_params["collection"])
    if before is None:
        raise NotFoundError()
    body = await read_body(request, invalid_message="Failed to load the submitted data due to invalid formatting.")
    updated = await app.collections.update(request.path_params["collection"], body)
    await _automigrate(app, before, updated)
    return ordered_json_response(updated.to_api_dict(legacy_keys=_legacy_client(auth, body)))


@endpoint
async def delete_collection(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    deleted = await app.collections.delete(request.path_params["collection"])
    await _automigrate(app, deleted, None)
    return no_content()


@endpoint
async def truncate_collection(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    await app.collections.truncate(request.path_params["collection"])
    return no_content()


@endpoint
async def import_collections(request: Request) -> Response:
    await require_superuser(request)
    body = await read_body(request, invalid_message="An error occurred while loading the submitted data.")
    items: Any = body.get("collections")
    if not isinstance(items, list) or not items:
        raise ApiError(
            400,
            "An error occurred while validating the submitted data.",
            {"collections": ValidationError("validation_required", "Cannot be blank.")},
        )
    app = get_app(request)
    hook = app.hooks.on_collections_import_request
    if not hook.handlers:
        await app.collections.import_(items, bool(body.get("deleteMissing")))
        return no_content()
    event = await new_request_event(
        request, CollectionsImportRequestEvent, body,
        collections_import_data=items, delete_missing=bool(body.get("deleteMissing")),
    )  # fmt: skip

    async def run_import(e: CollectionsImportRequestEvent) -> None:
        await app.collections.import_(e.collections_import_data, e.delete_missing)
        e.response = no_content()

    return await run_request_hook(hook, event, run_import)


@endpoint
async def scaffolds(request: Request) -> Response:
    await require_superuser(request)
    from satchel.tools.security import random_string

    out: dict[str, Any] = {}
    for type_ in (BASE, AUTH, VIEW):
        c = form.new_collection(type_, "")
        if type_ == AUTH:
            c.id = random_string(10, "abcdefghijklmnopqrstuvwxyz0123456789")
        form.finalize(c)
        data = c.to_api_dict()
        data["id"] = ""
        out[type_] = data
    return ordered_json_response(out)


@endpoint
async def dry_run_view(request: Request) -> Response:
    """Fields and up to 10 sample records a view query would give (not saved)."""
    await require_superuser(request)
    body = await read_body(request, invalid_message="An error occurred while loading the submitted data.")
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ApiError(
            400,
            "An error occurred while validating the submitted data.",
            {"query": ValidationError("validation_required", "Cannot be blank.")},
        )
    if len(query) > 5000:
        raise ApiError(
            400,
            "An error occurred while validating the submitted data.",
            {
                "query": ValidationError(
                    "validation_length_too_long", "The length must be no more than 5000.", {"max": 5000, "min": 0}
                )
            },
        )
    app = get_app(request)
    return ordered_json_response(await app.collections.dry_run_view(query))
