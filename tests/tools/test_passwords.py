"""satchel.tools.security.passwords: libxcrypt's bcrypt answers exactly as the bcrypt package."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import bcrypt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satchel.tools.security import passwords

passwords_without_nul = st.binary(min_size=0, max_size=72).filter(lambda b: b"\0" not in b)


def test_this_machine_hashes_with_libxcrypt() -> None:
    # Debian (libcrypt1) has it: the fast path is what these tests and the server use here
    assert sys.platform == "linux"
    assert passwords.backend() == "libxcrypt"


@settings(max_examples=60, deadline=None)
@given(plain=passwords_without_nul, prefix=st.sampled_from([b"2a", b"2b"]))
def test_same_hash_as_the_package_for_the_same_salt(plain: bytes, prefix: bytes) -> None:
    salt = bcrypt.gensalt(4, prefix=prefix)
    crypt = passwords._libxcrypt()
    assert crypt is not None
    assert crypt(plain, salt) == bcrypt.hashpw(plain, salt)


@settings(max_examples=60, deadline=None)
@given(plain=passwords_without_nul, other=passwords_without_nul)
def test_checks_agree_with_the_package(plain: bytes, other: bytes) -> None:
    hashed = bcrypt.hashpw(plain, bcrypt.gensalt(4, prefix=b"2a"))
    for candidate in (plain, other):
        assert passwords.check_password(candidate, hashed) == bcrypt.checkpw(candidate, hashed)
    for prefix in (b"$2b$", b"$2y$"):  # Go's and PHP's prefixes of the same hash
        assert passwords.check_password(plain, hashed.replace(b"$2a$", prefix, 1)) is True


def test_a_made_hash_is_checked_by_the_package() -> None:
    hashed = passwords.hash_password(b"correct horse", 4)
    assert hashed.startswith(b"$2a$04$") and len(hashed) == 60
    assert bcrypt.checkpw(b"correct horse", hashed)
    assert not bcrypt.checkpw(b"correct horsf", hashed)


@pytest.mark.parametrize("plain", [b"a" * 73, b"\xc3\xa9" * 40])
def test_over_72_bytes_is_the_package_s_error(plain: bytes) -> None:
    hashed = bcrypt.hashpw(b"a" * 72, bcrypt.gensalt(4))
    with pytest.raises(ValueError, match="72 bytes"):
        passwords.check_password(plain, hashed)
    with pytest.raises(ValueError, match="72 bytes"):
        passwords.hash_password(plain, 4)


@pytest.mark.parametrize("hashed", [b"", b"$2a$10$short", b"$2x$10$" + b"a" * 53, b"$2a$03$" + b"a" * 53,
                                    b"$6$saltsalt$" + b"a" * 86, b"ab01234567890"])
def test_a_malformed_or_foreign_hash_is_the_package_s_error(hashed: bytes) -> None:
    # libxcrypt would compute sha512-crypt or DES for the last two: never asked
    with pytest.raises(ValueError):
        passwords.check_password(b"x", hashed)


def test_a_nul_byte_is_answered_by_the_package() -> None:
    hashed = bcrypt.hashpw(b"a", bcrypt.gensalt(4))
    assert passwords.check_password(b"a\0b", hashed) == bcrypt.checkpw(b"a\0b", hashed)
    assert bcrypt.checkpw(b"a\0b", passwords.hash_password(b"a\0b", 4))


def test_the_call_releases_the_gil() -> None:
    # a cost-12 check takes ~200 ms of CPU; the main thread must keep running meanwhile
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(12))
    done = threading.Event()
    thread = threading.Thread(target=lambda: (passwords.check_password(b"pw", hashed), done.set()))
    ticks = 0
    thread.start()
    while not done.is_set():
        time.sleep(0.001)
        ticks += 1
    thread.join()
    assert ticks >= 20  # held GIL: one tick at most


def test_package_only_from_the_environment() -> None:
    code = "from satchel.tools.security import passwords; print(passwords.backend())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"SATCHEL_BCRYPT": "package", "PATH": ""})
    assert out.stdout.strip() == "bcrypt"
