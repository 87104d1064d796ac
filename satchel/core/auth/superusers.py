"""Superuser accounts: the CLI commands and the first-run installer (spec 11 §A).

Synchronous: called from the CLI, and from ``serve`` before the loop starts.
"""

from __future__ import annotations

from typing import Any

from satchel.core.collections.model import Collection
from satchel.core.collections.registry import CollectionRegistry
from satchel.core.records.rows import RecordStore, hash_password, new_record_id
from satchel.errors import ApiError
from satchel.store.database import Database, Tx
from satchel.tools.lazy_re import LazyPattern
from satchel.tools.security import random_string
from satchel.tools.timeutil import now_text

__all__ = [
    "INSTALLER_EMAIL",
    "SuperuserError",
    "create_superuser",
    "delete_superuser",
    "installer_token",
    "update_superuser_password",
    "upsert_superuser",
]

INSTALLER_EMAIL = "__pbinstaller@example.com"
SUPERUSERS = "_superusers"
EMAIL_RE = LazyPattern(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")


class SuperuserError(Exception):
    """A CLI-facing failure with PocketBase's message."""


def _collection(registry: CollectionRegistry) -> Collection:
    c = registry.get(SUPERUSERS)
    if c is None:
        raise SuperuserError("missing _superusers collection")
    return c


def _check(email: str, password: str) -> str | None:
    problems = []
    if not EMAIL_RE.match(email):
        problems.append("email: Must be a valid email address.")
    if len(password) < 8:
        problems.append("password: Must be at least 8 character(s).")
    elif len(password.encode()) > 71:
        problems.append("password: Must be less than 72 bytes.")
    return "; ".join(problems) or None


def _find(store: RecordStore, tx: Tx, c: Collection, email: str) -> dict[str, Any] | None:
    return store.find_by_field_sync(tx.conn, c, "email", email)


def _delete_installer(tx: Tx, c: Collection) -> None:
    tx.execute(f"DELETE FROM `{c.name}` WHERE `email` = :e", {"e": INSTALLER_EMAIL})


def _insert(store: RecordStore, tx: Tx, c: Collection, email: str, password: str) -> dict[str, Any]:
    values = store.new_auth_values(c, email, password)
    record = store.insert_sync(tx, c, values)
    if email != INSTALLER_EMAIL:
        _delete_installer(tx, c)
    return record


def create_superuser(db: Database, store: RecordStore, registry: CollectionRegistry, email: str, password: str) -> None:
    c = _collection(registry)
    problem = _check(email, password)
    if problem:
        raise SuperuserError(f"failed to create new superuser account: {problem}")

    def run(tx: Tx) -> None:
        try:
            _insert(store, tx, c, email, password)
        except ApiError as exc:
            detail = "; ".join(f"{k}: {getattr(v, 'message', v)}" for k, v in exc.data.items())
            raise SuperuserError(f"failed to create new superuser account: {detail or exc.message}") from exc

    db.write_sync(run)


def upsert_superuser(db: Database, store: RecordStore, registry: CollectionRegistry, email: str, password: str) -> None:
    c = _collection(registry)
    if not EMAIL_RE.match(email):
        raise SuperuserError("missing or invalid email address")
    problem = _check(email, password)
    if problem:
        raise SuperuserError(f"failed to upsert superuser account: {problem}")

    def run(tx: Tx) -> None:
        existing = _find(store, tx, c, email)
        if existing is None:
            _insert(store, tx, c, email, password)
        else:
            _set_password(store, tx, c, existing["id"], password)

    db.write_sync(run)


def _set_password(store: RecordStore, tx: Tx, c: Collection, record_id: str, password: str) -> None:
    store.update_sync(
        tx,
        c,
        record_id,
        {
            "password": hash_password(password),
            "tokenKey": random_string(50),
            "updated": now_text(),
        },
    )


def update_superuser_password(
    db: Database, store: RecordStore, registry: CollectionRegistry, email: str, password: str
) -> None:
    c = _collection(registry)
    problem = _check(email, password)

    def run(tx: Tx) -> None:
        existing = _find(store, tx, c, email)
        if existing is None:
            raise SuperuserError(f'superuser with email "{email}" doesn\'t exist')
        if problem:
            raise SuperuserError(f"failed to change superuser password: {problem}")
        _set_password(store, tx, c, existing["id"], password)

    db.write_sync(run)


def delete_superuser(db: Database, store: RecordStore, registry: CollectionRegistry, email: str) -> bool:
    """False when there was no such superuser (PocketBase exits 0 then)."""
    c = _collection(registry)

    def run(tx: Tx) -> bool:
        existing = _find(store, tx, c, email)
        if existing is None:
            return False
        if store.count_sync(tx.conn, c) <= 1:
            raise SuperuserError(f'failed to delete superuser "{email}": You can\'t delete the only existing superuser.')
        tx.execute(f"DELETE FROM `{c.name}` WHERE `id` = :id", {"id": existing["id"]})
        return True

    return db.write_sync(run)


def create_superuser_otp(db: Database, registry: CollectionRegistry, store: RecordStore, email: str) -> tuple[str, str, int]:
    """(otp id, plain password, duration) for a superuser; needs OTP enabled on ``_superusers``."""
    c = _collection(registry)
    otp = c.options.get("otp") or {}
    if not otp.get("enabled"):
        raise SuperuserError("OTP auth is not enabled for the _superusers collection")
    otps = registry.get("_otps")
    if otps is None:
        raise SuperuserError("missing _otps collection")
    length = int(otp.get("length") or 8)
    duration = int(otp.get("duration") or 180)
    password = random_string(length, "0123456789")

    def run(tx: Tx) -> str:
        existing = _find(store, tx, c, email)
        if existing is None:
            raise SuperuserError(f'superuser with email "{email}" doesn\'t exist')
        now = now_text()
        otp_id = new_record_id()
        store.insert_sync(
            tx,
            otps,
            {
                "id": otp_id,
                "collectionRef": c.id,
                "recordRef": existing["id"],
                "password": hash_password(password, 8),
                "sentTo": "",
                "created": now,
                "updated": now,
            },
        )
        return otp_id

    return db.write_sync(run), password, duration


def has_real_superuser(db: Database, store: RecordStore, registry: CollectionRegistry) -> bool:
    c = _collection(registry)
    return bool(db.read_sync(lambda conn: store.count_sync(conn, c, "`email` != :e", {"e": INSTALLER_EMAIL})))


def installer_token(db: Database, store: RecordStore, registry: CollectionRegistry) -> str:
    """A 30-minute static superuser token for the installer account (created if missing)."""
    from satchel.core.auth.tokens import create_token, secret_key_for

    c = _collection(registry)

    def run(tx: Tx) -> dict[str, Any]:
        existing = _find(store, tx, c, INSTALLER_EMAIL)
        if existing is not None:
            return existing
        return _insert(store, tx, c, INSTALLER_EMAIL, random_string(30))

    # read first: an existing installer account needs no write lock (another process may hold it)
    found = db.read_sync(lambda conn: store.find_by_field_sync(conn, c, "email", INSTALLER_EMAIL))
    record = found if found is not None else db.write_sync(run)
    secret, _ = secret_key_for(c.options, "auth")
    claims = {"collectionId": c.id, "id": record["id"], "refreshable": False, "type": "auth"}
    return create_token(claims, str(record["tokenKey"]) + secret, 30 * 60)
