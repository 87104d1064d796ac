"""bcrypt password hashes, computed by the system's libxcrypt when it has one.

Logging in is bcrypt-bound.  Measured here (CPU per cost-10 check, docs/performance.md):
libxcrypt's bcrypt (C) 50.3 ms, the ``bcrypt`` package 58.7 ms, PocketBase's Go 58-59 ms
per whole login.  libxcrypt is called through ctypes, which releases the GIL for the call
(the stdlib ``crypt`` module holds it: the event loop would stall for the whole hash).

The ``bcrypt`` package stays the reference: libxcrypt is used only after it reproduced a
known hash of the package's, and only for what both treat alike (a password of at most 72
bytes without NUL, a well-formed ``$2a$``/``$2b$``/``$2y$`` hash).  Anything else goes to the
package, so every answer and every ``ValueError`` is the package's own.
"""

from __future__ import annotations

import hmac
import os
import re
import threading
from collections.abc import Callable

__all__ = ["backend", "check_password", "hash_password"]

Crypt = Callable[[bytes, bytes], "bytes | None"]

_SHAPE = re.compile(rb"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}\Z")
_DATA_SIZE = 32768  # sizeof(struct crypt_data) in libxcrypt
# made by the bcrypt package: hashpw(b"satchel probe", gensalt(4, prefix=b"2a"))
_PROBE = (b"satchel probe", b"$2a$04$/9zV.grZlN3H7TQHAS9BqOIRsjrHcNtcNd9RX7X07.inHbfvTP7PC")
_ENV = "SATCHEL_BCRYPT"  # "package": never use libxcrypt

_lock = threading.Lock()
_loaded = False
_crypt: Crypt | None = None


def _load_libxcrypt() -> Crypt | None:
    if os.environ.get(_ENV) == "package":
        return None
    try:
        import ctypes  # (on first use: ctypes and libcrypt cost ~0.7 MB of RSS)

        function = ctypes.CDLL("libcrypt.so.1").crypt_rn
    except (ImportError, OSError, AttributeError):
        return None
    function.restype = ctypes.c_char_p
    function.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]

    def crypt(plain: bytes, setting: bytes) -> bytes | None:
        data = ctypes.create_string_buffer(_DATA_SIZE)  # per call: crypt_rn is reentrant with its own
        return function(plain, setting, data, _DATA_SIZE)  # type: ignore[no-any-return]

    return crypt if crypt(*_PROBE) == _PROBE[1] else None


def _libxcrypt() -> Crypt | None:
    global _loaded, _crypt
    if not _loaded:
        with _lock:
            if not _loaded:
                _crypt = _load_libxcrypt()
                _loaded = True
    return _crypt


def backend() -> str:
    """Which implementation hashes a plain password: ``"libxcrypt"`` or ``"bcrypt"``."""
    return "libxcrypt" if _libxcrypt() is not None else "bcrypt"


def _plain_ok(plain: bytes) -> bool:
    return len(plain) <= 72 and b"\0" not in plain


def hash_password(plain: bytes, cost: int) -> bytes:
    """A ``$2a$`` hash of ``plain`` at ``cost``, as ``bcrypt.hashpw`` makes it."""
    import bcrypt  # on first use, not at every start-up (~0.8 ms: a Rust extension)

    salt = bcrypt.gensalt(cost, prefix=b"2a")
    crypt = _libxcrypt()
    if crypt is not None and _plain_ok(plain):
        hashed = crypt(plain, salt)
        if hashed is not None:
            return hashed
    return bcrypt.hashpw(plain, salt)


def check_password(plain: bytes, hashed: bytes) -> bool:
    """``bcrypt.checkpw(plain, hashed)``: the same answers, the same ``ValueError``\\s."""
    crypt = _libxcrypt()
    if crypt is not None and _plain_ok(plain) and _SHAPE.match(hashed):
        computed = crypt(plain, hashed)
        if computed is not None:
            return hmac.compare_digest(computed, hashed)
    import bcrypt

    return bcrypt.checkpw(plain, hashed)
