#!/usr/bin/env bash
# Load + index + every analysis of RiskMap against PostGIS doing load + index + just two of
# the analyses' joins, on the same city, in the same run, rounds interleaved:
#   - RiskMap: `riskmap analyze CITY --summary-only` (reads all seven ledgers, validates,
#     indexes, grades, finds protection-distance and pipeline conflicts, assesses houses and
#     enterprises, builds the risk grid and the area summaries);
#   - PostGIS: ogr2ogr loads the houses, hazard sources and gas pipes (COPY, lon/lat,
#     the pipes from their Gauss–Krüger zone), GiST indexes on their geography, ANALYZE,
#     then the α population (houses' occupants within 500 m of each hazard source, GB
#     18218 Table 4) and the pipeline clearances (houses within each pipe's GB 50028
#     clearance by pressure class), both with ST_DWithin on the spheroid.
# Before the rounds it checks that both sides compute the same thing: every hazard source's
# occupants within 500 m and every (pipe, house) pair against `riskmap analyze`'s GeoJSON.
#
# Usage: scripts/bench/analyses-vs-postgis.sh [options]
#   --bin PATH     riskmap binary (default target/release/riskmap, built if missing)
#   --data DIR     keep the city and the database in DIR and reuse them (default: a
#                  temporary directory, removed)
#   --houses N     a smaller city of N houses instead of --benchmark (a quick try)
#   --rounds R     rounds of the two sides (default 2)
#   --pg-port P    PostgreSQL's port (default 15498)
# Needs (installed when missing and run as root): postgresql-15-postgis-3, gdal-bin.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/scripts/bench"
BIN="" DATA="" HOUSES="" ROUNDS=2 PG_PORT=15498
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --houses) HOUSES="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --pg-port) PG_PORT="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "== $*" >&2; }
die() { echo "analyses-vs-postgis: $*" >&2; exit 1; }
# shellcheck source=scripts/bench/lib.sh
. "$HERE/lib.sh"

NAME=analyses-vs-postgis bench_need_postgis_gdal
if [ -z "$BIN" ]; then
  BIN="$ROOT/target/release/riskmap"
  [ -x "$BIN" ] || (cd "$ROOT" && CARGO_TARGET_DIR="$ROOT/target" cargo build --release -p riskmap-server >/dev/null)
fi
[ -x "$BIN" ] || die "no riskmap binary at $BIN"

KEEP=1
if [ -z "$DATA" ]; then
  DATA="$(mktemp -d /tmp/riskmap-an-pg.XXXXXX)"
  KEEP=0
fi
mkdir -p "$DATA"
chmod 755 "$DATA"  # the database server's user must reach DATA/pg
DATA="$(cd "$DATA" && pwd -P)"
PGDIR="$DATA/pg"
cleanup() {
  "$ROOT/scripts/pg-private.sh" stop "$PGDIR" >/dev/null 2>&1 || true
  [ "$KEEP" -eq 1 ] || rm -rf "$DATA"
}
trap cleanup EXIT

CITY="$DATA/city"
if [ ! -f "$CITY/houses.geojson" ]; then
  say "riskmap generate"
  rm -rf "$CITY"
  if [ -n "$HOUSES" ]; then
    "$BIN" generate --houses "$HOUSES" --houses-format geojson --quiet --out "$CITY"
  else
    "$BIN" generate --benchmark --quiet --out "$CITY"
  fi
fi

"$ROOT/scripts/pg-private.sh" start "$PGDIR" "$PG_PORT" >&2
CONN="host=$PGDIR/sock port=$PG_PORT user=postgres dbname=postgres"
PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR/sock" -p "$PG_PORT" -U postgres -d postgres)
"${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null

# GiST indexes on the geography the joins measure with (ST_DWithin on geography uses them).
SQL_INDEX="CREATE INDEX ON houses USING gist (geography(geom));
CREATE INDEX ON hazard_sources USING gist (geography(geom));
CREATE INDEX ON gas_pipelines USING gist (geography(geom));
ANALYZE houses; ANALYZE hazard_sources; ANALYZE gas_pipelines;"
# GB 18218-2018 Table 4: the people within 500 m of the unit (here the houses' occupants).
SQL_ALPHA="CREATE TABLE alpha AS
SELECT s.id, coalesce(sum(h.occupants), 0) AS occupants
FROM hazard_sources s LEFT JOIN houses h ON ST_DWithin(geography(s.geom), geography(h.geom), 500)
GROUP BY s.id;"
# GB 50028-2006 Table 6.3.3-1: a pipe's class (given, else from its design pressure in MPa)
# and its minimum horizontal clearance to buildings; houses within it.
SQL_PIPES="CREATE TABLE pipe_houses AS
WITH p AS (
  SELECT id, geom, CASE coalesce(pressure_class, CASE
      WHEN design_pressure_mpa < 0 THEN NULL
      WHEN design_pressure_mpa < 0.01 THEN 'low'
      WHEN design_pressure_mpa <= 0.2 THEN 'medium_b'
      WHEN design_pressure_mpa <= 0.4 THEN 'medium_a'
      WHEN design_pressure_mpa <= 0.8 THEN 'sub_high_b'
      WHEN design_pressure_mpa <= 1.6 THEN 'sub_high_a'
      WHEN design_pressure_mpa <= 2.5 THEN 'high_b'
      WHEN design_pressure_mpa <= 4.0 THEN 'high_a' END)
    WHEN 'high_a' THEN 30.0 WHEN 'high_b' THEN 16.0 WHEN 'sub_high_a' THEN 13.5
    WHEN 'sub_high_b' THEN 5.0 WHEN 'medium_a' THEN 1.5 WHEN 'medium_b' THEN 1.0
    WHEN 'low' THEN 0.7 END AS clearance
  FROM gas_pipelines)
