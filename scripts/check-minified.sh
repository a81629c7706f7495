#!/usr/bin/env bash
# The minified-build check: does an app's release build, shrunk + obfuscated + optimized with
# the SDK's consumer rules, still work?
#
#   1. the Kotlin layer (src/main + src/android) and the generated bindings, compiled for JVM 11
#      (ProGuard 6.2.2 reads class files up to Java 13) against android-aar/android-stubs, by
#      scripts/check-android-sources.sh (run here unless its output is newer than the sources);
#   2. an app (android-aar/src/test/resources/ReleaseApp.kt: every start mode, callbacks and
#      suspend, listeners, store, provider, the default Logcat logger, the main error kinds);
#   3. app + SDK + kotlin-stdlib (+ its annotations jar) + kotlinx-coroutines + JNA as ProGuard
#      program jars, shrunk + obfuscated + optimized using exactly android-aar/consumer-rules.pro,
#      the rules coroutines ship (META-INF/proguard/coroutines.pro; JNA ships none) and the app's one rule (keep
#      its main), against library jars standing in for a device: the JDK's java.base and
#      java.logging (class files relabelled Java 11 so that ProGuard reads them) and the stubs;
#   4. the minified app run against `videokit serve` (127.0.0.1, port 0, stopped at the end).
#
# Checks, closing with "N passed, N failed":
#   - with android-aar/consumer-rules.pro the app passes every check;
#   - the test of the check: with the rules before issue 14
#     (android-aar/src/test/resources/proguard/consumer-rules-before-issue-14.pro) it fails,
#     with JNA's "Structure.getFieldOrder() ... does not provide enough names";
#   - no android.* class is in the minified app (the stubs stand in for the device's).
#
#   bash scripts/check-minified.sh                 # the check and the test of the check (CI)
#   bash scripts/check-minified.sh --each-rule     # also: drop each rule of consumer-rules.pro in
#                                                  # turn; every drop must break the build or the app
#   bash scripts/check-minified.sh --rules FILE    # only FILE (exit 0 iff the app passes)
#   ... --no-build                                 # reuse the jars of an earlier run (iterating on rules)
#
# What it cannot cover that R8 would: see docs/RELIABILITY.md ("Minified release builds").
# Installs what is missing: proguard-cli (apt-get) and, through scripts/build-jvm.sh, the
# Kotlin compiler, JNA and JUnit. VIDEOKIT_CLI=/path/to/videokit uses a prebuilt CLI.
set -uo pipefail
cd "$(dirname "$0")/.."
t_start=$SECONDS

each_rule=0
only_rules=""
build=1
while (($#)); do
  case "$1" in
    --each-rule) each_rule=1; shift ;;
    --rules) only_rules="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "check-minified.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

