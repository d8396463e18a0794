#!/usr/bin/env bash
# Tiles under a stream of edits through the API, from a GeoPackage store: the living map's
# load target (1,000 edits/s for 60 s while 64 connections fetch tiles: tile p99 within
# 2× of the idle p99, no errors, memory flat).
#
#   1. The city (`riskmap generate --benchmark`, 1,000,000 houses, unless --city) imported
#      into a GeoPackage (`riskmap import CITY --into FILE`, timed), or --gpkg reused.
#   2. An editor token (`riskmap token new … --role editor`) in the server's
#      configuration; `riskmap serve FILE.gpkg` (release build); waits until its RSS
#      settles (the spare snapshot is made in the background at start).
#   3. A fixed list of tiles (scripts/bench/tile_sample.py: drawn by house density,
#      z12–z16, the viewer's nine layers); wrk with CONNECTIONS connections cycling
#      through it (scripts/bench/tiles.lua): a warm-up pass, then the idle run (SECONDS).
#   4. The loaded run: wrk again for SECONDS while scripts/bench/edit_load.py sends RATE
#      edits/s (PATCH of houses: moves within ~50 m and new occupant counts) with the
#      editor token, on --edit-workers connections (1,000: an edit is answered once
#      served, so the rate needs rate × latency editors at once); /api/changes/stream is recorded meanwhile (each batch's apply time).
#   5. RSS of the server every 2 s from start to end.
# Prints: tile p50/p99/max and non-2xx, idle and loaded, and their p99 ratio; edits sent,
# answered by status, the achieved rate, edit latency p50/p99; batches, their apply times
# and the tile layers they named; RSS at the start and end of each run, every 2 s of the
# loaded run; whether each target is met (memory: no growth over more than 1 % during the
# last third of the loaded run, the growth over all of it shown beside); the server's
# tile metrics (renders, invalidations, tiles answered from their last drawing while
# drawn again, and how long they had been outdated); the machine's load before and after.
#
# Usage: scripts/bench/live-load.sh [--city DIR] [--gpkg FILE] [--seconds S] [--rate R]
#                                   [--connections N] [--edit-workers N] [--perf] [--short]
#                                   [--bin FILE] [--set KEY=VALUE]... [--tile-rate R]
#   --bin FILE   serve with this riskmap binary (a release build of another commit, for
#                runs side by side) instead of building this tree's
#   --set K=V    a top-level setting of the server's configuration (e.g. tile_grace_ms=5000)
#   --tile-rate R  pace the tile connections to about R requests a second in all (each
#                waits CONNECTIONS/R s before each request), idle and loaded alike,
#                instead of asking as fast as the server answers (see tiles.lua)
#   --gpkg FILE  serve this GeoPackage; made by importing the city when it does not exist
#                (and kept); edits are written to it
#   --short      a 50,000-house city (generated unless --city) and 10 s runs
#   --perf       also profile the server for 20 s of the loaded run (perf record -g) and
#                print the symbols with the most samples (the profiler slows the server:
#                take the latencies from a run without it)
# The work directory (city, GeoPackage unless --gpkg, logs) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
NAME=live-load
# shellcheck source=lib.sh
. scripts/bench/lib.sh

BENCH_CONFIG_EXTRA="" TILE_RATE="" BIN_GIVEN="" CITY="" GPKG="" SECONDS_RUN=60 RATE=1000 CONNS=64 WORKERS=1000 PERF="" SHORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --city) CITY="$2"; shift 2 ;;
    --gpkg) GPKG="$2"; shift 2 ;;
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --connections) CONNS="$2"; shift 2 ;;
    --edit-workers) WORKERS="$2"; shift 2 ;;
    --perf) PERF=1; shift ;;
    --short) SHORT=1; SECONDS_RUN=10; shift ;;
    --bin) BIN_GIVEN="$2"; shift 2 ;;
    --tile-rate) TILE_RATE="$2"; shift 2 ;;
    --set) BENCH_CONFIG_EXTRA="${BENCH_CONFIG_EXTRA:+$BENCH_CONFIG_EXTRA
}${2%%=*} = ${2#*=}"; shift 2 ;;
    *) sed -n '2,42p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
# A thousand editors' connections and wrk's, on the server and the clients.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
command -v wrk >/dev/null || { echo "live-load: wrk is missing (apt-get install -y wrk)" >&2; exit 2; }

if [ -n "$BIN_GIVEN" ]; then
  BIN="$BIN_GIVEN"
else
  cargo build --release --quiet -p riskmap-server
  BIN="$TARGET/release/riskmap"
