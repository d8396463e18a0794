#!/usr/bin/env bash
# Installs (with apt-get, as root) or checks what the browser tests of the web viewer
# (tests/e2e) need: Chromium at /usr/bin/chromium, CJK fonts so that Chinese text renders
# in screenshots, and Node.js >= 20 with npm.
#
# Playwright's own browser download is not used (it fetches a browser build from outside
# the package registries); the tests drive the distribution's Chromium with playwright-core.
#
# Idempotent: when everything is present it only says so. Runs `apt-get update` once, and
# only when something is missing. Exits non-zero, saying what is missing, when it cannot
# install.
set -euo pipefail

say() { printf 'ensure-browser: %s\n' "$*"; }
die() { printf 'ensure-browser: error: %s\n' "$*" >&2; exit 1; }

MIN_NODE_MAJOR=20

# Node and npm are checked, not installed: Debian 12's nodejs is 18, too old for the
# test runner features the tests use.
command -v node >/dev/null 2>&1 || die "node not found: install Node.js ${MIN_NODE_MAJOR} or newer (with npm)"
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge "$MIN_NODE_MAJOR" ] 2>/dev/null \
  || die "node $(node --version 2>/dev/null) is too old: the browser tests need Node.js ${MIN_NODE_MAJOR} or newer"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm (it comes with Node.js)"

fonts_ok() {
  # Any installed Noto CJK (or other CJK) font will do for the screenshots.
  command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null | head -n1)" ]
}

# Prints the Debian packages that are missing, one per line.
missing_packages() {
  [ -x /usr/bin/chromium ] || echo chromium
  command -v chromedriver >/dev/null 2>&1 || [ -x /usr/bin/chromedriver ] || echo chromium-driver
  fonts_ok || echo fonts-noto-cjk
}

missing="$(missing_packages | sort -u | tr '\n' ' ' | sed 's/ *$//')"
if [ -z "$missing" ]; then
  say "present: chromium ($(/usr/bin/chromium --version 2>/dev/null | head -n1)), CJK fonts, node $(node --version), npm $(npm --version)"
  exit 0
fi

# shellcheck source=scripts/apt-install.sh
. "$(dirname "$0")/apt-install.sh"
# shellcheck disable=SC2086 # the package list is meant to split into words
apt_install "the browser tests" $missing

still="$(missing_packages | sort -u | tr '\n' ' ' | sed 's/ *$//')"
[ -z "$still" ] || die "still missing after installing: $still"
say "installed: $missing"
