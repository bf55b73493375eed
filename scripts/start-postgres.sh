#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store tests and prints the URL to use:
#
#   export TEST_DATABASE_URL="$(scripts/start-postgres.sh)"
#   CARGO_TARGET_DIR=... cargo test -p server store::
#
# The cluster lives in a fresh temporary folder, listens on 127.0.0.1 only (port
# $PG_PORT, default 55432), requires a random password over TCP and runs with fsync off.
# It has one database, misp_modules_test. The stop command goes to stderr (and into
# <folder>/stop.sh). As root, initdb and the server run as the `postgres` user.
set -euo pipefail

PORT="${PG_PORT:-55432}"
DB="misp_modules_test"

if [ -n "${PG_BIN:-}" ]; then
    BIN="$PG_BIN"
elif [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    BIN=/usr/lib/postgresql/15/bin
else
    BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
fi
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "PostgreSQL server binaries not found; set PG_BIN (e.g. /usr/lib/postgresql/15/bin)" >&2
    exit 1
fi

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
    echo "something already listens on 127.0.0.1:$PORT; stop it or set PG_PORT" >&2
    exit 1
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/misp-modules-pg.XXXXXX")"
PASSWORD="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PASSWORD" > "$DIR/pwfile"
chmod 600 "$DIR/pwfile"

if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$DIR"
    if command -v runuser >/dev/null 2>&1; then
        as_pg() { runuser -u postgres -- "$@"; }
    else
        as_pg() { su -s /bin/sh postgres -c "$(printf '%q ' "$@")"; }
    fi
else
    as_pg() { "$@"; }
fi

as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --pwfile="$DIR/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
    { cat "$DIR/initdb.log" >&2; exit 1; }
rm -f "$DIR/pwfile"

as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null ||
    { cat "$DIR/server.log" >&2; exit 1; }

as_pg "$BIN/createdb" -h "$DIR" -p "$PORT" -U postgres "$DB"

STOP="$DIR/stop.sh"
{
    echo '#!/bin/sh'
    if [ "$(id -u)" = 0 ]; then
        echo "runuser -u postgres -- '$BIN/pg_ctl' -D '$DIR/data' -m fast stop && rm -rf '$DIR'"
    else
        echo "'$BIN/pg_ctl' -D '$DIR/data' -m fast stop && rm -rf '$DIR'"
    fi
} > "$STOP"
chmod 755 "$STOP"

echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') running in $DIR on 127.0.0.1:$PORT" >&2
echo "stop it with: $STOP" >&2
echo "postgres://postgres:$PASSWORD@127.0.0.1:$PORT/$DB"