fi
WORK="$(mktemp -d /tmp/rmload.XXXXXX)"
SERVER="" SAMPLER="" SSE=""
cleanup() {
  for p in $SSE $SAMPLER; do kill "$p" 2>/dev/null || true; done
  bench_stop "$SERVER"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_machine
bench_city
[ -n "$GPKG" ] || GPKG="$WORK/city.gpkg"
if [ ! -f "$GPKG" ]; then
  t0=$(date +%s.%N)
  "$BIN" import "$CITY" --into "$GPKG" --quiet >/dev/null
  t1=$(date +%s.%N)
  printf 'imported %s into %s in %.1f s (%s)\n' "$CITY" "$GPKG" "$(echo "$t1 - $t0" | bc)" "$(du -h "$GPKG" | cut -f1)"
else
  echo "serving the existing $GPKG ($(du -h "$GPKG" | cut -f1))"
fi

PORT=18096
bench_serve_for_edits "$GPKG"
rss() { awk '/VmRSS/{print int($2/1024)}' "/proc/$SERVER/status"; }
# The spare snapshot is made in the background: wait until the RSS has not moved by more
# than 1 % for 5 s.
prev=0 still=0
for _ in $(seq 1 600); do
  now=$(rss)
  if [ $((now - prev)) -le $((prev / 100)) ] && [ $((prev - now)) -le $((prev / 100)) ]; then
    still=$((still + 1)); [ "$still" -ge 5 ] && break
  else still=0; fi
  prev=$now; sleep 1
done
echo "server up; RSS settled at $(rss) MiB"
[ -z "$BENCH_CONFIG_EXTRA" ] || echo "server settings: $(printf "%s" "$BENCH_CONFIG_EXTRA" | tr "\n" ";")"
( while kill -0 "$SERVER" 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 2; done ) > "$WORK/rss.txt" 2>/dev/null &
SAMPLER=$!

bench_tiles
NT=$(wc -l < "$WORK/tiles.txt")
echo "tiles: $NT distinct (z12–z16, drawn by house density), the viewer's nine layers; wrk -t2 -c$CONNS${TILE_RATE:+, paced to about $TILE_RATE requests/s}"

TILE_DELAY_MS=""
[ -n "$TILE_RATE" ] && TILE_DELAY_MS=$((CONNS * 1000 / TILE_RATE))
run_wrk() { TILES="$WORK/tiles.txt" wrk -t2 -c"$CONNS" -d"$1" --timeout 30s -s scripts/bench/tiles.lua "$BASE" | tail -n 1; }
# The warm-up asks as fast as it can; the measured runs at the pace asked for.
run_wrk 15s > "$WORK/warm.json"
export TILE_DELAY_MS
m_idle0=$(rss)
run_wrk "${SECONDS_RUN}s" > "$WORK/idle.json"
m_idle1=$(rss)

python3 scripts/bench/sse_watch.py "$BASE" "$WORK/events.jsonl" &
SSE=$!
m_load0=$(rss)
t_load=$(date +%s)
run_wrk "${SECONDS_RUN}s" > "$WORK/loaded.json" &
WRK=$!
python3 scripts/bench/edit_load.py "$BASE" "$TOKEN" "$CITY/houses.geojson" --rate "$RATE" \
  --seconds "$SECONDS_RUN" --workers "$WORKERS" --out "$WORK/edits.json" >/dev/null &
EDITS=$!
if [ -n "$PERF" ]; then
  sleep 5
  # System-wide, so that threads the server starts meanwhile are sampled too; only the
  # server's samples are reported.
  perf record -F 199 -g -a -o "$WORK/perf.data" -- sleep 20 >/dev/null 2>&1 || true
fi
wait "$WRK"
m_load1=$(rss)
wait "$EDITS"
sleep 3
m_end=$(rss)
curl -fs "$BASE/metrics" > "$WORK/metrics.txt" || true
kill "$SSE" 2>/dev/null || true; SSE=""
kill "$SAMPLER" 2>/dev/null || true; SAMPLER=""

python3 - "$WORK" "$t_load" "$m_idle0" "$m_idle1" "$m_load0" "$m_load1" "$m_end" "$SECONDS_RUN" <<'PY'
import json, sys
w, t_load = sys.argv[1], int(sys.argv[2])
m_idle0, m_idle1, m_load0, m_load1, m_end = map(int, sys.argv[3:8])
t_end = t_load + int(sys.argv[8])
idle, load, edits = (json.load(open(f"{w}/{n}.json")) for n in ("idle", "loaded", "edits"))
ev = [json.loads(l) for l in open(f"{w}/events.jsonl")]
batches = sorted(e["data"]["apply_ms"] for e in ev if e["event"] == "edit")
rss = [tuple(map(int, l.split())) for l in open(f"{w}/rss.txt") if len(l.split()) == 2]
# The samples of the loaded run itself (not those after its edits stopped).
loaded_rss = [m for t, m in rss if t_load <= t <= t_end]
def pct(xs, p):
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))] if xs else float("nan")
print(f"{'tiles':<8}{'requests':>10}{'req/s':>9}{'non-2xx':>9}{'sock err':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
for name, r in (("idle", idle), ("loaded", load)):
    print(f"{name:<8}{r['requests']:>10}{r['requests'] / r['duration_s']:>9.0f}{r['non_2xx']:>9}"
          f"{r['socket_errors'] + r['timeouts']:>9}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['max_ms']:>9.1f}")
ratio = load["p99_ms"] / idle["p99_ms"]
print(f"tile p99 loaded / idle: {ratio:.2f}")
print(f"edits: {edits['sent']} sent of {edits['edits_due']} due at {edits['target_rate']:.0f}/s, answers {edits['status']}, "
      f"achieved {edits['achieved_rate_2xx']:.1f}/s (2xx within the {edits['seconds']:.0f} s), "
      f"latency p50 {edits['p50_ms']:.0f} ms, p99 {edits['p99_ms']:.0f} ms, max {edits['max_ms']:.0f} ms "
      f"({edits['workers']} client workers; at worst {edits['max_behind_schedule_s']:.1f} s behind schedule)")
if batches:
    print(f"batches served: {len(batches)}, apply time p50 {pct(batches, 50):.0f} ms, p99 {pct(batches, 99):.0f} ms "
          f"(to the served snapshot; the replaced one gets the same batch after)")
    named = {}
    for e in ev:
        if e["event"] == "edit":
            for l in e["data"].get("layers", []):
                named[l] = named.get(l, 0) + 1
    print("tile layers a batch may have changed (batches naming each): "
          + ", ".join(f"{l} {n}" for l, n in sorted(named.items(), key=lambda x: -x[1])))
print(f"server RSS (MiB): idle run {m_idle0} → {m_idle1}; loaded run {m_load0} → {m_load1}, "
      f"{m_end} 3 s after the edits; during the loaded run {min(loaded_rss, default=0)}–{max(loaded_rss, default=0)}")
print("RSS every 2 s during the loaded run (MiB): " + " ".join(str(m) for m in loaded_rss))
errors = idle["non_2xx"] + load["non_2xx"] + idle["socket_errors"] + load["socket_errors"] + idle["timeouts"] + load["timeouts"] + edits["non_2xx"]
print("targets:")
print(f"  {edits['target_rate']:.0f} edits/s: {'met' if edits['achieved_rate_2xx'] >= 0.99 * edits['target_rate'] else 'MISSED'} ({edits['achieved_rate_2xx']:.1f}/s)")
print(f"  tile p99 within 2x idle: {'met' if ratio <= 2 else 'MISSED'} ({idle['p99_ms']:.2f} → {load['p99_ms']:.2f} ms)")
print(f"  no errors: {'met' if errors == 0 else 'MISSED'} ({errors})")
grow = m_load1 - m_load0
third = loaded_rss[len(loaded_rss) * 2 // 3:] or [m_load1]
late = third[-1] - third[0]
# Flat: no growth of more than 1 % over the last third (memory handed back is no growth).
print(f"  memory flat: {'met' if late <= 0.01 * third[0] else 'MISSED'} ({late:+d} MiB over the last third "
      f"of the loaded run, {grow:+d} MiB over all of it)")
PY
grep -E '^riskmap_tile_render_seconds_(bucket|count|sum)|^riskmap_tiles_invalidated|^riskmap_tiles_redrawn_(behind|same)|^riskmap_tile_outdated_answer_seconds|^riskmap_tile_cache|^riskmap_edit_(batches|batch_copies|quiet_catch_ups)' \
  "$WORK/metrics.txt" | sed 's/^/metrics: /' || true
if [ -n "$PERF" ] && [ -f "$WORK/perf.data" ]; then
  echo "profile of the server (shares of its own samples), 20 s of the loaded run: by thread name (riskmap-batch-N:"
  echo "the work of the batches; tokio-rt-worker: requests, tile renders, the edits' checks"
  echo "and writes; threads of the global rayon pool are named after their starter)"
  { perf report -i "$WORK/perf.data" --pid "$SERVER" --percentage relative --no-children --sort comm --stdio 2>/dev/null || true; } \
    | grep -E '^ +[0-9]+\.[0-9]+%' | sed -E 's/[[:space:]]+$//' | sed -n '1,8p'
  echo "top symbols (self time):"
  { perf report -i "$WORK/perf.data" --pid "$SERVER" --percentage relative --no-children --sort symbol --stdio 2>/dev/null || true; } \
    | grep -E '^ +[0-9]+\.[0-9]+%' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//' | sed -n '1,25p'
fi
bench_machine
