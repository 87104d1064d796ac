"""Files: uploads, storage selection, thumbs, and the files of view collections (spec 06).

* :mod:`.hook_events` -- the hook events of this domain (re-exported by :mod:`satchel.hooks`);
* :mod:`.storage` -- Files of records: uploads, storage selection, thumbs, and deletion after commit;
* :mod:`.view_files` -- Files of view collections: the record that really holds a view record's file.

The names below are the package's face: code outside the package (and above all
``satchel.hooks``) imports them from here.  They load on first use, so importing
one module of the package does not import the rest (no import cycle runs through
a face, and the CLI starts as fast as before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.files.hook_events import (
        FileDownloadRequestEvent,
        FileTokenRequestEvent,
    )
    from satchel.core.files.storage import (
        THUMB_SOURCE_TYPES,
        FileService,
        PendingFile,
        file_key,
        forget_record_files,
        forwarded_name,
        merge_uploads,
        prepare_upload,
        prepare_uploads,
        resolve_thumb_size,
        save_record_files,
        storage_for_s3,
        thumb_key,
    )
    from satchel.core.files.view_files import find_view_file_record_sync, view_file_source

_WHERE = {
    "FileDownloadRequestEvent": "hook_events",
    "FileTokenRequestEvent": "hook_events",
    "FileService": "storage",
    "PendingFile": "storage",
    "THUMB_SOURCE_TYPES": "storage",
    "file_key": "storage",
    "find_view_file_record_sync": "view_files",
    "forget_record_files": "storage",
    "forwarded_name": "storage",
    "merge_uploads": "storage",
    "prepare_upload": "storage",
    "prepare_uploads": "storage",
    "resolve_thumb_size": "storage",
    "save_record_files": "storage",
    "storage_for_s3": "storage",
    "thumb_key": "storage",
    "view_file_source": "view_files",
}
__all__ = [
    "FileDownloadRequestEvent",
    "FileTokenRequestEvent",
    "FileService",
    "PendingFile",
    "THUMB_SOURCE_TYPES",
    "file_key",
    "find_view_file_record_sync",
    "forget_record_files",
    "forwarded_name",
    "merge_uploads",
    "prepare_upload",
    "prepare_uploads",
    "resolve_thumb_size",
    "save_record_files",
    "storage_for_s3",
    "thumb_key",
    "view_file_source",
]
__getattr__ = lazy_names(__name__, _WHERE)