rules=android-aar/consumer-rules.pro
old_rules=android-aar/src/test/resources/proguard/consumer-rules-before-issue-14.pro
root="$(pwd)"
out="$root/build/minified" # absolute: ProGuard reads paths relative to its configuration file
passed=0
failed=0
result() { # ok|FAIL, text
  echo "$1$( [[ $1 == ok ]] && echo "  " || echo " ") $2"
  if [[ $1 == ok ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
finish() {
  echo "check-minified: $((SECONDS - t_start)) s"
  echo "$passed passed, $failed failed"
  [[ $failed == 0 && $passed != 0 ]] && exit 0 || exit 1
}
die() { echo "check-minified.sh: $*" >&2; result FAIL "$*"; finish; }

# ---- tools ----
if ! command -v proguard >/dev/null 2>&1; then
  sudo_cmd=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo_cmd=(sudo -n)
    else die "proguard not found and no root to apt-get install proguard-cli"; fi
  fi
  echo "check-minified: installing proguard-cli (apt-get)"
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq proguard-cli >/dev/null || die "apt-get install proguard-cli failed"
fi
if ((build)) || [[ ! -f build/jvm/env.sh ]]; then
  bash scripts/build-jvm.sh --no-compile || die "build-jvm.sh --no-compile failed"
fi
# shellcheck source=/dev/null
source build/jvm/env.sh
lib="$root/build/jvm/lib"
command -v jimage >/dev/null 2>&1 || die "jimage not found (part of the JDK 17)"
[[ -f "$KOTLIN_LIB/annotations-13.0.jar" ]] || die "$KOTLIN_LIB/annotations-13.0.jar missing (kotlin-stdlib's dependency)"

rm -rf "$out/runs"
mkdir -p "$out/runs"
jdk_lib="$out/jdk-java.base-java.logging-as-java11.jar"
[[ -f "$out/app.jar" && -f "$out/videokit-jvm11.jar" && -f "$out/android-stubs.jar" ]] || build=1
if ((build)); then
rm -rf "$out/sdk"
mkdir -p "$out/sdk"

# ---- library jars: a device's framework, as far as this SDK goes ----
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac || command -v java)")")")"
if [[ ! -f "$jdk_lib" || "$java_home/lib/modules" -nt "$jdk_lib" ]]; then
  echo "check-minified: extracting java.base and java.logging from $java_home for ProGuard"
  rm -rf "$out/jdk"
  jimage extract --dir "$out/jdk" --include 'regex:/java\.(base|logging)/.*\.class' "$java_home/lib/modules" || die "jimage extract failed"
  python3 - "$out/jdk" "$jdk_lib" <<'EOF' || die "could not write the JDK library jar"
# Library classes only give ProGuard names, hierarchy and signatures; it refuses class files
# newer than Java 13, so they are relabelled Java 11 (55). Nothing here is ever run.
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for mod in sorted(os.listdir(src)):
        for d, _, files in os.walk(os.path.join(src, mod)):
            for f in sorted(files):
                if f.endswith(".class") and f != "module-info.class":
                    p = os.path.join(d, f)
                    b = bytearray(open(p, "rb").read())
                    if int.from_bytes(b[6:8], "big") > 55:
                        b[4:8] = bytes([0, 0, 0, 55])
                    z.writestr(os.path.relpath(p, os.path.join(src, mod)), bytes(b))
os.replace(dst + ".tmp", dst)
EOF
  rm -rf "$out/jdk"
fi
# The stubs and the JVM 11 classes of src/main + src/android + bindings: what
# scripts/check-android-sources.sh compiles (run here when absent or older than the sources).
check_dir="$root/build/android-check"
inputs_hash() { find android-aar/src/main android-aar/src/android android-aar/android-stubs build/generated/kotlin -type f | sort | xargs sha256sum | sha256sum | cut -d' ' -f1; }
if [[ ! -d "$check_dir/all" || "$(cat "$check_dir/inputs.sha256" 2>/dev/null)" != "$(inputs_hash)" ]]; then
  bash scripts/check-android-sources.sh > "$out/check-android-sources.log" 2>&1 || { cat "$out/check-android-sources.log"; die "check-android-sources.sh failed"; }
fi
(cd "$check_dir/stubs" && jar cf "$out/android-stubs.jar" .)
cp -r "$check_dir/all/." "$out/sdk/"
mkdir -p "$out/sdk/$VIDEOKIT_PLATFORM"
cp build/jvm/"$VIDEOKIT_PLATFORM"/libvideokit_ffi.* "$out/sdk/$VIDEOKIT_PLATFORM/"
rm -f "$out/videokit-jvm11.jar"
(cd "$out/sdk" && jar cf ../videokit-jvm11.jar .)
echo "check-minified: compiling the app (ReleaseApp.kt)"
if ! "$KOTLINC" -nowarn -jvm-target 11 -cp "$out/videokit-jvm11.jar:$lib/kotlinx-coroutines-core-jvm.jar:$lib/jna.jar" \
    -d "$out/app.jar" android-aar/src/test/resources/ReleaseApp.kt > "$out/app-compile.log" 2>&1; then
  grep -v 'unable to find kotlin-stdlib' "$out/app-compile.log" >&2
  die "ReleaseApp.kt does not compile"
fi
# The rules coroutines ship for ProGuard (R8 reads its own copy under META-INF/com.android.tools).
python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("META-INF/proguard/coroutines.pro"))' \
  "$lib/kotlinx-coroutines-core-jvm.jar" > "$out/coroutines.pro" || die "no META-INF/proguard/coroutines.pro in kotlinx-coroutines"
