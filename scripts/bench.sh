#!/usr/bin/env bash
# Benchmarks (numbers, not pass/fail), all against the devserver on loopback, side by side:
# SDK overhead vs bare reqwest, Kaltura cold/renewal vs the vendor's sample flow and the
# official Node client, single-flight, footprint (threads, RSS, idle wake-ups), and the FFI
# cost per call from Kotlin on the JVM (when scripts/build-jvm.sh's jar is there).
#   bash scripts/bench.sh [ITERATIONS] [IDLE_SECS]     # defaults 3000 and 60
#   VIDEOKIT_BENCH_SKIP_KOTLIN=1 bash scripts/bench.sh  # without the Kotlin FFI part
set -euo pipefail
cd "$(dirname "$0")/.."
ITER=${1:-3000}
IDLE=${2:-60}
mkdir -p build/bench
cargo build --release -p videokit-bench -p videokit-cli --quiet

# The official Kaltura client for Node, against a devserver of its own.
if [[ ! -d scripts/node-kaltura/node_modules/kaltura-client ]]; then
  (cd scripts/node-kaltura && npm install --no-audit --no-fund --silent 2>&1 | grep -v "Unknown user config" || true)
fi
source scripts/lib/serve.sh
serve_start "${CARGO_TARGET_DIR:-target}"/release/videokit
node scripts/node-kaltura/bench.js "$SERVE_BASE" $((ITER / 4)) > build/bench/node-kaltura.json
serve_stop

"${CARGO_TARGET_DIR:-target}"/release/videokit-bench --iterations "$ITER" --idle-secs "$IDLE" --node-json build/bench/node-kaltura.json | tee build/bench/report.md

# FFI cost per call from Kotlin (JVM), if the Kotlin layer has been built.
if [[ -z "${VIDEOKIT_BENCH_SKIP_KOTLIN:-}" && -f scripts/bench-kotlin.sh ]]; then
  bash scripts/bench-kotlin.sh | tee -a build/bench/report.md
fi
