#!/usr/bin/env bash
# A trend's levels at each month's end from a store's history, on a GeoPackage: imports
# a city, serves it, asks for the district's twelve-month trend (nothing changed: no
# walk), changes houses, hazard sources' inventories and hidden hazards' statuses through
# the edit API (edit_tile.py), dates those changes over the last three months in the
# store's trail, serves it again and asks for the trend of the district (the map taken
# back month by month), of a town (the walk kept), and the report of last month's end.
# Prints each request's time and the server's peak memory. Nothing is asserted.
#
#   bash scripts/bench/trend-history.sh [--city DIR] [--edits N] [--short]
#
# Without --city it generates the benchmark city (1,000,000 houses; --short: 50,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
. scripts/bench/lib.sh

bench_store_setup "$0" "$@"
peak() { awk '/VmHWM/{printf "%.1f GiB", $2/1048576}' "/proc/$SERVER/status"; }
rss() { awk '/VmRSS/{printf "%.1f GiB", $2/1048576}' "/proc/$SERVER/status"; }
timed() { # label, path
  local ms
  ms=$(curl -s -o "$WORK/out" -w '%{http_code} %{time_total}' "$BASE$2" |
    awk '{ printf "%s %d", $1, $2 * 1000 }')
  local extra=""
  case "$2" in
    /api/hidden/trend*) extra=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print("levels_by_month", t["levels_by_month"], "taken back", t["levels_taken_back"], "left out", t["history_left_out"])' "$WORK/out") ;;
  esac
  echo "$1: HTTP ${ms% *}, ${ms#* } ms $extra"
}
TOWN=$(curl -s "$BASE/api/areas" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')
TOWN_Q=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$TOWN")

timed "nothing changed, district, 12 months" "/api/hidden/trend?months=12"
echo "server memory: $(rss) resident, peak $(peak)"

python3 scripts/bench/edit_tile.py "$BASE" "$TOKEN" "$CITY/houses.geojson" --edits "$EDITS" \
  --stride "$STRIDE" --hazard-sources "$CITY/hazard_sources.geojson" --inventories "$((EDITS / 3))" \
  --hidden "$EDITS" --out "$WORK/edits.json" >/dev/null
bench_stop "$SERVER"
# The edits, in order, spread over the 15th of the last three months (noon in UTC+8).
python3 - "$GPKG" <<'PY'
import datetime, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
seqs = [s for (s,) in c.execute(
    "SELECT seq FROM riskmap_changes WHERE actor != 'import' ORDER BY seq")]
today = datetime.date.today()
def mid(back):
    t = today.year * 12 + today.month - 1 - back
    return datetime.date(t // 12, t % 12 + 1, 15)
third = max(1, (len(seqs) + 2) // 3)
for i, s in enumerate(seqs):
    day = mid(3 - i // third)
    c.execute("UPDATE riskmap_changes SET at = ? WHERE seq = ?", (f"{day}T04:00:00.000Z", s))
c.execute("UPDATE riskmap_changes SET at = ? WHERE actor = 'import'", (f"{mid(6)}T04:00:00.000Z",))
c.commit()
print(f"{len(seqs)} changes dated over {mid(3)}, {mid(2)}, {mid(1)}")
PY
bench_serve_for_edits "$GPKG"
sleep 20
echo "server memory before: $(rss) resident, peak $(peak)"
timed "changed over three months, district, 12 months (walk)" "/api/hidden/trend?months=12"
timed "the same, ${TOWN} (walk kept)" "/api/hidden/trend?months=12&area=$TOWN_Q"
echo "server memory after: $(rss) resident, peak $(peak)"
LAST_END=$(python3 -c 'import datetime; d=datetime.date.today().replace(day=1)-datetime.timedelta(days=1); print(d)')
timed "report of ${LAST_END}, district (a past day, and a walk of two months)" "/api/report.html?as_of=$LAST_END"
echo "server memory at the end: $(rss) resident, peak $(peak)"
