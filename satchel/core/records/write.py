"""Create, update and delete records with API rules, in one write transaction.

Each action is synchronous code of a :class:`~satchel.store.database.Tx` (the
records API wraps one action in ``db.write``; the batch API runs many in one), in
PocketBase's order of checks (spec 03 §5-§6):

create: view -> 400 "Unsupported collection type." -> createRule null -> 403 ->
body loaded (modifiers resolved, ignored keys dropped) -> createRule against the
would-be record (one-row CTE) -> auth form checks (password/passwordConfirm/
oldPassword/email/verified) -> autogenerate + autodate -> field validation, all
errors together -> relation existence -> INSERT (unique index failures ->
``validation_not_unique``).

update: view -> updateRule null -> 403 -> record exists (404) -> body -> the stored
record re-checked with the updateRule and ``@request.body`` = the resolved body
(404) -> the same validation -> UPDATE of the changed columns.

delete: view -> deleteRule null -> 403 -> record fetched with the deleteRule (404)
-> "only superuser" guard -> DELETE, then references: ``cascadeDelete`` deletes the
referencing records (recursively), otherwise the id is removed from the relation,
and a required relation left empty fails the whole delete.

Every committed change is announced once per transaction through
``env.publish`` from ONE ``tx.after_commit`` callback (the realtime seam,
:mod:`satchel.core.records.events`).

Uploads (``req.files``) are merged into the body of their file field
(:mod:`satchel.core.files.storage`), stored after validation and before the row is
written, removed again on rollback; files a write drops are deleted after COMMIT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import apsw
import orjson

from satchel.core.collections.model import Collection
from satchel.core.fields import (
    AutodateField,
    Field,
    PasswordField,
    PasswordValue,
    RelationField,
    TextField,
    UnsupportedModifierError,
    apply_modifier,
    resolve_setter,
    sort_setter_keys,
)
from satchel.core.fields._gocompat import to_string, to_unique_string_slice
from satchel.core.fields.relation import missing_collection_error, missing_records_error
from satchel.core.files.storage import forget_record_files, merge_uploads, prepare_uploads, save_record_files
from satchel.core.records.codec import codec_for
from satchel.core.records.expand import expand_records
from satchel.core.records.field_rules import write_rule
from satchel.core.records.hooks import has_model_handlers, run_model_hooks
from satchel.core.records.model import Record
from satchel.core.records.query import (
    ONLY_SUPERUSERS,
    SUPERUSERS,
    Presenter,
    RecordEnv,
    fetch_with_rule_sync,
    is_superuser,
    rows_to_records,
)
from satchel.core.records.resolver import RecordFieldResolver, RequestInfo, rule_exists_query
from satchel.core.records.rows import TOKEN_KEY_ALPHABET, check_password, hash_password
from satchel.core.records.rule_cache import rule_shape
from satchel.core.records.sql import (
    count_all,
    count_ids,
    delete_by_id,
    delete_where_eq,
    id_exists,
    insert_row,
    select_ids_ci,
    select_referencing,
    update_row,
)
from satchel.errors import ApiError, BadRequestError, ForbiddenError, NotFoundError, ValidationError
from satchel.store.database import Tx
from satchel.tools.dbutils import parse_index
from satchel.tools.search import build_where
from satchel.tools.security import random_string
from satchel.tools.timeutil import now_text

__all__ = [
    "CREATE_FAILED",
    "UPDATE_FAILED",
    "WriteRequest",
    "Changes",
    "create_record_sync",
    "delete_record_sync",
    "update_record_sync",
    "upsert_record_sync",
]

CREATE_FAILED = "Failed to create record."
UPDATE_FAILED = "Failed to update record."
DELETE_REQUIRED_REF = (
    "Failed to delete record. Make sure that the record is not part of a required relation reference."
)
ONLY_SUPERUSER_LEFT = "You can't delete the only existing superuser."
UNSUPPORTED_TYPE = "Unsupported collection type."
_IGNORED_KEYS = frozenset({"expand", "collectionId", "collectionName"})
_AUTH_FORM_KEYS = ("passwordConfirm", "oldPassword")
_AUTH_SIDE_TABLES = ("_externalAuths", "_mfas", "_otps", "_authOrigins")


@dataclass(frozen=True)
class WriteRequest:
    """One write as the API received it: who (``info``: auth, query, headers, method,
    context), the parsed body, uploaded files by body key, and the ``expand`` of
    the response."""

    info: RequestInfo
    body: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    expand: str = ""
    # prepared values a request hook set on ``e.record``: applied after the body,
    # past the client's limits (hidden or non-settable fields), checked by the rules
    overrides: Mapping[str, Any] = field(default_factory=dict)


class Changes:
    """Record changes of one transaction, published after COMMIT by one callback."""

    def __init__(self, tx: Tx, env: RecordEnv) -> None:
        self.items: list[tuple[str, Collection, dict[str, Any]]] = []
        env_publish = env.publish

        def flush() -> None:
            for action, c, record in self.items:
                env_publish(action, c, record)

        tx.in_commit_order(flush)  # realtime gets the events in commit order, across workers too

    def add(self, action: str, c: Collection, record: dict[str, Any]) -> None:
        self.items.append((action, c, record))


# -- helpers ----------------------------------------------------------------------------


def _values_of(c: Collection, record: Mapping[str, Any]) -> dict[str, Any]:
    """Internal (API) record values -> prepared values the fields validate/store."""
    values = {f.name: record.get(f.name, f.zero_value()) for f in c.fields}
    for f in c.fields:
        if isinstance(f, PasswordField):
            values[f.name] = f.stored_value(values[f.name])
    return values


def _json_value(f: Field, value: Any) -> Any:
    if isinstance(value, PasswordValue):
        return value.plain
    return f.to_json(value)


def _fetch(tx: Tx, env: RecordEnv, c: Collection, record_id: str) -> dict[str, Any] | None:
    return fetch_with_rule_sync(tx.conn, env, c, record_id, None, None)


def _unique_errors(c: Collection, exc: apsw.ConstraintError) -> dict[str, Any]:
    """``UNIQUE constraint failed: t.a, t.b`` / ``... index 'name'`` -> per-field errors."""
    text = str(exc)
    columns: list[str] = []
    if "UNIQUE constraint failed:" in text:
        tail = text.split("UNIQUE constraint failed:", 1)[1].strip()
        if tail.startswith("index "):
            name = tail[len("index ") :].strip().strip("'\"`")
            for raw in c.indexes:
                idx = parse_index(raw)
                if idx.index_name == name:
                    columns = [col.name for col in idx.columns]
        else:
            columns = [part.strip().rsplit(".", 1)[-1] for part in tail.split(",")]
    err = ValidationError("validation_not_unique", "Value must be unique.")
    return {col: err for col in columns if c.field(col) is not None}


@dataclass
class _Form:
    """The auth form keys (not stored) and what was submitted."""

    password: str = ""
    password_confirm: str = ""
    old_password: str = ""
    submitted: set[str] = field(default_factory=set)


class _Writer:
    """One create/update of one collection inside a transaction."""

    def __init__(self, tx: Tx, env: RecordEnv, c: Collection, req: WriteRequest, changes: Changes) -> None:
        self.tx = tx
        self.env = env
        self.c = c
        self.req = req
        self.su = is_superuser(req.info)
        self.changes = changes
        self.fields_by_name = {f.name: f for f in c.fields}
        self.now = now_text()
        self.last_stored: dict[str, Any] = {}
        self.inserted: dict[str, Any] | None = None  # the row as INSERTed (see output)

    # -- body -------------------------------------------------------------------------

    def load(self, values: dict[str, Any], form: _Form) -> dict[str, Any]:
        """Apply the body to ``values``; returns ``@request.body`` for the rules."""
        body = merge_uploads(self.c, self.req.body, prepare_uploads(self.req.files)) if self.req.files else self.req.body
        rule_body: dict[str, Any] = {}
        is_auth = self.c.is_auth
        for key in sort_setter_keys(body.keys()):
            raw = body[key]
            if key in _IGNORED_KEYS:
                continue
            if is_auth and key in _AUTH_FORM_KEYS:
                setattr(form, "password_confirm" if key == "passwordConfirm" else "old_password", to_string(raw))
                form.submitted.add(key)
                rule_body[key] = raw
                continue
            found = resolve_setter(key, self.fields_by_name)
            if found is None:
                rule_body.setdefault(key, raw)
                continue
            f, modifier = found
            if f.hidden and not self.su and not (is_auth and f.name == "password"):
                continue
            if not f.client_settable:
                continue
            if is_auth and f.name == "password":
                form.password = to_string(raw)
                form.submitted.add("password")
            try:
                if modifier is None:
                    values[f.name] = f.prepare_value(raw)
                else:
                    values[f.name] = apply_modifier(f, values[f.name], modifier, raw)
            except UnsupportedModifierError:
                continue
            form.submitted.add(f.name)
            rule_body.pop(key, None)
            rule_body[f.name] = raw if modifier is None else _json_value(f, values[f.name])
        return rule_body

    # -- rules ------------------------------------------------------------------------

    def create_rule_allows(self, rule: str, values: Mapping[str, Any], info: RequestInfo) -> bool:
        resolver = RecordFieldResolver(
            self.env.lookup, self.c, info, self.env.dialect, allow_hidden=True, record=values
        )
        try:
            where = None
            cache = self.env.rules
            if cache is not None and rule.strip() and self.env.lookup(self.c.id) is self.c:
                # the rule's SQL reads the submitted values through the CTE's params (made
                # per request by rule_exists_query), so only the request shape is keyed
                where = cache.get_or_compile(
                    ("create", self.c.id, rule), rule_shape(rule), info,
                    lambda: build_where(rule, resolver, self.env.dialect, param_prefix="r"),
                )
            sql = rule_exists_query(rule, resolver, where=where)
            return self.tx.conn.execute(sql.text, dict(sql.params)).fetchone() is not None
        except (ValueError, apsw.SQLError):
            return False

    def stored_rule_allows(self, rule: str, record_id: str, info: RequestInfo) -> bool:
        try:
            return fetch_with_rule_sync(self.tx.conn, self.env, self.c, record_id, info, rule) is not None
        except ApiError:
            return False

    def manage_access(self, values: Mapping[str, Any], info: RequestInfo, *, record_id: str | None) -> bool:
        """Superusers, or an authenticated requester matching the (non-empty) manageRule."""
        if self.su:
            return True
        rule = self.c.rule("manageRule")
        if not self.c.is_auth or not rule or not rule.strip() or info.auth is None:
            return False
        if record_id is None:
            return self.create_rule_allows(rule, values, info)
        return self.stored_rule_allows(rule, record_id, info)

    # -- auth form --------------------------------------------------------------------

    def auth_form_errors(
        self, values: Mapping[str, Any], original: Mapping[str, Any] | None, form: _Form, manage: bool
    ) -> dict[str, Any]:
        is_new = original is None
        errors: dict[str, Any] = {}
        mismatch = ValidationError("validation_values_mismatch", "Values don't match.")
        required = ValidationError("validation_required", "Cannot be blank.")
        old_email = "" if original is None else original.get("email", "")
        old_verified = False if original is None else bool(original.get("verified"))
        if not is_new and not manage and values.get("email") != old_email:
            errors["email"] = mismatch
        if not manage and bool(values.get("verified")) != old_verified:
            errors["verified"] = mismatch
        if (is_new or form.password_confirm or form.old_password) and not form.password:
            errors["password"] = required
        if (is_new or form.password or form.old_password) and not form.password_confirm:
            errors["passwordConfirm"] = required
        elif form.password_confirm != form.password:
            errors["passwordConfirm"] = mismatch
        if not is_new and not manage and (form.password or form.password_confirm):
            old_hash = original.get("password") if original is not None else None
            old = old_hash.hash if isinstance(old_hash, PasswordValue) else None
            if not form.old_password:
                errors["oldPassword"] = required
            elif not check_password(form.old_password, old):
                errors["oldPassword"] = ValidationError(
                    "validation_invalid_old_password", "Missing or invalid old password."
                )
        return errors

    # -- validation ---------------------------------------------------------------------

    def field_errors(self, values: Mapping[str, Any], original: Mapping[str, Any] | None) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        is_new = original is None
        for f in self.c.fields:
            old = None if original is None else original.get(f.name)
            err = f.validate_value(values[f.name], is_new=is_new, original=old)
            if err is not None and self._email_optional(f, values, original):
                err = None
            if err is None and isinstance(f, RelationField):
                err = self.relation_error(f, values[f.name])
            if err is None and isinstance(f, TextField) and is_new and f.needs_pk_uniqueness_check:
                err = self.pk_error(str(values[f.name]))
            if err is not None:
                errors[f.name] = err
        return errors

    def _email_optional(self, f: Field, values: Mapping[str, Any], original: Mapping[str, Any] | None) -> bool:
        """PocketBase's rule for OAuth2 users without email: an empty email stays allowed
        when the stored one is empty too (or the record is created by an OAuth2 sign-up)."""
        if not self.c.is_auth or f.name != "email" or values.get("email"):
            return False
        return self.req.info.context == "oauth2" if original is None else not original.get("email")

    def relation_error(self, f: RelationField, value: Any) -> ValidationError | None:
        ids = to_unique_string_slice(value)
        if not ids:
            return None
        target = self.env.lookup(f.collectionId)
        if target is None:
            return missing_collection_error()
        if len(ids) == 1:  # a single relation: a primary-key probe (ids is the one id)
            found = self.tx.execute(id_exists(self.env.dialect, target.name, "__id"), {"__id": ids[0]}).fetchone()
            return None if found is not None else missing_records_error()
        sql = count_ids(self.env.dialect, target.name, "__ids")
        row = self.tx.execute(sql, {"__ids": orjson.dumps(ids).decode()}).fetchone()
        return None if row and int(row[0]) == len(ids) else missing_records_error()

    def pk_error(self, record_id: str) -> ValidationError | None:
        sql = select_ids_ci(self.env.dialect, self.c.name, "__id")
        if self.tx.execute(sql, {"__id": record_id}).fetchone() is not None:
            return ValidationError("validation_pk_invalid", "The record primary key is invalid or already exists.")
        return None

    # -- storing ------------------------------------------------------------------------

    def finalize(self, values: dict[str, Any], original: Mapping[str, Any] | None) -> None:
        """Autogenerate, autodate, superusers verified, tokenKey refresh; hash passwords."""
        is_new = original is None
        for f in self.c.fields:
            if isinstance(f, AutodateField):
                values[f.name] = f.value_on_save(values[f.name], is_new=is_new, now=self.now)
            elif isinstance(f, TextField):
                values[f.name] = f.autogenerate_if_empty(values[f.name], is_new=is_new)
        if self.c.is_auth:
            if self.c.name == SUPERUSERS:
                values["verified"] = True
            if not is_new and original is not None and self._credentials_changed(values, original):
                values["tokenKey"] = random_string(50, TOKEN_KEY_ALPHABET)

    def _credentials_changed(self, values: Mapping[str, Any], original: Mapping[str, Any]) -> bool:
        pw = values.get("password")
        if isinstance(pw, PasswordValue) and pw.plain:
            return True
        return values.get("email") != original.get("email")

    def hash_passwords(self, values: dict[str, Any]) -> None:
        for f in self.c.fields:
            value = values.get(f.name)
            if isinstance(f, PasswordField) and isinstance(value, PasswordValue) and value.plain:
                values[f.name] = PasswordValue(plain="", hash=hash_password(value.plain, f.hash_cost))

    def db_row(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {f.name: f.to_db(values[f.name]) for f in self.c.fields}

    def insert(self, values: Mapping[str, Any]) -> None:
        row = self.db_row(values)
        sql, names = insert_row(self.env.dialect, self.c.name, row.keys())
        try:
            self.tx.execute(sql, dict(zip(names, row.values(), strict=True)))
        except apsw.ConstraintError as exc:
            raise ApiError(400, CREATE_FAILED, _unique_errors(self.c, exc)) from exc
        self.inserted = row

    def update(self, record_id: str, values: Mapping[str, Any], original: Mapping[str, Any]) -> None:
        new_row = self.db_row(values)
        old_row = self.db_row(original)
        changed = {k: v for k, v in new_row.items() if k != "id" and v != old_row.get(k)}
        if not changed:
            return
        sql, names = update_row(self.env.dialect, self.c.name, changed.keys())
        params = dict(zip(names, changed.values(), strict=True))
        params["__id"] = record_id
        try:
            self.tx.execute(sql, params)
        except apsw.ConstraintError as exc:
            raise ApiError(400, UPDATE_FAILED, _unique_errors(self.c, exc)) from exc

    def output(self, record_id: str) -> dict[str, Any]:
        row = self.inserted
        hooks = self.env.hooks
        if row is not None and hooks is not None and has_model_handlers(hooks, "record", "create"):
            row = None  # a model hook may have saved the record again after its INSERT
        if row is not None and _stored_as_sent(self.tx, self.env, self.c):
            # what SELECT would give back: TEXT columns keep the str values as bound
            stored = codec_for(self.c).decode(tuple(row), tuple(row.values()))
        else:
            found = _fetch(self.tx, self.env, self.c, record_id)
            if found is None:  # pragma: no cover - the row was just written
                raise NotFoundError()
            stored = found
        self.last_stored = stored
        if self.req.expand:
            expand_records(self.tx.conn, self.env, self.c, [stored], self.req.expand, self.req.info)
        return Presenter(self.env, self.tx.conn, self.req.info).present_one(self.c, stored)


# field types stored as one TEXT value (str in, the same str out)
_TEXT_STORED = frozenset({"text", "editor", "email", "url", "autodate", "date"})
_SINGLE_TEXT_STORED = frozenset({"relation", "select"})
_AS_SENT: dict[int, tuple[Collection, bool]] = {}


def _text_affinity(declared: str) -> bool:
    """SQLite's affinity rules, in their order: INT first, then CHAR/CLOB/TEXT."""
    return "INT" not in declared and any(word in declared for word in ("CHAR", "CLOB", "TEXT"))


