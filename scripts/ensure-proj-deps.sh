#!/usr/bin/env bash
# Installs (with apt-get, as root) or checks what the `proj` cargo feature needs to build.
#
# The `proj` crate (0.31, through proj-sys 0.27) wants PROJ >= 9.6.2. Debian 12 ships
# 9.1.1, which is too old, so proj-sys builds the PROJ it bundles from source and links
# it statically. That needs: cmake, a C and C++ compiler, make, the sqlite3 program (the
# build generates proj.db with it), the SQLite headers and library (PROJ and the
# libsqlite3-sys crate link it) and pkg-config (to find them). TIFF and curl are not
# needed: the feature builds PROJ without network grids.
#
# Idempotent: when everything is present it only says so. Runs `apt-get update` once,
# and only when something is missing. Exits non-zero, saying what is missing, when it
# cannot install.
set -euo pipefail

say() { printf 'ensure-proj-deps: %s\n' "$*"; }
die() { printf 'ensure-proj-deps: error: %s\n' "$*" >&2; exit 1; }

MIN_CMAKE=3.16

cmake_ok() {
  command -v cmake >/dev/null 2>&1 || return 1
  local v
  v="$(cmake --version 2>/dev/null | head -n1 | awk '{print $3}')"
  [ -n "$v" ] || return 1
  [ "$(printf '%s\n%s\n' "$MIN_CMAKE" "$v" | sort -V | head -n1)" = "$MIN_CMAKE" ]
}

sqlite_dev_ok() {
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists sqlite3
}

# Prints the Debian packages whose tools or files are missing, one per line.
missing_packages() {
  cmake_ok || echo cmake
  command -v cc >/dev/null 2>&1 || echo gcc
  command -v c++ >/dev/null 2>&1 || echo g++
  command -v make >/dev/null 2>&1 || echo make
  command -v sqlite3 >/dev/null 2>&1 || echo sqlite3
  command -v pkg-config >/dev/null 2>&1 || echo pkg-config
  sqlite_dev_ok || echo libsqlite3-dev
}

missing="$(missing_packages | sort -u | tr '\n' ' ' | sed 's/ *$//')"
if [ -z "$missing" ]; then
  say "build dependencies of the proj feature are present (cmake, C/C++ compiler, make, sqlite3, libsqlite3-dev, pkg-config)"
  exit 0
fi

# shellcheck source=scripts/apt-install.sh
. "$(dirname "$0")/apt-install.sh"
# shellcheck disable=SC2086 # the package list is meant to split into words
apt_install "the proj feature" --no-install-recommends $missing

still="$(missing_packages | sort -u | tr '\n' ' ' | sed 's/ *$//')"
[ -z "$still" ] || die "still missing after installing: $still (cmake must be $MIN_CMAKE or newer)"
say "installed: $missing"
