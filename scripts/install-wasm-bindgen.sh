#!/usr/bin/env bash
# Installs the wasm-bindgen CLI of the version Cargo.lock pins (the CLI must match the
# wasm-bindgen crate exactly), unless it is on PATH already.
set -euo pipefail
cd "$(dirname "$0")/.."
wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wanted" ]; then
    echo "installing wasm-bindgen-cli $wanted"
    # A debug build of the CLI compiles in a fraction of the time and is fast enough for
    # one bundle. It is not our code: the clippy wrapper of scripts/test.sh stays out.
    env -u RUSTC_WORKSPACE_WRAPPER cargo install --debug wasm-bindgen-cli --version "$wanted"
fi
