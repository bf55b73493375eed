#!/usr/bin/env bash
# Measures start-up time, resident memory and throughput of the release binary.
# Usage: bench/run.sh            (installs wrk from Debian if missing)
# Prints one line per figure; README.md records the latest run.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq curl; }
cargo build --release -p server --locked >/dev/null 2>&1
BIN=target/release/misp-modules
PORT=${BENCH_PORT:-16690}
URL=http://127.0.0.1:$PORT
CONNECTIONS=16
DURATION=${BENCH_SECONDS:-10}

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# Start-up: launch to the first successful /healthcheck, best of five.
best=999999
for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    "$BIN" --no-web -l 127.0.0.1 -p "$PORT" 2>/dev/null &
    pid=$!
    until curl -sf "$URL/healthcheck" >/dev/null 2>&1; do :; done
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$elapsed" -lt "$best" ] && best=$elapsed
    kill "$pid"; wait "$pid" 2>/dev/null || true
done
echo "startup_ms_to_first_healthcheck: $best"

"$BIN" --no-web -l 127.0.0.1 -p "$PORT" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "$URL/healthcheck" >/dev/null 2>&1; do :; done
echo "rss_mb_after_start: $(rss_mb $pid)"

# 10 000 queries, alternating the two benchmarked modules.
for i in $(seq 1 5000); do
    echo "{\"module\":\"countrycode\",\"domain\":\"host$i.example.com\"}"
    echo "{\"module\":\"extract_url_components\",\"attribute\":{\"type\":\"url\",\"value\":\"https://www$i.example.co.uk:8443/a/b?c=$i#f\",\"uuid\":\"5a5d2c1e-3c2b-4a8e-9c7d-0123456789ab\"}}"
done | xargs -P 8 -d '\n' -I{} curl -s -o /dev/null -X POST --data-binary {} "$URL/query"
echo "rss_mb_after_10000_queries: $(rss_mb $pid)"

lua=$(mktemp --suffix=.lua)
post() {
    printf 'wrk.method = "POST"\nwrk.body = [==[%s]==]\nwrk.headers["Content-Type"] = "application/json"\n' "$1" > "$lua"
    wrk -t2 -c$CONNECTIONS -d${DURATION}s -s "$lua" "$URL/query" | awk '/Requests\/sec/ {print $2}'
}
echo "rps_get_modules: $(wrk -t2 -c$CONNECTIONS -d${DURATION}s "$URL/modules" | awk '/Requests\/sec/ {print $2}')"
echo "rps_query_countrycode: $(post '{"module":"countrycode","domain":"www.example.fr"}')"
echo "rps_query_extract_url_components: $(post '{"module":"extract_url_components","attribute":{"type":"url","value":"https://www.example.co.uk:8443/a/b?c=1#f","uuid":"5a5d2c1e-3c2b-4a8e-9c7d-0123456789ab"}}')"
echo "rss_mb_after_load: $(rss_mb $pid)"
rm -f "$lua"