SELECT p.id AS pipe, h.id AS house
FROM p JOIN houses h ON ST_DWithin(geography(p.geom), geography(h.geom), p.clearance);"

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
s() { awk -v m="$1" 'BEGIN {print m / 1000}'; }

# The PostGIS side: load, index, the two joins. Prints "load index alpha pipes" in ms.
postgis_side() {
  "${PSQL[@]}" -c "DROP TABLE IF EXISTS houses, hazard_sources, gas_pipelines, alpha, pipe_houses" >/dev/null
  local t0 t1 t2 t3 t4
  t0=$(now)
  for layer in houses hazard_sources gas_pipelines; do
    ogr2ogr -f PostgreSQL "PG:$CONN" "$CITY/$layer.geojson" -nln "$layer" -t_srs EPSG:4326 \
      -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE -lco FID=ogc_fid -gt 100000
  done
  t1=$(now)
  "${PSQL[@]}" -c "$SQL_INDEX" >/dev/null
  t2=$(now)
  "${PSQL[@]}" -c "$SQL_ALPHA" >/dev/null
  t3=$(now)
  "${PSQL[@]}" -c "$SQL_PIPES" >/dev/null
  t4=$(now)
  echo "$(ms "$t0" "$t1") $(ms "$t1" "$t2") $(ms "$t2" "$t3") $(ms "$t3" "$t4")"
}

# The RiskMap side. Prints "load analyses wall" in ms and the peak RSS in kB.
riskmap_side() {
  local log="$DATA/riskmap.log" t0 t1
  t0=$(now)
  /usr/bin/time -v "$BIN" analyze "$CITY" --summary-only --out "$DATA/summary" >"$log" 2>&1
  t1=$(now)
  local load an rss
  load=$(grep -o 'loading .*' "$log" | grep -o '([0-9.]* s)' | tr -dc '0-9.')
  an=$(grep -o 'analysing .*' "$log" | grep -o '([0-9.]* s)' | tr -dc '0-9.')
  rss=$(awk '/Maximum resident/ {print $NF}' "$log")
  echo "$(awk -v s="$load" 'BEGIN {printf "%d", s * 1000}') $(awk -v s="$an" 'BEGIN {printf "%d", s * 1000}') $(ms "$t0" "$t1") $rss"
}

# --- the same answers on both sides ---------------------------------------------------------
say "checking that both sides compute the same joins"
"$BIN" analyze "$CITY" --quiet --out "$DATA/analysis"
postgis_side >/dev/null
"${PSQL[@]}" -At -F '|' -c "SELECT id, occupants FROM alpha" > "$DATA/pg_alpha.txt"
"${PSQL[@]}" -At -F '|' -c "SELECT pipe, house FROM pipe_houses" > "$DATA/pg_pipes.txt"
# Occupants of houses within a centimetre of 500 m (PostGIS's distance): where the two
# geodesic computations may fall on either side of the line.
"${PSQL[@]}" -At -F '|' -c "SELECT s.id, coalesce(sum(h.occupants), 0) FROM hazard_sources s JOIN houses h
  ON ST_DWithin(geography(s.geom), geography(h.geom), 500.01)
  AND NOT ST_DWithin(geography(s.geom), geography(h.geom), 499.99) GROUP BY s.id" > "$DATA/pg_alpha_edge.txt"
python3 "$HERE/analyses_vs_postgis_check.py" "$DATA/analysis" "$DATA/pg_alpha.txt" "$DATA/pg_pipes.txt" "$DATA/pg_alpha_edge.txt" \
  || die "the two sides do not compute the same joins (see above)"

# --- rounds ---------------------------------------------------------------------------------
echo "### Load + index + analyses: RiskMap against PostGIS"
echo
bench_machine
echo "city: $CITY ($("${PSQL[@]}" -At -c "SELECT count(*) FROM houses") houses)"
echo "$("${PSQL[@]}" -At -c "SELECT split_part(version(), ' on ', 1) || ', PostGIS ' || postgis_lib_version()"), $(ogrinfo --version)"
echo
echo "| round | RiskMap load + index | RiskMap analyses (all) | RiskMap wall | RiskMap peak RSS | PostGIS load (ogr2ogr) | PostGIS index | α join | pipeline join | PostGIS total | PostGIS ÷ RiskMap |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in $(seq 1 "$ROUNDS"); do
  read -r rl ra rw rss < <(riskmap_side)
  read -r pl pi pa pp < <(postgis_side)
  total=$((pl + pi + pa + pp))
  printf '| %d | %.2f s | %.2f s | %.2f s | %.2f GB | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %.1f× |\n' \
    "$r" "$(s "$rl")" "$(s "$ra")" "$(s "$rw")" "$(awk -v k="$rss" 'BEGIN {print k / 1e6}')" \
    "$(s "$pl")" "$(s "$pi")" "$(s "$pa")" "$(s "$pp")" "$(s "$total")" \
    "$(awk -v a="$total" -v b="$rw" 'BEGIN {print a / b}')"
done
