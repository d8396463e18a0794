#!/usr/bin/env bash
# HTTP benchmark of the tile server on the benchmark city (1,000,000 houses), with wrk
# (Debian package `wrk`) on loopback:
#   1. cached tiles vs. a handler returning fixed bytes in the same server (/bench/fixed,
#      built in by the `bench-routes` feature and switched on by `bench_routes = true`;
#      as many bytes as the mean gzipped tile), in the same run, 64 connections, 20 s each;
#   2. memory of the server (RSS, sampled each second) through 60 s of 64 connections
#      requesting tiles across z8–z16, with a tile cache small enough to evict.
# Usage: scripts/bench/http.sh [CITY_DIR]   (generated with `riskmap generate --benchmark`)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -p riskmap-server --features bench-routes >/dev/null
BIN="$TARGET/release/riskmap"
CITY="${1:-$TARGET/bench-city-1m}"
[ -d "$CITY" ] || "$BIN" generate --benchmark --out "$CITY"
WORK="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18090
cat > "$WORK/server.toml" <<TOML
port = $PORT
bench_routes = true
tile_cache_bytes = ${CACHE_BYTES:-67108864}
TOML
"$BIN" serve "$CITY" --config "$WORK/server.toml" > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do grep -q "listening on" "$WORK/serve.log" && break; sleep 1; done
grep -q "listening on" "$WORK/serve.log" || { cat "$WORK/serve.log"; exit 1; }
BASE="http://127.0.0.1:$PORT"

# Tiles z8–z16 around the city's densest hex cell (from the summary of the grid).
python3 - "$BASE" "$WORK/tiles.txt" <<'PY'
import json, math, sys, urllib.request
base, out = sys.argv[1], sys.argv[2]
grid = json.load(urllib.request.urlopen(base + "/api/features/risk_grid.geojson"))
cell = max(grid["features"], key=lambda f: f["properties"]["population"])
ring = cell["geometry"]["coordinates"][0]
lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
def tile(z, lon, lat):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
urls = []
for z in range(8, 17):
    x0, y0 = tile(z, lon, lat)
    r = 0 if z < 12 else 1 if z < 14 else 2
    for dx in range(-r, r + 1):
        for dy in range(-r, r + 1):
            urls.append(f"/tiles/areas,risk_grid,gas_pipelines,houses,protection_targets,enterprises,hazard_sources,protection_conflicts,pipeline_conflicts/{z}/{x0+dx}/{y0+dy}.mvt")
open(out, "w").write("\n".join(urls) + "\n")
print(f"densest cell {cell['id']} ({cell['properties']['population']} persons); {len(urls)} tile URLs")
PY
cat > "$WORK/tiles.lua" <<LUA
local urls = {}
for line in io.lines("$WORK/tiles.txt") do urls[#urls + 1] = line end
local i = 0
request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i], { ["Accept-Encoding"] = "gzip" })
end
LUA
# Warm the cache: every tile once; the mean gzipped size sets the baseline's payload.
total=0; count=0
while read -r u; do
  n=$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' "$BASE$u")
  total=$((total + n)); count=$((count + 1))
done < "$WORK/tiles.txt"
MEAN=$((total / count))
echo "mean gzipped tile: $MEAN bytes over $count tiles"

echo "== cached tiles (64 connections, 20 s)"
wrk -t2 -c64 -d20s -s "$WORK/tiles.lua" "$BASE" | tee "$WORK/tiles.out"
echo "== fixed bytes of the same mean size, same server (64 connections, 20 s)"
wrk -t2 -c64 -d20s -H 'Accept-Encoding: gzip' "$BASE/bench/fixed?bytes=$MEAN" | tee "$WORK/fixed.out"
t=$(awk '/Requests\/sec/ {print $2}' "$WORK/tiles.out")
f=$(awk '/Requests\/sec/ {print $2}' "$WORK/fixed.out")
python3 -c "print(f'cached tiles: {float(\"$t\"):.0f} req/s; fixed bytes: {float(\"$f\"):.0f} req/s; ratio {float(\"$t\")/float(\"$f\")*100:.1f} %')"

echo "== memory through 60 s of 64 connections over the same tiles and their neighbours"
python3 - "$WORK/tiles.txt" "$WORK/wide.txt" <<'PY'
import sys
lines = [l.strip() for l in open(sys.argv[1]) if l.strip()]
out = []
for l in lines:
    head, z, x, y = l.rsplit("/", 3)
    y = y[:-4]
    for dx in range(-3, 4):
        for dy in range(-3, 4):
            out.append(f"{head}/{z}/{int(x)+dx}/{int(y)+dy}.mvt")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print(f"{len(out)} tile URLs (cache misses and evictions included)")
PY
sed "s|$WORK/tiles.txt|$WORK/wide.txt|" "$WORK/tiles.lua" > "$WORK/wide.lua"
( for s in $(seq 0 64); do echo "$s $(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)"; sleep 1; done ) > "$WORK/rss.txt" &
SAMPLER=$!
wrk -t2 -c64 -d60s -s "$WORK/wide.lua" "$BASE" | tee "$WORK/wide.out"
wait "$SAMPLER" || true
python3 - "$WORK/rss.txt" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 2]
v = [int(r[1]) / 1024 for r in rows]
third = max(1, len(v) // 3)
print(f"server RSS (MiB): start {v[0]:.0f}, max {max(v):.0f}, end {v[-1]:.0f}; mean of first third {sum(v[:third])/third:.0f}, last third {sum(v[-third:])/third:.0f}")
PY
curl -s "$BASE/metrics" | grep -E "^riskmap_tile_cache_(bytes|entries|hits_total|misses_total)|^riskmap_tile_render_seconds_(count|sum)"
