#!/usr/bin/env bash
# The whole test suite: formatting, lints, the Rust tests (default features and `proj`),
# the MVT conformance fixtures, the style validation and the browser end-to-end test.
# The Rust tests include the bad-input corpus (tests/bad-input) and the short run of the
# fuzz targets (fuzz/tests/short.rs, seeded mutations, well under a minute); the long,
# coverage-guided run is scripts/fuzz.sh, run here too when FUZZ_SECONDS is set.
# Installs what they need (apt-get, npm, cargo-afl) or says what is missing; GDAL's
# programs (gdal-bin) check the GeoPackage store independently.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
if ! cargo nextest --version >/dev/null 2>&1; then
  say "cargo-nextest missing: installing it from crates.io"
  cargo install --locked cargo-nextest || die "could not install cargo-nextest"
fi

say "system packages (PROJ build tools, GDAL programs, Chromium, CJK fonts)"
bash scripts/ensure-proj-deps.sh
bash scripts/ensure-gdal.sh
bash scripts/ensure-browser.sh

say "npm packages for the tests"
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)

say "cargo fmt --check"
cargo fmt --all --check

say "cargo clippy (all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

say "Rust tests (all features, including proj)"
cargo nextest run --workspace --all-features --no-fail-fast

if [[ -n "${FUZZ_SECONDS:-}" ]]; then
  say "coverage-guided fuzzing (AFL++), $FUZZ_SECONDS s over all targets"
  bash scripts/fuzz.sh "$FUZZ_SECONDS"
fi

say "doc tests"
cargo test --workspace --all-features --doc

say "style validation and the browser test of the viewer"
cargo build -p riskmap-server
RISKMAP_BIN="${CARGO_TARGET_DIR:-target}/debug/riskmap" node --test tests/e2e/
