#!/usr/bin/env bash
# Installs what the tests need and runs every check: formatting, clippy lints (host and
# wasm, as -D warnings, run by scripts/clippy-rustc while compiling), all Rust tests (the store's on SQLite and on a throwaway PostgreSQL server), then the
# browser tests in Debian's Chromium. Used as-is by CI (.ci/run) and by developers.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
started=$SECONDS
step() { echo "== $1 (at ${SECONDS}s, $((SECONDS - started))s since start)"; }

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

# The wasm-bindgen CLI compiles beside the tests: a build rarely keeps both cores busy.
bindgen_log="$(mktemp)"
./scripts/install-wasm-bindgen.sh >"$bindgen_log" 2>&1 &
bindgen_pid=$!

step "formatting"
cargo fmt --all -- --check
# Clippy lints run while the tests (and, in end2end/run.sh, the wasm bundle) compile.
export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER:-$PWD/scripts/clippy-rustc}"
step "compiling and linting the tests"
cargo test --workspace --exclude frontend --locked --no-run

pg_log="$(mktemp)"
if ! TEST_DATABASE_URL="$(./scripts/start-postgres.sh 2>"$pg_log")"; then
    cat "$pg_log" >&2
    exit 1
fi
export TEST_DATABASE_URL
stop_postgres="$(sed -n 's/^stop it with: //p' "$pg_log")"
trap '"$stop_postgres" >/dev/null 2>&1 || true' EXIT

step "running the Rust tests"
cargo test --workspace --exclude frontend --locked
if ! wait "$bindgen_pid"; then
    cat "$bindgen_log" >&2
    exit 1
fi
step "browser tests"
./end2end/run.sh
step "done"
