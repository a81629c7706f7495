#!/usr/bin/env bash
# Builds the Kotlin layer (android-aar/src/main/kotlin) plus the generated bindings for the
# desktop JVM, against the host-built Rust library. This is how the binding layer is tested
# on machines without an Android SDK (here and in CI).
#
#   bash scripts/build-jvm.sh [--release]      # --release: the shipped profile (release-mobile)
#   bash scripts/build-jvm.sh --no-compile     # tools, bindings, host library, lib/ and env.sh only
#                                              # (for scripts that compile the sources their own way)
#
# Leaves:
#   build/jvm/videokit.jar                         the Kotlin layer + generated bindings, with the
#                                                  host library inside under <os-arch>/ (JNA finds it)
#   build/jvm/<os-arch>/libvideokit_ffi.so         the host library (linux-x86-64 here)
#   build/jvm/lib/{kotlin-stdlib,kotlinx-coroutines-core-jvm,jna}.jar   runtime dependencies
#   build/jvm/classpath.txt                        the runtime classpath (one line)
#   build/jvm/env.sh                               KOTLINC, KOTLIN_LIB, JUNIT_CP for other scripts
#
# Installs what is missing: the Kotlin compiler from npm (kotlin-compiler@2.4.20, into
# ${VIDEOKIT_TOOLS_DIR:-~/.cache/videokit-tools}; it also brings kotlinx-coroutines and
# kotlin-test), JNA and JUnit 4 from Debian (libjna-java, junit4). Needs Rust, Node/npm and a
# JDK 17+. Override jar locations with JNA_JAR, JUNIT_JAR, HAMCREST_JAR.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

gen_args=()
compile=1
for arg in "$@"; do
  case "$arg" in
    --release) gen_args+=(--release) ;;
    --no-compile) compile=0 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "build-jvm.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

KOTLIN_VERSION=2.4.20
TOOLS_DIR="${VIDEOKIT_TOOLS_DIR:-${HOME}/.cache/videokit-tools}"
KOTLIN_HOME="${TOOLS_DIR}/node_modules/kotlin-compiler"
KOTLINC="${KOTLIN_HOME}/bin/kotlinc"
KOTLIN_LIB="${KOTLIN_HOME}/lib"

need() { command -v "$1" >/dev/null 2>&1 || { echo "build-jvm.sh: '$1' not found: $2" >&2; exit 1; }; }
need java "install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)"
need jar "install a JDK 17+ (the 'jar' tool is part of the JDK)"

# ---- Kotlin compiler (npm) ----
installed_version=""
[[ -f "${KOTLIN_HOME}/package.json" ]] && installed_version="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "${KOTLIN_HOME}/package.json" | head -1)"
if [[ ! -x "$KOTLINC" || "$installed_version" != "$KOTLIN_VERSION" ]]; then
  need npm "install Node.js/npm (the Kotlin compiler is installed from npm: kotlin-compiler@${KOTLIN_VERSION})"
  echo "build-jvm: installing kotlin-compiler@${KOTLIN_VERSION} into ${TOOLS_DIR}"
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error "kotlin-compiler@${KOTLIN_VERSION}" >/dev/null
  chmod +x "${KOTLIN_HOME}/bin/"* 2>/dev/null || true
fi
for f in kotlin-stdlib.jar kotlinx-coroutines-core-jvm.jar kotlin-test.jar kotlin-test-junit.jar; do
  [[ -f "${KOTLIN_LIB}/$f" ]] || { echo "build-jvm.sh: ${KOTLIN_LIB}/$f missing from kotlin-compiler@${KOTLIN_VERSION}" >&2; exit 1; }
done

# ---- JNA and JUnit (Debian packages) ----
JNA_JAR="${JNA_JAR:-/usr/share/java/jna.jar}"
JUNIT_JAR="${JUNIT_JAR:-/usr/share/java/junit4.jar}"
HAMCREST_JAR="${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}"
if [[ ! -f "$JNA_JAR" || ! -f "$JUNIT_JAR" || ! -f "$HAMCREST_JAR" ]]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo_cmd=()
    if [[ "$(id -u)" != 0 ]]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo_cmd=(sudo -n)
      else echo "build-jvm.sh: need root (or passwordless sudo) to apt-get install libjna-java junit4" >&2; exit 1; fi
    fi
    echo "build-jvm: installing libjna-java junit4 (apt-get)"
    "${sudo_cmd[@]}" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq libjna-java junit4 >/dev/null
  fi
  # Debian names hamcrest-core differently across releases.
  [[ -f "$HAMCREST_JAR" ]] || for h in /usr/share/java/hamcrest-core.jar /usr/share/java/hamcrest.jar /usr/share/java/hamcrest-all.jar; do
    [[ -f "$h" ]] && { HAMCREST_JAR="$h"; break; }
  done
  for j in "$JNA_JAR" "$JUNIT_JAR" "$HAMCREST_JAR"; do
    [[ -f "$j" ]] || { echo "build-jvm.sh: $j not found: install libjna-java and junit4 (Debian/Ubuntu), or set JNA_JAR / JUNIT_JAR / HAMCREST_JAR" >&2; exit 1; }
  done
