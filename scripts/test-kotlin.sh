#!/usr/bin/env bash
# The Kotlin layer's tests on the desktop JVM, against the host-built Rust library and the
# devserver (`videokit serve --port 0 --json`, started by the tests and killed at the end):
#   1. scripts/build-jvm.sh: tools, bindings, build/jvm/videokit.jar
#   2. JUnit 4 tests in android-aar/src/test/kotlin (runner: io.videokit.core.TestMainKt)
#   3. the README's Kotlin example (android-aar/src/test/resources/ReadmeExample.kt) compiled
#      against the jar alone and run against the devserver: state ACTIVE and a token
#   4. the Java example (JavaExample.java) compiled with javac and run likewise
# Closes with exactly "N passed, N failed" (all of the above); exits non-zero on any failure.
# JNA here is Debian's libjna-java (5.13.0 on Debian 12); the AAR declares 5.17.0 @aar. The
# bindings use only JNA's core API (Native.register, Structure/@FieldOrder, Callback, Pointer,
# internal.Cleaner), unchanged within 5.x; 5.17.0's change is how its Android
# libjnidispatch.so is linked (16 KB pages), which build-aar.sh checks (README, "Which JNA").
#
#   bash scripts/test-kotlin.sh                  # everything
#   bash scripts/test-kotlin.sh ErrorsTest ...   # only these JUnit classes (examples still run)
#   VIDEOKIT_CLI=/path/to/videokit bash scripts/test-kotlin.sh   # use a prebuilt CLI
set -uo pipefail
cd "$(dirname "$0")/.."
t_start=$SECONDS
out=build/jvm
examples="$out/examples"
extra_passed=0
extra_failed=0
check() { # name, command...
  local name="$1"; shift
  if "$@"; then
    echo "ok   $name"; extra_passed=$((extra_passed + 1))
  else
    echo "FAIL $name"; extra_failed=$((extra_failed + 1))
  fi
}
finish() {
  echo "test-kotlin: $((SECONDS - t_start)) s"
  echo "$1 passed, $2 failed"
  [[ "$2" == 0 && "$1" != 0 ]] && exit 0 || exit 1
}

if ! bash scripts/build-jvm.sh; then
  echo "test-kotlin: build-jvm.sh failed"
  finish 0 1
fi
# shellcheck source=/dev/null
source "$out/env.sh"

if [[ -n "${VIDEOKIT_CLI:-}" ]]; then
  cli="$VIDEOKIT_CLI" # a prebuilt `videokit` binary
else
  echo "test-kotlin: building the devserver CLI (videokit-cli)"
  if ! cargo build --quiet -p videokit-cli; then
    echo "test-kotlin: cargo build -p videokit-cli failed"
    finish 0 1
  fi
  cli="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/videokit" # CARGO_TARGET_DIR may be absolute
fi

# ---- JUnit ----
echo "test-kotlin: compiling the tests"
rm -rf "$out/test-classes"
mkdir -p "$out/test-classes"
# The tests are friends of the layer's module (they may test its internal classes).
if ! "$KOTLINC" -jvm-target 17 -module-name videokit -Xfriend-paths="$out/videokit.jar" -cp "$VIDEOKIT_COMPILE_CP:$JUNIT_CP" -d "$out/test-classes" android-aar/src/test/kotlin > "$out/test-compile.log" 2>&1; then
  grep -v 'unable to find kotlin-stdlib' "$out/test-compile.log"
  echo "test-kotlin: the tests do not compile"
  finish 0 1
fi
grep -v 'unable to find kotlin-stdlib' "$out/test-compile.log" || true

echo "test-kotlin: running JUnit tests"
timeout_cmd=()
command -v timeout >/dev/null 2>&1 && timeout_cmd=(timeout --kill-after=10 900)
"${timeout_cmd[@]}" java -cp "$out/test-classes:$VIDEOKIT_CP:$JUNIT_CP" -Dvideokit.cli="$cli" \
  io.videokit.core.TestMainKt "$@" 2>&1 | tee "$out/test-output.txt"
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/test-output.txt" | tail -1)"
if [[ -n "$summary" ]]; then
  junit_passed="${summary%% passed*}"
  junit_failed="${summary##*, }"; junit_failed="${junit_failed%% failed}"
else
  echo "test-kotlin: the JUnit runner did not finish (crash or timeout)"
  junit_passed=0; junit_failed=1
fi

# ---- the README and Java examples, against a devserver of their own ----
rm -rf "$examples"
mkdir -p "$examples/java"
source scripts/lib/serve.sh
# On failure the checks below fail (base empty) and the summary counts them.
SERVE_ERR="$examples/devserver.err" serve_start "$cli" 2>&1 || true
base="$SERVE_BASE"

# The user's compile classpath is what the README names: the jar + coroutines + JNA.
check "README example compiles against $out/videokit.jar" \
  "$KOTLINC" -jvm-target 17 -nowarn -cp "$VIDEOKIT_COMPILE_CP" -d "$examples/readme.jar" android-aar/src/test/resources/ReadmeExample.kt
check "README example gets state ACTIVE and a token from videokit serve" \
  bash -c '[[ -n "$1" ]] && java -cp "$2:$3" ReadmeExampleKt "$1"' _ "$base" "$examples/readme.jar" "$VIDEOKIT_CP"
check "Java example compiles (javac)" \
  javac -cp "$VIDEOKIT_CP" -d "$examples/java" android-aar/src/test/resources/JavaExample.java
check "Java example runs against videokit serve" \
  bash -c '[[ -n "$1" ]] && java -cp "$2:$3" JavaExample "$1"' _ "$base" "$examples/java" "$VIDEOKIT_CP"
serve_stop

finish $((junit_passed + extra_passed)) $((junit_failed + extra_failed))
