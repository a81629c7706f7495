#!/usr/bin/env bash
# The cost per call from Swift (like scripts/bench-kotlin.sh): prepares swift-package against
# the shipped library profile (release-mobile), starts `videokit serve` (release build) on a
# free loopback port, and runs `swift run -c release VideoKitBench` against it: the public API's
# `state` and cached `token()` beside raw FFI crossings. Prints markdown table rows (median of
# RUNS runs, ns per call); a benchmark: it asserts nothing. Leaves build/bench/swift-ffi.md.
#
#   bash scripts/bench-swift.sh [CALLS] [RUNS]     # defaults 1000000 and 5; FFI rows use CALLS/20
#
# Linux: Debian's Swift in a chroot (scripts/swift.sh); macOS: Xcode's swift.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd -P)"
CALLS=${1:-1000000}
RUNS=${2:-5}
log() { echo "bench-swift: $*" >&2; }

log "preparing swift-package against the release-mobile library"
bash scripts/prepare-swift.sh --release >&2
log "building the devserver CLI (release)"
cargo build --release --quiet -p videokit-cli >&2
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ "$target_dir" == /* ]] || target_dir="$root/$target_dir"

mkdir -p build/bench
source "$root/scripts/lib/serve.sh"
serve_start "$target_dir/release/videokit"
base="$SERVE_BASE"

cd swift-package
log "building VideoKitBench (release)"
bash "$root/scripts/swift.sh" build -c release --product VideoKitBench >&2
bash "$root/scripts/swift.sh" run -c release --skip-build VideoKitBench "$base" "$CALLS" "$RUNS" | tee "$root/build/bench/swift-ffi.md"
