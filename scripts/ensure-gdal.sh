#!/usr/bin/env bash
# Installs (with apt-get, as root) or checks GDAL's command-line programs (`ogrinfo`,
# `ogr2ogr`, Debian package gdal-bin), which the GeoPackage tests (geo-core/tests/gpkg.rs)
# use as the independent reader and writer of the files the store makes.
#
# Idempotent: when they are present it only says so. Runs `apt-get update` once, and only
# when something is missing. Exits non-zero, saying what is missing, when it cannot install.
set -euo pipefail

say() { printf 'ensure-gdal: %s\n' "$*"; }
die() { printf 'ensure-gdal: error: %s\n' "$*" >&2; exit 1; }

present() { command -v ogrinfo >/dev/null 2>&1 && command -v ogr2ogr >/dev/null 2>&1; }

if present; then
  say "GDAL's programs are present ($(ogrinfo --version))"
  exit 0
fi

say "missing for the GeoPackage tests: gdal-bin"
command -v apt-get >/dev/null 2>&1 \
  || die "apt-get not found; install GDAL's command-line programs (ogrinfo, ogr2ogr) by hand"

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  die "installing needs root (or password-less sudo); run as root: apt-get update && apt-get install -y gdal-bin"
fi

export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
"${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
say "apt-get install gdal-bin"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends gdal-bin \
  || die "apt-get install failed for: gdal-bin"

present || die "still missing after installing: ogrinfo, ogr2ogr"
say "installed: gdal-bin"
