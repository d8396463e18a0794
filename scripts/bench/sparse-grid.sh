#!/usr/bin/env bash
# The sparse risk grid on data spread far apart: 50 houses over China's extent, and one
# enterprise at Haimen beside one at 0,0. Prints the wall time of `riskmap analyze` on each.
# Usage: scripts/bench/sparse-grid.sh [path/to/riskmap]   (default: target/release/riskmap)
set -euo pipefail
bin=${1:-target/release/riskmap}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/china50" "$work/far2"
# A 10 × 5 lattice over lon 75–135, lat 18–53: every house hundreds of kilometres from the next.
{
  echo "id,address,lon,lat,occupants"
  for i in $(seq 0 49); do
    awk -v i="$i" 'BEGIN { printf "h%d,house %d,%.4f,%.4f,4\n", i, i, 75 + 6.5 * (i % 10) + 0.013 * i, 18 + 8.5 * int(i / 10) }'
  done
} > "$work/china50/houses.csv"
printf 'id,name,lon,lat\nE1,A,121.1,31.9\nE2,B,0,0\n' > "$work/far2/enterprises.csv"

for d in china50 far2; do
  /usr/bin/time -f "$d: %e s wall, %M kB peak RSS" "$bin" analyze "$work/$d" --out "$work/out-$d" >/dev/null
  grep -o '"risk_grid": *{[^}]*}' "$work/out-$d/summary.json" | head -1 || true
done
