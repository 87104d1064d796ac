"""``/api/backups`` (superusers; the download takes a superuser file token), spec 12 §4."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from satchel.api.files import stored_file_response
from satchel.api.request import authenticate_token, endpoint, get_app, read_body, require_superuser
from satchel.api.responses import no_content, ordered_json_response
from satchel.core.ops import backup_name_error, default_backup_name
from satchel.errors import ApiError, BadRequestError, ForbiddenError, NotFoundError
from satchel.tools.filesystem import InvalidKey, detect, normalize_name
from satchel.tools.timeutil import format_datetime

__all__ = ["create_backup", "delete_backup", "download_backup", "list_backups", "restore_backup", "upload_backup"]

INVALID_DATA = "An error occurred while validating the submitted data."
LOAD_FAILED = "An error occurred while loading the submitted data."


def _invalid(field: str, error: dict[str, object]) -> ApiError:
    return ApiError(400, INVALID_DATA, {field: error})


@endpoint
async def list_backups(request: Request) -> Response:
    await require_superuser(request)
    infos = await asyncio.to_thread(get_app(request).backups.list)
    return ordered_json_response(
        [{"modified": format_datetime(i.modified), "key": i.key, "size": i.size} for i in infos]
    )


@endpoint
async def create_backup(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    body = await read_body(request, invalid_message=LOAD_FAILED)
    name = str(body.get("name") or "")
    if name:
        error = backup_name_error(name)
        if error is None and await asyncio.to_thread(app.backups.exists, name):
            error = {"code": "validation_backup_name_exists",
                     "message": "The backup file name is invalid or already exists."}
        if error is not None:
            raise _invalid("name", error)
    else:
        name = default_backup_name(app.settings.current.meta.app_name)
    await asyncio.to_thread(app.backups.create, name)
    return no_content()


async def _upload_file(request: Request) -> UploadFile | None:
    try:
        form = await request.form(max_files=10, max_fields=100)
    except Exception as exc:
        raise BadRequestError(LOAD_FAILED) from exc
    value = form.get("file")
    return value if isinstance(value, UploadFile) else None


@endpoint
async def upload_backup(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    upload = await _upload_file(request)
    if upload is None or not upload.filename:
        raise _invalid("file", {"code": "validation_required", "message": "Cannot be blank."})
    head = await upload.read(3072)
    await upload.seek(0)
    name = Path(upload.filename).name
    if detect(head) != "application/zip":
        stored = normalize_name(name)
        raise _invalid("file", {"code": "validation_invalid_mime_type",
                                "message": f'"{stored}" mime type must be one of: application/zip.'})
    if not name or name.startswith(".") or "\\" in name:
        raise _invalid("file", {"code": "validation_match_invalid", "message": "Must be in a valid format."})
    if await asyncio.to_thread(app.backups.exists, name):
        raise _invalid("file", {"code": "validation_backup_name_exists",
                                "message": "Backup file with the specified name already exists."})
    with tempfile.NamedTemporaryFile(suffix=".zip") as tmp:
        await asyncio.to_thread(shutil.copyfileobj, upload.file, tmp)
        tmp.flush()
        await asyncio.to_thread(app.backups.save_upload, name, Path(tmp.name))
    return no_content()


@endpoint
async def download_backup(request: Request) -> Response:
    app = get_app(request)
    auth = await authenticate_token(app, request.query_params.get("token", ""), ("file",))
    if not auth.is_superuser:
        raise ForbiddenError("Insufficient permissions to access the resource.")
    key = request.path_params["key"]
    try:
        info = await asyncio.to_thread(app.backups.storage.stat, key)
    except InvalidKey as exc:
        raise NotFoundError() from exc
    if info is None:
        raise NotFoundError()
    return stored_file_response(request, app.backups.storage, key, info, key)


@endpoint
async def delete_backup(request: Request) -> Response:
    await require_superuser(request)
    await asyncio.to_thread(get_app(request).backups.delete, request.path_params["key"])
    return no_content()


@endpoint
async def restore_backup(request: Request) -> Response:
    """Checked and unpacked now (a bad zip is a 400, nothing replaced); applied by the
    restart that follows the answer, as PocketBase restarts the process."""
    await require_superuser(request)
    app = get_app(request)
    try:
        await asyncio.to_thread(app.backups.prepare_restore, request.path_params["key"])
    except InvalidKey as exc:
        raise BadRequestError("Missing or invalid backup file.") from exc
    restart = app.state.get("restart")
    return Response(status_code=204, background=BackgroundTask(restart) if restart is not None else None)
