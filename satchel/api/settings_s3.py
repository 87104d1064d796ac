"""``POST /api/settings/test/s3``: upload and delete a test file (superusers only)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import endpoint, get_app, read_body, require_superuser
from satchel.api.responses import no_content
from satchel.core.files.storage import storage_for_s3
from satchel.errors import ApiError, ValidationError
from satchel.tools.filesystem import StorageError
from satchel.tools.security import pseudorandom_string

__all__ = ["test_s3"]

FAILED = "Failed to test the S3 filesystem."
LOAD_FAILED = "An error occurred while loading the submitted data."


@endpoint
async def test_s3(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    target = body.get("filesystem")
    if not target:
        raise ApiError(400, FAILED, {"filesystem": ValidationError("validation_required", "Cannot be blank.")})
    if target not in ("storage", "backups"):
        raise ApiError(400, FAILED, {"filesystem": ValidationError("validation_in_invalid", "Must be a valid value.")})
    settings = app.settings.current
    cfg = settings.backups.s3 if target == "backups" else settings.s3
    if not cfg.enabled:
        raise ApiError(400, f"{FAILED} Raw error: \nS3 storage filesystem is not enabled")
    prefix = "pb_settings_test_" + pseudorandom_string(5)
    key = prefix + "/test.txt"

    def run() -> None:
        storage = storage_for_s3(cfg)
        try:
            storage.put_bytes(key, b"test", content_type="text/plain; charset=utf-8")
        except StorageError as exc:
            raise ApiError(400, f"{FAILED} Raw error: \nfailed to upload a test file: {exc}") from exc
        failures = storage.delete_prefix(prefix + "/")
        if failures:
            raise ApiError(400, f"{FAILED} Raw error: \nfailed to delete a test file: {failures[0]}")

    try:
        await asyncio.to_thread(run)
    except StorageError as exc:
        raise ApiError(400, f"{FAILED} Raw error: \n{exc}") from exc
    return no_content()
