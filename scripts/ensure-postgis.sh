#!/usr/bin/env bash
# Installs (with apt-get, as root) or checks PostgreSQL 15 with PostGIS 3 (Debian packages
# postgresql-15-postgis-3 and postgresql-client-15), which the PostGIS store's tests
# (tile-server/tests/pg.rs) run against: scripts/test-all.sh starts a private cluster of
# its own with scripts/pg-private.sh, never the system service.
#
# Idempotent: when they are present it only says so. Runs `apt-get update` once, and only
# when something is missing. Exits non-zero, saying what is missing, when it cannot install.
set -euo pipefail

say() { printf 'ensure-postgis: %s\n' "$*"; }
die() { printf 'ensure-postgis: error: %s\n' "$*" >&2; exit 1; }

PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"

missing_packages() {
  { [ -x "$PGBIN/initdb" ] && [ -f /usr/share/postgresql/15/extension/postgis.control ]; } \
    || echo postgresql-15-postgis-3
  { command -v psql >/dev/null 2>&1 || [ -x "$PGBIN/psql" ]; } || echo postgresql-client-15
}
present() { [ -z "$(missing_packages)" ]; }

if present; then
  say "PostgreSQL 15 and PostGIS 3 are present ($("$PGBIN/postgres" --version))"
  exit 0
fi

missing="$(missing_packages | tr '\n' ' ' | sed 's/ *$//')"
# shellcheck source=scripts/apt-install.sh
. "$(dirname "$0")/apt-install.sh"
# shellcheck disable=SC2086 # the package list is meant to split into words
apt_install "the PostGIS tests" --no-install-recommends $missing

present || die "still missing after installing: $(missing_packages | tr '\n' ' ')"
say "installed: $missing"
