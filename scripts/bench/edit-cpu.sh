#!/usr/bin/env bash
# What a stream of edits through the API costs the server's cores, with no tile load: the
# share of the machine left for tiles under the living map's load target (1,000 edits/s
# while 64 connections fetch tiles; scripts/bench/live-load.sh).
#
#   1. The city (`riskmap generate --benchmark`, 1,000,000 houses, unless --city)
#      imported into a GeoPackage, or a copy of --gpkg served.
#   2. `riskmap serve` of it (release build) with an editor token; 20 s to settle.
#   3. scripts/bench/edit_load.py sends RATE edits/s for SECONDS (PATCH of houses: moves
#      within ~50 m and new occupant counts, 1,000 connections), under GNU time.
# Prints the server's CPU seconds (user + system, from /proc) over the edits' run beside
# the wall time, the cores that makes, the edit client's CPU seconds, and the client's
# line (achieved rate, latency). With --perf, also the server's samples by thread
# (perf record for 8 s of the run).
#
# Usage: scripts/bench/edit-cpu.sh [--city DIR] [--gpkg FILE] [--bin FILE]
#                                  [--seconds S] [--rate R] [--perf]
#   --gpkg FILE  serve a copy of this GeoPackage (the city imported before)
#   --bin FILE   serve with this riskmap binary instead of building this tree's
# The work directory (the copy of the store, logs) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
NAME=edit-cpu
# shellcheck source=lib.sh
. scripts/bench/lib.sh

BIN_GIVEN="" CITY="" GPKG_GIVEN="" SECONDS_RUN=20 RATE=1000 PERF="" SHORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --city) CITY="$2"; shift 2 ;;
    --gpkg) GPKG_GIVEN="$2"; shift 2 ;;
    --bin) BIN_GIVEN="$2"; shift 2 ;;
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --perf) PERF=1; shift ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
command -v /usr/bin/time >/dev/null || { echo "$NAME: GNU time is missing (apt-get install -y time)" >&2; exit 2; }
if [ -n "$PERF" ] && ! command -v perf >/dev/null; then
  echo "$NAME: --perf needs perf (apt-get install -y linux-perf)" >&2
  exit 2
fi
if [ -n "$BIN_GIVEN" ]; then
  BIN="$BIN_GIVEN"
else
  cargo build --release --quiet -p riskmap-server
  BIN="$TARGET/release/riskmap"
fi
WORK="$(mktemp -d /tmp/rmcpu.XXXXXX)"
SERVER=""
trap 'bench_stop "$SERVER"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

bench_machine
bench_city
GPKG="$WORK/city.gpkg"
if [ -n "$GPKG_GIVEN" ]; then
  cp "$GPKG_GIVEN" "$GPKG"
else
  "$BIN" import "$CITY" --into "$GPKG" --quiet >/dev/null
fi
bench_serve_for_edits "$GPKG"
sleep 20

# User + system seconds of a process so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
s0=$(cpu_s "$SERVER")
t0=$(date +%s.%N)
PERF_PID=""
if [ -n "$PERF" ]; then
  (sleep 3; perf record -F 199 -g -p "$SERVER" -o "$WORK/perf.data" -- sleep 8 >/dev/null 2>&1) &
  PERF_PID=$!
fi
/usr/bin/time -o "$WORK/client.time" -f "%U %S" python3 scripts/bench/edit_load.py "$BASE" "$TOKEN" \
  "$CITY/houses.geojson" --rate "$RATE" --seconds "$SECONDS_RUN" --out "$WORK/edits.json" >/dev/null
s1=$(cpu_s "$SERVER")
t1=$(date +%s.%N)
[ -z "$PERF_PID" ] || wait "$PERF_PID"
read -r cu cs < "$WORK/client.time"
python3 - "$s0" "$s1" "$t0" "$t1" "$cu" "$cs" "$WORK/edits.json" <<'PY'
import json, sys
s0, s1, t0, t1, cu, cs = map(float, sys.argv[1:7])
e = json.load(open(sys.argv[7]))
wall = t1 - t0
print(f"server: {s1 - s0:.2f} CPU s over {wall:.2f} s ({(s1 - s0) / wall:.2f} cores)")
print(f"edit client: {cu + cs:.2f} CPU s ({(cu + cs) / wall:.2f} cores)")
print(f"edits: {e['sent']} sent, {e['achieved_rate_2xx']:.1f}/s achieved, non-2xx {e['non_2xx']}, "
      f"latency p50 {e['p50_ms']:.0f} ms, p99 {e['p99_ms']:.0f} ms")
PY
if [ -n "$PERF" ]; then
  echo "server samples by thread (perf, 8 s of the run):"
  perf report -i "$WORK/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | head -8
fi
