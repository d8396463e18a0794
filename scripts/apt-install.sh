# Sourced by the scripts/ensure-*.sh scripts: installs Debian packages with apt-get as
# root (or with password-less sudo), after one `apt-get update`, or stops with the command
# to run by hand. The caller defines say and die.
#
#   apt_install "what they are for" [--no-install-recommends] PACKAGE...

apt_install() {
  local what=$1
  shift
  local missing="$*"
  say "missing for $what: ${missing#--no-install-recommends }"
  command -v apt-get >/dev/null 2>&1 \
    || die "apt-get not found; install these (or your system's equivalents) by hand: ${missing#--no-install-recommends }"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "installing needs root (or password-less sudo); run as root: apt-get update && apt-get install -y ${missing#--no-install-recommends }"
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update"
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  say "apt-get install ${missing#--no-install-recommends }"
  "${sudo[@]}" apt-get install -y -qq "$@" || die "apt-get install failed for: ${missing#--no-install-recommends }"
}
