#!/usr/bin/env bash
# Where an uncached tile's time goes, stage by stage: renders TILES in process, one after
# another (examples/render_tiles.rs), samples the rendering alone with perf (DWARF call
# graphs) and prints each pipeline stage's share (tile_stages.py).
# Usage: scripts/bench/tile-stages.sh DATA_DIR TILES.json [LAYERS [ROUNDS [BIN]]]
#   LAYERS defaults to `houses`, ROUNDS to 3; BIN is a render_tiles binary (default: built
#   from this tree with cargo --release). Needs perf (Debian: linux-perf) and python3.
set -euo pipefail
data=$1 tiles=$2 layers=${3:-houses} rounds=${4:-3} bin=${5:-}
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
command -v perf >/dev/null || { echo "error: perf not found (apt-get install linux-perf)" >&2; exit 1; }
if [ -z "$bin" ]; then
  cargo build --release -q -p riskmap-core --example render_tiles --manifest-path "$ROOT/Cargo.toml"
  bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/render_tiles"
fi
work=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; exec 3>&- 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkfifo "$work/go"
"$bin" "$data" "$tiles" "$layers" "$rounds" --wait < "$work/go" > "$work/out.txt" 2> "$work/err.txt" &
pid=$!
exec 3> "$work/go"
until grep -q ready "$work/err.txt" 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/err.txt" >&2; exit 1; }
  sleep 0.5
done
perf record -F 999 --call-graph dwarf,32768 -p "$pid" -o "$work/perf.data" 2>/dev/null &
perfpid=$!
sleep 1
echo >&3
wait "$pid" || true
pid=
# perf stops by itself when the process it samples exits.
kill -INT "$perfpid" 2>/dev/null || true
wait "$perfpid" 2>/dev/null || true
cat "$work/out.txt"
perf script -i "$work/perf.data" -F comm,tid,ip,sym --inline 2>/dev/null | python3 "$ROOT/scripts/bench/tile_stages.py"
