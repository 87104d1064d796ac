"""Saving and deleting collections: validation, the ``_collections`` row and the
record table DDL, all in one write transaction.

A failed change rolls the whole transaction back, so neither the row nor the
table is ever half-applied; the in-memory registry is refreshed only after
COMMIT.
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import apsw
import orjson

from satchel.core.collections.model import BASE, COLLECTION_TYPES, VIEW, Collection, default_collection_id
from satchel.core.collections.registry import CollectionRegistry, load_collections, write_collection_row
from satchel.core.fields import field_from_dict
from satchel.core.hook_events import AppHooks
from satchel.errors import ApiError, BadRequestError, NotFoundError, ValidationError, ValidationFailed
from satchel.store.database import Database, Tx
from satchel.store.dialect import SqliteDialect
from satchel.store.errors import WriteFailed, sqlite_error_text
from satchel.tools.security import random_string
from satchel.tools.timeutil import now_text

# the payload form, validate and view_query (and the rule compiler and SQL scanner under
# them), the DDL planner and the model hooks are imported by the methods that save a
# collection: opening the App at start-up needs none of them
if TYPE_CHECKING:
    from satchel.core.collections import form
    from satchel.core.collections.validate import SchemaFacts
    from satchel.core.collections.view_query import CollectionFieldsInfo

__all__ = ["LOAD_FAILED", "CollectionService"]

LOAD_FAILED = "Failed to load the submitted data due to invalid formatting."


class CollectionService:
    def __init__(self, db: Database, dialect: SqliteDialect, registry: CollectionRegistry) -> None:
        self.db = db
        self.dialect = dialect
        self.registry = registry
        # called after a collection's deletion committed (the App removes its stored files)
        self.on_deleted: Callable[[Collection], None] = lambda _c: None
        self.hooks: AppHooks | None = None  # the model hooks (set by the App)
        #: called after this process committed a collection change and reloaded its registry
        self.on_saved: list[Callable[[], None]] = []

    # -- facts about the database --------------------------------------------

    def _facts(self, conn: apsw.Connection, collections: list[Collection]) -> SchemaFacts:
        from satchel.core.collections.validate import SchemaFacts

        names = {c.name.lower() for c in collections}
        tables = {str(r[0]).lower() for r in conn.execute(self.dialect.table_names())}
        owners = {str(r[0]).lower(): str(r[1]) for r in conn.execute(self.dialect.index_names())}
        return SchemaFacts(
            collections=collections,
            internal_tables=tables - names,
            index_owners=owners,
            check_view_query=lambda q: self._check_view_query(conn, q),
        )

    # -- views ---------------------------------------------------------------

    def _view_table_info(self, conn: apsw.Connection, query: str) -> list[tuple[str, str]]:
        """(column, declared type) of a query, read from a throwaway view as PocketBase does."""
        name = "_temp_" + random_string(6)
        conn.execute("SAVEPOINT satchel_view_check")
        try:
            conn.execute(self.dialect.create_view(name, query))
            rows = conn.execute(self.dialect.table_info(name)).fetchall()
        finally:
            conn.execute("ROLLBACK TO satchel_view_check")
            conn.execute("RELEASE satchel_view_check")
        return [(str(r[1]), str(r[2] or "")) for r in rows]

    def _table_columns_seam(self, conn: apsw.Connection) -> Any:
        from satchel.core.collections.view_query import ViewQueryError

        def table_columns(sql: str) -> list[str]:
            try:
                return [n for n, _ in self._view_table_info(conn, sql)]
            except apsw.Error as exc:
                raise ViewQueryError(sqlite_error_text(exc)) from exc

        return table_columns

    def _view_ddl_query(self, conn: apsw.Connection, query: str) -> tuple[str, list[str] | None]:
        """The normalized query and, when its id isn't TEXT, the columns to re-select with a cast."""
        from satchel.core.collections.view_query import normalize_view_query

        normalized = normalize_view_query(query)
        info = self._view_table_info(conn, normalized)
        id_type = next((t for n, t in info if n == "id"), "TEXT")
        if id_type.upper() == "TEXT":
            return normalized, None
        return normalized, [n for n, _ in info]

    def _check_view_query(self, conn: apsw.Connection, query: str, lookup: form.CollectionLookup | None = None) -> str | None:
        """PocketBase's dry run of a view query: None when fine, else the error text."""
        from satchel.core.collections.view_query import ViewQueryError, dry_run_view

        lookup = lookup or _lookup_in(load_collections(conn))

        def sample_ids(sql: str) -> list[object]:
            normalized, cast_columns = self._view_ddl_query(conn, sql)
            wrapped = self.dialect.view_select(normalized, cast_columns)
            return [r[0] for r in conn.execute(f"SELECT {self.dialect.q('id')} FROM ({wrapped}) AS {self.dialect.q('_v')} LIMIT 10")]

        try:
            dry_run_view(
                query,
                _fields_info(lookup),
                self._table_columns_seam(conn),
                sample_ids,
            )
        except ViewQueryError as exc:
            return str(exc.message)
        except apsw.Error as exc:
            return sqlite_error_text(exc)
        return None

    def _infer_view(self, conn: apsw.Connection, new: Collection, old: Collection | None, lookup: form.CollectionLookup) -> None:
        from satchel.core.collections.view_query import ViewQueryError, create_view_fields

        try:
            inferred = create_view_fields(new.view_query, _fields_info(lookup), self._table_columns_seam(conn))
        except ViewQueryError as exc:
            inferred = exc.partial_fields or []
        except apsw.Error:
            inferred = []
        # ids kept by name from the stored fields, or the submitted ones (a migration
        # re-creating a view), so a view's field ids survive a save
        old_by_name = {f.name: f for f in [*(old.fields if old else []), *new.fields]}
        fields = []
        for data in inferred:
            prev = old_by_name.get(str(data.get("name")))
            if prev is not None and prev.type == data.get("type"):
                data = {**data, "id": prev.id}
            fields.append(field_from_dict(data))
        new.fields = fields

    # -- building ------------------------------------------------------------

    def _prepare(self, tx: Tx, payload: Mapping[str, Any], old: Collection | None) -> tuple[Collection, list[Collection]]:
        from satchel.core.collections import form
        from satchel.tools.dbutils import normalize_index_for_table

        collections = load_collections(tx.conn)
        lookup = _lookup_in(collections)
        if old is None:
            type_ = payload.get("type") or BASE
            type_ = type_ if isinstance(type_, str) else ""
            new = form.new_collection(type_ if type_ in COLLECTION_TYPES else BASE, "")
            new.type = type_
        else:
            new = old.clone()
        form.apply_payload(new, payload, lookup, is_new=old is None)
        if old is None and not new.id:
            new.id = default_collection_id(new.type, new.name, {c.id for c in collections})
        if new.type == VIEW and new.view_query:
            self._infer_view(tx.conn, new, old, lookup)
        form.finalize(new, old)
        new.indexes = [normalize_index_for_table(sql, new.name) for sql in new.indexes]
        return new, collections

    # -- save ------------------------------------------------------------------

    def _save(self, tx: Tx, new: Collection, old: Collection | None, collections: list[Collection], message: str) -> Collection:
        from satchel.core.collections.validate import validate_collection
        from satchel.core.records.hooks import run_model_hooks

        def validate() -> None:
            others = [c for c in collections if old is None or c.id != old.id]
            facts = self._facts(tx.conn, others if old else collections)
            errors = validate_collection(new, old, facts)
            if errors:
                raise ApiError(400, message, errors)

        action = "create" if old is None else "update"
        run_model_hooks(self.hooks, tx, action, new, validate, lambda: self._execute(tx, new, old, collections, message))
        return new

    def _execute(self, tx: Tx, new: Collection, old: Collection | None, collections: list[Collection], message: str) -> None:
        from satchel.core.collections.schema_sync import plan_create, plan_update

        now = now_text()
        new.updated = now
        if old is None:
            new.created = now
        write_collection_row(tx.conn, new, insert=old is None)
        d = self.dialect
        try:
            view = self._view_ddl_query(tx.conn, new.view_query) if new.is_view else None
            stmts = plan_create(d, new, view) if old is None else plan_update(d, old, new, view)
            for stmt in stmts:
                self._execute_ddl(tx, new, stmt, message)
            if old is not None and not new.is_view:
                self._refresh_dependent_views(tx, new, collections)
        except apsw.Error as exc:
            raise BadRequestError(f"{message} Raw error: \n{sqlite_error_text(exc)}") from exc
        tx.after_commit(self._reload_after_commit(tx))

    def _execute_ddl(self, tx: Tx, c: Collection, stmt: str, message: str) -> None:
        """Run one statement; a failing index is reported on its ``indexes`` entry."""
        try:
            tx.execute(stmt)
        except apsw.Error as exc:
            if stmt not in c.indexes:
                raise
            from satchel.tools.dbutils import parse_index

            i = c.indexes.index(stmt)
            name = parse_index(stmt).index_name
            error = ValidationError(
                "validation_invalid_index_expression", f"Failed to create index {name} - {sqlite_error_text(exc)}."
            )
            raise ApiError(400, message, {"indexes": {str(i): error}}) from exc

    def _refresh_dependent_views(self, tx: Tx, changed: Collection, collections: list[Collection]) -> None:
        """Re-create views so their SQL and inferred fields follow the source change."""
        for view in collections:
            if not view.is_view or view.id == changed.id:
                continue
            if changed.name.lower() not in view.view_query.lower():
                continue
            tx.execute(self.dialect.drop_view(view.name))
            query, cast_columns = self._view_ddl_query(tx.conn, view.view_query)
            tx.execute(self.dialect.create_view(view.name, query, cast_columns))

    def _reload_after_commit(self, tx: Tx) -> Any:
        collections = load_collections(tx.conn)

        def reload() -> None:
            self.registry.replace_all(collections)
            for listener in self.on_saved:
                listener()

        return reload

    def dry_run_view_sync(self, query: str) -> dict[str, Any]:
        from satchel.core.collections.view_query import ViewQueryError, create_view_fields
        from satchel.core.records.rows import public_record, row_to_record

        def run(conn: apsw.Connection) -> dict[str, Any]:
            lookup = _lookup_in(load_collections(conn))
            try:
                fields = create_view_fields(query, _fields_info(lookup), self._table_columns_seam(conn))
                normalized, cast_columns = self._view_ddl_query(conn, query)
                names = [n for n, _ in self._view_table_info(conn, normalized)]
                sql = f"SELECT * FROM ({self.dialect.view_select(normalized, cast_columns)}) AS {self.dialect.q('_v')} LIMIT 10"
                rows = [dict(zip(names, row, strict=True)) for row in conn.execute(sql)]
            except ViewQueryError as exc:
                raise BadRequestError(f"Invalid view query. Raw error: \n{exc.message}.") from exc
            except apsw.Error as exc:
                raise BadRequestError(f"Invalid view query. Raw error: \n{sqlite_error_text(exc)}.") from exc
            # PocketBase names its throwaway view temp_view_<5 random chars>; its records show it
            name = "temp_view_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(5))
            view = Collection(id=default_collection_id(VIEW, name), name=name, type=VIEW,
                              fields=[field_from_dict(f) for f in fields])
            sample = [public_record(view, row_to_record(view, row), superuser=True) for row in rows]
            return {"fields": fields, "sample": sample}

        # the throwaway view needs the writer; it is rolled back inside run()
        return self.db.write_sync(lambda tx: run(tx.conn))

    async def dry_run_view(self, query: str) -> dict[str, Any]:
        return await self.db.on_writer(self.dry_run_view_sync, query)

    # -- public operations (sync; the API runs them on the writer thread) -------

    def create_sync(self, payload: Mapping[str, Any]) -> Collection:
        from satchel.core.collections import form

        def run(tx: Tx) -> Collection:
            try:
                new, collections = self._prepare(tx, payload, None)
            except ValidationFailed as exc:
                raise ApiError(400, "Failed to create collection.", exc.errors) from exc
            except form.PayloadFormatError as exc:
                raise BadRequestError(LOAD_FAILED) from exc
            return self._save(tx, new, None, collections, "Failed to create collection.")

        return _refused_as(self.db, run, "Failed to create collection.", raw=True)

    def update_sync(self, id_or_name: str, payload: Mapping[str, Any]) -> Collection:
        from satchel.core.collections import form

        def run(tx: Tx) -> Collection:
            collections = load_collections(tx.conn)
            old = _lookup_in(collections)(id_or_name)
            if old is None or ("id" in payload and payload["id"] != old.id):
                raise NotFoundError()
            try:
                new, _ = self._prepare(tx, payload, old)
            except ValidationFailed as exc:
                raise ApiError(400, "Failed to update collection.", exc.errors) from exc
            except form.PayloadFormatError as exc:
                raise BadRequestError(LOAD_FAILED) from exc
            return self._save(tx, new, old, collections, "Failed to update collection.")

        return _refused_as(self.db, run, "Failed to update collection.", raw=True)

    def delete_sync(self, id_or_name: str) -> Collection:
        from satchel.core.records.hooks import run_model_hooks

        def run(tx: Tx) -> Collection:
            collections = load_collections(tx.conn)
            c = _lookup_in(collections)(id_or_name)
            if c is None:
                raise NotFoundError()
            if c.system:
                raise BadRequestError("Failed to delete collection.")
            referencing = [
                other.name
                for other in collections
                if other.id != c.id
                and any(f.type == "relation" and getattr(f, "collectionId", "") == c.id for f in other.fields)
            ]
            if referencing:
                raise BadRequestError(
                    f"Failed to delete collection probably due to existing reference in {', '.join(referencing)}."
                )
            run_model_hooks(self.hooks, tx, "delete", c, None, lambda: self._execute_delete(tx, c, collections))
            return c

        return _refused_as(self.db, run, "Failed to delete collection.")

    def _execute_delete(self, tx: Tx, c: Collection, collections: list[Collection]) -> None:
        from satchel.core.collections.schema_sync import plan_delete

        try:
            for stmt in plan_delete(self.dialect, c):
                tx.execute(stmt)
        except apsw.Error as exc:
            raise BadRequestError("Failed to delete collection.") from exc
        tx.execute("DELETE FROM `_collections` WHERE `id` = :id", {"id": c.id})
        tx.after_commit(partial(self.on_deleted, c))
        # a view that selected from this table can no longer run
        for view in collections:
            if view.is_view and view.id != c.id and self._check_view_query(tx.conn, view.view_query):
                raise BadRequestError("Failed to delete collection.")
        tx.after_commit(self._reload_after_commit(tx))

    def truncate_sync(self, id_or_name: str) -> None:
        def run(tx: Tx) -> None:
            c = _lookup_in(load_collections(tx.conn))(id_or_name)
            if c is None:
                raise NotFoundError()
            if c.is_view:
                raise BadRequestError("View collections cannot be truncated since they don't store their own records.")
            try:
                tx.execute(f"DELETE FROM {self.dialect.q(c.name)}")
            except apsw.Error as exc:
                raise BadRequestError(
                    "Failed to truncate collection (most likely due to required cascade delete record references)."
                ) from exc

        self.db.write_sync(run)

    def import_sync(self, items: list[Any], delete_missing: bool) -> None:
        from satchel.core.collections import form
        from satchel.core.collections.schema_sync import plan_delete

        for item in items:  # PocketBase fails while decoding, before importing anything
            raw_error = form.fields_unmarshal_error(item.get("fields")) if isinstance(item, Mapping) else None
            if raw_error is not None:
                raise _import_format_failure(raw_error)

        def run(tx: Tx) -> None:
            existing = load_collections(tx.conn)
            # base/auth first so that views and relations find their sources
            ordered = sorted(
                [i for i in items if isinstance(i, Mapping)],
                key=lambda i: 1 if i.get("type") == VIEW else 0,
            )
            imported_ids: set[str] = set()
            for item in ordered:
                current = load_collections(tx.conn)
                lookup = _lookup_in(current)
                old = (lookup(str(item["id"])) if item.get("id") else None) or (
                    lookup(str(item["name"])) if item.get("name") else None
                )
                payload = dict(item)
                if old is not None and not delete_missing and isinstance(payload.get("fields"), list):
                    listed = {str(f.get("id") or f.get("name")) for f in payload["fields"] if isinstance(f, Mapping)}
                    kept = [f.to_dict() for f in old.fields if f.id not in listed and f.name not in listed]
                    payload["fields"] = list(payload["fields"]) + kept
                try:
                    new, collections = self._prepare(tx, payload, old)
                    saved = self._save(tx, new, old, collections, "Failed to import collections.")
                except form.PayloadFormatError as exc:
                    raise _import_format_failure(str(exc)) from exc
                except (ApiError, ValidationFailed) as exc:
                    data = exc.errors if isinstance(exc, ValidationFailed) else exc.data
                    name = str(item.get("name") or "")
                    cid = str(item.get("id") or (old.id if old else ""))
                    if not cid:
                        cid = default_collection_id(str(item.get("type") or BASE), name)
                    detail = orjson.dumps(_plain_messages(data), option=orjson.OPT_INDENT_2).decode()
                    raise ApiError(
                        400,
                        "Failed to import collections.",
                        {
                            "collections": ValidationError(
                                "validation_collections_import_failure",
                                f'Data validations failed for collection "{name}" ({cid}):\n{detail}.',
                            )
                        },
                    ) from exc
                imported_ids.add(saved.id)
            if delete_missing:
                for c in existing:
                    if c.id not in imported_ids and not c.system:
                        for stmt in plan_delete(self.dialect, c):
                            tx.execute(stmt)
                        tx.execute("DELETE FROM `_collections` WHERE `id` = :id", {"id": c.id})
                        tx.after_commit(partial(self.on_deleted, c))
            tx.after_commit(self._reload_after_commit(tx))

        self.db.write_sync(run)

    # -- async wrappers: the same work on the writer thread ------------------------

    async def create(self, payload: Mapping[str, Any]) -> Collection:
        return await self.db.on_writer(self.create_sync, payload)

    async def update(self, id_or_name: str, payload: Mapping[str, Any]) -> Collection:
        return await self.db.on_writer(self.update_sync, id_or_name, payload)

    async def delete(self, id_or_name: str) -> Collection:
        return await self.db.on_writer(self.delete_sync, id_or_name)

    async def truncate(self, id_or_name: str) -> None:
        await self.db.on_writer(self.truncate_sync, id_or_name)

    async def import_(self, items: list[Any], delete_missing: bool) -> None:
        await self.db.on_writer(self.import_sync, items, delete_missing)


