"""Symmetric encryption and hash helpers compatible with PocketBase's ``tools/security``.

Cipher-text layout (same bytes as Go's ``security.Encrypt``)::

    base64.StdEncoding( nonce[12] || AES-GCM-Seal(plaintext) || tag[16] )

The key is the *string* key encoded as UTF-8; like Go's ``aes.NewCipher`` it must
be 16, 24 or 32 bytes long (PocketBase documents 32 characters, i.e. AES-256).
No associated data is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


__all__ = [
    "NONCE_SIZE",
    "DecryptError",
    "InvalidKeyError",
    "decrypt",
    "encrypt",
    "equal",
    "hs256",
    "hs512",
    "md5",
    "s256_challenge",
    "sha256",
    "sha512",
]

#: GCM standard nonce size used by Go's ``cipher.NewGCM``.
NONCE_SIZE = 12
_TAG_SIZE = 16


class InvalidKeyError(ValueError):
    """The key is not a valid AES key (16, 24 or 32 bytes)."""


class DecryptError(ValueError):
    """The cipher text is malformed or was not produced with this key."""


def _aead(key: str) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only with --encryptionEnv

    raw = key.encode("utf-8")
    if len(raw) not in (16, 24, 32):
        raise InvalidKeyError(f"crypto/aes: invalid key size {len(raw)}")
    return AESGCM(raw)


def encrypt(data: bytes, key: str) -> str:
    """Encrypt ``data`` with AES-GCM under ``key``; returns std base64 text (random nonce)."""
    aead = _aead(key)
    nonce = os.urandom(NONCE_SIZE)
    sealed = aead.encrypt(nonce, bytes(data), None)
    return base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(cipher_text: str, key: str) -> bytes:
    """Reverse :func:`encrypt`; raises :class:`DecryptError` / :class:`InvalidKeyError`."""
    aead = _aead(key)
    # Go's base64 decoder silently skips CR/LF; everything else must be valid std base64.
    cleaned = cipher_text.replace("\r", "").replace("\n", "")
    try:
        raw = base64.b64decode(cleaned.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise DecryptError(f"illegal base64 data: {exc}") from None
    if len(raw) < NONCE_SIZE + _TAG_SIZE:
        raise DecryptError("cipher: message authentication failed")
    nonce, sealed = raw[:NONCE_SIZE], raw[NONCE_SIZE:]
    try:
        return aead.decrypt(nonce, sealed, None)
    except _invalid_tag():
        raise DecryptError("cipher: message authentication failed") from None


# -- hashes (security/crypto.go) -------------------------------------------------------


def s256_challenge(code: str) -> str:
    """PKCE S256 challenge: unpadded URL-safe base64 of sha256(code)."""
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def md5(text: str) -> str:
    """Lower-case hex MD5 of ``text``."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def sha256(text: str) -> str:
    """Lower-case hex SHA-256 of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha512(text: str) -> str:
    """Lower-case hex SHA-512 of ``text``."""
    return hashlib.sha512(text.encode("utf-8")).hexdigest()


def hs256(text: str, secret: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``text`` with ``secret``."""
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def hs512(text: str, secret: str) -> str:
    """Lower-case hex HMAC-SHA512 of ``text`` with ``secret``."""
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha512).hexdigest()


def equal(hash1: str, hash2: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(hash1.encode("utf-8"), hash2.encode("utf-8"))


def _invalid_tag() -> type[Exception]:
    from cryptography.exceptions import InvalidTag

    return InvalidTag
