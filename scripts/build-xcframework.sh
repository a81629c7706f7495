#!/usr/bin/env bash
# Builds videokit_ffiFFI.xcframework for the Swift package (macOS with Xcode only):
#   iOS device (aarch64-apple-ios), iOS simulator (aarch64-apple-ios-sim + x86_64-apple-ios,
#   lipo'd), macOS (aarch64-apple-darwin + x86_64-apple-darwin, lipo'd), static libraries in
#   the size-optimised `release-mobile` profile; Swift sources, header and module.modulemap
#   generated from the unstripped host build; zipped; SwiftPM checksum printed and written
#   into swift-package/Package.swift (with --release-url URL, the URL too).
# Prerequisites: macOS, Xcode (xcodebuild, lipo, swift), rustup with the five Apple targets
# (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RELEASE_URL=""
if [[ "${1:-}" == "--release-url" ]]; then RELEASE_URL="${2:?--release-url needs a URL}"; fi

missing=()
[[ "$(uname -s)" == "Darwin" ]] || missing+=("macOS (this is $(uname -s))")
for tool in xcodebuild lipo swift rustup cargo; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "build-xcframework.sh: cannot build here; missing: ${missing[*]}" >&2
  echo "Run it on a Mac with Xcode 15+ and rustup." >&2
  exit 1
fi
TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
for t in "${TARGETS[@]}"; do
  rustup target list --installed | grep -qx "$t" || rustup target add "$t"
done

export IPHONEOS_DEPLOYMENT_TARGET=13.0 MACOSX_DEPLOYMENT_TARGET=11.0
for t in "${TARGETS[@]}"; do
  cargo build -p videokit-ffi --profile release-mobile --target "$t"
done
lib() { echo "target/$1/release-mobile/libvideokit_ffi.a"; }

out=build/xcframework
rm -rf "$out" && mkdir -p "$out"/{ios,ios-sim,macos,headers}
cp "$(lib aarch64-apple-ios)" "$out/ios/libvideokit_ffi.a"
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$out/ios-sim/libvideokit_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$out/macos/libvideokit_ffi.a"
# Strip debug symbols from the shipped static libraries only (bindgen reads the host build).
for d in ios ios-sim macos; do strip -S "$out/$d/libvideokit_ffi.a" 2>/dev/null || true; done

# Bindings from the unstripped host build (its UniFFI metadata).
cargo build -p videokit-ffi --profile release-mobile
cargo run -q -p uniffi-bindgen -- generate --library target/release-mobile/libvideokit_ffi.dylib \
  --config uniffi.toml --language swift --out-dir "$out/generated"
cp "$out/generated/videokit_ffiFFI.h" "$out/headers/"
cp "$out/generated/videokit_ffiFFI.modulemap" "$out/headers/module.modulemap"
mkdir -p swift-package/Sources/VideoKitCore/Generated
cp "$out/generated/VideoKitCore.swift" swift-package/Sources/VideoKitCore/Generated/

xcf=swift-package/videokit_ffiFFI.xcframework
rm -rf "$xcf"
xcodebuild -create-xcframework \
  -library "$out/ios/libvideokit_ffi.a" -headers "$out/headers" \
  -library "$out/ios-sim/libvideokit_ffi.a" -headers "$out/headers" \
  -library "$out/macos/libvideokit_ffi.a" -headers "$out/headers" \
  -output "$xcf"
(cd swift-package && rm -f videokit_ffiFFI.xcframework.zip && zip -qry videokit_ffiFFI.xcframework.zip videokit_ffiFFI.xcframework)
sum=$(cd swift-package && swift package compute-checksum videokit_ffiFFI.xcframework.zip)
sed -i '' -E "s/^let releaseChecksum = \".*\"/let releaseChecksum = \"$sum\"/" swift-package/Package.swift
if [[ -n "$RELEASE_URL" ]]; then
  sed -i '' -E "s#^let releaseURL = \".*\"#let releaseURL = \"$RELEASE_URL\"#" swift-package/Package.swift
fi
echo "xcframework: $xcf"
echo "zip:         swift-package/videokit_ffiFFI.xcframework.zip ($(du -h swift-package/videokit_ffiFFI.xcframework.zip | cut -f1))"
echo "checksum:    $sum (written to swift-package/Package.swift)"
