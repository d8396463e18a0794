#!/usr/bin/env bash
# Installs (with apt-get, as root) or checks GDAL's command-line programs (`ogrinfo`,
# `ogr2ogr`, Debian package gdal-bin) and GDAL's GeoPackage validator (validate_gpkg.py,
# package python3-gdal), which the GeoPackage tests (geo-core/tests/gpkg.rs) use as the
# independent reader, writer and checker of the files the store makes.
#
# Idempotent: when they are present it only says so. Runs `apt-get update` once, and only
# when something is missing. Exits non-zero, saying what is missing, when it cannot install.
set -euo pipefail

say() { printf 'ensure-gdal: %s\n' "$*"; }
die() { printf 'ensure-gdal: error: %s\n' "$*" >&2; exit 1; }

missing_packages() {
  { command -v ogrinfo >/dev/null 2>&1 && command -v ogr2ogr >/dev/null 2>&1; } || echo gdal-bin
  /usr/bin/python3 -c 'import osgeo_utils.samples.validate_gpkg' >/dev/null 2>&1 || echo python3-gdal
}
present() { [ -z "$(missing_packages)" ]; }

if present; then
  say "GDAL's programs and GeoPackage validator are present ($(ogrinfo --version))"
  exit 0
fi

missing="$(missing_packages | tr '\n' ' ' | sed 's/ *$//')"
# shellcheck source=scripts/apt-install.sh
. "$(dirname "$0")/apt-install.sh"
# shellcheck disable=SC2086 # the package list is meant to split into words
apt_install "the GeoPackage tests" --no-install-recommends $missing

present || die "still missing after installing: $(missing_packages | tr '\n' ' ')"
say "installed: $missing"
