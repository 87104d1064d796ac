#!/usr/bin/env bash
# Make sure redis-server and nats-server are installed for the tests of the Redis and NATS
# buses (tests/bus_support.py starts private ones on free ports).  The project's machines
# have both; elsewhere this installs Debian's packages, or fails saying why: those tests
# are never skipped.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/usr/local/sbin"
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install_buses: ${missing[*]} not installed and installing needs root (apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "install_buses: installing ${missing[*]} (Debian packages)" >&2
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
for name in "${missing[@]}"; do
    command -v "$name" >/dev/null 2>&1 || { echo "install_buses: $name is still missing after apt-get" >&2; exit 1; }
done
