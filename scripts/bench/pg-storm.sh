#!/usr/bin/env bash
# A change storm in a followed PostGIS store, under tile load.
#
#   1. A private PostgreSQL + PostGIS cluster (scripts/pg-private.sh) in a new directory,
#      on a free port; `riskmap db init` and `riskmap import CITY --db` (timed).
#   2. `riskmap serve --db` (release build) following it.
#   3. A fixed list of tiles over the city (scripts/bench/tile_sample.py: tiles drawn by
#      house density, z12–z16, the viewer's nine layers), fetched by CLIENTS clients
#      throughout (scripts/bench/storm_load.py), first one pass to fill the cache.
#   4. After BEFORE seconds, one transaction changes ROWS houses (spread over the city by
#      the hash of their id): each moves about 10 m east and gains an occupant.
#   5. Waits for the batch on /api/changes/stream, then AFTER more seconds.
# Prints tile latency (p50, p99, max) before / during / after, the time from the commit
# to the batch being served, the batch's apply time, every batch announced, and the
# server's RSS; the whole result is kept as JSON (--out).
#
# Usage: scripts/bench/pg-storm.sh [--city DIR] [--rows N] [--clients N] [--pause-ms MS]
#                                  [--before S] [--after S] [--out FILE] [--short]
#   --city DIR  a city written by `riskmap generate` (default: `generate --benchmark`,
#               1,000,000 houses, into the work directory)
#   --short     a 50,000-house city, a 10,000-row storm, 10 s before and after
# Everything it starts (cluster, server, clients) is stopped and its directory removed
# on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
NAME=pg-storm
# shellcheck source=lib.sh
. scripts/bench/lib.sh

CITY="" ROWS=100000 CLIENTS=32 PAUSE=50 BEFORE=20 AFTER=30 OUT="" SHORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --city) CITY="$2"; shift 2 ;;
    --rows) ROWS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --pause-ms) PAUSE="$2"; shift 2 ;;
    --before) BEFORE="$2"; shift 2 ;;
    --after) AFTER="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --short) SHORT=1; ROWS=10000; BEFORE=10; AFTER=10; shift ;;
    *) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

cargo build --release --quiet -p riskmap-server
BIN="$TARGET/release/riskmap"
WORK="$(mktemp -d /tmp/rmstorm.XXXXXX)"
chmod 755 "$WORK" # the cluster's owner (postgres, when run as root) must get through
SERVER=""
cleanup() {
  bench_stop "$SERVER"
  bash scripts/pg-private.sh stop "$WORK/pg" --purge >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_machine
bench_city

port=""
for p in $(seq 55600 55699); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "pg-storm: no free port in 55600-55699" >&2; exit 1; }
bash scripts/pg-private.sh start "$WORK/pg" "$port" >/dev/null
DB="postgres://postgres@127.0.0.1:$port/postgres"
"$BIN" db init --db "$DB" >/dev/null
t0=$(date +%s.%N)
"$BIN" import "$CITY" --db "$DB" --quiet >/dev/null
t1=$(date +%s.%N)
houses=$(psql -X -A -t -q -d "$DB" -c "SELECT count(*) FROM houses")
printf 'city: %s, %s houses; imported into PostGIS in %.1f s\n' "$CITY" "$houses" "$(echo "$t1 - $t0" | bc)"
[ "$houses" -ge "$ROWS" ] || { echo "pg-storm: $ROWS rows to change but only $houses houses" >&2; exit 2; }

HTTP=18095
"$BIN" serve --db "$DB" --port "$HTTP" > "$WORK/serve.log" 2>&1 &
SERVER=$!
bench_wait_listening "$WORK/serve.log" 600
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$HTTP/health" | grep -q '"connected":true' && break; sleep 0.2
done
BASE="http://127.0.0.1:$HTTP"