def _stored_as_sent(tx: Tx, env: RecordEnv, c: Collection) -> bool:
    """Whether a new row of ``c`` reads back exactly as it was inserted, so a create's
    answer needs no SELECT: SQLite, every field a text-like type, every column declared
    with TEXT affinity (PRAGMA table_info, once per collection object; a column of another
    affinity may turn '1e5' into 100000.0). Only the registry's own collection objects
    (a migration's uncommitted one may change in place)."""
    found = _AS_SENT.get(id(c))
    if found is not None and found[0] is c:
        return found[1]
    ok = env.dialect.name == "sqlite" and env.lookup(c.id) is c and all(
        f.type in _TEXT_STORED or (f.type in _SINGLE_TEXT_STORED and not f.is_multiple) for f in c.fields
    )
    if ok:
        declared = {row[1]: str(row[2]).upper() for row in tx.execute(f"PRAGMA table_info({env.dialect.q(c.name)})")}
        ok = all(f.name in declared and _text_affinity(declared[f.name]) for f in c.fields)
    if env.lookup(c.id) is c:
        if len(_AS_SENT) >= 1024:
            _AS_SENT.clear()
        _AS_SENT[id(c)] = (c, ok)
    return ok


def _check_writable(c: Collection, rule: str | None, info: RequestInfo) -> None:
    if c.is_view:
        raise BadRequestError(UNSUPPORTED_TYPE)
    if rule is None and not is_superuser(info):
        raise ForbiddenError(ONLY_SUPERUSERS)


