"""Implicit and system fields exactly as PocketBase creates them (spec 01 §1.1, §7).

Each call returns fresh objects (safe to mutate).
"""

from __future__ import annotations

from satchel.core.fields.autodate import AutodateField
from satchel.core.fields.base import Field, generate_field_id
from satchel.core.fields.bool import BoolField
from satchel.core.fields.email import EmailField
from satchel.core.fields.file import FileField
from satchel.core.fields.password import PasswordField
from satchel.core.fields.text import DEFAULT_ID_PATTERN, TextField

__all__ = [
    "AVATAR_MIME_TYPES",
    "auth_system_fields",
    "authorigins_fields",
    "autodate_fields",
    "externalauths_fields",
    "id_field",
    "mfas_fields",
    "otps_fields",
    "superusers_fields",
    "system_collection_fields",
    "users_fields",
]

AVATAR_MIME_TYPES = ("image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp")


def _text(name: str, *, required: bool = True, system: bool = True, hidden: bool = False, **options: object) -> TextField:
    f = TextField(id=generate_field_id("text", name), name=name, required=required, system=system, hidden=hidden)
    for key, value in options.items():
        setattr(f, key, value)
    return f


def id_field() -> TextField:
    """The ``id`` primary key: 15 chars of ``[a-z0-9]``."""
    return TextField(
        id=generate_field_id("text", "id"),  # text3208210256
        name="id",
        system=True,
        required=True,
        primaryKey=True,
        min=15,
        max=15,
        pattern=DEFAULT_ID_PATTERN,
        autogeneratePattern="[a-z0-9]{15}",
    )


def autodate_fields(*, system: bool = False) -> list[Field]:
    """``created`` (onCreate) and ``updated`` (onCreate+onUpdate)."""
    return [
        AutodateField(id=generate_field_id("autodate", "created"), name="created", system=system, onCreate=True),
        AutodateField(
            id=generate_field_id("autodate", "updated"), name="updated", system=system, onCreate=True, onUpdate=True
        ),
    ]


def auth_system_fields() -> list[Field]:
    """``password``, ``tokenKey``, ``email``, ``emailVisibility``, ``verified`` of every auth collection."""
    return [
        PasswordField(
            id=generate_field_id("password", "password"), name="password", system=True, hidden=True, required=True, min=8
        ),
        _text("tokenKey", hidden=True, min=30, max=60, autogeneratePattern="[a-zA-Z0-9]{50}"),
        EmailField(id=generate_field_id("email", "email"), name="email", system=True, required=True),
        BoolField(id=generate_field_id("bool", "emailVisibility"), name="emailVisibility", system=True),
        BoolField(id=generate_field_id("bool", "verified"), name="verified", system=True),
    ]


def _refs() -> list[Field]:
    return [_text("collectionRef"), _text("recordRef")]


def mfas_fields() -> list[Field]:
    return [id_field(), *_refs(), _text("method"), *autodate_fields(system=True)]


def otps_fields() -> list[Field]:
    return [
        id_field(),
        *_refs(),
        PasswordField(
            id=generate_field_id("password", "password"), name="password", system=True, hidden=True, required=True, cost=8
        ),
        _text("sentTo", required=False, hidden=True),
        *autodate_fields(system=True),
    ]


def externalauths_fields() -> list[Field]:
    return [id_field(), *_refs(), _text("provider"), _text("providerId"), *autodate_fields(system=True)]


def authorigins_fields() -> list[Field]:
    return [id_field(), *_refs(), _text("fingerprint"), *autodate_fields(system=True)]


def superusers_fields() -> list[Field]:
    return [id_field(), *auth_system_fields(), *autodate_fields(system=True)]


def users_fields() -> list[Field]:
    return [
        id_field(),
        *auth_system_fields(),
        _text("name", required=False, system=False, max=255),
        FileField(
            id=generate_field_id("file", "avatar"), name="avatar", maxSelect=1, mimeTypes=list(AVATAR_MIME_TYPES)
        ),
        *autodate_fields(system=False),
    ]


def system_collection_fields() -> dict[str, list[Field]]:
    """Collection name -> its fields, in ``GET /api/collections`` order of a fresh pb_data."""
    return {
        "_mfas": mfas_fields(),
        "_otps": otps_fields(),
        "_externalAuths": externalauths_fields(),
        "_authOrigins": authorigins_fields(),
        "_superusers": superusers_fields(),
        "users": users_fields(),
    }
