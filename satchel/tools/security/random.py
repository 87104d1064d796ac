"""PocketBase-style random strings (``tools/security/random.go``).

``random_string*`` use the OS CSPRNG (:mod:`secrets`) and are the ones to use
for ids, tokens, secrets and file-name suffixes; ``pseudorandom_string*`` use
the non-cryptographic :mod:`random` generator, for cases where PocketBase uses
``math/rand`` (cheap, not security sensitive).
"""

from __future__ import annotations

import os
import random as _random
import secrets

__all__ = [
    "DEFAULT_RANDOM_ALPHABET",
    "pseudorandom_string",
    "pseudorandom_string_with_alphabet",
    "random_string",
    "random_string_with_alphabet",
]

#: PocketBase's default alphabet: matches ``[A-Za-z0-9]+`` and is URL-safe.
DEFAULT_RANDOM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

_pseudo = _random.Random()


def _check(length: int, alphabet: str) -> None:
    if length < 0:
        raise ValueError("length must not be negative")
    if length and not alphabet:
        raise ValueError("alphabet must not be empty")


def random_string_with_alphabet(length: int, alphabet: str) -> str:
    """A cryptographically random string of ``length`` characters from ``alphabet``.

    One ``os.urandom`` read for the whole string, not one per character as
    ``secrets.choice`` does (each a syscall: ~15 per record id, ~14% of a create's
    writer-thread time under cProfile).  Bytes at or above the largest multiple of the
    alphabet size are skipped, so every character stays equally likely.
    """
    _check(length, alphabet)
    size = len(alphabet)
    if size > 256:
        return "".join(secrets.choice(alphabet) for _ in range(length))
    limit = 256 - 256 % size
    out: list[str] = []
    while len(out) < length:
        for byte in os.urandom(length - len(out) + 8):
            if byte < limit:
                out.append(alphabet[byte % size])
                if len(out) == length:
                    break
    return "".join(out)


def random_string(length: int, alphabet: str = DEFAULT_RANDOM_ALPHABET) -> str:
    """A cryptographically random string (default alphabet ``[A-Za-z0-9]``)."""
    return random_string_with_alphabet(length, alphabet)


def pseudorandom_string_with_alphabet(length: int, alphabet: str) -> str:
    """A fast, non-cryptographic random string of ``length`` characters from ``alphabet``."""
    _check(length, alphabet)
    return "".join(_pseudo.choice(alphabet) for _ in range(length))


def pseudorandom_string(length: int, alphabet: str = DEFAULT_RANDOM_ALPHABET) -> str:
    """A fast, non-cryptographic random string (default alphabet ``[A-Za-z0-9]``)."""
    return pseudorandom_string_with_alphabet(length, alphabet)