# -- actions -----------------------------------------------------------------------------


def create_record_sync(
    tx: Tx, env: RecordEnv, c: Collection, req: WriteRequest, changes: Changes | None = None
) -> dict[str, Any]:
    """Create a record; returns it as the requester may see it (expand applied)."""
    _check_writable(c, c.createRule, req.info)
    w = _Writer(tx, env, c, req, changes or Changes(tx, env))
    values = {f.name: f.zero_value() for f in c.fields}
    form = _Form()
    rule_body = w.load(values, form)
    values.update(req.overrides)
    info = req.info.with_body(rule_body)
    create_rule = write_rule(c, "createRule", c.createRule, rule_body)  # + field-level rules (spec 14 §8)
    if not w.su and create_rule and create_rule.strip() and not w.create_rule_allows(create_rule, values, info):
        raise BadRequestError(CREATE_FAILED)
    if c.is_auth:
        manage = w.manage_access(values, info, record_id=None)
        errors = w.auth_form_errors(values, None, form, manage)
        if errors:
            raise ApiError(400, CREATE_FAILED, errors)
    record = Record.wrap(c, values)

    def validate() -> None:
        w.finalize(values, None)
        _raise_field_errors(w, values, None, CREATE_FAILED)

    def execute() -> None:
        w.hash_passwords(values)
        save_record_files(env.files, tx, c, str(values["id"]), values, None, failure_message=CREATE_FAILED)
        w.insert(values)
        record.mark_saved()

    run_model_hooks(env.hooks, tx, "create", record, validate, execute)
    if record.is_new():  # a hook did not call e.next(): nothing written, the record is answered as is
        unsaved = {f.name: v for f, v in ((f, values[f.name]) for f in c.fields) if not isinstance(f, PasswordField)}
        return Presenter(env, tx.conn, req.info).present_one(c, {**unsaved, "collectionId": c.id, "collectionName": c.name})
    out = w.output(str(values["id"]))
    w.changes.add("create", c, w.last_stored)
    return out


