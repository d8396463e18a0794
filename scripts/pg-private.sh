#!/usr/bin/env bash
# A private PostgreSQL 15 + PostGIS 3 cluster in a directory of its own, for benchmarks
# and tests. It never uses or touches a system service: its data, socket, log and pid
# file all live in DIR, and it listens only on a unix socket in DIR/sock and on
# 127.0.0.1:PORT.
#
#   scripts/pg-private.sh start DIR PORT   initdb DIR/data if needed, start, wait until it
#                                          answers, CREATE EXTENSION postgis; idempotent:
#                                          a cluster already running on DIR is left as it is
#   scripts/pg-private.sh stop DIR [--purge]
#                                          stop it (fast, then immediate, then by its pid);
#                                          succeeds when nothing runs; --purge also removes DIR
#   scripts/pg-private.sh status DIR       exit 0 when it runs, 3 when not
#   scripts/pg-private.sh env DIR          print PGHOST/PGPORT/PGUSER/PGDATABASE to eval
#
# Connect with: psql -h DIR/sock -p PORT -U postgres postgres   (or `eval "$(… env DIR)"`).
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user
# (DIR is chowned to it, and every directory above DIR must let it through).
# Needs Debian's postgresql-15 and postgresql-15-postgis-3 (apt-get install -y
# postgresql-15-postgis-3). Settings are for throwaway data: no fsync, no JIT.
set -euo pipefail

PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
PGVER=15
me="pg-private"

die() { echo "$me: $*" >&2; exit 1; }

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Runs a command as the cluster's owner (postgres when we are root, else ourselves).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

check_binaries() {
  for b in initdb pg_ctl postgres psql pg_isready; do
    [ -x "$PGBIN/$b" ] || [ "$b" = psql ] || die "$PGBIN/$b not found: PostgreSQL $PGVER is not installed (apt-get install -y postgresql-$PGVER)"
  done
  command -v psql >/dev/null || [ -x "$PGBIN/psql" ] || die "psql not found (apt-get install -y postgresql-client-$PGVER)"
  [ -f "/usr/share/postgresql/$PGVER/extension/postgis.control" ] \
    || die "PostGIS for PostgreSQL $PGVER is not installed (apt-get install -y postgresql-$PGVER-postgis-3)"
}

psql_bin() { if [ -x "$PGBIN/psql" ]; then echo "$PGBIN/psql"; else command -v psql; fi; }

# The postmaster's pid from DIR/data/postmaster.pid when that process is alive.
running_pid() {
  local dir="$1" pid
  [ -f "$dir/data/postmaster.pid" ] || return 1
  pid="$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid that is not a postgres of this data directory does not count.
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "postgres" || return 1
  echo "$pid"
}

running_port() { sed -n '4p' "$1/data/postmaster.pid" 2>/dev/null || true; }

