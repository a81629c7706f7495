#!/usr/bin/env bash
# DocC documentation of VideoKitCore (the handwritten layer apps use), built from the compiled
# module's public symbol graph, with warnings as errors, and a check that every public symbol
# has a `///` comment:
#   build/docc/VideoKitCore.doccarchive     (not committed; `docc preview` or a static host)
#
#   bash scripts/swift-docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd -P)"
out="$root/build/docc"
rm -rf "$out"
mkdir -p "$out/symbols"
cd swift-package
case "$(uname -s)" in
  Darwin) triple="$(uname -m)-apple-macosx11.0" ;;
  *) triple="$(uname -m)-pc-linux-gnu" ;;
esac
# An up-to-date module first: symbol graphs read the sources' comments by the module's offsets.
bash "$root/scripts/swift.sh" build --target VideoKitCore >/dev/null
# The public API only; the generated bindings (VideoKitFFI) are an implementation detail.
bash "$root/scripts/swift.sh" symbolgraph-extract -module-name VideoKitCore -I .build/debug/Modules \
  -I Linux/videokit_ffiFFI -target "$triple" -minimum-access-level public -skip-synthesized-members \
  -output-dir "$out/symbols"
bash "$root/scripts/swift.sh" --exec docc convert Sources/VideoKitCore/VideoKitCore.docc \
  --additional-symbol-graph-dir "$out/symbols" --fallback-display-name VideoKitCore \
  --fallback-bundle-identifier io.videokit.VideoKitCore --output-path "$out/VideoKitCore.doccarchive" \
  --warnings-as-errors --analyze 2>&1 | tee "$out/docc.log"
status=${PIPESTATUS[0]}
if grep -qE "^warning:|: warning:" "$out/docc.log"; then
  echo "swift-docs: DocC warned (see above)" >&2
  exit 1
fi
((status == 0)) || exit "$status"
# Every public symbol of the layer has a DocC comment (the compiler and DocC do not require one).
python3 - "$out/symbols/VideoKitCore.symbols.json" <<'PY'
import json, sys
symbols = json.load(open(sys.argv[1]))["symbols"]
missing = [".".join(s["pathComponents"]) for s in symbols
           if s.get("accessLevel") in ("public", "open") and not s.get("docComment")]
for name in missing:
    print(f"swift-docs: public symbol without a /// comment: {name}", file=sys.stderr)
print(f"swift-docs: {len(symbols)} public symbols, {len(missing)} without documentation")
sys.exit(1 if missing else 0)
PY
pages=$(find "$out/VideoKitCore.doccarchive/data/documentation" -name '*.json' | wc -l | tr -d ' ')
echo "swift-docs: build/docc/VideoKitCore.doccarchive (${pages} pages), no warnings"
