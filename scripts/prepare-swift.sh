#!/usr/bin/env bash
# Prepares swift-package/ for `swift build` / `swift test` / `swift run` on Linux (and writes
# the generated Swift on any OS): builds videokit-ffi, generates its UniFFI bindings, and puts
#   swift-package/Sources/VideoKitFFI/VideoKitFFI.swift        the generated Swift bindings
#   swift-package/Linux/videokit_ffiFFI/videokit_ffiFFI.h      the generated C header
#   swift-package/Linux/videokit_ffiFFI/module.modulemap       its module map (links videokit_ffi)
#   swift-package/Linux/lib/libvideokit_ffi.so                 the library (Package.swift links it
#                                                              and sets the rpath to this folder)
# All of them are gitignored. Run it again after changing Rust code under bindings/ or core/.
#
#   bash scripts/prepare-swift.sh              # debug build (fast; what the tests use)
#   bash scripts/prepare-swift.sh --release    # the shipped profile (release-mobile; benchmarks)
#
# Also builds the `videokit` CLI (the tests start `videokit serve`). Needs Rust (cargo).
# On macOS the C module comes from the XCFramework instead (scripts/build-xcframework.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd -P)"

gen_args=(--swift-only)
profile=debug
for arg in "$@"; do
  case "$arg" in
    --release) gen_args+=(--release); profile=release-mobile ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "prepare-swift.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

bash scripts/generate-bindings.sh "${gen_args[@]}"
echo "prepare-swift: building the videokit CLI (debug) for the tests' devserver"
cargo build --quiet -p videokit-cli

gen=build/generated/swift
pkg=swift-package
lib="$(cat build/generated/library-path)"

mkdir -p "$pkg/Sources/VideoKitFFI"
cp "$gen/VideoKitFFI.swift" "$pkg/Sources/VideoKitFFI/VideoKitFFI.swift"

if [[ "$(uname -s)" != Darwin ]]; then
  mod="$pkg/Linux/videokit_ffiFFI"
  rm -rf "$pkg/Linux"
  mkdir -p "$mod" "$pkg/Linux/lib"
  cp "$gen/videokit_ffiFFI.h" "$mod/"
  # UniFFI's module map is for Apple's clang: `use "_Builtin_…"` names Clang modules that a
  # non-Apple clang may not have (uniffi-rs issue 2917). The header includes the same headers
  # itself, so the uses are dropped; the module links the Rust library.
  {
    echo "module videokit_ffiFFI {"
    echo "    header \"videokit_ffiFFI.h\""
    echo "    link \"videokit_ffi\""
    echo "    export *"
    echo "}"
  } >"$mod/module.modulemap"
  cp "$lib" "$pkg/Linux/lib/libvideokit_ffi.so"
fi

echo "prepare-swift: ${pkg} is ready (${profile} library: ${lib})"