fi # build

# ---- the backend ----
if [[ -n "${VIDEOKIT_CLI:-}" ]]; then
  cli="$VIDEOKIT_CLI"
else
  cargo build --quiet -p videokit-cli || die "cargo build -p videokit-cli failed"
  cli="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/videokit"
fi
source scripts/lib/serve.sh
SERVE_ERR="$out/devserver.err" serve_start "$cli" || die "'videokit serve' did not start on 127.0.0.1"
base="$SERVE_BASE"

# ---- one variant: ProGuard with RULES, then the app ----
# Sets variant_status (pass | proguard-failed | app-failed) and variant_dir.
filter='(!META-INF/MANIFEST.MF,!META-INF/versions/**,!**/module-info.class)'
run_variant() { # name, rules file
  local name="$1" rules_file="$2"
  variant_dir="$out/runs/$name"
  mkdir -p "$variant_dir"
  cat > "$variant_dir/proguard.pro" <<EOF
# Generated by scripts/check-minified.sh: an app's release build of ReleaseApp.kt.
-injars $out/app.jar$filter
-injars $out/videokit-jvm11.jar$filter
-injars $lib/kotlin-stdlib.jar$filter
-injars $KOTLIN_LIB/annotations-13.0.jar$filter
-injars $lib/kotlinx-coroutines-core-jvm.jar$filter
-injars $lib/jna.jar$filter
-outjars $variant_dir/app-minified.jar
-libraryjars $jdk_lib
-libraryjars $out/android-stubs.jar
-printmapping $variant_dir/mapping.txt

# The SDK's rules, exactly as an app gets them from the AAR.
-include $(cd "$(dirname "$rules_file")" && pwd)/$(basename "$rules_file")
# The rules kotlinx-coroutines ships.
-include $out/coroutines.pro

# The app's own rules: its entry point (on Android, AAPT2 derives these from the manifest),
# and a class of android.jar that coroutines' agent refers to (not in the stubs, which hold
# only what src/android uses).
-keep class ReleaseAppKt { public static void main(java.lang.String[]); }
-dontwarn android.annotation.SuppressLint

# Shrink, obfuscate and optimize (ProGuard's defaults; 2 passes).
-optimizationpasses 2
EOF
  if ! proguard @"$variant_dir/proguard.pro" > "$variant_dir/proguard.log" 2>&1; then
    variant_status=proguard-failed
    return
  fi
  if "${timeout_cmd[@]}" java -cp "$variant_dir/app-minified.jar:$out/android-stubs.jar" ReleaseAppKt "$base" \
      > "$variant_dir/app.out" 2> "$variant_dir/app.err"; then
    variant_status=pass
  else
    variant_status=app-failed
  fi
}
timeout_cmd=()
command -v timeout >/dev/null 2>&1 && timeout_cmd=(timeout --kill-after=10 300)
why() { # the first line that says why the last variant failed
  if [[ $variant_status == proguard-failed ]]; then
    grep -hE '^(Warning|Error): ' "$variant_dir/proguard.log" | grep -v '^Warning: there were' | head -1 | cut -c1-220
  else
    { grep -h '^FAIL ' "$variant_dir/app.out"; grep -hE 'Exception|Error' "$variant_dir/app.err" "$variant_dir/app.out"; } 2>/dev/null \
      | head -1 | cut -c1-220
  fi
}

