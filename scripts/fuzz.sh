#!/usr/bin/env bash
# Coverage-guided fuzzing of every target of fuzz/ with AFL++ (afl.rs, stable Rust).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run the targets (all by default) for a total of
#                                           SECONDS (default 600), shared out evenly
#   scripts/fuzz.sh --build                 only build the instrumented binary
#
# Environment: FUZZ_JOBS=n runs n targets at once (default 1; each uses one core);
# FUZZ_OUT=dir keeps the AFL output there (default target/fuzz-out, per target: the
# queue, crashes/ and hangs/). A hang is an input that runs longer than 10 s.
#
# Prints, per target, executions, panics (AFL "crashes": a panic aborts the process)
# and hangs, and exits 1 if any target found a panic or a hang. Installs cargo-afl and
# builds AFL++ (`cargo afl config --build`) when they are missing. The short form of the
# same targets runs in the normal test suite (fuzz/tests/short.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

TARGETS_ALL=(geojson csv wkt shapefile manifest rules site_check tiles)
TIMEOUT_MS=10000
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
AFL_TARGET_DIR="$TARGET_DIR/afl"
BIN="$AFL_TARGET_DIR/release/riskmap-afl"
OUT="${FUZZ_OUT:-$TARGET_DIR/fuzz-out}"
JOBS="${FUZZ_JOBS:-1}"

ensure_afl() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  if ! cargo afl --version >/dev/null 2>&1; then
    say "cargo-afl missing: installing it from crates.io"
    cargo install --locked cargo-afl || die "could not install cargo-afl"
  fi
  # Builds AFL++ and its LLVM runtime for this rustc once; refuses (harmlessly) when done.
  local log
  if ! log=$(cargo afl config --build 2>&1); then
    grep -q "already built" <<<"$log" \
      || die "cargo afl config --build failed (AFL++ needs clang/LLVM and make): $log"
  fi
}

build() {
  say "building the fuzz targets for AFL ($BIN)"
  cargo afl build --release --manifest-path fuzz/afl/Cargo.toml --target-dir "$AFL_TARGET_DIR" \
    || die "cargo afl build failed"
}

if [[ "${1:-}" == "--build" ]]; then
  ensure_afl
  build
  exit 0
fi

TOTAL="${1:-600}"
[[ "$TOTAL" =~ ^[0-9]+$ ]] || die "usage: scripts/fuzz.sh [SECONDS] [TARGET...]"
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${TARGETS_ALL[@]}")
for t in "${TARGETS[@]}"; do
  [[ -d "fuzz/seeds/$t" ]] || die "unknown target $t (known: ${TARGETS_ALL[*]})"
done

ensure_afl
build

# Each target's share of the wall time; with FUZZ_JOBS targets at once each gets more.
ROUNDS=$(( (${#TARGETS[@]} + JOBS - 1) / JOBS ))
EACH=$(( TOTAL / ROUNDS ))
(( EACH >= 10 )) || die "$TOTAL s is too short for ${#TARGETS[@]} targets (at least 10 s each)"
say "${#TARGETS[@]} target(s), $EACH s each, $JOBS at a time; output in $OUT"
mkdir -p "$OUT"

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
  AFL_QUIET=1 AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1

run_one() {
  local t="$1"
  # A fresh run each time; the seeds are the inputs.
  rm -rf "${OUT:?}/$t"
  # The targets' scratch data directories (in memory where possible), removed afterwards.
  local scratch
  scratch=$(mktemp -d -p "$( [[ -d /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")" riskmap-afl.XXXXXX)
  RISKMAP_FUZZ_SCRATCH="$scratch" \
    cargo afl fuzz -i "fuzz/seeds/$t" -o "$OUT/$t" -t "$TIMEOUT_MS" -V "$EACH" -- "$BIN" "$t" \
    >"$OUT/$t.log" 2>&1 || echo "afl-fuzz exited with $? (see $OUT/$t.log)" >>"$OUT/$t.log"
  rm -rf "$scratch"
}

running=0
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if (( running >= JOBS )); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

stat() { grep -E "^$2 " "$1" 2>/dev/null | awk -F': ' '{print $2}' | tr -d ' ' || true; }

failed=0
printf '\n%-12s %14s %10s %8s %8s %10s\n' target executions exec/s panics hangs corpus
for t in "${TARGETS[@]}"; do
  s="$OUT/$t/default/fuzzer_stats"
  if [[ ! -f "$s" ]]; then
    printf '%-12s did not run: see %s\n' "$t" "$OUT/$t.log"
    failed=1
    continue
  fi
  execs=$(stat "$s" execs_done)
  speed=$(stat "$s" execs_per_sec)
  crashes=$(stat "$s" saved_crashes)
  hangs=$(stat "$s" saved_hangs)
  corpus=$(stat "$s" corpus_count)
  printf '%-12s %14s %10s %8s %8s %10s\n' "$t" "$execs" "$speed" "$crashes" "$hangs" "$corpus"
  if [[ "${crashes:-0}" != 0 || "${hangs:-0}" != 0 ]]; then
    failed=1
    ls "$OUT/$t/default/crashes" "$OUT/$t/default/hangs" 2>/dev/null | sed 's/^/    /' >&2
  fi
done
if (( failed )); then
  say "panics or hangs found: replay one with $BIN TARGET < FILE"
  exit 1
fi
