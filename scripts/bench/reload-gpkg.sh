#!/usr/bin/env bash
# What a reload of a served GeoPackage costs now that it records what it changed in the
# file's trail: the same rows changed by GDAL before each `POST /admin/reload`, timed from
# the request to the answer, with the records it added.
#
#   1. A copy of --gpkg (the city imported: `riskmap import CITY --into FILE`) served
#      with an admin token and `watch = false`, so that only the reloads read GDAL's saves.
#   2. RUNS times: `ogrinfo -sql "UPDATE houses SET occupants = occupants + 1 WHERE
#      fid % STEP = 0"` (one house in STEP), then `POST /admin/reload`, timed.
# Prints per run the houses changed, the reload's time, the records the trail gained and
# the server's resident memory after.
#
# Usage: scripts/bench/reload-gpkg.sh --gpkg FILE [--bin FILE] [--step N] [--runs R]
#   --bin FILE  serve with this riskmap binary instead of building this tree's
#   --step N    change one house in N (default 1000000: one house of the city)
# The work directory (the copy of the store, logs) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
NAME=reload-gpkg
# shellcheck source=lib.sh
. scripts/bench/lib.sh

BIN_GIVEN="" GPKG_GIVEN="" STEP=1000000 RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --gpkg) GPKG_GIVEN="$2"; shift 2 ;;
    --bin) BIN_GIVEN="$2"; shift 2 ;;
    --step) STEP="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -f "$GPKG_GIVEN" ] || { echo "$NAME: --gpkg FILE is needed (riskmap import CITY --into FILE)" >&2; exit 2; }
command -v ogrinfo >/dev/null || { echo "$NAME: ogrinfo is missing (apt-get install -y gdal-bin)" >&2; exit 2; }
if [ -n "$BIN_GIVEN" ]; then
  BIN="$BIN_GIVEN"
else
  cargo build --release --quiet -p riskmap-server
  BIN="$TARGET/release/riskmap"
fi
WORK="$(mktemp -d /tmp/rmreload.XXXXXX)"
SERVER=""
trap 'bench_stop "$SERVER"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

bench_machine
GPKG="$WORK/city.gpkg"
cp "$GPKG_GIVEN" "$GPKG"
PORT="$((40000 + RANDOM % 20000))"
BENCH_CONFIG_EXTRA="watch = false" bench_token_config "$PORT" admin
"$BIN" serve "$GPKG" --config "$WORK/server.toml" > "$WORK/serve.log" 2>&1 &
SERVER=$!
bench_wait_listening "$WORK/serve.log" 900
sleep 10

records() {
  ogrinfo -ro -q "$GPKG" -sql "SELECT count(*) AS n FROM riskmap_changes" \
    | sed -n 's/.*n (Integer[^=]*= *//p' | tr -d ' '
}
echo "binary: $BIN; one house in $STEP changed before each reload"
echo "run	houses changed	reload ms	records added	outcome	RSS MiB"
for run in $(seq 1 "$RUNS"); do
  before=$(records)
  changed=$(ogrinfo -ro -q "$GPKG" -sql "SELECT count(*) AS n FROM houses WHERE fid % $STEP = 0" \
    | sed -n 's/.*n (Integer[^=]*= *//p' | tr -d ' ')
  ogrinfo -q "$GPKG" -sql "UPDATE houses SET occupants = coalesce(occupants, 0) + 1 WHERE fid % $STEP = 0" >/dev/null
  t0=$(date +%s%N)
  outcome=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/admin/reload" \
    | python3 -c 'import json,sys; d = json.load(sys.stdin); print(d.get("outcome") or d.get("status"))')
  t1=$(date +%s%N)
  after=$(records)
  rss=$(awk '/VmRSS/{printf "%d", $2/1024}' "/proc/$SERVER/status")
  echo "$run	$changed	$(( (t1 - t0) / 1000000 ))	$((after - before))	$outcome	$rss"
done