def _raise_field_errors(w: _Writer, values: Mapping[str, Any], original: Mapping[str, Any] | None, message: str) -> None:
    errors = w.field_errors(values, original)
    if errors:
        raise ApiError(400, message, dict(sorted(errors.items())))


def update_record_sync(
    tx: Tx, env: RecordEnv, c: Collection, record_id: str, req: WriteRequest, changes: Changes | None = None
) -> dict[str, Any]:
    """Update a record (only the submitted keys change); returns it as the requester sees it."""
    _check_writable(c, c.updateRule, req.info)
    stored = _fetch(tx, env, c, record_id)
    if stored is None:
        raise NotFoundError()
    w = _Writer(tx, env, c, req, changes or Changes(tx, env))
    original = _values_of(c, stored)
    values = dict(original)
    form = _Form()
    rule_body = w.load(values, form)
    values.update(req.overrides)
    info = req.info.with_body(rule_body)
    rule = write_rule(c, "updateRule", c.updateRule, rule_body) or ""  # + field-level rules (spec 14 §8)
    if not w.su and rule.strip() and not w.stored_rule_allows(rule, record_id, info):
        raise NotFoundError()
    if c.is_auth:
        manage = w.manage_access(values, info, record_id=record_id)
        errors = w.auth_form_errors(values, original, form, manage)
        if errors:
            raise ApiError(400, UPDATE_FAILED, errors)
    record = Record.wrap(c, values, original)

    def validate() -> None:
        w.finalize(values, original)
        _raise_field_errors(w, values, original, UPDATE_FAILED)

    def execute() -> None:
        w.hash_passwords(values)
        _verified_transition(w, values, original)
        save_record_files(env.files, tx, c, record_id, values, original, failure_message=UPDATE_FAILED)
        w.update(record_id, values, original)
        record.mark_saved()

    run_model_hooks(env.hooks, tx, "update", record, validate, execute)
    out = w.output(record_id)
    w.changes.add("update", c, w.last_stored)
    return out


