#!/usr/bin/env bash
# Generates the UniFFI bindings (Kotlin and Swift) from the host-built videokit-ffi library.
# Nothing generated is committed: the outputs go to ignored build folders.
#
#   bash scripts/generate-bindings.sh              # debug build of the library (fast)
#   bash scripts/generate-bindings.sh --release    # the shipped profile (release-mobile)
#   bash scripts/generate-bindings.sh --kotlin-only | --swift-only
#
# Outputs:
#   build/generated/kotlin/io/videokit/core/ffi/videokit.kt   (Kotlin package io.videokit.core.ffi)
#   build/generated/swift/VideoKitFFI.swift, videokit_ffiFFI.h, videokit_ffiFFI.modulemap
#   build/generated/library-path   (the library the bindings were generated from)
#
# Bindings are generated in library mode from an *unstripped* library (the UniFFI metadata
# lives in its symbols), with the options of uniffi.toml. Our uniffi-bindgen
# (bindings/uniffi-bindgen/main.rs) is UniFFI's, plus two steps on the Kotlin output for the
# cold start: unused `external fun`s removed, callback vtables registered on first use.
# Prerequisite: Rust (cargo).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
cargo_profile=()
languages=(kotlin swift)
for arg in "$@"; do
  case "$arg" in
    --release) profile=release-mobile; cargo_profile=(--profile release-mobile) ;;
    --kotlin-only) languages=(kotlin) ;;
    --swift-only) languages=(swift) ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "generate-bindings.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

if ! command -v cargo >/dev/null 2>&1; then
  echo "generate-bindings.sh: cargo not found; install Rust from https://rustup.rs" >&2
  exit 1
fi

target_dir="${CARGO_TARGET_DIR:-target}"
case "$(uname -s)" in
  Darwin) libfile=libvideokit_ffi.dylib ;;
  MINGW*|MSYS*|CYGWIN*) libfile=videokit_ffi.dll ;;
  *) libfile=libvideokit_ffi.so ;;
esac

echo "generate-bindings: building videokit-ffi (${profile}) and uniffi-bindgen"
# One cargo invocation when the profiles match: one feature resolution, no rebuild flip-flop.
if [[ "$profile" == debug ]]; then
  cargo build --quiet -p videokit-ffi -p uniffi-bindgen
else
  cargo build --quiet -p videokit-ffi "${cargo_profile[@]}"
  cargo build --quiet -p uniffi-bindgen
fi
lib="${target_dir}/${profile}/${libfile}"
bindgen="${target_dir}/debug/uniffi-bindgen"
[[ -f "$lib" ]] || { echo "generate-bindings.sh: $lib was not built" >&2; exit 1; }

mkdir -p build/generated
for lang in "${languages[@]}"; do
  out="build/generated/${lang}"
  rm -rf "$out"
  mkdir -p "$out"
  "$bindgen" generate --library "$lib" --config uniffi.toml --language "$lang" --no-format --out-dir "$out"
  echo "generate-bindings: ${lang} -> ${out}/ ($(find "$out" -type f | wc -l | tr -d ' ') files)"
done
echo "$lib" > build/generated/library-path
