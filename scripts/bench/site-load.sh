#!/usr/bin/env bash
# Tile latency with and without site-check load.
#   1. Start the release server on DATA_DIR (default data/haimen) and request a fixed list
#      of uncached tiles (z12–z16 around the middle of the data, every tile layer), one at
#      a time: the idle latencies.
#   2. Restart it (an empty tile cache) and request the same tiles while 16 clients post
#      site checks of a 9,991-vertex polygon (a circle around the middle of the data)
#      without pause; a client answered 503 waits its Retry-After and posts again.
# Prints p50 and p99 of both runs, their ratio, and how the site checks were answered.
# Usage: scripts/bench/site-load.sh [DATA_DIR] [SERVER_TOML]
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -p riskmap-server >/dev/null
BIN="$TARGET/release/riskmap"
DATA="${1:-data/haimen}"
WORK="$(mktemp -d)"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=18091
{ echo "port = $PORT"; [ -n "${2:-}" ] && cat "$2"; } > "$WORK/server.toml"

start() {
  "$BIN" serve "$DATA" --config "$WORK/server.toml" > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 120); do grep -q "listening on" "$WORK/serve.log" && return; sleep 1; done
  cat "$WORK/serve.log"; exit 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }

start
python3 scripts/bench/site_load.py "http://127.0.0.1:$PORT" idle > "$WORK/idle.json"
stop
start
python3 scripts/bench/site_load.py "http://127.0.0.1:$PORT" load > "$WORK/load.json"
stop
python3 - "$WORK/idle.json" "$WORK/load.json" <<'PY'
import json, sys
idle, load = (json.load(open(p)) for p in sys.argv[1:3])
print(f"tiles: {idle['tiles']} uncached, one client")
print(f"idle:  p50 {idle['p50_ms']:.1f} ms  p99 {idle['p99_ms']:.1f} ms")
print(f"load:  p50 {load['p50_ms']:.1f} ms  p99 {load['p99_ms']:.1f} ms  "
      f"(16 clients posting {load['vertices']}-vertex site checks)")
print(f"p99 ratio load/idle: {load['p99_ms'] / idle['p99_ms']:.2f}")
print(f"site checks during the tile run: {load['site_status']}, "
      f"200s took p50 {load['site_p50_s']:.2f} s")
PY