if [[ -n "$only_rules" ]]; then
  run_variant only "$only_rules"
  echo "check-minified: $only_rules: $variant_status"
  [[ $variant_status == pass ]] && result ok "app minified with $only_rules" || { why; result FAIL "app minified with $only_rules ($variant_status)"; }
  finish
fi

# ---- the check: the final rules ----
echo "check-minified: ProGuard with $rules, then the app against $base"
run_variant final "$rules"
final_dir="$variant_dir"
if [[ $variant_status == pass ]]; then
  cat "$variant_dir/app.out" | sed 's/^/    /'
  result ok "minified app passes every check with $rules ($(grep -E '^[0-9]+ passed' "$variant_dir/app.out"))"
else
  [[ -f "$variant_dir/app.out" ]] && sed 's/^/    /' "$variant_dir/app.out"
  grep -E '^(Warning|Error)' "$variant_dir/proguard.log" | head -20
  grep -v '^logcat ' "$variant_dir/app.err" 2>/dev/null | head -20
  result FAIL "minified app with $rules: $variant_status"
fi
if [[ -f "$final_dir/app-minified.jar" ]]; then
  if python3 -c 'import sys, zipfile; sys.exit(any(n.startswith("android/") for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$final_dir/app-minified.jar"; then
    result ok "no android.* class in the minified app"
  else
    result FAIL "the minified app contains android.* classes (the stubs must stay library classes)"
  fi
fi

# ---- the test of the check: the rules before issue 14 must fail, for the known reason ----
echo "check-minified: ProGuard with $old_rules (must fail)"
run_variant before-issue-14 "$old_rules"
if [[ $variant_status == app-failed ]] && grep -q 'getFieldOrder() on class .* does not provide enough names' "$variant_dir/app.out" "$variant_dir/app.err"; then
  result ok "test of the check: the rules before issue 14 fail ($(why))"
else
  result FAIL "test of the check: the rules before issue 14 gave '$variant_status', not JNA's getFieldOrder failure"
fi

# Sizes: what the narrower rules save.
if [[ -f "$final_dir/app-minified.jar" && -f "$variant_dir/app-minified.jar" ]]; then
  classes_size() { python3 -c 'import sys, zipfile; print(sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist() if i.filename.endswith(".class")))' "$1"; }
  echo "check-minified: classes in the minified app: $(classes_size "$final_dir/app-minified.jar") bytes with $rules," \
    "$(classes_size "$variant_dir/app-minified.jar") with the rules before issue 14"
fi

# ---- optional: every rule is needed ----
if ((each_rule)); then
  python3 - "$rules" "$out/runs" <<'EOF' > "$out/rules.list" || die "could not split $rules"
# Split a rules file into rules (a line starting with '-', plus continuation lines until the
# braces close); write one file per dropped rule.
import os, sys
lines = open(sys.argv[1]).read().splitlines()
rules, cur, depth = [], [], 0
for i, line in enumerate(lines):
    s = line.strip()
    if not cur and not s.startswith("-"):
        continue
    cur.append(i)
    depth += s.count("{") - s.count("}")
    if depth <= 0:
        rules.append(cur); cur, depth = [], 0
for n, idx in enumerate(rules, 1):
    d = os.path.join(sys.argv[2], f"drop-{n}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "rules.pro"), "w") as f:
        f.write("\n".join(l for i, l in enumerate(lines) if i not in idx) + "\n")
    print(f"drop-{n}\t" + " ".join(lines[i].strip() for i in idx))
EOF
  while IFS=$'\t' read -r name rule; do
    run_variant "$name" "$out/runs/$name/rules.pro"
    if [[ $variant_status == pass ]]; then
      result FAIL "rule not needed (the app passes without it): $rule"
    else
      result ok "rule needed: $rule -> $variant_status: $(why)"
    fi
  done < "$out/rules.list"
fi

finish
