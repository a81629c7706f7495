#!/usr/bin/env bash
# The Swift package's XCTest suite on an iOS simulator (macOS with Xcode and an iOS simulator
# runtime): builds the XCFramework and the CLI, starts `videokit serve --port 0 --json` on the
# host (the simulator shares the host's loopback), passes its address to the tests
# (TEST_RUNNER_VIDEOKIT_BASE_URL becomes VIDEOKIT_BASE_URL inside the test runner), and runs
# `xcodebuild test` on the first available iPhone simulator (or SIMULATOR_ID).
#
#   bash scripts/test-ios-simulator.sh [--skip-build]
#
# On macOS itself, `cd swift-package && swift test` runs the same suite against the macOS slice
# (the tests then start `videokit serve` themselves). Anywhere else this script says what is
# missing and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

skip_build=""
[[ "${1:-}" == "--skip-build" ]] && skip_build=1

missing=()
[[ "$(uname -s)" == "Darwin" ]] || missing+=("macOS (this is $(uname -s))")
for tool in xcodebuild xcrun cargo python3; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "test-ios-simulator.sh: cannot run the iOS simulator tests here; missing: ${missing[*]}." >&2
  echo "Needs a Mac with Xcode 15+, an iOS simulator runtime (Xcode > Settings > Platforms) and Rust." >&2
  exit 1
fi

device="${SIMULATOR_ID:-}"
if [[ -z "$device" ]]; then
  device=$(xcrun simctl list devices available -j | python3 -c '
import json, sys
devs = json.load(sys.stdin)["devices"]
ids = [d["udid"] for rt, ds in sorted(devs.items(), reverse=True) if "iOS" in rt
       for d in ds if d.get("isAvailable") and d["name"].startswith("iPhone")]
print(ids[0] if ids else "")')
fi
if [[ -z "$device" ]]; then
  echo "test-ios-simulator.sh: no available iPhone simulator (xcrun simctl list devices available);" >&2
  echo "install an iOS runtime in Xcode > Settings > Platforms, or set SIMULATOR_ID." >&2
  exit 1
fi

if [[ -z "$skip_build" ]]; then
  bash scripts/build-xcframework.sh
fi
cargo build --quiet -p videokit-cli
[[ -d swift-package/videokit_ffiFFI.xcframework ]] || { echo "test-ios-simulator.sh: no XCFramework; run scripts/build-xcframework.sh" >&2; exit 1; }

# The devserver on the host, for the whole run.
source scripts/lib/serve.sh
serve_start "${CARGO_TARGET_DIR:-target}"/debug/videokit
base="$SERVE_BASE"
echo "test-ios-simulator: devserver at $base, simulator $device"

cd swift-package
# SwiftPM packages get a "<name>-Package" scheme when they have several products, else one
# named after the product.
scheme=$(xcodebuild -list 2>/dev/null | awk '/Schemes:/{f=1;next} f&&NF{gsub(/^ +/,"");print}' | grep -m1 -E '^(VideoKit-Package|VideoKitCore)$' || echo VideoKitCore)
TEST_RUNNER_VIDEOKIT_BASE_URL="$base" TEST_RUNNER_VIDEOKIT_APP_TOKEN="vk_dev_app_token" \
  xcodebuild test -scheme "$scheme" -destination "platform=iOS Simulator,id=$device" -skipPackagePluginValidation
