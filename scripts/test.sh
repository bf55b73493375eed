#!/usr/bin/env bash
# Installs what the tests need and runs every check: formatting, lints (host and wasm),
# all Rust tests (the store's on SQLite and on a throwaway PostgreSQL server), then the
# browser tests in Debian's Chromium. Used as-is by CI (.ci/run) and by developers.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Custom-module tests run real Python workers; the store tests want a PostgreSQL server;
# the browser tests want Chromium and Node.js.
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    as_root apt-get install -y -qq "${missing[@]}"
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true

cargo fmt --all -- --check
cargo clippy --workspace --exclude frontend --all-targets --locked -- -D warnings
cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings

pg_log="$(mktemp)"
if ! TEST_DATABASE_URL="$(./scripts/start-postgres.sh 2>"$pg_log")"; then
    cat "$pg_log" >&2
    exit 1
fi
export TEST_DATABASE_URL
stop_postgres="$(sed -n 's/^stop it with: //p' "$pg_log")"
trap '"$stop_postgres" >/dev/null 2>&1 || true' EXIT

cargo test --workspace --exclude frontend --locked
./end2end/run.sh
