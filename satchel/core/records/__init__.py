"""Records: the row model, reading, rules, expand, writes and their events (spec 03).

* :mod:`.access` -- Record reads and writes on behalf of hooks and migrations (``app.save(record)``...);
* :mod:`.codec` -- Record rows -> record values, compiled once per collection;
* :mod:`.cost` -- Is a single-record read cheap enough to run on the event loop thread?;
* :mod:`.events` -- The seam between record writes and whoever listens to them (realtime, hooks);
* :mod:`.expand` -- ``?expand=`` -- related records attached under ``record["expand"]`` (spec 03 §3);
* :mod:`.field_rules` -- Field-level rules of the user's guide (spec 14 §8), an extension PocketBase ignores;
* :mod:`.hook_events` -- the hook events of this domain (re-exported by :mod:`satchel.hooks`);
* :mod:`.hooks` -- Firing the record model hooks around a write, and the enrich hook before a send;
* :mod:`.model` -- ``Record``: one record of a collection as hooks see it (PocketBase's ``core.Record``);
* :mod:`.picking` -- The ``fields`` query parameter: pick keys out of a response (spec 03 §4);
* :mod:`.query` -- Reading records with API rules: list, view, fetch-with-rule, and presenting them;
* :mod:`.resolver` -- PocketBase's record field resolver: filter/rule identifiers -> SQL over record tables;
* :mod:`.rows` -- Reading and writing record rows (the part the foundation needs);
* :mod:`.rule_cache` -- Compiled API-rule SQL, kept per (collection, rule, request shape);
* :mod:`.sql` -- The SQL statements of the records API, assembled from dialect fragments;
* :mod:`.write` -- Create, update and delete records with API rules, in one write transaction.

The names below are the package's face: code outside the package (and above all
``satchel.hooks``) imports them from here.  They load on first use, so importing
one module of the package does not import the rest (no import cycle runs through
a face, and the CLI starts as fast as before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.records.access import delete_record_model, find_record, find_records, save_record_model
    from satchel.core.records.cost import rules_are_bounded
    from satchel.core.records.events import publish
    from satchel.core.records.expand import expand_records, make_expander
    from satchel.core.records.field_rules import CONTEXT_LIST, CONTEXT_VIEW, dropped_by_views
    from satchel.core.records.hook_events import (
        RecordEnrichEvent,
        RecordErrorEvent,
        RecordEvent,
        RecordRequestEvent,
        RecordsListRequestEvent,
    )
    from satchel.core.records.hooks import enrich, run_model_hooks
    from satchel.core.records.model import File, Record
    from satchel.core.records.picking import pick_fields
    from satchel.core.records.query import (
        ONLY_SUPERUSERS,
        Presenter,
        RecordEnv,
        fetch_with_rule_sync,
        list_records_sync,
    )
    from satchel.core.records.resolver import (
        RecordFieldResolver,
        RequestInfo,
        rule_exists_query,
        superuser_only_filter_error,
    )
    from satchel.core.records.rows import (
        RecordStore,
        check_password,
        hash_password,
        new_record_id,
        public_record,
        row_to_record,
    )
    from satchel.core.records.rule_cache import RuleCache, rule_shape
    from satchel.core.records.write import (
        CREATE_FAILED,
        DELETE_REQUIRED_REF,
        UPDATE_FAILED,
        Changes,
        WriteRequest,
        create_record_sync,
        delete_record_sync,
        update_record_sync,
    )

_WHERE = {
    "RecordEnrichEvent": "hook_events",
    "RecordErrorEvent": "hook_events",
    "RecordEvent": "hook_events",
    "RecordRequestEvent": "hook_events",
    "RecordsListRequestEvent": "hook_events",
    "CONTEXT_LIST": "field_rules",
    "CONTEXT_VIEW": "field_rules",
    "CREATE_FAILED": "write",
    "Changes": "write",
    "DELETE_REQUIRED_REF": "write",
    "File": "model",
    "ONLY_SUPERUSERS": "query",
    "Presenter": "query",
    "Record": "model",
    "RecordEnv": "query",
    "RecordFieldResolver": "resolver",
    "RecordStore": "rows",
    "RequestInfo": "resolver",
    "RuleCache": "rule_cache",
    "UPDATE_FAILED": "write",
    "WriteRequest": "write",
    "check_password": "rows",
    "create_record_sync": "write",
    "delete_record_model": "access",
    "delete_record_sync": "write",
    "dropped_by_views": "field_rules",
    "enrich": "hooks",
    "expand_records": "expand",
    "fetch_with_rule_sync": "query",
    "find_record": "access",
    "find_records": "access",
    "hash_password": "rows",
    "list_records_sync": "query",
    "make_expander": "expand",
    "new_record_id": "rows",
    "pick_fields": "picking",
    "public_record": "rows",
    "publish": "events",
    "row_to_record": "rows",
    "rule_exists_query": "resolver",
    "rule_shape": "rule_cache",
    "rules_are_bounded": "cost",
    "run_model_hooks": "hooks",
    "save_record_model": "access",
    "superuser_only_filter_error": "resolver",
    "update_record_sync": "write",
}
__all__ = [
    "RecordEnrichEvent",
    "RecordErrorEvent",
    "RecordRequestEvent",
    "RecordsListRequestEvent",
    "CONTEXT_LIST",
    "CONTEXT_VIEW",
    "CREATE_FAILED",
    "Changes",
    "DELETE_REQUIRED_REF",
    "File",
    "ONLY_SUPERUSERS",
    "Presenter",
    "Record",
    "RecordEnv",
    "RecordEvent",
    "RecordFieldResolver",
    "RecordStore",
    "RequestInfo",
    "RuleCache",
    "UPDATE_FAILED",
    "WriteRequest",
    "check_password",
    "create_record_sync",
    "delete_record_model",
    "delete_record_sync",
    "dropped_by_views",
    "enrich",
    "expand_records",
    "fetch_with_rule_sync",
    "find_record",
    "find_records",
    "hash_password",
    "list_records_sync",
    "make_expander",
    "new_record_id",
    "pick_fields",
    "public_record",
    "publish",
    "row_to_record",
    "rule_exists_query",
    "rule_shape",
    "rules_are_bounded",
    "run_model_hooks",
    "save_record_model",
    "superuser_only_filter_error",
    "update_record_sync",
]
__getattr__ = lazy_names(__name__, _WHERE)
