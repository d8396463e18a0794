#!/usr/bin/env bash
# The whole test suite: formatting, lints, the Rust tests (default features and `proj`),
# the MVT conformance fixtures, the style validation and the browser end-to-end test.
# The Rust tests include the bad-input corpus (tests/bad-input) and the short run of the
# fuzz targets (fuzz/tests/short.rs, seeded mutations, well under a minute); the long,
# coverage-guided run is scripts/fuzz.sh, run here too when FUZZ_SECONDS is set.
# Installs what they need (apt-get, npm, cargo-afl) or says what is missing; GDAL's
# programs (gdal-bin) check the GeoPackage store and the MBTiles archives independently, the
# PMTiles authors' Python package (a venv, scripts/ensure-python-tools.sh) the PMTiles ones. The PostGIS store's tests
# run against a private PostgreSQL 15 + PostGIS 3 cluster started here in a temporary
# directory on a free port (scripts/pg-private.sh; RISKMAP_TEST_PG tells the tests where)
# and stopped and removed at the end, also when a step fails or the run is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
if ! cargo nextest --version >/dev/null 2>&1; then
  say "cargo-nextest missing: installing it from crates.io"
  cargo install --locked cargo-nextest || die "could not install cargo-nextest"
fi

say "system packages (PROJ build tools, GDAL programs, PostgreSQL + PostGIS, Chromium, CJK fonts)"
bash scripts/ensure-proj-deps.sh
bash scripts/ensure-gdal.sh
bash scripts/ensure-postgis.sh
bash scripts/ensure-browser.sh

say "independent Python readers and writers (pmtiles, fonttools, pyogrio, geopandas; PyPI) in a venv outside the clone"
RISKMAP_TEST_PYTHON="$(bash scripts/ensure-python-tools.sh)" || die "the Python tools could not be set up"
export RISKMAP_TEST_PYTHON

say "npm packages for the tests"
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)

say "cargo fmt --check"
cargo fmt --all --check

say "cargo clippy (all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

say "the library without its optional formats (as a program embedding it may build it)"
cargo clippy -p riskmap-core --no-default-features --all-targets -- -D warnings
cargo nextest run -p riskmap-core --no-default-features --lib -E 'test(tests_formats)'

say "the library's documentation (a broken link is an error: embedders read it)"
RUSTDOCFLAGS="-D warnings" cargo doc -p riskmap-core --no-deps --all-features

say "a private PostgreSQL + PostGIS for the PostGIS store's tests"
pg_dir="$(mktemp -d /tmp/riskmap-pg.XXXXXX)"
stop_pg() { bash scripts/pg-private.sh stop "$pg_dir" --purge >/dev/null 2>&1 || true; }
trap stop_pg EXIT
trap 'exit 130' INT TERM
pg_port=""
for p in $(seq 55432 55531); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then pg_port=$p; break; fi
done
[[ -n "$pg_port" ]] || die "no free port in 55432-55531 for the test database"
bash scripts/pg-private.sh start "$pg_dir" "$pg_port"
export RISKMAP_TEST_PG="postgres://postgres@127.0.0.1:$pg_port/postgres"

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
