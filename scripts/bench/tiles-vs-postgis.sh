#!/usr/bin/env bash
# Uncached tiles of RiskMap against PostGIS ST_AsMVT on the same houses, in the same run,
# as people browse. From nothing: generate the benchmark city (1,000,000 houses), analyse
# it, start a private PostgreSQL + PostGIS (scripts/pg-private.sh), load the houses with
# their risk level (ogr2ogr, EPSG:3857, GiST), sample tiles z10–z16 where the houses are
# (tile_sample.py), request each tile once per side with 1 and 8 clients, interleaved
# (tiles_vs_postgis.py: RiskMap's houses, the viewer's composite and every other layer
# alone; ST_AsMVT on the houses), stop everything and print a Markdown report.
#
# Usage: scripts/bench/tiles-vs-postgis.sh [options]
#   --bin PATH       riskmap binary (default target/release/riskmap, built if missing)
#   --data DIR       keep the city, analysis, database and sample in DIR and reuse what is
#                    there on the next run (default: a temporary directory, removed)
#   --tiles N        tiles of the headline sample, z14–z16 (default 400)
#   --mix M          tiles per zoom of the z10–z16 mix (default 20; 0: none)
#   --seed S         seed of the sample (default 20221122)
#   --clients LIST   client counts (default 1,8)
#   --houses N       a smaller city of N houses instead of --benchmark (for a quick try)
#   --extra          two more sides: a second RiskMap server whose houses tiles keep only
#                    the level (every other field denied), and ST_AsMVT with every field
#                    the houses tiles carried before they kept the level only
#   --port P         RiskMap's ports P and P+1 (default 18097); --pg-port P PostgreSQL's
#                    (default 15497)
# Needs (installed when missing and run as root): postgresql-15-postgis-3, gdal-bin;
# Python 3 with venv; psycopg and mapbox-vector-tile from PyPI go into DIR/venv.
# The servers run with tile_cache_bytes = 0: no tile is ever served from a cache.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/scripts/bench"
EXTRA=0 BIN="" DATA="" TILES=400 MIX=20 SEED=20221122 CLIENTS=1,8 HOUSES="" PORT=18097 PG_PORT=15497
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --tiles) TILES="$2"; shift 2 ;;
    --mix) MIX="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --houses) HOUSES="$2"; shift 2 ;;
    --extra) EXTRA=1; shift ;;
    --port) PORT="$2"; shift 2 ;;
    --pg-port) PG_PORT="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "== $*" >&2; }
die() { echo "tiles-vs-postgis: $*" >&2; exit 1; }

STEPS=()
step_start() { STEP_NAME="$1"; STEP_T0=$(date +%s%N); say "$1"; }
step_end() { STEPS+=("$STEP_NAME|$(( ($(date +%s%N) - STEP_T0) / 1000000 ))"); }

# --- tools -------------------------------------------------------------------------------
# shellcheck source=scripts/bench/lib.sh
. "$HERE/lib.sh"
NAME=tiles-vs-postgis bench_need_postgis_gdal

if [ -z "$BIN" ]; then
  BIN="$ROOT/target/release/riskmap"
  if [ ! -x "$BIN" ]; then
    say "building $BIN"
    (cd "$ROOT" && CARGO_TARGET_DIR="$ROOT/target" cargo build --release -p riskmap-server >/dev/null)
  fi
fi
[ -x "$BIN" ] || die "no riskmap binary at $BIN"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

KEEP=1
if [ -z "$DATA" ]; then
  DATA="$(mktemp -d /tmp/riskmap-tiles-pg.XXXXXX)"
  chmod 755 "$DATA"  # the database server's user must reach DATA/pg
  KEEP=0
