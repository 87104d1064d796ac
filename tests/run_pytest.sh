#!/usr/bin/env bash
# `make test`'s pytest run.  A crash inside a C library (an abort, a segfault) kills pytest
# with only the main thread's pytest frames at the end of the output; this says which test
# was running and where every thread was (tests/conftest.py writes both to $log).
set -u
log=.pytest-crash.log
rm -f "$log"
SATCHEL_CRASH_LOG=$log "$@"
status=$?
if [ "$status" -gt 128 ] || grep -q "^Fatal Python error" "$log" 2>/dev/null; then
  echo "---- pytest died (exit $status) while running: $(grep '^started ' "$log" | tail -n 1)"
  sed -n '/^Fatal Python error/,$p' "$log" | grep -v -e '/_pytest/' -e '/pluggy/' | head -n 150
fi
exit "$status"
