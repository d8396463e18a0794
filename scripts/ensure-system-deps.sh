#!/usr/bin/env bash
# Installs (with apt-get, as root) or checks the system packages the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/ensure-proj-deps.sh ]; then
  bash scripts/ensure-proj-deps.sh
fi
if [ -f scripts/ensure-gdal.sh ]; then
  bash scripts/ensure-gdal.sh
fi
