#!/usr/bin/env bash
# What a folder's trail costs a server's start: `riskmap serve CITY` without a trail and
# with one (`trail = "…"` in its configuration), timed from the command to its
# "listening on" line, with its peak resident size then (VmHWM) and 15 s later (VmRSS).
#
#   1. The first start with a new trail (it learns the folder: every feature's digest and
#      GeoJSON written into the trail), then RUNS pairs, in turn: without a trail, with it
#      (it compares its first load with the folder as the trail knows it; nothing changed).
#   2. Then a house's occupants changed and another house struck out in a copy of the
#      city's houses.geojson while no server runs: the next start with the trail records
#      the two (its log's warning is shown, and `riskmap history` of the trail).
#
# Usage: scripts/bench/trail-start.sh --city DIR [--bin FILE] [--runs 3]
#   --city DIR  a data folder (`riskmap generate --benchmark --out DIR`: a million houses)
#   --bin FILE  this riskmap binary instead of building this tree's
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
NAME=trail-start
# shellcheck source=lib.sh
. scripts/bench/lib.sh

BIN_GIVEN="" CITY_GIVEN="" RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --city) CITY_GIVEN="$2"; shift 2 ;;
    --bin) BIN_GIVEN="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ -f "$CITY_GIVEN/houses.geojson" ] || { echo "$NAME: --city DIR with houses.geojson is needed" >&2; exit 2; }
if [ -n "$BIN_GIVEN" ]; then
  BIN="$BIN_GIVEN"
else
  cargo build --release --quiet -p riskmap-server
  BIN="$TARGET/release/riskmap"
fi
WORK="$(mktemp -d /tmp/rmtrail.XXXXXX)"
SERVER=""
trap 'bench_stop "$SERVER"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

bench_machine
# A copy of the folder (hard links where it can: the files are never written;
# houses.geojson is replaced, not edited, in step 2).
CITY="$WORK/city"
cp -al "$CITY_GIVEN" "$CITY" 2>/dev/null || { rm -rf "$CITY"; cp -a "$CITY_GIVEN" "$CITY"; }
TRAIL="$WORK/changes.gpkg"
printf 'port = 0\n' > "$WORK/plain.toml"
printf 'port = 0\ntrail = "%s"\n' "$TRAIL" > "$WORK/trail.toml"

# One start with configuration $1: prints seconds to listening, VmHWM then, VmRSS 15 s later.
start() {
  local log="$WORK/serve.log" t0 t1 hwm rss
  t0=$(date +%s%N)
  # The trail's own lines at info: what the comparison took, also when nothing changed.
  RISKMAP_LOG="warn,riskmap_server::server::folder_trail=info" \
    "$BIN" serve "$CITY" --config "$1" > "$log" 2>&1 &
  SERVER=$!
  # Every tenth of a second (bench_wait_listening looks once a second).
  for _ in $(seq 1 9000); do grep -q "listening on" "$log" && break; sleep 0.1; done
  grep -q "listening on" "$log" || { cat "$log"; exit 1; }
  t1=$(date +%s%N)
  hwm=$(awk '/VmHWM/{print $2}' "/proc/$SERVER/status")
  sleep 15
  rss=$(awk '/VmRSS/{print $2}' "/proc/$SERVER/status")
  bench_stop "$SERVER"
  SERVER=""
  printf '%s: %.2f s to listening, VmHWM %d MiB, VmRSS 15 s later %d MiB\n' \
    "$2" "$(echo "($t1 - $t0) / 1000000000" | bc -l)" $((hwm / 1024)) $((rss / 1024))
  grep -i "trail" "$log" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/  log: /' || true
}

start "$WORK/trail.toml" "first start with a new trail"
echo "trail: $(du -m "$TRAIL" | cut -f1) MB"
for r in $(seq 1 "$RUNS"); do
  start "$WORK/plain.toml" "run $r, no trail"
  start "$WORK/trail.toml" "run $r, the trail"
done

python3 - "$CITY_GIVEN/houses.geojson" "$CITY/houses.geojson.new" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
n = 0
with open(src, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
    for line in f:
        if line.startswith('{"type":"Feature"'):
            n += 1
            if n == 2:
                continue  # the second house struck out
            if n == 1:  # the first house's occupants, seven more
                body = line.rstrip().rstrip(",")
                feat = json.loads(body)
                feat["properties"]["occupants"] = (feat["properties"].get("occupants") or 0) + 7
                line = json.dumps(feat, ensure_ascii=False, separators=(",", ":")) + line[len(body):]
        o.write(line)
PY
rm "$CITY/houses.geojson"
mv "$CITY/houses.geojson.new" "$CITY/houses.geojson"
start "$WORK/trail.toml" "after the folder changed"
"$BIN" history "$TRAIL" --json | python3 -c 'import json, sys
for r in json.load(sys.stdin):
    print("  recorded: seq %s %s %s %s by %s" % (r["seq"], r["op"], r["layer"], r["id"], r["actor"]))'
