#!/usr/bin/env bash
# PostgreSQL for the suite's PostgreSQL run, from Debian's packages (the tests start a private server from its
# binaries: initdb, pg_ctl). Idempotent; CI runs as root and installs it. Without root or apt-get it says how.
set -u
if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: PostgreSQL is not installed and cannot be installed here (needs root and apt-get):" \
         "install the postgresql package, or point POSYANDU_TEST_PG_URL at a server"
    exit 0
fi
echo "installing PostgreSQL (Debian package) for the suite's PostgreSQL run"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql postgresql-client >/dev/null; }; then
    echo "note: could not install postgresql"
fi
exit 0
