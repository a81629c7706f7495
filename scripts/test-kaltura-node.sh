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
out=$(mktemp)
"${CARGO_TARGET_DIR:-target}"/debug/videokit serve --port 0 --json >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do grep -q base_url "$out" && break; sleep 0.05; done
base=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["base_url"])' "$out")
node "$dir/check.js" "$base"
