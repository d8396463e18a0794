#!/usr/bin/env bash
# Where an uncached tile's time goes: serves DATA with the tile cache off, samples the
# server with perf while one client fetches TILES (a JSON list of [z, x, y], each once),
# and prints the self time by symbol and the inclusive time of each pipeline stage.
# Usage: scripts/bench/tile-profile.sh RISKMAP_BIN DATA_DIR TILES.json [LAYERS [PERF_DATA]]
#   LAYERS defaults to `houses`; PERF_DATA keeps the recording. Needs perf (Debian:
#   linux-perf) and python3.
set -euo pipefail
bin=$1 data=$2 tiles=$3 layers=${4:-houses} keep=${5:-}
command -v perf >/dev/null || { echo "error: perf not found (apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
printf 'port = %s\ntile_cache_bytes = 0\n' "$port" > "$work/server.toml"
"$bin" serve "$data" --config "$work/server.toml" --bind 127.0.0.1 --port "$port" > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 1
done
perf record -F 999 --call-graph dwarf,16384 -p "$pid" -o "$work/perf.data" 2>/dev/null &
perfpid=$!
sleep 1
python3 - "$port" "$tiles" "$layers" <<'PY'
import json, sys, time, urllib.request
port, tiles, layers = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
t0 = time.perf_counter()
for z, x, y in tiles:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/tiles/{layers}/{z}/{x}/{y}.mvt",
                                 headers={"Accept-Encoding": "gzip"})
    urllib.request.urlopen(req).read()
print(f"{len(tiles)} tiles in {time.perf_counter() - t0:.2f} s (with the profiler attached)")
PY
kill -INT "$perfpid"; wait "$perfpid" 2>/dev/null || true
[ -n "$keep" ] && cp "$work/perf.data" "$keep"
echo "## self time by symbol (top 20)"
perf report -i "$work/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null \
  | grep -E '^ +[0-9.]+%' | head -20 || true
echo "## inclusive time of the stages"
perf report -i "$work/perf.data" --children --sort symbol --stdio -g none 2>/dev/null \
  | grep -E '^ +[0-9.]+% +[0-9.]+%' \
  | grep -E 'TileSet::features|TileSet::add_with_budget|geometry::process|clip::|simplify::|ring::|i_overlay|mercator|pbf::|encode_chunk|check_ids_and_keys|tiles::gzip|deflate|TileSet::render' \
  | head -25 || true
