# Sourced by install-tools.sh and bench-tools.sh: the one install-once check.
# has_version BIN PATTERN ARGS...: BIN is there, executable, and `BIN ARGS...` prints PATTERN
# (a fixed string), i.e. the pinned version is already installed and nothing needs doing.
has_version() {
  local bin="$1" pattern="$2"
  shift 2
  [ -x "$bin" ] || return 1
  "$bin" "$@" 2>&1 | grep -qF -- "$pattern"
}
