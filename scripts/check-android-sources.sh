#!/usr/bin/env bash
# Type-checks the Android-only sources (android-aar/src/android/kotlin) without an Android SDK:
# kotlinc compiles them, with the Kotlin layer and the bindings, against
# android-aar/android-stubs (hand-written declarations of exactly the android.* members they
# use, each with its API level). Then, from the class files:
#   - every android.* member the sources use is declared in the stubs (kotlinc already says so)
#     and every stub member is used (the stubs stay "exactly what is used");
#   - every stub member's API level (its comment) is at most the module's minSdk;
#   - the stubs are in no artefact: no Gradle source set names them, and build/jvm/videokit.jar
#     has no android/ class.
# Leaves the compiled classes in build/android-check/classes (scripts/check-api-level.py scans
# them). Needs scripts/build-jvm.sh to have run (scripts/test.sh runs the Kotlin tests first);
# runs it with --no-compile when build/jvm/env.sh is missing. Closes with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/android-check
stubs=android-aar/android-stubs
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [[ $failed == 0 && $passed != 0 ]]; exit $?; }

[[ -f build/jvm/env.sh ]] || bash scripts/build-jvm.sh --no-compile || { bad "build-jvm.sh failed"; finish; }
# shellcheck source=/dev/null
source build/jvm/env.sh
lib=build/jvm/lib
rm -rf "$out"
mkdir -p "$out/stubs" "$out/classes"

if javac --release 11 -d "$out/stubs" $(find "$stubs" -name '*.java' | sort) 2> "$out/stubs.log"; then
  ok "the stubs compile (javac --release 11)"
else
  cat "$out/stubs.log"; bad "the stubs do not compile"; finish
fi
if "$KOTLINC" -nowarn -jvm-target 11 -no-reflect -module-name videokit \
    -cp "$lib/kotlinx-coroutines-core-jvm.jar:$lib/jna.jar:$out/stubs" -d "$out/all" \
    build/generated/kotlin android-aar/src/main/kotlin android-aar/src/android/kotlin > "$out/compile.log" 2>&1; then
  ok "src/android type-checks against the stubs (with src/main and the bindings)"
  # What was compiled, for check-minified.sh (which reuses these JVM 11 classes).
  find android-aar/src/main android-aar/src/android "$stubs" build/generated/kotlin -type f | sort | xargs sha256sum | sha256sum | cut -d' ' -f1 > "$out/inputs.sha256"
else
  grep -v 'unable to find kotlin-stdlib' "$out/compile.log"
  bad "src/android does not type-check against the stubs (a member missing from the stubs, or a type error)"
  finish
fi
# Only the classes compiled from src/android (their file names are the Kotlin files').
for f in android-aar/src/android/kotlin/io/videokit/core/*.kt; do
  n="$(basename "$f" .kt)"
  mkdir -p "$out/classes/io/videokit/core"
  cp "$out/all/io/videokit/core/$n".class "$out/all/io/videokit/core/$n"\$*.class "$out/classes/io/videokit/core/" 2>/dev/null
done

python3 - "$out/classes" "$out/stubs" "$stubs" android-aar/build.gradle.kts > "$out/members.txt" <<'EOF'
import os, re, sys
sys.path.insert(0, "scripts")
import classrefs
classes_dir, stubs_dir, stubs_src, gradle = sys.argv[1:5]
used = {r for r in classrefs.references(classrefs.load([classes_dir]), ["android."])}
declared = classrefs.declarations(classrefs.load([stubs_dir]))
# A member reference names the class it was compiled against; stubs declare it there.
used_members = {r for r in used if r[0] != "class"}
used_classes = {r[1] for r in used if r[0] == "class"} | {r[1] for r in used_members}
declared_members = {d for d in declared if d[0] != "class"}
declared_classes = {d[1] for d in declared if d[0] == "class"}
# Constants are inlined by the compiler: a used constant leaves no reference. Count a stub field
# as used when src/android names it.
src = "".join(open(os.path.join(d, f)).read() for d, _, fs in os.walk("android-aar/src/android") for f in fs if f.endswith(".kt"))
def is_used(d):
    if d in used_members:
        return True
    kind, owner, name, desc = d
    if kind == "field":
        return re.search(r"\b" + re.escape(owner.split(".")[-1].split("$")[-1]) + r"\." + re.escape(name) + r"\b", src) is not None
    if name == "<init>" and owner.endswith("$Builder"):
        return any(u[1] == owner for u in used_members)
    return False
status = 0
unused = sorted(classrefs.fmt(d) for d in declared_members if not is_used(d))
missing = sorted(classrefs.fmt(u) for u in used_members if u not in declared_members)
unused_classes = sorted(c for c in declared_classes - used_classes - {u.rsplit("$", 1)[0] for u in used_classes}
                        if not any(d[1] == c and is_used(d) for d in declared_members))
print(("ok   " if not missing else "FAIL ") + f"every android.* member src/android uses is declared in the stubs ({len(used_members)} used)")
for m in missing: print("       missing: " + m)
print(("ok   " if not unused and not unused_classes else "FAIL ") + f"every stub member is used by src/android ({len(declared_members)} declared)")
for m in unused + unused_classes: print("       not used: " + m)
# API levels in the stubs' comments, against minSdk.
min_sdk = int(re.search(r"val videokitMinSdk\s*=\s*(\d+)", open(gradle).read()).group(1))
levels = []
for d, _, fs in os.walk(stubs_src):
    for f in fs:
        if f.endswith(".java"):
            for n, line in enumerate(open(os.path.join(d, f)), 1):
                m = re.search(r"\bAPI (\d+)\b", line)
                if m:
                    levels.append((int(m.group(1)), f"{f}:{n}"))
too_new = [(l, w) for l, w in levels if l > min_sdk]
print(("ok   " if levels and not too_new else "FAIL ") + f"every stub member's API level is at most minSdk {min_sdk} (highest: {max(l for l, _ in levels)})")
for l, w in too_new: print(f"       API {l} > {min_sdk}: {w}")
sys.exit(1 if missing or unused or unused_classes or too_new or not levels else 0)
EOF
cat "$out/members.txt"
passed=$((passed + $(grep -c '^ok ' "$out/members.txt")))
failed=$((failed + $(grep -c '^FAIL ' "$out/members.txt")))
grep -qE '^(ok|FAIL) ' "$out/members.txt" || bad "the member check did not run"

# Never in an artefact.
if grep -q 'android-stubs' android-aar/build.gradle.kts; then bad "build.gradle.kts names android-stubs (it must stay out of the AAR)"
else ok "no Gradle source set names android-stubs (the AAR compiles against android.jar)"; fi
if [[ -f build/jvm/videokit.jar ]]; then
  if python3 -c 'import sys, zipfile; sys.exit(any(n.startswith("android/") for n in zipfile.ZipFile(sys.argv[1]).namelist()))' build/jvm/videokit.jar; then
    ok "no android/ class in build/jvm/videokit.jar"
  else bad "build/jvm/videokit.jar contains android/ classes"; fi
fi
finish
