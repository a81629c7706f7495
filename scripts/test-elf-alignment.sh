#!/usr/bin/env bash
# Tests of scripts/check-elf-alignment.py (the 16 KB page-size check build-aar.sh runs on every
# .so of the AAR and of JNA's AAR), on libraries built here: a C library linked with
# -z max-page-size=16384 (must pass) and one with 4096 (must fail), alone, in a directory and
# inside an AAR-shaped zip; an archive without libraries and a file that is not ELF (must fail);
# and the alignments it reads agree with readelf's on every library, the host-built
# libvideokit_ffi.so included when it exists. Closes with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
check=scripts/check-elf-alignment.py
passed=0
failed=0
t() { # name, expected exit code, command...
  local name="$1" want="$2"; shift 2
  local got
  "$@" > "$tmp/out" 2>&1
  got=$?
  if [[ $got == "$want" ]]; then
    echo "ok   $name"; passed=$((passed + 1))
  else
    echo "FAIL $name (exit $got, wanted $want)"; sed 's/^/     /' "$tmp/out"; failed=$((failed + 1))
  fi
}
has() { grep -q -- "$1" "$tmp/out"; }

command -v cc >/dev/null 2>&1 || { echo "test-elf-alignment: no C compiler (cc)"; echo "0 passed, 1 failed"; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf 'int vk_answer(void) { return 42; }\nint vk_data[4096] = {1};\n' > "$tmp/x.c"
cc -shared -fPIC -O1 -Wl,-z,max-page-size=16384 -Wl,-z,common-page-size=16384 -o "$tmp/lib16k.so" "$tmp/x.c" || exit 1
cc -shared -fPIC -O1 -Wl,-z,max-page-size=4096 -Wl,-z,common-page-size=4096 -o "$tmp/lib4k.so" "$tmp/x.c" || exit 1
mkdir -p "$tmp/aar/jni/arm64-v8a" "$tmp/aar/jni/x86_64" "$tmp/good/jni/arm64-v8a" "$tmp/empty"
cp "$tmp/lib16k.so" "$tmp/aar/jni/arm64-v8a/libvideokit_ffi.so"
cp "$tmp/lib4k.so" "$tmp/aar/jni/x86_64/libjnidispatch.so"
cp "$tmp/lib16k.so" "$tmp/good/jni/arm64-v8a/libjnidispatch.so"
echo '<manifest/>' > "$tmp/empty/AndroidManifest.xml"
(cd "$tmp/aar" && python3 -m zipfile -c ../mixed.aar jni)
(cd "$tmp/good" && python3 -m zipfile -c ../good.aar jni)
(cd "$tmp/empty" && python3 -m zipfile -c ../empty.aar AndroidManifest.xml)
printf 'not an ELF file at all, just text\n' > "$tmp/fake.so"

t "16 KB-linked library passes" 0 python3 "$check" "$tmp/lib16k.so"
has "min align 16384 (2\*\*14): ok" || { echo "FAIL   ... its line names 16384"; failed=$((failed + 1)); }
t "4 KB-linked library fails" 1 python3 "$check" "$tmp/lib4k.so"
has "min align 4096 (2\*\*12): NOT 16 KB aligned" || { echo "FAIL   ... its line names 4096"; failed=$((failed + 1)); }
t "4 KB-linked library passes with --min 4096" 0 python3 "$check" --min 4096 "$tmp/lib4k.so"
t "AAR with one 4 KB library among 16 KB ones fails" 1 python3 "$check" "$tmp/mixed.aar"
has "mixed.aar!jni/x86_64/libjnidispatch.so: x86_64, .* NOT 16 KB aligned" && has "mixed.aar!jni/arm64-v8a/libvideokit_ffi.so: .*: ok" \
  || { echo "FAIL   ... one line per library of the AAR"; failed=$((failed + 1)); }
t "AAR whose libraries are all 16 KB aligned passes" 0 python3 "$check" "$tmp/good.aar"
t "directory is searched for .so files" 1 python3 "$check" "$tmp/aar"
has "1 of 2 libraries" || { echo "FAIL   ... counts 1 of 2"; failed=$((failed + 1)); }
if cc -m32 -shared -fPIC -Wl,-z,max-page-size=4096 -o "$tmp/lib32.so" "$tmp/x.c" 2>/dev/null; then
  t "32-bit 4 KB library fails" 1 python3 "$check" "$tmp/lib32.so"
  t "32-bit 4 KB library is only reported with --64-bit-only" 0 python3 "$check" --64-bit-only "$tmp/lib32.so"
  has "x86, .* NOT 16 KB aligned (32-bit: reported, not required)" || { echo "FAIL   ... says so"; failed=$((failed + 1)); }
fi
t "64-bit 4 KB library still fails with --64-bit-only" 1 python3 "$check" --64-bit-only "$tmp/lib4k.so"
# A Rust cdylib linked with the flag android-aar/build.gradle.kts gives cargo-ndk (host linker
# here; the NDK's lld honours the same -z max-page-size).
flag="$(grep -o 'link-arg=-Wl,-z,max-page-size=[0-9]*' android-aar/build.gradle.kts | head -1)"
if command -v rustc >/dev/null 2>&1 && [[ -n "$flag" ]]; then
  printf '#[no_mangle]\npub extern "C" fn vk_answer() -> i32 { 42 }\n' > "$tmp/lib.rs"
  rustc --edition 2021 --crate-type cdylib -C "$flag" -o "$tmp/librust16k.so" "$tmp/lib.rs" \
    && t "Rust cdylib linked with build.gradle.kts's flag ($flag) passes" 0 python3 "$check" "$tmp/librust16k.so"
  rustc --edition 2021 --crate-type cdylib -C link-arg=-Wl,-z,max-page-size=4096 -o "$tmp/librust4k.so" "$tmp/lib.rs" \
    && t "Rust cdylib linked with max-page-size=4096 fails" 1 python3 "$check" "$tmp/librust4k.so"
else
  echo "FAIL no rustc, or no max-page-size flag in android-aar/build.gradle.kts"; failed=$((failed + 1))
fi
t "archive without a library fails (nothing checked is not a pass)" 1 python3 "$check" "$tmp/empty.aar"
t "a .so that is not ELF fails" 1 python3 "$check" "$tmp/fake.so"

# The values agree with readelf's (binutils) on the test libraries and real ones.
libs=("$tmp/lib16k.so" "$tmp/lib4k.so")
for l in build/jvm/linux-x86-64/libvideokit_ffi.so /usr/lib/x86_64-linux-gnu/jni/libjnidispatch.system.so; do
  [[ -f "$l" ]] && libs+=("$l")
done
if command -v readelf >/dev/null 2>&1; then
  for l in "${libs[@]}"; do
    want="$(for a in $(readelf -lW "$l" | awk '$1 == "LOAD" {print $NF}'); do echo $((a)); done | sort -n | head -1)"
    python3 "$check" "$l" > "$tmp/out" 2>&1
    got="$(sed -n 's/.*min align \([0-9]*\) .*/\1/p' "$tmp/out")"
    if [[ -n "$want" && "$got" == "$want" ]]; then
      echo "ok   $(basename "$l"): min LOAD align $got, as readelf reads it"; passed=$((passed + 1))
    else
      echo "FAIL $(basename "$l"): check says '$got', readelf '$want'"; failed=$((failed + 1))
    fi
  done
fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
