"""Turn a request body into the collection it describes (pure).

PocketBase reads ``type`` and ``name`` first to pick the defaults of that type,
then applies every present key on top.  Both body generations are accepted:
v0.40 (``fields``, flat auth options) and v0.22 (``schema`` + nested
``options``), converted by :mod:`satchel.core.collections.legacy`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from satchel.core.collections import auth_options, legacy
from satchel.core.collections.model import (
    AUTH,
    AUTH_OPTION_KEYS,
    BASE,
    COLLECTION_TYPES,
    RULE_KEYS,
    TOKEN_KEYS,
    VIEW,
    Collection,
)
from satchel.core.fields import (
    EXTENSION_KEYS,
    FIELD_TYPES,
    Field,
    UnknownFieldTypeError,
    field_from_dict,
    generate_field_id,
)
from satchel.core.fields.defaults import auth_system_fields, id_field
from satchel.errors import ValidationFailed
from satchel.tools.dbutils import default_auth_indexes, has_single_column_unique_index

__all__ = [
    "CollectionLookup",
    "PayloadFormatError",
    "apply_payload",
    "finalize",
    "fields_unmarshal_error",
    "new_collection",
]


class PayloadFormatError(ValueError):
    """The body can't be read as a collection (PocketBase's JSON unmarshal failure)."""

# Find a collection by id, name or the legacy ``_name`` alias; None if unknown.
CollectionLookup = Callable[[str], Collection | None]


def new_collection(type_: str, name: str) -> Collection:
    """A blank collection of ``type_`` with PocketBase's defaults (the scaffold)."""
    c = Collection(id="", name=name, type=type_)
    if type_ in (BASE, AUTH):
        c.fields = [id_field()]
    if type_ == AUTH:
        c.fields.extend(auth_system_fields())
        c.options = auth_options.default_auth_options()
        c.options["authRule"] = ""
        c.options["manageRule"] = None
    if type_ == VIEW:
        c.options = {"viewQuery": ""}
    return c


def _merge(base: Any, patch: Any) -> Any:
    """Deep-merge dicts; anything else in ``patch`` replaces."""
    if isinstance(base, dict) and isinstance(patch, Mapping):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base.get(key), value)
        return out
    return copy.deepcopy(patch)


def _apply_auth_options(c: Collection, payload: Mapping[str, Any]) -> None:
    old_secrets = {k: (c.options.get(k) or {}).get("secret") for k in TOKEN_KEYS}
    old_providers = {
        p.get("name"): p.get("clientSecret")
        for p in ((c.options.get("oauth2") or {}).get("providers") or [])
        if isinstance(p, dict)
    }
    for key in AUTH_OPTION_KEYS:
        if key in payload:
            c.options[key] = _merge(c.options.get(key), payload[key])
    for key in TOKEN_KEYS:
        token = c.options.get(key)
        if isinstance(token, dict) and not token.get("secret") and old_secrets.get(key):
            token["secret"] = old_secrets[key]
    providers = (c.options.get("oauth2") or {}).get("providers") or []
    for p in providers:
        if isinstance(p, dict) and not p.get("clientSecret") and old_providers.get(p.get("name")):
            p["clientSecret"] = old_providers[p.get("name")]


def _json_kind(value: Any) -> str:
    """The JSON kind Go's decoder names in its errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def fields_unmarshal_error(raw: Any) -> str | None:
    """What Go's JSON decoder says about a collection's ``fields`` it can't read (an import
    checks every collection with it before writing anything), or None."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        return f'json: unable to unmarshal JSON {_json_kind(raw)} into Go []core.fieldWithType within "/fields"'
    for i, item in enumerate(raw):
        where = f'json: unable to unmarshal JSON {_json_kind(item)} into Go core.fieldWithType within "/fields/{i}": '
        if item is not None and not isinstance(item, Mapping):
            kind = _json_kind(item)
            return f"{where}failed to unmarshal field type: json: unable to unmarshal JSON {kind} into Go core.onlyFieldType"
        type_ = None if item is None else item.get("type")
        if type_ is not None and not isinstance(type_, str):
            return (f"{where}failed to unmarshal field type: json: unable to unmarshal JSON {_json_kind(type_)} "
                    'into Go string within "/type"')
        if type_ not in FIELD_TYPES:
            return f"{where}missing or unknown field type in {orjson.dumps(item).decode()}"
    return None


def _fields_from_payload(raw: Any, old: list[Field]) -> list[Field]:
    """The new field list; a later field with an id already listed replaces the earlier one,
    and so does one without an id whose exact name is already listed (in its place)."""
    if not isinstance(raw, list):
        raise PayloadFormatError("fields must be an array")
    errors: dict[str, Any] = {}
    fields: list[Field] = []
    old_by_name = {f.name.lower(): f for f in old}
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise PayloadFormatError("a field must be an object")
        data = dict(item)
        if not data.get("id"):
            same = old_by_name.get(str(data.get("name", "")).lower())
            if same is not None and same.type == data.get("type"):
                data["id"] = same.id
        try:
            f = field_from_dict(data)
        except UnknownFieldTypeError as exc:
            raise PayloadFormatError("unknown field type") from exc
        except ValidationFailed as exc:
            if set(exc.errors) - set(EXTENSION_KEYS):
                # a key of the wrong JSON type: PocketBase's decoder refuses the whole body
                raise PayloadFormatError(f"fields.{i}: wrong type") from exc
            errors[str(i)] = exc.errors
            continue
        if f.id:
            fields = [other for other in fields if other.id != f.id]
        else:
            at = next((n for n, other in enumerate(fields) if other.name == f.name), None)
            if at is not None:
                # as PocketBase: the later field takes the earlier one's place and id
                earlier = fields[at]
                f.id = earlier.id or generate_field_id(earlier.type, earlier.name, {o.id for o in fields if o.id})
                fields[at] = f
                continue
        fields.append(f)
    if errors:
        raise ValidationFailed({"fields": errors})
    return fields