fi
mkdir -p "$DATA"
DATA="$(cd "$DATA" && pwd -P)"
PGDIR="$DATA/pg"
SERVER="" SERVER_MIN=""
cleanup() {
  for p in $SERVER $SERVER_MIN; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  "$ROOT/scripts/pg-private.sh" stop "$PGDIR" >/dev/null 2>&1 || true
  [ "$KEEP" -eq 1 ] || rm -rf "$DATA"
}
trap cleanup EXIT

# --- Python ------------------------------------------------------------------------------
if [ ! -x "$DATA/venv/bin/python" ] || ! "$DATA/venv/bin/python" -c "import psycopg, mapbox_vector_tile" 2>/dev/null; then
  step_start "Python packages (psycopg, mapbox-vector-tile) into $DATA/venv"
  python3 -m venv "$DATA/venv" || die "python3 -m venv failed (apt-get install -y python3-venv)"
  "$DATA/venv/bin/pip" install -q "psycopg[binary]==3.3.*" "mapbox-vector-tile==2.2.*" \
    || die "pip install psycopg mapbox-vector-tile failed"
  step_end
fi
PY="$DATA/venv/bin/python"

# --- the city and its analysis -------------------------------------------------------------
if [ ! -f "$DATA/city/houses.geojson" ]; then
  step_start "riskmap generate"
  rm -rf "$DATA/city"
  if [ -n "$HOUSES" ]; then
    "$BIN" generate --houses "$HOUSES" --houses-format geojson --quiet --out "$DATA/city"
  else
    "$BIN" generate --benchmark --quiet --out "$DATA/city"
  fi
  step_end
fi
if [ ! -f "$DATA/analysis/house_risk.geojson" ]; then
  step_start "riskmap analyze"
  "$BIN" analyze "$DATA/city" --quiet --out "$DATA/analysis"
  step_end
fi

# --- PostGIS -------------------------------------------------------------------------------
step_start "PostgreSQL + PostGIS start"
"$ROOT/scripts/pg-private.sh" start "$PGDIR" "$PG_PORT" >&2
step_end
CONN="host=$PGDIR/sock port=$PG_PORT user=postgres dbname=postgres"
PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -h "$PGDIR/sock" -p "$PG_PORT" -U postgres -d postgres)
SRC_STAMP="$(stat -c '%s %Y' "$DATA/analysis/house_risk.geojson")"
if [ "$(cat "$PGDIR/loaded" 2>/dev/null)" != "$SRC_STAMP" ]; then
  step_start "load houses (ogr2ogr → EPSG:3857, GiST)"
  # The load command, as recorded in BENCHMARKS.md:
  ogr2ogr -f PostgreSQL "PG:$CONN" "$DATA/analysis/house_risk.geojson" \
    -nln house_risk_src -nlt POLYGON -t_srs EPSG:3857 -lco GEOMETRY_NAME=geom \
    -lco SPATIAL_INDEX=NONE -lco FID=ogc_fid -overwrite -gt 100000
  "${PSQL[@]}" -f "$HERE/tiles_load.sql" >&2
  echo "$SRC_STAMP" > "$PGDIR/loaded"
  step_end
fi
# Everything in memory on both sides before timing: the tables and indexes read once.
"${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
  -c "SELECT pg_prewarm(c) FROM unnest(ARRAY['houses','houses_geom','houses_full','houses_full_geom']) c" >/dev/null

# --- the sample ------------------------------------------------------------------------------
SAMPLE="$DATA/tiles-$TILES-$MIX-$SEED.tsv"
if [ ! -f "$SAMPLE" ]; then
  step_start "sample tiles"
  "$PY" "$HERE/tile_sample.py" "$DATA/city/houses.geojson" "$SAMPLE.tmp" \
    --tiles "$TILES" --mix "$MIX" --seed "$SEED" >&2
  mv "$SAMPLE.tmp" "$SAMPLE"
  step_end
fi

