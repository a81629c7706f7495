#!/usr/bin/env bash
# XCTest on an iOS simulator (macOS with Xcode): builds the XCFramework, the CLI (the tests
# start `videokit serve`), then `xcodebuild test` on the first available iPhone simulator.
# On macOS itself, `cd swift-package && swift test` runs the same tests against the macOS slice.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "$(uname -s)" != "Darwin" ]] || ! command -v xcrun >/dev/null 2>&1; then
  echo "test-ios-simulator.sh: needs macOS with Xcode and an iOS simulator runtime; none here." >&2
  exit 1
fi
device=$(xcrun simctl list devices available | grep -m1 -oE 'iPhone[^(]*\(([0-9A-F-]{36})\)' | grep -oE '[0-9A-F-]{36}' || true)
if [[ -z "$device" ]]; then
  echo "test-ios-simulator.sh: no available iPhone simulator (xcrun simctl list devices)." >&2
  exit 1
fi
bash scripts/build-xcframework.sh
cargo build -p videokit-cli
export VIDEOKIT_CLI="$PWD/target/debug/videokit"
cd swift-package
xcodebuild test -scheme VideoKit-Package -destination "id=$device" VIDEOKIT_CLI="$VIDEOKIT_CLI"
