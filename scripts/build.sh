#!/usr/bin/env bash
# Builds the release binary and the web UI bundle into dist/:
#   dist/misp-modules, dist/site/pkg/...
# The Dockerfile runs this script, and CI runs it too so that the container build path
# is exercised on every change.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p server --bin misp-modules
mkdir -p dist
cp "${CARGO_TARGET_DIR:-target}/release/misp-modules" dist/
./scripts/build-site.sh dist/site
echo "built dist/misp-modules and dist/site"
