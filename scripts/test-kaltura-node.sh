#!/usr/bin/env bash
# The official Kaltura client for Node (npm kaltura-client, format=1) calls
# session.startWidgetSession and appToken.startSession on the devserver and gets a KS.
# Installs kaltura-client (pinned in scripts/node-kaltura/package.json) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=scripts/node-kaltura
if [[ ! -d $dir/node_modules/kaltura-client ]]; then
  (cd "$dir" && npm install --no-audit --no-fund --silent 2>&1 | grep -v "Unknown user config" || true)
fi
cargo build -p videokit-cli --quiet
source scripts/lib/serve.sh
serve_start "${CARGO_TARGET_DIR:-target}"/debug/videokit
node "$dir/check.js" "$SERVE_BASE"