def upsert_record_sync(
    tx: Tx, env: RecordEnv, c: Collection, req: WriteRequest, changes: Changes | None = None
) -> dict[str, Any]:
    """Batch ``PUT``: update when ``body.id`` names an existing record, else create."""
    record_id = to_string(req.body.get("id", ""))
    if record_id and _fetch(tx, env, c, record_id) is not None:
        return update_record_sync(tx, env, c, record_id, req, changes)
    return create_record_sync(tx, env, c, req, changes)


def _verified_transition(w: _Writer, values: dict[str, Any], original: Mapping[str, Any]) -> None:
    """unverified -> verified: the record's external auths go (and with them the tokens)."""
    if not w.c.is_auth or original.get("verified") or not values.get("verified"):
        return
    ext = w.env.lookup("_externalAuths")
    if ext is None:
        return
    sql = delete_where_eq(w.env.dialect, ext.name, {"collectionRef": "__c", "recordRef": "__r"})
    w.tx.execute(sql, {"__c": w.c.id, "__r": str(original.get("id", ""))})
    if w.tx.conn.changes() > 0:
        values["tokenKey"] = random_string(50, TOKEN_KEY_ALPHABET)


def delete_record_sync(
    tx: Tx, env: RecordEnv, c: Collection, record_id: str, info: RequestInfo, changes: Changes | None = None
) -> None:
    _check_writable(c, c.deleteRule, info)
    su = is_superuser(info)
    record = fetch_with_rule_sync(tx.conn, env, c, record_id, info, None if su else c.deleteRule)
    if record is None:
        raise NotFoundError()
    if c.name == SUPERUSERS:
        row = tx.execute(count_all(env.dialect, c.name)).fetchone()
        if row is not None and int(row[0]) <= 1:
            raise BadRequestError(ONLY_SUPERUSER_LEFT)
    _delete_cascade(tx, env, c, record, changes or Changes(tx, env), now_text())


