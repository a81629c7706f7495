#!/usr/bin/env bash
# The Swift stage: builds the Rust library and its bindings, then, with a real Swift compiler
# (scripts/swift.sh: Xcode's on macOS, Debian's Swift 6.0.3 in a chroot on Linux):
#   1. swift build of swift-package; fails on any compiler warning in Sources/VideoKitCore
#      (the handwritten layer, Swift 6 language mode);
#   2. swift test: the whole XCTest suite against a `videokit serve` the tests start themselves;
#      XCTest's summary line is printed, and the skipped tests are listed with their reasons;
#   3. the README example (swift-package/Examples/ReadmeExample, a package of its own that
#      depends on swift-package by path): built and run against `videokit serve`;
#   4. DocC documentation of VideoKitCore (build/docc/VideoKitCore.doccarchive), no warnings;
#   5. swift-format lint of the handwritten Swift (config: swift-package/.swift-format), clean.
#
#   bash scripts/test-swift.sh            # all of it
#   SWIFT_STEPS="build test" bash scripts/test-swift.sh   # a subset (build test example docs format)
#
# First run on Linux: about 2.5 minutes more to provision the toolchain (see scripts/swift.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd -P)"
steps="${SWIFT_STEPS:-build test example docs format}"
want() { [[ " $steps " == *" $1 "* ]]; }
swift_() { bash "$root/scripts/swift.sh" "$@"; }
t_all=$SECONDS
logdir="$root/build/swift-logs"
mkdir -p "$logdir"

t0=$SECONDS
bash scripts/swift.sh --provision
echo "test-swift: toolchain ready ($((SECONDS - t0)) s)"

t0=$SECONDS
bash scripts/prepare-swift.sh
echo "test-swift: library and bindings ready ($((SECONDS - t0)) s)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ "$target_dir" == /* ]] || target_dir="$root/$target_dir"
export VIDEOKIT_CLI="${VIDEOKIT_CLI:-$target_dir/debug/videokit}"

cd swift-package

if want build; then
  t0=$SECONDS
  # A fresh compile of the handwritten module, so that its warnings are all printed (touching
  # the sources; deleting the module's build folder breaks SwiftPM's cached build plan).
  touch Sources/VideoKitCore/*.swift
  swift_ build 2>&1 | tee "$logdir/build.log"
  status=${PIPESTATUS[0]}
  ((status == 0)) || { echo "test-swift: swift build failed" >&2; exit 1; }
  warnings=$(grep -E "Sources/VideoKitCore/[^:]+:[0-9]+:[0-9]+: warning:" "$logdir/build.log" | sort -u || true)
  nwarn=$(printf '%s' "$warnings" | grep -c . || true)
  echo "test-swift: swift build ok; ${nwarn} compiler warnings in Sources/VideoKitCore ($((SECONDS - t0)) s)"
  if ((nwarn > 0)); then
    echo "$warnings" >&2
    echo "test-swift: the handwritten layer must compile without warnings" >&2
    exit 1
  fi
fi

if want test; then
  t0=$SECONDS
  set +e
  swift_ test 2>&1 | tee "$logdir/test.log"
  status=${PIPESTATUS[0]}
  set -e
  skipped=$(grep -E "^Test Case '.*' skipped" "$logdir/test.log" | sed -E "s/^Test Case '([^']*)' skipped.*/\1/" | sort -u || true)
  nskip=$(printf '%s' "$skipped" | grep -c . || true)
  echo "test-swift: ${nskip} skipped:"
  while IFS= read -r name; do
    [[ -n "$name" ]] || continue
    why=$(grep -F "${name} : Test skipped - " "$logdir/test.log" | head -1 | sed -E 's/.* : Test skipped - //')
    echo "  - ${name}: ${why:-no reason printed}"
  done <<<"$skipped"
  summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?" "$logdir/test.log" | tail -1 || true)
  echo "test-swift: XCTest: ${summary:-no summary line} ($((SECONDS - t0)) s)"
  ((status == 0)) || { echo "test-swift: swift test failed" >&2; exit 1; }
fi

if want example; then
  t0=$SECONDS
  # A devserver of its own on a free loopback port.
  source "$root/scripts/lib/serve.sh"
  SERVE_ERR="$logdir/example-devserver.err" serve_start "$VIDEOKIT_CLI"
  base="$SERVE_BASE"
  (cd Examples/ReadmeExample && bash "$root/scripts/swift.sh" build --product ReadmeExample >"$logdir/example-build.log" 2>&1) \
    || { cat "$logdir/example-build.log" >&2; echo "test-swift: the README example does not build" >&2; exit 1; }
  (cd Examples/ReadmeExample && bash "$root/scripts/swift.sh" run --skip-build ReadmeExample "$base") 2>&1 | tee "$logdir/example.log"
  status=${PIPESTATUS[0]}
  serve_stop
  trap - EXIT
  ((status == 0)) || { echo "test-swift: the README example failed" >&2; exit 1; }
  grep -q "api token: active, main thread: true" "$logdir/example.log" \
    || { echo "test-swift: the README example's completion did not run on the main thread" >&2; exit 1; }
  echo "test-swift: README example ok: the seed's call completed on the main thread ($((SECONDS - t0)) s)"
fi

if want docs; then
  t0=$SECONDS
  bash "$root/scripts/swift-docs.sh" 2>&1 | tee "$logdir/docs.log"
  ((PIPESTATUS[0] == 0)) || { echo "test-swift: DocC failed or warned" >&2; exit 1; }
  echo "test-swift: DocC ok ($((SECONDS - t0)) s)"
fi

if want format; then
  t0=$SECONDS
  swift_ format lint --strict --configuration .swift-format --recursive Sources/VideoKitCore Tests Benchmarks \
    Examples/ReadmeExample/Sources Package.swift Examples/ReadmeExample/Package.swift 2>&1 | tee "$logdir/format.log"
  ((PIPESTATUS[0] == 0)) || { echo "test-swift: swift-format lint found problems" >&2; exit 1; }
  echo "test-swift: swift-format lint clean ($((SECONDS - t0)) s)"
fi

echo "test-swift: all Swift steps passed ($((SECONDS - t_all)) s)"
