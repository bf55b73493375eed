#!/usr/bin/env bash
# Installs what the tests need and runs every check: formatting, lints, all tests.
# Used as-is by CI (.ci/run) and by developers; safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Custom-module tests run real Python workers.
if ! command -v python3 >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root apt-get install -y -qq python3
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
