#!/usr/bin/env bash
# What `riskmap backup` of a served GeoPackage store costs, and what it does to the edits
# made through the API while it runs.
#
#   1. A copy of --gpkg (the city imported: `riskmap import CITY --into FILE`) served with
#      an editor's token.
#   2. RUNS times, in turn: `cp` of the store (the raw copy, nothing waiting on it);
#      `riskmap backup` of it; edits at RATE a second for SECONDS s alone
#      (scripts/bench/edit_load.py: house moves and occupants); the same edits with
#      `riskmap backup` started a third of the way in. Each copy is removed after.
# Prints per run the two copies' times, the backup's own line (size, time, restarts) and
# the edits' latency p50 / p99 / max without and with the backup.
#
# Usage: scripts/bench/backup-under-edits.sh --gpkg FILE --city DIR [--bin FILE]
#                                            [--rate 20] [--seconds 30] [--runs 2]
#   --city DIR  the city the store was imported from (its houses.geojson: the edits)
#   --bin FILE  this riskmap binary instead of building this tree's
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
NAME=backup-under-edits
# shellcheck source=lib.sh
. scripts/bench/lib.sh

BIN_GIVEN="" GPKG_GIVEN="" CITY="" RATE=20 SECONDS_=30 RUNS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --gpkg) GPKG_GIVEN="$2"; shift 2 ;;
    --city) CITY="$2"; shift 2 ;;
    --bin) BIN_GIVEN="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --seconds) SECONDS_="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -f "$GPKG_GIVEN" ] || { echo "$NAME: --gpkg FILE is needed (riskmap import CITY --into FILE)" >&2; exit 2; }
[ -f "$CITY/houses.geojson" ] || { echo "$NAME: --city DIR with houses.geojson is needed" >&2; exit 2; }
if [ -n "$BIN_GIVEN" ]; then
  BIN="$BIN_GIVEN"
else
  cargo build --release --quiet -p riskmap-server
  BIN="$TARGET/release/riskmap"
fi
WORK="$(mktemp -d /tmp/rmbackup.XXXXXX)"
SERVER=""
trap 'bench_stop "$SERVER"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

bench_machine
GPKG="$WORK/city.gpkg"
cp "$GPKG_GIVEN" "$GPKG"
bench_serve_for_edits "$GPKG"
sleep 20

ms_of() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
latency() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%.1f / %.1f / %.1f ms, %.1f/s answered, not 2xx: %d" % (d["p50_ms"], d["p99_ms"], d["max_ms"], d["achieved_rate_2xx"], d["non_2xx"]))' "$1"
}
edits() {
  python3 scripts/bench/edit_load.py "$BASE" "$TOKEN" "$CITY/houses.geojson" \
    --rate "$RATE" --seconds "$SECONDS_" --workers 50 --out "$1" >/dev/null
}

echo "binary: $BIN; store $(du -m "$GPKG" | cut -f1) MB; edits at $RATE/s for $SECONDS_ s"
for run in $(seq 1 "$RUNS"); do
  echo "run $run"
  echo "  cp, idle: $(ms_of cp "$GPKG" "$WORK/cp.gpkg") ms"
  rm -f "$WORK/cp.gpkg"
  "$BIN" backup "$GPKG" --to "$WORK/idle.gpkg" 2>&1 | sed 's/^/  backup, idle: /'
  rm -f "$WORK/idle.gpkg"
  edits "$WORK/alone.json"
  echo "  edits alone: $(latency "$WORK/alone.json")"
  edits "$WORK/with.json" &
  EDITS_PID=$!
  sleep $(( SECONDS_ / 3 ))
  "$BIN" backup "$GPKG" --to "$WORK/busy.gpkg" 2>&1 | sed 's/^/  backup under edits: /'
  wait "$EDITS_PID"
  echo "  edits with the backup: $(latency "$WORK/with.json")"
  rm -f "$WORK/busy.gpkg"
done
