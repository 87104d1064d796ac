"""Collections: the model, its forms and validation, the schema sync and the in-memory registry (spec 02).

* :mod:`.auth_options` -- Default options of auth collections and the rules forced on save;
* :mod:`.auth_validate` -- Validation of the auth collection options (spec 10 §1), PocketBase's codes;
* :mod:`.form` -- Turn a request body into the collection it describes (pure);
* :mod:`.hook_events` -- the hook events of this domain (re-exported by :mod:`satchel.hooks`);
* :mod:`.legacy` -- The v0.22 collection shape: reading it into the model and writing it back;
* :mod:`.listing` -- ``GET /api/collections``: the list with filter/sort/paging, run in SQL;
* :mod:`.model` -- The collection model: what a collection is, and its JSON shapes;
* :mod:`.registry` -- The in-memory cache of collections, refreshed after each committed schema change;
* :mod:`.rules` -- Checking API rules against a collection's schema when the collection is saved;
* :mod:`.schema_sync` -- Plan the DDL that turns a record table from one collection version into the next;
* :mod:`.service` -- Saving and deleting collections: validation, the ``_collections`` row and the;
* :mod:`.validate` -- Validate a collection about to be saved, with PocketBase's error codes;
* :mod:`.view_query` -- View collections: the pure SQL-text half of PocketBase's ``core/view.go``.

The names below are the package's face: code outside the package (and above all
``satchel.hooks``) imports them from here.  They load on first use, so importing
one module of the package does not import the rest (no import cycle runs through
a face, and the CLI starts as fast as before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.collections.form import preview
    from satchel.core.collections.hook_events import (
        CollectionErrorEvent,
        CollectionEvent,
        CollectionRequestEvent,
        CollectionsImportRequestEvent,
        CollectionsListRequestEvent,
    )
    from satchel.core.collections.legacy import is_legacy_payload
    from satchel.core.collections.listing import list_collections
    from satchel.core.collections.model import (
        AUTH,
        AUTH_OPTION_KEYS,
        BASE,
        HIDDEN_WHEN_DEFAULT,
        RULE_KEYS,
        VIEW,
        Collection,
    )
    from satchel.core.collections.registry import CollectionRegistry, load_collections, write_collection_row
    from satchel.core.collections.schema_sync import plan_create
    from satchel.core.collections.service import CollectionService
    from satchel.core.collections.view_query import CollectionFieldsInfo, ViewQueryError, infer_view_fields

_WHERE = {
    "CollectionErrorEvent": "hook_events",
    "CollectionEvent": "hook_events",
    "CollectionRequestEvent": "hook_events",
    "CollectionsImportRequestEvent": "hook_events",
    "CollectionsListRequestEvent": "hook_events",
    "AUTH": "model",
    "AUTH_OPTION_KEYS": "model",
    "BASE": "model",
    "Collection": "model",
    "CollectionFieldsInfo": "view_query",
    "CollectionRegistry": "registry",
    "CollectionService": "service",
    "HIDDEN_WHEN_DEFAULT": "model",
    "RULE_KEYS": "model",
    "VIEW": "model",
    "ViewQueryError": "view_query",
    "infer_view_fields": "view_query",
    "is_legacy_payload": "legacy",
    "list_collections": "listing",
    "load_collections": "registry",
    "plan_create": "schema_sync",
    "preview": "form",
    "write_collection_row": "registry",
}
__all__ = [
    "CollectionErrorEvent",
    "CollectionEvent",
    "CollectionRequestEvent",
    "CollectionsImportRequestEvent",
    "CollectionsListRequestEvent",
    "AUTH",
    "AUTH_OPTION_KEYS",
    "BASE",
    "Collection",
    "CollectionFieldsInfo",
    "CollectionRegistry",
    "CollectionService",
    "HIDDEN_WHEN_DEFAULT",
    "RULE_KEYS",
    "VIEW",
    "ViewQueryError",
    "infer_view_fields",
    "is_legacy_payload",
    "list_collections",
    "load_collections",
    "plan_create",
    "preview",
    "write_collection_row",
]
__getattr__ = lazy_names(__name__, _WHERE)
