#!/usr/bin/env bash
# Instrumented tests of the AAR (android-aar/src/androidTest) on a running emulator or a
# connected device: the library loads from jniLibs, callbacks arrive on the main thread, the
# Keystore-backed store round-trips, and an API-token session starts against the devserver,
# which runs on this machine and is made reachable as 127.0.0.1 on the device with
# `adb reverse` (loopback, so no insecure-HTTP opt-in is needed).
#
#   bash scripts/test-android-emulator.sh
#
# Needs everything scripts/build-aar.sh needs, plus `adb` (platform-tools) seeing one
# device in state "device" (start one with: emulator -avd <name> -no-window &).
# Not part of CI: there is no emulator there.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v adb >/dev/null 2>&1; then
  echo "test-android-emulator.sh: 'adb' not found: install platform-tools (sdkmanager \"platform-tools\") and put \$ANDROID_HOME/platform-tools on PATH" >&2
  exit 1
fi
devices="$(adb devices | awk 'NR>1 && $2=="device"{print $1}')"
if [[ -z "$devices" ]]; then
  echo "test-android-emulator.sh: adb sees no running emulator or device." >&2
  echo "  start one, e.g.: \$ANDROID_HOME/emulator/emulator -avd <name> -no-window -no-audio &  (list AVDs with: emulator -list-avds)" >&2
  exit 1
fi
serial="${ANDROID_SERIAL:-$(head -1 <<< "$devices")}"
export ANDROID_SERIAL="$serial"
abi="$(adb shell getprop ro.product.cpu.abi | tr -d '\r')"
echo "test-android-emulator: device $serial ($abi)"

bash scripts/build-aar.sh --check --abis "$abi" || exit 1

cargo build --quiet -p videokit-cli || exit 1
source scripts/lib/serve.sh
serve_start "${CARGO_TARGET_DIR:-target}/debug/videokit" || exit 1
port="$SERVE_PORT"
cleanup() {
  adb reverse --remove "tcp:$port" >/dev/null 2>&1 || true
  serve_stop
}
trap cleanup EXIT
adb reverse "tcp:$port" "tcp:$port" >/dev/null || exit 1
echo "test-android-emulator: devserver on host port $port, reversed to the device"

"${GRADLE:-gradle}" -p android-aar --no-daemon connectedDebugAndroidTest \
  -Pvideokit.abis="$abi" \
  -Pandroid.testInstrumentationRunnerArguments.videokitBaseUrl="http://127.0.0.1:$port"