def _delete_cascade(tx: Tx, env: RecordEnv, c: Collection, record: dict[str, Any], changes: Changes, now: str) -> None:
    if env.hooks is None or not has_model_handlers(env.hooks, "record", "delete"):
        _delete_one(tx, env, c, record, changes, now)
        return
    model = Record.from_stored(c, record)
    run_model_hooks(env.hooks, tx, "delete", model, None, lambda: _delete_one(tx, env, c, record, changes, now))


def _delete_one(tx: Tx, env: RecordEnv, c: Collection, record: dict[str, Any], changes: Changes, now: str) -> None:
    record_id = str(record["id"])
    tx.execute(delete_by_id(env.dialect, c.name), {"__id": record_id})
    forget_record_files(env.files, tx, c, record_id)
    if c.is_auth:
        for name in _AUTH_SIDE_TABLES:
            side = env.lookup(name)
            if side is not None and side.name != c.name:
                sql = delete_where_eq(env.dialect, side.name, {"collectionRef": "__c", "recordRef": "__r"})
                tx.execute(sql, {"__c": c.id, "__r": record_id})
    changes.add("delete", c, record)
    for rc in list(env.collections()):
        if rc.is_view:
            continue
        for f in rc.fields:
            if isinstance(f, RelationField) and f.collectionId == c.id:
                _unlink(tx, env, rc, f, record_id, changes, now)


