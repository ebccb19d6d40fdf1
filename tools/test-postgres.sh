#!/usr/bin/env bash
# Start (or reuse) a private PostgreSQL server for the tests and print its URL.
#   tools/test-postgres.sh start   -> prints postgresql+psycopg://… (a superuser on a private port)
#   tools/test-postgres.sh stop
# Uses Debian's postgresql package (./run test installs it). The cluster lives in var/pg (git-ignored),
# listens on 127.0.0.1:$OCOP_PG_PORT (default 54329) and trusts local connections: test data only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/var/pg
PORT=${OCOP_PG_PORT:-54329}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] || { echo "test-postgres: no PostgreSQL server installed (apt-get install postgresql)" >&2; exit 1; }

run_as() {  # PostgreSQL refuses to run as root: use the postgres account then
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
    mkdir -p "$ROOT/var"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        mkdir -p "$DATA"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
        run_as "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$ROOT/var/pg-initdb.log" 2>&1
    fi
    if ! run_as "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        run_as "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
            -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DATA -c fsync=on -c max_connections=200" start >/dev/null
    fi
    echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
    ;;
stop)
    [ -f "$DATA/PG_VERSION" ] && run_as "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2
    ;;
esac
