#!/usr/bin/env bash
# Builds the web UI's browser bundle (Leptos hydration, wasm) into a site folder:
#   <site>/pkg/misp_modules_ui.js and misp_modules_ui_bg.wasm
# Installs the wasm32 target and the wasm-bindgen CLI (the version Cargo.lock pins) when
# missing. Usage: scripts/build-site.sh [SITE_DIR]   (default: target/site)
set -euo pipefail
cd "$(dirname "$0")/.."

site="${1:-${CARGO_TARGET_DIR:-target}/site}"
target_dir="${CARGO_TARGET_DIR:-target}"

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true

./scripts/install-wasm-bindgen.sh

cargo build --locked -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
mkdir -p "$site/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name misp_modules_ui \
    "$target_dir/wasm32-unknown-unknown/wasm-release/frontend.wasm"
cp style/main.css public/favicon.svg "$site/"
echo "built the web UI bundle in $site"