fi

# ---- the host library and the bindings ----
# Kotlin only: the Swift bindings (build/generated/swift) belong to the Swift build.
bash scripts/generate-bindings.sh --kotlin-only "${gen_args[@]}"
lib="$(cat build/generated/library-path)"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x86-64 ;;
  Linux-aarch64) platform=linux-aarch64 ;;
  Darwin-arm64) platform=darwin-aarch64 ;;
  Darwin-x86_64) platform=darwin-x86-64 ;;
  *) platform="$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)" ;;
esac

out=build/jvm
rm -rf "$out/$platform"
((compile)) && rm -rf "$out/classes" "$out/videokit.jar"
mkdir -p "$out/$platform" "$out/lib"
cp "$lib" "$out/$platform/"
# Debug info is not needed at run time; the symbols (and UniFFI metadata) stay.
if command -v strip >/dev/null 2>&1 && [[ "$(uname -s)" == Linux ]]; then
  strip --strip-debug "$out/$platform/$(basename "$lib")" 2>/dev/null || true
fi
cp "$KOTLIN_LIB/kotlin-stdlib.jar" "$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar" "$out/lib/"
cp "$JNA_JAR" "$out/lib/jna.jar"

compile_cp="$out/lib/kotlinx-coroutines-core-jvm.jar:$out/lib/jna.jar"
if ((compile)); then
echo "build-jvm: compiling the Kotlin layer + bindings (kotlinc ${KOTLIN_VERSION})"
mkdir -p "$out/classes/$platform"
cp "$out/$platform/$(basename "$lib")" "$out/classes/$platform/"
# Warnings of the generated code are not ours to fix; -nowarn keeps the log readable.
# Lambdas and string concatenation as plain bytecode (as android-aar/build.gradle.kts, and as
# D8 makes them on Android): a fresh JVM's first invokedynamic costs tens of ms.
if ! "$KOTLINC" -nowarn -jvm-target 17 -no-reflect -module-name videokit -Xlambdas=class -Xsam-conversions=class -Xstring-concat=inline -cp "$compile_cp" -d "$out/classes" \
    build/generated/kotlin android-aar/src/main/kotlin > "$out/compile.log" 2>&1; then
  grep -v 'unable to find kotlin-stdlib' "$out/compile.log" >&2
  echo "build-jvm.sh: compilation failed" >&2
  exit 1
fi
grep -v 'unable to find kotlin-stdlib' "$out/compile.log" || true
(cd "$out/classes" && jar cf ../videokit.jar .)
fi

runtime_cp="$out/videokit.jar:$out/lib/kotlin-stdlib.jar:$out/lib/kotlinx-coroutines-core-jvm.jar:$out/lib/jna.jar"
echo "$runtime_cp" > "$out/classpath.txt"
cat > "$out/env.sh" <<EOF
# Written by scripts/build-jvm.sh; paths relative to the repository root.
KOTLINC='$KOTLINC'
KOTLIN_LIB='$KOTLIN_LIB'
JNA_JAR='$JNA_JAR'
JUNIT_CP='$JUNIT_JAR:$HAMCREST_JAR:$KOTLIN_LIB/kotlin-test.jar:$KOTLIN_LIB/kotlin-test-junit.jar'
VIDEOKIT_CP='$runtime_cp'
VIDEOKIT_COMPILE_CP='$out/videokit.jar:$compile_cp'
VIDEOKIT_PLATFORM='$platform'
EOF

((compile)) || { echo "build-jvm: done (--no-compile: tools, bindings and $out/lib only)"; exit 0; }
cat <<EOF
build-jvm: done
  jar:            $out/videokit.jar  (includes $platform/$(basename "$lib"))
  host library:   $out/$platform/$(basename "$lib")
  compile with:   $KOTLINC -cp $out/videokit.jar:$compile_cp App.kt -d app.jar
  run with:       java -cp app.jar:$runtime_cp AppKt
EOF
