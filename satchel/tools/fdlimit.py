"""The process's open-file limit: raised to the hard limit at start, as Go's runtime does.

Python keeps the soft ``RLIMIT_NOFILE`` it inherits (often 1,024), so a server holding
many connections would refuse clients long before the system's limit; PocketBase (Go)
raises it at start.
"""

from __future__ import annotations

import errno
import os
import resource

__all__ = ["open_fds", "raise_nofile_limit"]

_FALLBACK_CAP = 1 << 20  # Linux's default fs.nr_open, used when the hard limit is unlimited


def raise_nofile_limit() -> int:
    """Raise the soft limit to the hard one; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else _FALLBACK_CAP
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        return soft  # not allowed here (a container policy): keep what we have
    return target


def open_fds() -> int:
    """File descriptors open in this process (Linux ``/proc``, else 0)."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError as exc:
        if exc.errno == errno.EMFILE:  # not even one left to list them: all in use
            return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        return 0