# ozzo-validation's own rules: PocketBase prints their raw (lower-case) text in import errors
_OZZO_CODES = frozenset(
    {
        "validation_required",
        "validation_match_invalid",
        "validation_length_out_of_range",
        "validation_length_too_long",
        "validation_length_invalid",
        "validation_in_invalid",
        "validation_not_in_invalid",
        "validation_nil",
        "validation_empty",
        "validation_min_greater_equal_than_required",
        "validation_max_less_equal_than_required",
        "validation_is_domain",
    }
)


def _import_format_failure(raw_error: str) -> ApiError:
    return ApiError(400, "Failed to import collections.", {"collections": ValidationError(
        "validation_collections_import_failure",
        f"Failed to import the collections configuration. Raw error:\n{raw_error}.")})


T = TypeVar("T")
log = logging.getLogger("satchel.collections")


def _refused_as(db: Database, fn: Callable[[Tx], T], message: str, *, raw: bool = False) -> T:
    """Run ``fn`` in a write; a write the storage refused (disk full…) is PocketBase's
    400 ``message``, followed by SQLite's words when PocketBase gives them (``raw``)."""
    try:
        return db.write_sync(fn)
    except WriteFailed as exc:
        log.error("write rolled back: %s", exc)
        raise BadRequestError(f"{message} Raw error: \n{exc}" if raw else message) from exc


def _plain_messages(data: Any) -> Any:
    if isinstance(data, ValidationError):
        if data.code in _OZZO_CODES and data.message:
            return (data.message[0].lower() + data.message[1:]).removesuffix(".")
        return data.message
    if isinstance(data, Mapping):
        return {str(k): _plain_messages(v) for k, v in data.items()}
    return data


def _lookup_in(collections: list[Collection]) -> form.CollectionLookup:
    """Find by id, then name (case-insensitive), then the legacy ``_name`` alias."""
    by_id = {c.id: c for c in collections}
    by_name = {c.name.lower(): c for c in collections}

    def lookup(ref: str) -> Collection | None:
        if ref in by_id:
            return by_id[ref]
        found = by_name.get(ref.lower())
        if found is None and ref.startswith("_"):
            found = by_name.get(ref[1:].lower())
        return found

    return lookup



def _fields_info(lookup: form.CollectionLookup) -> Any:
    from satchel.core.collections.view_query import CollectionFieldsInfo

    def info(name: str) -> CollectionFieldsInfo | None:
        c = lookup(name)
        if c is None:
            return None
        return CollectionFieldsInfo(id=c.id, name=c.name, type=c.type, fields=[f.to_dict() for f in c.fields])

    return info
