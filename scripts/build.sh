#!/usr/bin/env bash
# Builds the server binary and the web UI bundle into dist/:
#   dist/misp-modules, dist/site/pkg/...
# The Dockerfile runs this script (release build), and CI runs it too so that the
# container build path is exercised on every change. MISP_MODULES_BUILD_PROFILE=dev builds
# the debug binary instead, reusing what the tests compiled (CI does this to stay within
# its time limit; the script and the bundle are the same).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${MISP_MODULES_BUILD_PROFILE:-release}"
case "$profile" in
    release) flags=(--release); out=release ;;
    dev) flags=(); out=debug ;;
    *) echo "MISP_MODULES_BUILD_PROFILE must be release or dev, not $profile" >&2; exit 2 ;;
esac
cargo build "${flags[@]}" --locked -p server --bin misp-modules
mkdir -p dist
cp "${CARGO_TARGET_DIR:-target}/$out/misp-modules" dist/
./scripts/build-site.sh dist/site
echo "built dist/misp-modules ($profile) and dist/site"
