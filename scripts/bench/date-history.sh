#!/usr/bin/env bash
# The map of a past day from a store's history, on a GeoPackage: imports a city, serves
# it, changes it through the edit API (house moves, hazard-source inventories, hidden
# hazards' statuses: edit_tile.py), then asks for past days. Each day's first request
# takes the store's changes since the day back on a copy of the snapshot; it prints the
# time of that first request, of a second one (kept), and the viewer's date switches
# (scripts/date-switch.mjs), with the server's peak memory. Nothing is asserted.
#
#   bash scripts/bench/date-history.sh [--city DIR] [--edits N] [--short]
#
# Without --city it generates the benchmark city (1,000,000 houses; --short: 50,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
. scripts/bench/lib.sh

CITY="" EDITS=30 SHORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --city) CITY="$2"; shift 2 ;;
    --edits) EDITS="$2"; shift 2 ;;
    --short) SHORT=1; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

cargo build --release -p riskmap-server >/dev/null
BIN="$TARGET/release/riskmap"
WORK="$(mktemp -d /tmp/rmhist.XXXXXX)"
SERVER=""
cleanup() { bench_stop "$SERVER"; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_machine
bench_city
echo "city: $CITY ($(grep -c '"type":"Feature"' "$CITY/houses.geojson") houses)"
GPKG="$WORK/city.gpkg"
"$BIN" import "$CITY" --into "$GPKG" --quiet >/dev/null
PORT=$((40000 + RANDOM % 20000))
bench_editor_config "$PORT"
"$BIN" serve "$GPKG" --config "$WORK/server.toml" > "$WORK/serve.log" 2>&1 &
SERVER=$!
bench_wait_listening "$WORK/serve.log" 900
sleep 20
BASE="http://127.0.0.1:$PORT"
STRIDE=997; [ -n "$SHORT" ] && STRIDE=97
python3 scripts/bench/edit_tile.py "$BASE" "$TOKEN" "$CITY/houses.geojson" --edits "$EDITS" \
  --stride "$STRIDE" --hazard-sources "$CITY/hazard_sources.geojson" --inventories "$((EDITS / 3))" \
  --hidden "$EDITS" --out "$WORK/edits.json" >/dev/null
echo "changes made through the API: $(curl -s "$BASE/api/changes?since=0" | python3 -c \
  'import json,sys; print(sum(1 for c in json.load(sys.stdin)["changes"] if c["actor"] != "import"))')"
# Days in China Standard Time, the day the ledgers count in.
day() { TZ=Asia/Shanghai date -d "$1" +%F; }
Y="$(day yesterday)"
for d in "$Y" "$(day '-1 month')"; do
  for pass in first kept; do
    ms=$(curl -s -o "$WORK/areas.json" -w '%{time_total}' "$BASE/api/hidden/areas?as_of=$d" |
      python3 -c 'import sys; print(round(float(sys.stdin.read()) * 1000))')
    back=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["history_taken_back"])' "$WORK/areas.json")
    echo "as of $d ($pass request): ${ms} ms, changes taken back: $back"
  done
done
echo "server peak memory so far: $(awk '/VmHWM/{printf "%.1f GiB", $2/1048576}' /proc/$SERVER/status)"
# The viewer: days before the changes, each taken back once, then again (kept: 2 copies).
node scripts/date-switch.mjs "$BASE" 121.29 31.95 12 "$(day '-2 days')" "$(day '-3 days')" "$Y" \
  "$(day '-2 days')" | sed 's/^/viewer: /'
echo "server peak memory: $(awk '/VmHWM/{printf "%.1f GiB", $2/1048576}' /proc/$SERVER/status)"
