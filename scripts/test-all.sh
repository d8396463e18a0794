#!/usr/bin/env bash
# The whole test suite: formatting, lints, the Rust tests (default and all features), the
# tests that need Node packages, and the browser tests. Installs or checks what they need.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
if ! cargo nextest --version >/dev/null 2>&1; then
  say "cargo-nextest missing: installing it from crates.io"
  cargo install --locked cargo-nextest || die "could not install cargo-nextest"
fi

say "system packages"
bash scripts/ensure-system-deps.sh

if [ -f tests/js/package.json ]; then
  say "npm packages for the tests (tests/js)"
  command -v npm >/dev/null || die "npm not found: install Node.js 20 or newer"
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
fi

say "cargo fmt --check"
cargo fmt --all --check

say "cargo clippy (all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

say "tests (all features)"
cargo nextest run --workspace --all-features --no-fail-fast

say "doc tests"
cargo test --workspace --all-features --doc
