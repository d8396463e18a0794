#!/usr/bin/env bash
# The server's part of switching the viewer's date, two builds side by side: serves the
# same data with two `riskmap` binaries, then asks each in turn for one tile of the
# viewer's dated source (areas, risk grid, enterprises, hidden hazards) as of days neither
# has made yet, so that every request makes a day's view (the hidden hazards' states, the
# enterprises' levels, their clusters, the grid cells whose risks changed) and renders.
# Prints each day's two times, whether the two tiles are byte for byte equal, and the
# medians. Nothing is asserted (the machines are shared: see BENCHMARKS.md).
#
# Usage: scripts/bench/day-view.sh --old BIN --new BIN --data DIR_OR_STORE [--days N]
#                                  [--tile Z/X/Y]
#   --old, --new  the two binaries (e.g. a copy of an earlier release build, and this one)
#   --data        what both serve (a folder, a .gpkg)
#   --days N      how many days (default 20: the 4th and 18th of ten months of 2025, within the demo ledger)
#   --tile Z/X/Y  the tile (default 12/3428/1665, the centre of `riskmap generate`'s city)
set -euo pipefail
NAME=day-view
OLD="" NEW="" DATA="" DAYS=20 TILE=12/3428/1665
while [ $# -gt 0 ]; do
  case "$1" in
    --old) OLD="$2"; shift 2 ;;
    --new) NEW="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --days) DAYS="$2"; shift 2 ;;
    --tile) TILE="$2"; shift 2 ;;
    *) echo "$NAME: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$OLD" ] && [ -x "$NEW" ] || { echo "$NAME: --old and --new must be riskmap binaries" >&2; exit 2; }
[ -e "$DATA" ] || { echo "$NAME: --data $DATA not found" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # BIN PORT LOG
  "$1" serve "$DATA" --port "$2" -q >"$3" 2>&1 &
  PIDS+=($!)
}
wait_up() { # PORT LOG
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$1/styles/risk.json" && return 0
    sleep 1
  done
  echo "$NAME: the server on port $1 did not come up; its log:" >&2
  cat "$2" >&2
  exit 1
}

bench_machine
PO=$(free_port); start "$OLD" "$PO" "$WORK/old.log"
PN=$(free_port); start "$NEW" "$PN" "$WORK/new.log"
wait_up "$PO" "$WORK/old.log"
wait_up "$PN" "$WORK/new.log"
PATH_T="tiles/areas,risk_grid,enterprises,hidden_hazards/$TILE.mvt"
# Once each before timing: the first request of a process pays for more than the day.
curl -sf -o /dev/null "http://127.0.0.1:$PO/$PATH_T"
curl -sf -o /dev/null "http://127.0.0.1:$PN/$PATH_T"

echo "day old_s new_s same_bytes"
n=0
for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
  for d in 04 18; do
    [ "$n" -ge "$DAYS" ] && break 2
    day="2025-$m-$d"
    # Alternate which goes first, so neither always meets the other's leftovers.
    if [ $((n % 2)) -eq 0 ]; then first=("$PO" old) second=("$PN" new); else first=("$PN" new) second=("$PO" old); fi
    t1=$(curl -sf -o "$WORK/${first[1]}.mvt" -w '%{time_total}' "http://127.0.0.1:${first[0]}/$PATH_T?as_of=$day")
    t2=$(curl -sf -o "$WORK/${second[1]}.mvt" -w '%{time_total}' "http://127.0.0.1:${second[0]}/$PATH_T?as_of=$day")
    if [ "${first[1]}" = old ]; then to=$t1 tn=$t2; else to=$t2 tn=$t1; fi
    cmp -s "$WORK/old.mvt" "$WORK/new.mvt" && same=yes || same=NO
    echo "$day $to $tn $same"
    n=$((n + 1))
  done
done | tee "$WORK/times.txt"
python3 - "$WORK/times.txt" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l[:1].isdigit()]
old = [float(r[1]) * 1000 for r in rows]
new = [float(r[2]) * 1000 for r in rows]
same = sum(r[3] == "yes" for r in rows)
print(f"median old {statistics.median(old):.1f} ms, new {statistics.median(new):.1f} ms "
      f"(new/old {statistics.median(new) / statistics.median(old):.2f}); "
      f"{same} of {len(rows)} tiles byte for byte equal")
EOF
