#!/usr/bin/env bash
# The map of a past day from a store's history, on a GeoPackage: imports a city, serves
# it, changes it through the edit API (house moves, hazard-source inventories, hidden
# hazards' statuses: edit_tile.py), then asks for past days. Each day's first request
# takes the store's changes since the day back; it prints the time of that first
# request, of a second one (kept), and the viewer's date switches
# (scripts/date-switch.mjs), with the server's peak memory: first after hidden hazards'
# statuses alone changed (taken back in place), then after houses and sources changed
# too (a copy of the snapshot; the viewer's switches first, then the requests). Nothing
# is asserted.
#
#   bash scripts/bench/date-history.sh [--city DIR] [--edits N] [--short]
#
# Without --city it generates the benchmark city (1,000,000 houses; --short: 50,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
. scripts/bench/lib.sh

bench_store_setup "$0" "$@"
# Days in China Standard Time, the day the ledgers count in.
day() { TZ=Asia/Shanghai date -d "$1" +%F; }
# The changes made after the import, page by page (the import's own are a million).
made() { python3 - "$BASE" <<'PY'
import json, sys, urllib.request
base, since, n = sys.argv[1], 0, 0
while True:
    with urllib.request.urlopen(f"{base}/api/changes?since={since}&limit=10000") as r:
        page = json.load(r)
    n += sum(1 for c in page["changes"] if c["actor"] != "import")
    since = page["next"]
    if not page["more"]:
        break
print(n)
PY
}
ask() { # day, label
  for pass in first kept; do
    ms=$(curl -s -o "$WORK/areas.json" -w '%{time_total}' "$BASE/api/hidden/areas?as_of=$1" |
      python3 -c 'import sys; print(round(float(sys.stdin.read()) * 1000))')
    back=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["history_taken_back"])' "$WORK/areas.json")
    echo "$2: as of $1 ($pass request): ${ms} ms, changes taken back: $back"
  done
}
peak() { awk '/VmHWM/{printf "%.1f GiB", $2/1048576}' "/proc/$SERVER/status"; }
metrics() { curl -s "$BASE/metrics" | grep -E '^riskmap_dated_(in_place|copies|copies_moved|copies_spare)_total' | tr '\n' ' '; echo; }

# 1. Hidden hazards' statuses only (the daily work): taken back in place.
python3 scripts/bench/edit_tile.py "$BASE" "$TOKEN" "$CITY/houses.geojson" --edits 0 \
  --hidden "$EDITS" --out "$WORK/edits1.json" >/dev/null
echo "hidden hazards changed through the API: $(made)"
echo "server peak memory before asking for past days: $(peak)"
ask "$(day yesterday)" "statuses only"
ask "$(day '-1 month')" "statuses only"
node scripts/date-switch.mjs "$BASE" 121.29 31.95 12 "$(day '-2 days')" "$(day '-3 days')" \
  "$(day '-4 days')" "$(day '-2 days')" | sed 's/^/statuses only, viewer: /'
echo "server peak memory: $(peak); $(metrics)"

# 2. Houses moved and sources' inventories too: a copy of the snapshot taken back.
python3 scripts/bench/edit_tile.py "$BASE" "$TOKEN" "$CITY/houses.geojson" --edits "$EDITS" \
  --stride "$STRIDE" --hazard-sources "$CITY/hazard_sources.geojson" --inventories "$((EDITS / 3))" \
  --out "$WORK/edits2.json" >/dev/null
echo "changes through the API in all: $(made)"
# The viewer first: its first switch is the first day of the server that needs a copy.
node scripts/date-switch.mjs "$BASE" 121.29 31.95 12 "$(day '-2 days')" "$(day '-3 days')" \
  "$(day '-2 days')" | sed 's/^/houses and sources too, viewer: /'
echo "after the viewer: $(metrics)"
ask "$(day yesterday)" "houses and sources too"
echo "server peak memory: $(peak); $(metrics)"