# --- RiskMap -------------------------------------------------------------------------------
# The server, tile cache off; with --extra a second one with every houses property denied
# but level (the feature id and level of the ST_AsMVT query).
step_start "riskmap serve (load + analyse + tile set)"
printf 'port = %s\ntile_cache_bytes = 0\n' "$PORT" > "$DATA/server.toml"
cat > "$DATA/server-min.toml" <<TOML
port = $((PORT + 1))
tile_cache_bytes = 0
[layers.houses]
deny_fields = ["id", "address", "floors", "house_use", "occupants", "appraisal", "rectification", "reasons", "level_n"]
TOML
"$BIN" serve "$DATA/city" --config "$DATA/server.toml" > "$DATA/serve.log" 2>&1 &
SERVER=$!
LOGS=(serve) EXTRA_ARGS=()
if [ "$EXTRA" -eq 1 ]; then
  "$BIN" serve "$DATA/city" --config "$DATA/server-min.toml" > "$DATA/serve-min.log" 2>&1 &
  SERVER_MIN=$!
  LOGS+=(serve-min)
  EXTRA_ARGS=(--riskmap-min "http://127.0.0.1:$((PORT + 1))" --pg-full)
fi
for log in "${LOGS[@]}"; do
  for _ in $(seq 1 300); do
    grep -q "listening on" "$DATA/$log.log" && break
    for p in $SERVER $SERVER_MIN; do
      kill -0 "$p" 2>/dev/null || { cat "$DATA/$log.log" >&2; die "riskmap serve exited"; }
    done
    sleep 1
  done
  grep -q "listening on" "$DATA/$log.log" || { cat "$DATA/$log.log" >&2; die "riskmap serve did not start in 300 s"; }
done
step_end

# --- the run -------------------------------------------------------------------------------
step_start "requests (both sides, interleaved)"
RESULTS="$DATA/results-$(date +%Y%m%d-%H%M%S).json"
"$PY" "$HERE/tiles_vs_postgis.py" run "$SAMPLE" "$RESULTS" --riskmap "http://127.0.0.1:$PORT" \
  --pg "$CONN" --each-layer ${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"} --clients "$CLIENTS"
step_end
HITS="$(for p in "$PORT" ${SERVER_MIN:+$((PORT + 1))}; do curl -s "http://127.0.0.1:$p/metrics"; done \
  | awk '/^riskmap_tile_cache_hits_total/ {n += $2} END {print n}')"
RSS="$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SERVER/status")"
PG_SIZE="$("${PSQL[@]}" -At -c "SELECT pg_size_pretty(pg_total_relation_size('houses')) || ' (houses), ' || pg_size_pretty(pg_total_relation_size('houses_full')) || ' (houses_full)'")"
PG_VERSION="$("${PSQL[@]}" -At -c "SELECT split_part(version(), ' on ', 1) || ', PostGIS ' || postgis_lib_version()")"
kill $SERVER $SERVER_MIN; wait $SERVER $SERVER_MIN 2>/dev/null || true; SERVER="" SERVER_MIN=""
"$ROOT/scripts/pg-private.sh" stop "$PGDIR" >&2

# --- report --------------------------------------------------------------------------------
echo "### Uncached tiles: RiskMap against PostGIS ST_AsMVT"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- riskmap: $BIN ($("$BIN" --version)), tile cache off (cache hits during the run: ${HITS:-?}), RSS at the end ${RSS} MiB"
echo "- $PG_VERSION; tables $PG_SIZE; private cluster (shared_buffers 1GB, jit off, fsync off)"
echo "- sample: $(basename "$SAMPLE") (seed $SEED)"
"$PY" "$HERE/tiles_vs_postgis.py" report "$RESULTS"
echo
echo "| step | seconds |"
echo "|---|---:|"
for s in "${STEPS[@]}"; do
  ms="${s##*|}"; printf '| %s | %d.%d |\n' "${s%%|*}" $((ms / 1000)) $((ms % 1000 / 100))
done
[ "$KEEP" -eq 0 ] || echo -e "\nraw results: $RESULTS" >&2
