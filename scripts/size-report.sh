#!/usr/bin/env bash
# Size of the shipped library: builds the host cdylib with the size-optimised profile
# (release-mobile), strips a copy (the shipped artifact; the unstripped one keeps the UniFFI
# metadata bindgen needs) and reports its size against the 1.5 MB target, then where the
# bytes go: per section, and per crate (scripts/bloat.py over `nm`; cargo-bloat refuses a
# crate that is cdylib + staticlib + lib).
#   bash scripts/size-report.sh [--no-bloat]
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_BYTES=$((1500 * 1000))
cargo build -p videokit-ffi --profile release-mobile --quiet
lib="${CARGO_TARGET_DIR:-target}"/release-mobile/libvideokit_ffi.so
mkdir -p build/size
cp "$lib" build/size/libvideokit_ffi.so
strip --strip-all build/size/libvideokit_ffi.so
unstripped=$(stat -c %s "$lib")
stripped=$(stat -c %s build/size/libvideokit_ffi.so)
echo "host cdylib (x86_64-unknown-linux-gnu, profile release-mobile)"
echo "  unstripped: ${unstripped} bytes"
echo "  stripped:   ${stripped} bytes ($(awk "BEGIN{printf \"%.2f\", ${stripped}/1000000}") MB; target <= 1.50 MB: $([[ $stripped -le $TARGET_BYTES ]] && echo met || echo MISSED))"
if [[ "${1:-}" != "--no-bloat" ]]; then
  echo
  echo "sections of the stripped library (bytes):"
  size -A build/size/libvideokit_ffi.so | awk 'NR>2 && $2>20000 {printf "  %-20s %10d\n", $1, $2}'
  echo
  echo "where the bytes go per crate (symbol sizes of the unstripped build):"
  python3 scripts/bloat.py "$lib" 25 | sed 's/^/  /'
fi
