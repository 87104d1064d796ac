#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on $SATCHEL_TEST_PG_HOST:$SATCHEL_TEST_PG_PORT
# (default 127.0.0.1:5432) for the tests.  The project's machines start one before each
# session; elsewhere this installs Debian's package and starts a cluster with trust auth.
# It never lets the PostgreSQL tests be skipped: it succeeds or says clearly why not.
set -euo pipefail
HOST="${SATCHEL_TEST_PG_HOST:-127.0.0.1}"
PORT="${SATCHEL_TEST_PG_PORT:-5432}"

ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$HOST" -p "$PORT"
    else
        (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
    fi
}

if ready; then
    exit 0
fi
if [ "$HOST" != "127.0.0.1" ] && [ "$HOST" != "localhost" ]; then
    echo "start_postgres: no PostgreSQL answers on $HOST:$PORT and it is not local: start it, or unset SATCHEL_TEST_PG_HOST" >&2
    exit 1
fi
if [ "$(id -u)" != "0" ]; then
    echo "start_postgres: no PostgreSQL on $HOST:$PORT and installing one needs root (apt-get install postgresql)" >&2
    exit 1
fi
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    echo "start_postgres: installing PostgreSQL (Debian package postgresql)" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
DATA="${SATCHEL_TEST_PG_DATA:-/var/tmp/satchel-test-pg}"
if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    chown postgres: "$DATA"
    su postgres -c "$BIN/initdb -D '$DATA' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
fi
su postgres -c "$BIN/pg_ctl -D '$DATA' -l '$DATA/server.log' -o '-h $HOST -p $PORT -k /tmp' -w start" >/dev/null
for _ in $(seq 1 30); do
    if ready; then
        exit 0
    fi
    sleep 1
done
echo "start_postgres: PostgreSQL did not come up on $HOST:$PORT (see $DATA/server.log)" >&2
exit 1
