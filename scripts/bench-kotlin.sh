#!/usr/bin/env bash
# The cost per call from Kotlin on the desktop JVM (issue 11: target ≤ 1 µs): builds the
# Kotlin layer against the shipped library profile (scripts/build-jvm.sh --release, i.e.
# release-mobile), starts `videokit serve` (release build), starts a session against it, warms
# up, then times back-to-back calls, side by side:
#   - the public API: `state`, `sessionData`, `lastError` and the cached `token()` (suspend in
#     one runBlocking, and runBlocking per call), answered from the snapshot Rust pushed last
#     (no FFI call); the callback `token(callback)` round trip;
#   - raw FFI crossings through the generated binding on the same native session:
#     `VkSession.snapshot()`, `tokenCall().wait()`.
# Prints markdown table rows (median of RUNS runs, ns per call) and whether the target is met
# by the public API. A benchmark: it reports numbers and asserts nothing.
#
#   bash scripts/bench-kotlin.sh [CALLS] [RUNS]     # defaults 1000000 and 5; FFI rows use CALLS/20
#   VIDEOKIT_BENCH_NO_BUILD=1 bash scripts/bench-kotlin.sh   # reuse build/jvm as it is
#
# Source: android-aar/src/bench/kotlin/FfiBench.kt. Prerequisites: those of build-jvm.sh
# (Rust, a JDK 17+, npm for the Kotlin compiler). Leaves build/bench/kotlin-ffi.md.
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-1000000}
RUNS=${2:-5}

log() { echo "bench-kotlin: $*" >&2; }

if [[ -z "${VIDEOKIT_BENCH_NO_BUILD:-}" ]]; then
  log "building the Kotlin layer against the release-mobile library"
  bash scripts/build-jvm.sh --release >&2
  log "building the devserver CLI (release)"
  cargo build --release --quiet -p videokit-cli >&2
fi
[[ -f build/jvm/env.sh ]] || { echo "bench-kotlin.sh: build/jvm/env.sh missing (run scripts/build-jvm.sh --release)" >&2; exit 1; }
# shellcheck source=/dev/null
source build/jvm/env.sh
lib_path="$(cat build/generated/library-path 2>/dev/null || true)"
case "$lib_path" in
  */release-mobile/*) ;;
  *) log "warning: build/jvm holds the library from '${lib_path:-?}', not release-mobile: the numbers are not the shipped profile's" ;;
esac
cli="${CARGO_TARGET_DIR:-target}/release/videokit"
[[ -x "$cli" ]] || { echo "bench-kotlin.sh: $cli missing (cargo build --release -p videokit-cli)" >&2; exit 1; }

out=build/bench
mkdir -p "$out/kotlin-classes"
log "compiling android-aar/src/bench/kotlin/FfiBench.kt"
rm -rf "$out/kotlin-classes"
if ! "$KOTLINC" -jvm-target 17 -nowarn -cp "$VIDEOKIT_COMPILE_CP" -d "$out/kotlin-classes" \
    android-aar/src/bench/kotlin/FfiBench.kt > "$out/kotlin-compile.log" 2>&1; then
  grep -v 'unable to find kotlin-stdlib' "$out/kotlin-compile.log" >&2
  echo "bench-kotlin.sh: the benchmark does not compile" >&2
  exit 1
fi

source scripts/lib/serve.sh
serve_start "$cli"
base="$SERVE_BASE"

log "running: $CALLS calls ($((CALLS / 20)) for FFI and callback rows) x $RUNS runs per row (plus warm-up) against $base"
java -cp "$out/kotlin-classes:$VIDEOKIT_CP" FfiBenchKt "$base" "$CALLS" "$RUNS" | tee "$out/kotlin-ffi.md"
