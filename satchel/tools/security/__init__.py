"""Security helpers: PocketBase-compatible encryption, hashes and random strings."""

from __future__ import annotations

from satchel.tools.security.crypto import (
    DecryptError,
    InvalidKeyError,
    decrypt,
    encrypt,
    equal,
    hs256,
    hs512,
    md5,
    s256_challenge,
    sha256,
    sha512,
)
from satchel.tools.security.random import (
    DEFAULT_RANDOM_ALPHABET,
    pseudorandom_string,
    pseudorandom_string_with_alphabet,
    random_string,
    random_string_with_alphabet,
)

__all__ = [
    "DEFAULT_RANDOM_ALPHABET",
    "DecryptError",
    "InvalidKeyError",
    "decrypt",
    "encrypt",
    "equal",
    "hs256",
    "hs512",
    "md5",
    "pseudorandom_string",
    "pseudorandom_string_with_alphabet",
    "random_string",
    "random_string_with_alphabet",
    "s256_challenge",
    "sha256",
    "sha512",
]