start() {
  local dir="$1" port="$2"
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -gt 0 ] && [ "$port" -lt 65536 ] || die "bad port '$port'"
  check_binaries
  dir="$(realpath -m "$dir")"
  local sock="$dir/sock"
  # A unix socket path is limited to 107 bytes: DIR/sock/.s.PGSQL.PORT must fit.
  [ ${#sock} -le 90 ] || die "the socket directory $sock is too long for a unix socket (≤ 90 characters); choose a shorter DIR"
  mkdir -p "$dir" || die "cannot create $dir"

  if pid="$(running_pid "$dir")"; then
    local p; p="$(running_port "$dir")"
    [ "$p" = "$port" ] || die "a cluster already runs on $dir but on port $p, not $port (stop it first)"
    echo "$me: already running on $dir (pid $pid, port $port)"
    ensure_postgis "$dir" "$port"
    return 0
  fi

  # The pid file of a cluster that died (no process behind it) is stale.
  rm -f "$dir/data/postmaster.pid"
  # Port free? (Anything listening there would make the start fail later, less clearly.)
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is already in use by another program; choose another PORT"
  fi

  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' not found (it comes with the postgresql-$PGVER package)"
    chown postgres: "$dir" || die "cannot chown $dir to postgres"
    as_owner test -w "$dir" -a -x "$dir" \
      || die "user postgres cannot enter or write $dir: a directory above it is closed to others (put DIR elsewhere, e.g. under /tmp or /var/tmp)"
  fi
  as_owner mkdir -p "$sock" || die "cannot create the socket directory $sock"

  if [ ! -f "$dir/data/PG_VERSION" ]; then
    [ -z "$(ls -A "$dir/data" 2>/dev/null)" ] || die "$dir/data exists, is not empty and holds no cluster; remove it or choose another DIR"
    echo "$me: initdb $dir/data"
    as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed (log above, also in $dir/initdb.log)"; }
  else
    local v; v="$(cat "$dir/data/PG_VERSION")"
    [ "$v" = "$PGVER" ] || die "$dir/data holds a PostgreSQL $v cluster, this script runs $PGVER"
  fi
  # Our settings, rewritten on every start so a changed PORT or DIR takes effect.
  as_owner tee "$dir/data/private.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
shared_buffers = '1GB'
work_mem = '64MB'
maintenance_work_mem = '512MB'
max_wal_size = '4GB'
logging_collector = off
CONF
  grep -q "^include_if_exists = 'private.conf'" "$dir/data/postgresql.conf" \
    || echo "include_if_exists = 'private.conf'" | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null

  echo "$me: starting on $dir (port $port, socket $sock)"
  if ! as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
    tail -n 20 "$dir/server.log" >&2 || true
    die "the server did not start (last lines of $dir/server.log above)"
  fi
  local ok=""
  for _ in $(seq 1 60); do
    if "$PGBIN/pg_isready" -q -h "$sock" -p "$port" -U postgres; then ok=1; break; fi
    sleep 0.5
  done
  [ -n "$ok" ] || { tail -n 20 "$dir/server.log" >&2; die "the server started but does not answer on $sock port $port"; }
  ensure_postgis "$dir" "$port"
  echo "$me: ready: psql -h $sock -p $port -U postgres postgres"
}

ensure_postgis() {
  local dir="$1" port="$2" out
  out="$("$(psql_bin)" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U postgres -d postgres \
    -c "CREATE EXTENSION IF NOT EXISTS postgis" 2>&1)" \
    || die "CREATE EXTENSION postgis failed: $out"
}

stop() {
  local dir="$1" purge="${2:-}"
  [ -z "$purge" ] || [ "$purge" = "--purge" ] || usage
  if [ ! -d "$dir" ]; then
    echo "$me: $dir does not exist; nothing to stop"
    return 0
  fi
  dir="$(cd "$dir" && pwd -P)"
  local pid
  if pid="$(running_pid "$dir")"; then
    echo "$me: stopping $dir (pid $pid)"
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t 15 stop >/dev/null 2>&1 \
      || true
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    kill -0 "$pid" 2>/dev/null && die "could not stop the postmaster (pid $pid) of $dir"
  else
    echo "$me: not running on $dir"
  fi
  # Leftovers of a crash: a stale pid file and sockets.
  rm -f "$dir/data/postmaster.pid" "$dir"/sock/.s.PGSQL.* 2>/dev/null || true
  if [ "$purge" = "--purge" ]; then
    rm -rf "$dir" || die "could not remove $dir"
    echo "$me: removed $dir"
  fi
}

status() {
  local dir="$1" pid
  if pid="$(running_pid "$dir")"; then
    echo "running on $dir (pid $pid, port $(running_port "$dir"))"
  else
    echo "not running on $dir"
    return 3
  fi
}

envvars() {
  local dir; dir="$(cd "$1" && pwd -P)"
  running_pid "$dir" >/dev/null || die "no cluster runs on $dir"
  echo "export PGHOST='$dir/sock' PGPORT='$(running_port "$dir")' PGUSER=postgres PGDATABASE=postgres"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
  stop) [ $# -ge 2 ] && [ $# -le 3 ] || usage; stop "$2" "${3:-}" ;;
  status) [ $# -eq 2 ] || usage; status "$2" ;;
  env) [ $# -eq 2 ] || usage; envvars "$2" ;;
  *) usage ;;
esac
