"""Anonymous auth, a Satchel extension (spec 14 §7): the collection option, the
sign-up rate limit, creating an anonymous record and upgrading it later.

An anonymous record is an ordinary auth record with an empty ``email`` (the
unique email index of PocketBase is ``WHERE email != ''``, so any number of them
may exist), ``verified: false``, a random password nobody knows, and no OAuth2
link.  Nothing else marks it: no extra column, no extra table, so the data
directory stays readable by PocketBase.

The ``email`` field of an auth collection is usually ``required``; like an OAuth2
sign-up whose provider gave no email, the anonymous sign-up skips that one
check (and only that one).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from satchel.core.auth.rows import find_rows, insert_row, system_collection, update_auth_record
from satchel.core.collections.model import Collection
from satchel.core.fields.email import EmailField
from satchel.core.fields.password import PasswordField, PasswordValue
from satchel.core.fields.text import TextField
from satchel.core.records.rows import hash_password
from satchel.errors import ErrorTree, ForbiddenError, ValidationError
from satchel.store.database import Tx
from satchel.tools.security import random_string

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "NOT_ANONYMOUS",
    "NOT_ENABLED",
    "OPTION_KEY",
    "SIGNUPS_PER_WINDOW",
    "SIGNUP_WINDOW",
    "SlidingWindowLimiter",
    "anonymous_enabled",
    "hash_for",
    "insert_anonymous_record",
    "is_anonymous_sync",
    "new_anonymous_values",
    "required_field_errors",
    "signup_limiter",
    "upgrade_errors",
    "upgrade_record",
]

OPTION_KEY = "anonymousAuth"
SUPERUSERS = "_superusers"
NOT_ENABLED = "The collection is not configured to allow anonymous authentication."
NOT_ANONYMOUS = "Only anonymous records (without an email) can be upgraded."
SIGNUPS_PER_WINDOW = 10
SIGNUP_WINDOW = 60.0
RANDOM_PASSWORD_LENGTH = 30
# Fields the sign-up fills itself (or that PocketBase fills on every insert).
_FILLED = frozenset({"id", "email", "emailVisibility", "verified", "password", "tokenKey"})

_REQUIRED = ValidationError("validation_required", "Cannot be blank.")


# -- the collection option ----------------------------------------------------------


def anonymous_enabled(c: Collection) -> bool:
    """Is ``anonymousAuth.enabled`` on?  A missing key (any PocketBase pb_data) = off;
    ``_superusers`` never allows it."""
    if not c.is_auth or c.name == SUPERUSERS:
        return False
    option = c.options.get(OPTION_KEY)
    return isinstance(option, Mapping) and option.get("enabled") is True


# -- rate limit -----------------------------------------------------------------------


class SlidingWindowLimiter:
    """At most ``limit`` hits per ``window`` seconds per key (sliding window, in memory).

    Only allowed hits are remembered, so a client hammering a full window is let
    in again as soon as its oldest accepted hit leaves the window.
    """

    def __init__(self, limit: int, window: float, *, clock: Any = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self._clock()
        start = now - self.window
        with self._lock:
            if len(self._hits) > 10000:
                self._prune(start)
            hits = self._hits.setdefault(key, collections.deque())
            while hits and hits[0] <= start:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _prune(self, start: float) -> None:
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > start}


def signup_limiter(app: App) -> SlidingWindowLimiter:
    """The per-app limiter of anonymous sign-ups (keyed by client IP)."""
    limiter: SlidingWindowLimiter | None = app.state.get("anonymous_signup_limiter")
    if limiter is None:
        limiter = app.state["anonymous_signup_limiter"] = SlidingWindowLimiter(SIGNUPS_PER_WINDOW, SIGNUP_WINDOW)
    return limiter


# -- sign-up -------------------------------------------------------------------------------


def hash_for(c: Collection, plain: str) -> str:
    """bcrypt with the cost of the collection's password field (blocking: run off the loop)."""
    f = c.field("password")
    cost = f.hash_cost if isinstance(f, PasswordField) else 10
    return hash_password(plain, cost)


def new_anonymous_values(app: App, c: Collection) -> dict[str, Any]:
    """Values of a fresh anonymous record (bcrypt inside: call it in a worker thread).

    Text fields with an ``autogeneratePattern`` get a generated value, as on a
    records create.
    """
    values = app.records.new_auth_values(c, "", random_string(RANDOM_PASSWORD_LENGTH))
    values["emailVisibility"] = False
    values["verified"] = False
    for f in c.fields:
        if isinstance(f, TextField) and f.name not in values:
            generated = f.autogenerate_if_empty("", is_new=True)
            if generated:
                values[f.name] = generated
    return values


def required_field_errors(c: Collection, values: Mapping[str, Any]) -> ErrorTree:
    """Required fields (other than ``email``) an anonymous record would leave blank."""
    errors: ErrorTree = {}
    for f in c.fields:
        if f.name in _FILLED or f.type == "autodate" or values.get(f.name) not in (None, ""):
            continue
        if isinstance(f, TextField) and f.autogeneratePattern:
            continue  # filled by new_anonymous_values
        if getattr(f, "required", False):
            errors[f.name] = _REQUIRED
    return errors


def insert_anonymous_record(app: App, tx: Tx, c: Collection, values: Mapping[str, Any]) -> dict[str, Any]:
    """Insert (inside the write transaction); the create is published after COMMIT."""
    return insert_row(app, tx, c, values)


# -- upgrade ------------------------------------------------------------------------------------


def is_anonymous_sync(app: App, conn: Any, c: Collection, record: Mapping[str, Any]) -> bool:
    """An empty email and no OAuth2 link (an OAuth2 sign-up without email is not anonymous)."""
    if str(record.get("email") or ""):
        return False
    ext = system_collection(app, "_externalAuths")
    return not find_rows(app, conn, ext, {"collectionRef": c.id, "recordRef": record["id"]})


def upgrade_errors(c: Collection, body: Mapping[str, Any]) -> ErrorTree:
    """``email``, ``password``, ``passwordConfirm`` checked with the collection's field
    settings (email format/domains, password length/pattern)."""
    errors: ErrorTree = {}
    email = body.get("email")
    email_field = c.field("email")
    if not isinstance(email, str) or not email:
        errors["email"] = _REQUIRED
    elif isinstance(email_field, EmailField):
        err = email_field.validate_value(email)
        if err is not None:
            errors["email"] = err
    password = body.get("password")
    password_field = c.field("password")
    if not isinstance(password, str) or not password:
        errors["password"] = _REQUIRED
    elif isinstance(password_field, PasswordField):
        err = password_field.validate_value(PasswordValue(plain=password))
        if err is not None:
            errors["password"] = err
    confirm = body.get("passwordConfirm")
    if not isinstance(confirm, str) or not confirm:
        errors["passwordConfirm"] = _REQUIRED
    elif confirm != password:
        errors["passwordConfirm"] = ValidationError("validation_values_mismatch", "Values don't match.")
    return errors


def upgrade_record(
    app: App, tx: Tx, c: Collection, record_id: str, email: str, password_hash: str
) -> dict[str, Any]:
    """Attach the email and (already hashed) password inside the write transaction.

    The record is read again here so two concurrent upgrades can't both win; the
    email change regenerates the tokenKey (the anonymous token stops working) and
    the update is published after COMMIT.
    """
    current = app.records.find_by_field_sync(tx.conn, c, "id", record_id)
    if current is None or not is_anonymous_sync(app, tx.conn, c, current):
        raise ForbiddenError(NOT_ANONYMOUS)
    return update_auth_record(app, tx, c, current, {"email": email, "password": password_hash})
