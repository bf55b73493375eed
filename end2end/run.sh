#!/usr/bin/env bash
# Runs the browser tests: installs Chromium (Debian) and Playwright (npm) when missing,
# builds the wasm bundle, then drives the server binary (target/debug/misp-modules unless
# MISP_MODULES_BIN says otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ ! -x /usr/bin/chromium ]; then
    as_root apt-get update -qq
    as_root apt-get install -y -qq chromium
fi

: "${MISP_MODULES_BIN:=${CARGO_TARGET_DIR:-target}/debug/misp-modules}"
if [ ! -x "$MISP_MODULES_BIN" ]; then
    cargo build --locked -p server --bin misp-modules
fi
export MISP_MODULES_BIN="$(realpath "$MISP_MODULES_BIN")"
: "${SITE_ROOT:=${CARGO_TARGET_DIR:-target}/site}"
./scripts/build-site.sh "$SITE_ROOT"
export SITE_ROOT="$(realpath "$SITE_ROOT")"

cd end2end
npm ci --no-audit --no-fund --loglevel=error
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx playwright test
