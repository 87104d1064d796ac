from __future__ import annotations

import base64
import re

import pytest

from satchel.tools.security import (
    DEFAULT_RANDOM_ALPHABET,
    DecryptError,
    InvalidKeyError,
    decrypt,
    encrypt,
    equal,
    hs256,
    md5,
    pseudorandom_string,
    random_string,
    random_string_with_alphabet,
    s256_challenge,
    sha256,
)

KEY = "abcdabcdabcdabcdabcdabcdabcdabcd"


def test_decrypt_known_answer_from_pocketbase_tests() -> None:
    # vector from PocketBase tools/security/encrypt_test.go
    assert decrypt("8kcEqilvv+YKYcfnSr0aSC54gmnQCsB02SaB8ATlnA==", KEY) == b"123"


def test_decrypt_illegal_base64() -> None:
    with pytest.raises(DecryptError):
        decrypt("8kcEqilvvYKYcfnSr0aSC54gmnQCsB02SaB8ATlnA==", KEY)


def test_decrypt_wrong_key_or_tampered() -> None:
    token = encrypt(b"secret", KEY)
    with pytest.raises(DecryptError, match="authentication failed"):
        decrypt(token, "x" * 32)
    raw = bytearray(base64.b64decode(token))
    raw[-1] ^= 1
    with pytest.raises(DecryptError):
        decrypt(base64.b64encode(bytes(raw)).decode(), KEY)
    with pytest.raises(DecryptError):
        decrypt(base64.b64encode(b"short").decode(), KEY)


@pytest.mark.parametrize("key", ["", "test", "a" * 31, "a" * 33])
def test_invalid_key_sizes(key: str) -> None:
    with pytest.raises(InvalidKeyError, match="invalid key size"):
        encrypt(b"123", key)
    with pytest.raises(InvalidKeyError):
        decrypt("8kcEqilvv+YKYcfnSr0aSC54gmnQCsB02SaB8ATlnA==", key)


@pytest.mark.parametrize("data", [b"", b"123", b'{"a":1}' * 100, bytes(range(256))])
def test_round_trip(data: bytes) -> None:
    token = encrypt(data, KEY)
    raw = base64.b64decode(token, validate=True)
    assert len(raw) == 12 + len(data) + 16  # nonce || ciphertext || tag
    assert decrypt(token, KEY) == data


def test_round_trip_other_aes_key_sizes() -> None:
    for key in ("k" * 16, "k" * 24):
        assert decrypt(encrypt(b"x", key), key) == b"x"


def test_random_nonce() -> None:
    assert encrypt(b"same", KEY) != encrypt(b"same", KEY)


def test_decrypt_tolerates_newlines_like_go() -> None:
    token = encrypt(b"abc", KEY)
    assert decrypt(token[:10] + "\r\n" + token[10:], KEY) == b"abc"


def test_random_string_is_uniform_over_the_alphabet() -> None:
    """One urandom read per string, bytes past the largest multiple of the alphabet size
    skipped: 36 letters (256 % 36 = 4, a modulo bias of 1/63 if not skipped) stay even."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    text = "".join(random_string_with_alphabet(15, alphabet) for _ in range(4000))
    assert len(text) == 60000 and set(text) == set(alphabet)
    counts = [text.count(ch) for ch in alphabet]
    expected = len(text) / len(alphabet)  # 1666.7, standard deviation ~40
    assert max(abs(c - expected) for c in counts) < 200, counts
    assert set(random_string_with_alphabet(40, "".join(map(chr, range(0x100, 0x100 + 300))))) <= set(
        map(chr, range(0x100, 0x100 + 300)))  # more than 256 letters: secrets.choice


def test_random_string() -> None:
    s = random_string(30)
    assert len(s) == 30
    assert re.fullmatch(r"[A-Za-z0-9]+", s)
    assert random_string(0) == ""
    assert set(random_string_with_alphabet(50, "ab")) <= {"a", "b"}
    assert random_string(10, "x") == "x" * 10
    assert len(set(random_string(15) for _ in range(50))) == 50
    assert len(DEFAULT_RANDOM_ALPHABET) == 62
    assert re.fullmatch(r"[A-Za-z0-9]{12}", pseudorandom_string(12))
    with pytest.raises(ValueError):
        random_string(-1)
    with pytest.raises(ValueError):
        random_string(3, "")


def test_hash_helpers() -> None:
    # RFC 7636 appendix B
    assert s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert md5("test") == "098f6bcd4621d373cade4e832627b4f6"
    assert sha256("test") == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    assert hs256("test", "secret") == "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
    assert equal("abc", "abc")
    assert not equal("abc", "abd")
