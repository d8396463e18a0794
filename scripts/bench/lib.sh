# What the living map's benchmark scripts share (sourced, not run): the machine line, the
# city, a served store's token and configuration, waiting for and stopping the server,
# the list of tiles the loads request. Each function names its caller in its errors
# through $NAME.

# PostgreSQL 15 + PostGIS 3 and GDAL's programs, installed when missing (as root).
bench_need_postgis_gdal() {
  local need=()
  [ -f /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
  [ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
  command -v ogr2ogr >/dev/null || need+=(gdal-bin)
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || { echo "$NAME: missing ${need[*]}: run as root or apt-get install -y ${need[*]}" >&2; exit 1; }
  echo "$NAME: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${need[@]}" >/dev/null \
    || { echo "$NAME: apt-get install ${need[*]} failed" >&2; exit 1; }
}

# The machine, its load and the busiest processes (the benchmark's own included).
bench_machine() {
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes (this benchmark's own included):"
  ps -eo pcpu,comm --sort=-pcpu | sed -n '2,4p' | sed 's/^/  /'
}

# CITY, generated into $WORK/city when not given ($SHORT: 50,000 houses, else the
# benchmark's million), with its houses in GeoJSON.
bench_city() {
  if [ -z "$CITY" ]; then
    CITY="$WORK/city"
    if [ -n "$SHORT" ]; then
      "$BIN" generate --out "$CITY" --houses 50000 --houses-format geojson >"$WORK/generate.log" 2>&1
    else
      "$BIN" generate --out "$CITY" --benchmark >"$WORK/generate.log" 2>&1
    fi
  fi
  [ -f "$CITY/houses.geojson" ] || { echo "$NAME: $CITY/houses.geojson not found (generate the city with --houses-format geojson)" >&2; exit 2; }
}

# An editor's token (TOKEN) and a server configuration on port $1 that accepts it
# ($WORK/server.toml).
bench_editor_config() {
  bench_token_config "$1" editor
}

# A token of the role $2 (TOKEN) and a server configuration on port $1 that accepts it
# ($WORK/server.toml), with the settings of BENCH_CONFIG_EXTRA.
bench_token_config() {
  "$BIN" token new "bench-$2" --role "$2" > "$WORK/token.txt"
  TOKEN="$(sed -n '3p' "$WORK/token.txt" | xargs)"
  {
    echo "port = $1"
    # Top-level settings a script was asked for (`--set KEY=VALUE`), before any table.
    [ -z "${BENCH_CONFIG_EXTRA:-}" ] || printf '%s\n' "$BENCH_CONFIG_EXTRA"
    sed -n '/^\[\[tokens\]\]/,$p' "$WORK/token.txt"
  } > "$WORK/server.toml"
}

# Waits up to $2 s for the server logging to $1 to listen; shows the log and fails if not.
bench_wait_listening() {
  for _ in $(seq 1 "$2"); do grep -q "listening on" "$1" && return 0; sleep 1; done
  cat "$1"; exit 1
}

# Serves the store given as arguments (a GeoPackage, or --db URL) with an editor's token
# (TOKEN) on PORT (a random one unless set), its log in $WORK/serve.log, until it listens;
# sets SERVER (its pid) and BASE.
bench_serve_for_edits() {
  PORT="${PORT:-$((40000 + RANDOM % 20000))}"
  bench_editor_config "$PORT"
  "$BIN" serve "$@" --config "$WORK/server.toml" > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  bench_wait_listening "$WORK/serve.log" 900
  BASE="http://127.0.0.1:$PORT"
}

# Stops the server $1: a server busy in a batch may not end at once, so 15 s, then SIGKILL.
bench_stop() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# $WORK/tiles.txt: the composite tiles of the viewer's nine layers at z12–z16, drawn by
# house density over $CITY (scripts/bench/tile_sample.py).
bench_tiles() {
  local layers="areas,risk_grid,gas_pipelines,houses,protection_targets,enterprises,hazard_sources,protection_conflicts,pipeline_conflicts"
  python3 scripts/bench/tile_sample.py "$CITY/houses.geojson" "$WORK/tiles.tsv" --tiles 400 --mix 40 >/dev/null
  awk -F'\t' -v L="$layers" '$2 >= 12 && $2 <= 16 { print "/tiles/" L "/" $2 "/" $3 "/" $4 ".mvt" }' \
    "$WORK/tiles.tsv" > "$WORK/tiles.txt"
}

# The set-up of a benchmark of a served GeoPackage store of a city under edits, called
# as `bench_store_setup "$0" "$@"`: the options --city DIR, --edits N (EDITS, default 30)
# and --short (anything else prints the script's header and exits 2); the release build
# (BIN); a work directory (WORK), removed with the server at exit; the machine and the
# city (bench_city); the city imported into $WORK/city.gpkg (GPKG) and served for edits
# (SERVER, BASE, TOKEN), 20 s to settle (the edits' spare snapshot is made at start);
# STRIDE, the houses edit_tile.py steps over.
bench_store_setup() {
  local script="$1"
  shift
  CITY="" EDITS=30 SHORT=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --city) CITY="$2"; shift 2 ;;
      --edits) EDITS="$2"; shift 2 ;;
      --short) SHORT=1; shift ;;
      *) sed -n '2,/^[^#]/p' "$script" | grep '^#' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
  done
  cargo build --release -p riskmap-server >/dev/null
  BIN="$TARGET/release/riskmap"
  WORK="$(mktemp -d /tmp/rmbench.XXXXXX)"
  SERVER=""
  trap 'bench_stop "$SERVER"; rm -rf "$WORK"' EXIT
  trap 'exit 130' INT TERM
  bench_machine
  bench_city
  echo "city: $CITY ($(grep -c '"type":"Feature"' "$CITY/houses.geojson") houses)"
  GPKG="$WORK/city.gpkg"
  "$BIN" import "$CITY" --into "$GPKG" --quiet >/dev/null
  bench_serve_for_edits "$GPKG"
  sleep 20
  STRIDE=997
  if [ -n "$SHORT" ]; then STRIDE=97; fi
}
