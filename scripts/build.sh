#!/usr/bin/env bash
# Builds the server binary and the web UI bundle into dist/:
#   dist/misp-modules, dist/site/pkg/...
# The Dockerfile runs this script (release build), and CI runs it too so that the
# container build path is exercised on every change. MISP_MODULES_BUILD_PROFILE=dev takes
# the debug binary the tests build instead (CI does this to stay within its time limit;
# the script and the bundle are the same).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${MISP_MODULES_BUILD_PROFILE:-release}"
case "$profile" in
    release)
        cargo build --release --locked -p server --bin misp-modules
        out=release
        ;;
    dev)
        # The same command as scripts/test.sh: with the tests' dependency features, so
        # nothing is compiled again after a test run.
        cargo test --workspace --exclude frontend --locked --no-run
        out=debug
        ;;
    *) echo "MISP_MODULES_BUILD_PROFILE must be release or dev, not $profile" >&2; exit 2 ;;
esac
mkdir -p dist
cp "${CARGO_TARGET_DIR:-target}/$out/misp-modules" dist/
./scripts/build-site.sh dist/site
echo "built dist/misp-modules ($profile) and dist/site"
