#!/usr/bin/env bash
# Reload under load for SECONDS (default 600): 64 connections fetch tiles and the catalog
# from the real server while its files are truncated, removed and restored and
# POST /admin/reload runs again and again. Fails on any failed request or lost feature.
#   scripts/soak-reload.sh 3600
set -euo pipefail
secs="${1:-600}"
cd "$(dirname "$0")/.."
RISKMAP_SOAK_SECS="$secs" cargo test --release -p riskmap-server --test reload_under_load -- --nocapture