def _unlink(
    tx: Tx, env: RecordEnv, rc: Collection, f: RelationField, record_id: str, changes: Changes, now: str
) -> None:
    sql = select_referencing(env.dialect, rc.name, f.name, f.is_multiple, "__ref")
    refs = rows_to_records(rc, tx.conn.cursor().execute(sql, {"__ref": record_id}))
    for ref in refs:
        ids = [i for i in to_unique_string_slice(ref.get(f.name)) if i != record_id]
        if f.cascadeDelete and not ids:
            if _fetch(tx, env, rc, str(ref["id"])) is not None:
                _delete_cascade(tx, env, rc, ref, changes, now)
            continue
        if not ids and f.required:
            raise BadRequestError(DELETE_REQUIRED_REF)
        keys = [f.name, *(af.name for af in rc.fields if isinstance(af, AutodateField) and af.onUpdate)]
        model = Record.from_stored(rc, ref)
        model.values[f.name] = f.prepare_value(ids)
        for name in keys[1:]:
            model.values[name] = now

        def execute(ref: dict[str, Any] = ref, model: Record = model, keys: list[str] = keys) -> None:
            # the update hooks of the referencing record wrap it (a hook may change more keys)
            fields = {x.name: x for x in rc.fields}
            changed = {k: fields[k].to_db(v) for k, v in model.values.items() if k in keys or v != ref.get(k)}
            changed.pop("id", None)
            changed = {k: v for k, v in changed.items() if fields[k].type != "password"}
            sql_u, names = update_row(env.dialect, rc.name, changed.keys())
            params = dict(zip(names, changed.values(), strict=True))
            params["__id"] = ref["id"]
            tx.execute(sql_u, params)

        run_model_hooks(env.hooks, tx, "update", model, None, execute)
        updated = _fetch(tx, env, rc, str(ref["id"]))
        if updated is not None:
            changes.add("update", rc, updated)


def decode_record(c: Collection, names: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    return codec_for(c).decode(names, row)