bench_tiles
echo "tiles: $(wc -l < "$WORK/tiles.txt") distinct (z12–z16, drawn by house density), the viewer's nine layers"
# One pass to fill the cache, as a browsing public would have; each tile's time is kept
# (one client, every tile rendered: the uncached render times on an idle server).
while read -r p; do
  curl -fs -o /dev/null -w '%{time_total} %{url_effective}\n' -H 'Accept-Encoding: gzip' "$BASE$p" || true
done < "$WORK/tiles.txt" > "$WORK/warm.txt"
sort -rn "$WORK/warm.txt" | awk -v n="$(wc -l < "$WORK/warm.txt")" '
  { t[NR] = $1 } NR == 1 { top = $0 }
  END { printf "first pass (uncached, one client): p50 %.0f ms, p99 %.0f ms, max %.0f ms (%s)\n",
        t[int(n / 2) + 1] * 1000, t[int(n / 100) + 1] * 1000, t[1] * 1000, top }'

cat > "$WORK/storm.sql" <<SQL
BEGIN;
UPDATE houses SET geom = ST_Translate(geom, 0.0001, 0), occupants = coalesce(occupants, 0) + 1
 WHERE id IN (SELECT id FROM houses ORDER BY md5(id) LIMIT $ROWS);
COMMIT;
SQL
echo "storm: one transaction moving $ROWS houses ~10 m east and adding an occupant to each; $CLIENTS tile clients, ${PAUSE} ms between requests"
python3 scripts/bench/storm_load.py "$BASE" "$WORK/tiles.txt" "$SERVER" --db "$DB" --sql "$WORK/storm.sql" \
  --clients "$CLIENTS" --pause-ms "$PAUSE" --before "$BEFORE" --after "$AFTER" --features "$ROWS" \
  --out "$WORK/storm.json" >/dev/null
[ -z "$OUT" ] || cp "$WORK/storm.json" "$OUT"
curl -fs "$BASE/health" > "$WORK/health.json" || true
curl -fs "$BASE/metrics" > "$WORK/metrics.txt" || true

python3 - "$WORK/storm.json" "$WORK/health.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
try:
    h = json.load(open(sys.argv[2]))["database"]
except Exception:
    h = {}
print(f"{'phase':<8}{'seconds':>9}{'requests':>10}{'non-2xx':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
for k in ("before", "during", "after"):
    p = r[k]
    print(f"{k:<8}{p['seconds']:>9.1f}{p['requests']:>10}{p['non_2xx']:>9}{p['p50_ms']:>9.1f}{p['p99_ms']:>9.1f}{p['max_ms']:>9.1f}")
print(f"slowest tile: {r['slowest_ms']:.0f} ms, begun {r['slowest_began_s_after_update']:.1f} s after the UPDATE began")
print(f"UPDATE to commit: {r['update_to_commit_s']:.1f} s; commit to batch served: {r['commit_to_served_s']:.1f} s "
      f"(the batch: {r['batch']['features']} features, applied in {r['batch']['apply_ms']:.0f} ms)")
print("batches announced (s after the UPDATE began, features): "
      + ", ".join(f"{e['t_after_update_s']:.1f} s {e['features']}" for e in r["edit_events"]))
m = r["rss_mib"]
print(f"server RSS: {m['before']:.0f} MiB before, {m['max']:.0f} MiB at most, {m['end']:.0f} MiB at the end")
if h:
    print(f"listener (/health): {h.get('notifications')} notifications received, {h.get('batches')} batches handled "
          f"(with the catch-up at start), {h.get('storms')} read from the change table")
print("slowest tiles (s after the UPDATE began, ms, path):")
for t in r["slowest_ten"]:
    print(f"  {t['began_s_after_update']:7.2f} {t['ms']:8.1f}  {t['path']}")
target = max(r[k]["max_ms"] for k in ("before", "during", "after"))
print(f"target (no tile request over 1 s): {'met' if target <= 1000 else 'MISSED'} (max {target:.0f} ms)")
PY
grep -E '^riskmap_tile_render_seconds_(bucket|count|sum)|^riskmap_tiles_invalidated|^riskmap_tile_cache' "$WORK/metrics.txt" \
  | sed 's/^/metrics: /' || true
bench_machine