def _resolve_relation_targets(fields: list[Field], lookup: CollectionLookup) -> None:
    """Accept collection names and the legacy ``_users`` alias; store the canonical id."""
    for f in fields:
        if f.type != "relation":
            continue
        target = str(getattr(f, "collectionId", "") or "")
        found = lookup(target) if target else None
        if found is not None and found.id != target:
            f.collectionId = found.id  # type: ignore[attr-defined]


def _check_json_types(payload: Mapping[str, Any]) -> None:
    """Keys whose JSON type Go could not decode into the collection struct (null is fine:
    it leaves the zero value)."""
    for key in RULE_KEYS:
        if payload.get(key) is not None and not isinstance(payload[key], str):
            raise PayloadFormatError(f"{key} must be a string")
    if payload.get("system") is not None and not isinstance(payload["system"], bool):
        raise PayloadFormatError("system must be a boolean")
    indexes = payload.get("indexes")
    if indexes is not None and not (isinstance(indexes, list) and all(isinstance(i, str) for i in indexes)):
        raise PayloadFormatError("indexes must be an array of strings")


def apply_payload(c: Collection, payload: Mapping[str, Any], lookup: CollectionLookup, *, is_new: bool) -> None:
    """Apply the body keys onto ``c`` in place (no validation)."""
    if is_new and payload.get("id"):
        c.id = str(payload["id"])
    for key in ("name", "type"):
        if payload.get(key) is not None and not isinstance(payload[key], str):
            raise PayloadFormatError(f"{key} must be a string")
    if "name" in payload:
        c.name = payload["name"] or ""
    if "type" in payload and not is_new:
        c.type = payload["type"] or ""
    _check_json_types(payload)
    if "system" in payload:
        c.system = bool(payload["system"]) if isinstance(payload["system"], bool) else c.system
    for key in RULE_KEYS:
        if key in payload:
            value = payload[key]
            setattr(c, key, None if value is None else str(value))
    if "indexes" in payload:
        raw = payload["indexes"]
        c.indexes = [str(i) for i in raw] if isinstance(raw, list) else []

    if "fields" in payload and (payload["fields"] is not None or is_new):
        # JSON null is Go's nil slice: no fields (the implicit ones come back in finalize)
        c.fields = _fields_from_payload(payload["fields"] or [], c.fields)
    elif legacy.is_legacy_payload(payload):
        legacy.apply_legacy_payload(c, payload, lookup, is_new=is_new)

    if c.type == VIEW and "viewQuery" in payload:
        c.options["viewQuery"] = "" if payload["viewQuery"] is None else str(payload["viewQuery"])
    if c.type == AUTH:
        _apply_auth_options(c, payload)
    _resolve_relation_targets(c.fields, lookup)


def _ensure_id_field(c: Collection) -> None:
    existing = c.field("id")
    default = id_field()
    if existing is None or existing.type != "text":
        # a renamed PK keeps its id: validation then reports the missing "id" field
        if not any(f.id == default.id for f in c.fields):
            c.fields.insert(0, default)
        return
    existing.system = True
    existing.required = True  # type: ignore[attr-defined]
    existing.primaryKey = True  # type: ignore[attr-defined]
    existing.hidden = False
    if not getattr(existing, "pattern", ""):
        existing.pattern = "^[a-z0-9]+$"  # type: ignore[attr-defined]


def _ensure_auth_fields(c: Collection) -> None:
    for default in auth_system_fields():
        existing = c.field(default.name)
        if existing is None:
            taken = {f.id for f in c.fields}
            if default.id in taken:
                default.id = generate_field_id(default.type, default.name, taken)
            c.fields.append(default)
            continue
        if existing.type != default.type:
            continue
        existing.system = True
        if default.name in ("password", "tokenKey"):
            existing.hidden = True
            existing.required = True  # type: ignore[attr-defined]
        if default.name == "email":
            existing.hidden = False
            existing.required = True  # type: ignore[attr-defined]
    for column, sql in default_auth_indexes(c.id, c.name).items():
        if not has_single_column_unique_index(c.indexes, column):
            c.indexes.append(sql)


def preview(payload: Mapping[str, Any], lookup: CollectionLookup) -> Collection | None:
    """The collection a create body describes, before validation and without its id or a
    view's inferred fields (``e.collection`` of ``on_collection_create_request``); ``None``
    when the body is not a collection's shape (the endpoint answers it)."""
    type_ = payload.get("type") or BASE
    type_ = type_ if isinstance(type_, str) and type_ in COLLECTION_TYPES else BASE
    c = new_collection(type_, "")
    try:
        apply_payload(c, payload, lookup, is_new=True)
        finalize(c, None)
    except Exception:  # noqa: BLE001 - any malformed body: the endpoint reports it in its words
        return None
    return c


def finalize(c: Collection, old: Collection | None = None) -> None:
    """The implicit fields and ids PocketBase (re)inserts on every save (01 §1.1).

    A type change is refused by validation, so nothing is added for it.
    """
    if old is not None and old.type != c.type:
        return
    if c.type in (BASE, AUTH):
        _ensure_id_field(c)
    if c.type == AUTH:
        _ensure_auth_fields(c)
        if c.system and c.name == "_superusers":
            auth_options.force_superuser_options(c.options)
        if old is None:
            auth_options.ensure_secrets(c.options)
    taken = {f.id for f in c.fields if f.id}
    for f in c.fields:
        if not f.id:
            f.id = generate_field_id(f.type, f.name, taken)
            taken.add(f.id)
