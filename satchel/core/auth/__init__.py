"""Auth: tokens, OAuth2, OTP and MFA, anonymous sign-in, and the superuser accounts (spec 04, 11).

* :mod:`.anonymous` -- Anonymous auth, a Satchel extension (spec 14 §7): the collection option, the;
* :mod:`.apple_secret` -- The client secret of "Sign in with Apple": an ES256 JWT signed with the team's key;
* :mod:`.avatar` -- The OAuth2 avatar of a new account, downloaded for a ``file`` field;
* :mod:`.hook_events` -- the hook events of this domain (re-exported by :mod:`satchel.hooks`);
* :mod:`.legacy_admin` -- PocketBase 0.22's admin tokens, issued for and checked against ``_superusers`` records;
* :mod:`.mfa` -- Multi-factor auth: the ``_mfas`` rows between the first and the second method (spec 10 §7);
* :mod:`.oauth2` -- OAuth2 providers (spec 10 §8): defaults, the authorization URL, the code exchange;
* :mod:`.oauth2_redirect` -- The seam between ``/api/oauth2-redirect`` and realtime (the JS SDK popup flow);
* :mod:`.origins` -- New-login alerts and ``_authOrigins`` (spec 10 §9);
* :mod:`.otp` -- One-time passwords: ``_otps`` rows, their check, and the per-record attempt limit;
* :mod:`.record_tokens` -- Tokens of auth records: creating each type with PocketBase's exact claims, and;
* :mod:`.rows` -- Small write primitives the auth flows share: system rows and auth record changes;
* :mod:`.rule_check` -- Does one auth record satisfy a rule (``authRule``, ``mfa.rule``)?;
* :mod:`.superusers` -- Superuser accounts: the CLI commands and the first-run installer (spec 11 §A);
* :mod:`.tokens` -- PocketBase's JWTs: HS256, alphabetical claims, key = record tokenKey + collection secret.

The names below are the package's face: code outside the package (and above all
``satchel.hooks``) imports them from here.  They load on first use, so importing
one module of the package does not import the rest (no import cycle runs through
a face, and the CLI starts as fast as before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.auth.anonymous import anonymous_enabled
    from satchel.core.auth.apple_secret import AppleSecretLoadError, generate, load_form, validate
    from satchel.core.auth.avatar import avatar_policy, download_avatar
    from satchel.core.auth.hook_events import (
        RecordAuthRequestEvent,
        RecordAuthWithOAuth2RequestEvent,
        RecordAuthWithOTPRequestEvent,
        RecordConfirmEmailChangeRequestEvent,
        RecordCreateOTPRequestEvent,
    )
    from satchel.core.auth.legacy_admin import admin_claims, admin_key, admin_token
    from satchel.core.auth.mfa import check_mfa, expired
    from satchel.core.auth.oauth2_redirect import deliver_redirect_anywhere, set_redirect_sink
    from satchel.core.auth.origins import track_origin
    from satchel.core.auth.otp import create_otp, delete_otp, get_limiter, new_otp_code, otp_matches
    from satchel.core.auth.record_tokens import (
        auth_token,
        email_change_token,
        file_token,
        find_record_by_token,
        password_reset_token,
        verification_token,
    )
    from satchel.core.auth.rows import (
        delete_row,
        find_rows,
        insert_row,
        system_collection,
        update_auth_record,
    )
    from satchel.core.auth.rule_check import record_matches_rule
    from satchel.core.auth.superusers import (
        SuperuserError,
        create_superuser_otp,
        delete_superuser,
        has_real_superuser,
        installer_token,
    )
    from satchel.core.auth.tokens import TokenError, read_unverified, unverified_claims, verify

_WHERE = {
    "RecordAuthRequestEvent": "hook_events",
    "RecordAuthWithOAuth2RequestEvent": "hook_events",
    "RecordAuthWithOTPRequestEvent": "hook_events",
    "RecordConfirmEmailChangeRequestEvent": "hook_events",
    "RecordCreateOTPRequestEvent": "hook_events",
    "AppleSecretLoadError": "apple_secret",
    "SuperuserError": "superusers",
    "TokenError": "tokens",
    "admin_claims": "legacy_admin",
    "admin_key": "legacy_admin",
    "admin_token": "legacy_admin",
    "anonymous_enabled": "anonymous",
    "auth_token": "record_tokens",
    "avatar_policy": "avatar",
    "check_mfa": "mfa",
    "create_otp": "otp",
    "create_superuser_otp": "superusers",
    "delete_otp": "otp",
    "delete_row": "rows",
    "delete_superuser": "superusers",
    "deliver_redirect_anywhere": "oauth2_redirect",
    "download_avatar": "avatar",
    "email_change_token": "record_tokens",
    "expired": "mfa",
    "file_token": "record_tokens",
    "find_record_by_token": "record_tokens",
    "find_rows": "rows",
    "generate": "apple_secret",
    "get_limiter": "otp",
    "has_real_superuser": "superusers",
    "insert_row": "rows",
    "installer_token": "superusers",
    "load_form": "apple_secret",
    "new_otp_code": "otp",
    "otp_matches": "otp",
    "password_reset_token": "record_tokens",
    "read_unverified": "tokens",
    "record_matches_rule": "rule_check",
    "set_redirect_sink": "oauth2_redirect",
    "system_collection": "rows",
    "track_origin": "origins",
    "unverified_claims": "tokens",
    "update_auth_record": "rows",
    "validate": "apple_secret",
    "verification_token": "record_tokens",
    "verify": "tokens",
}
__all__ = [
    "RecordAuthRequestEvent",
    "RecordAuthWithOAuth2RequestEvent",
    "RecordAuthWithOTPRequestEvent",
    "RecordConfirmEmailChangeRequestEvent",
    "RecordCreateOTPRequestEvent",
    "AppleSecretLoadError",
    "SuperuserError",
    "TokenError",
    "admin_claims",
    "admin_key",
    "admin_token",
    "anonymous_enabled",
    "auth_token",
    "avatar_policy",
    "check_mfa",
    "create_otp",
    "create_superuser_otp",
    "delete_otp",
    "delete_row",
    "delete_superuser",
    "deliver_redirect_anywhere",
    "download_avatar",
    "email_change_token",
    "expired",
    "file_token",
    "find_record_by_token",
    "find_rows",
    "generate",
    "get_limiter",
    "has_real_superuser",
    "insert_row",
    "installer_token",
    "load_form",
    "new_otp_code",
    "otp_matches",
    "password_reset_token",
    "read_unverified",
    "record_matches_rule",
    "set_redirect_sink",
    "system_collection",
    "track_origin",
    "unverified_claims",
    "update_auth_record",
    "validate",
    "verification_token",
    "verify",
]
__getattr__ = lazy_names(__name__, _WHERE)
