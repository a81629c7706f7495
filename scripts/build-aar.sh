#!/usr/bin/env bash
# Builds the Android library (AAR) without Android Studio: the Rust core for arm64-v8a,
# armeabi-v7a, x86_64 and x86 with cargo-ndk (16 KB page-size link flags), the UniFFI
# Kotlin bindings generated from that build, and the Kotlin layer, through the Gradle module
# in android-aar/. Not part of CI (no Android SDK/NDK there).
#
#   bash scripts/build-aar.sh                      # all four ABIs, profile release-mobile
#   bash scripts/build-aar.sh --abis arm64-v8a,x86_64
#   bash scripts/build-aar.sh --check              # only check the prerequisites
#   bash scripts/build-aar.sh --publish            # the same (the Maven repository is always written)
#
# Prerequisites (each is checked; what is missing is printed with how to get it):
#   - JDK 17+
#   - Android SDK with platforms;android-35 (ANDROID_HOME or ANDROID_SDK_ROOT)
#   - Android NDK r26+ (ANDROID_NDK_HOME, or an ndk/ folder in the SDK)
#   - Rust targets aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android
#   - cargo-ndk (cargo install cargo-ndk)
#   - Gradle 8.9+ on PATH (or GRADLE=/path/to/gradle)
# Output: android-aar/build/outputs/aar/videokit-android-release.aar, and the Maven repository
# android-aar/build/repo (AAR + POM + module metadata + sources). Then checks, failing the
# build: the 16 KB alignment of every .so in the AAR and in JNA's AAR
# (scripts/check-elf-alignment.py, one line per library), and Gradle's POM against
# android-aar/publishing/expected-pom.xml (scripts/check-android-publication.py --pom).
set -uo pipefail
cd "$(dirname "$0")/.."

abis="arm64-v8a,armeabi-v7a,x86_64,x86"
profile="release-mobile"
check_only=0
while (($#)); do
  case "$1" in
    --abis) abis="$2"; shift 2 ;;
    --profile) profile="$2"; shift 2 ;;
    --check) check_only=1; shift ;;
    --publish) shift ;; # always done: kept so the README's command reads as what it does
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "build-aar.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

missing=()
sdk="${ANDROID_HOME:-${ANDROID_SDK_ROOT:-}}"
if [[ -z "$sdk" || ! -d "$sdk" ]]; then
  missing+=("Android SDK: set ANDROID_HOME to an SDK with 'platforms;android-35' (sdkmanager \"platforms;android-35\" \"build-tools;35.0.0\")")
elif [[ ! -d "$sdk/platforms/android-35" ]]; then
  missing+=("Android platform 35 in $sdk: sdkmanager \"platforms;android-35\"")
fi
ndk="${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}"
if [[ -z "$ndk" && -n "$sdk" && -d "$sdk/ndk" ]]; then
  ndk="$(ls -d "$sdk"/ndk/* 2>/dev/null | sort -V | tail -1)"
fi
if [[ -z "$ndk" || ! -d "$ndk" ]]; then
  missing+=("Android NDK: sdkmanager \"ndk;27.2.12479018\" and export ANDROID_NDK_HOME=\$ANDROID_HOME/ndk/27.2.12479018")
else
  export ANDROID_NDK_HOME="$ndk"
fi
command -v java >/dev/null 2>&1 || missing+=("JDK 17+: e.g. apt-get install openjdk-17-jdk-headless")
if ! command -v cargo >/dev/null 2>&1; then
  missing+=("Rust: https://rustup.rs")
else
  cargo ndk --version >/dev/null 2>&1 || missing+=("cargo-ndk: cargo install cargo-ndk")
  if command -v rustup >/dev/null 2>&1; then
    installed="$(rustup target list --installed 2>/dev/null)"
    need_targets=()
    IFS=',' read -r -a abi_list <<< "$abis"
    for abi in "${abi_list[@]}"; do
      case "$abi" in
        arm64-v8a) t=aarch64-linux-android ;;
        armeabi-v7a) t=armv7-linux-androideabi ;;
        x86_64) t=x86_64-linux-android ;;
        x86) t=i686-linux-android ;;
        *) missing+=("a known ABI instead of '$abi' (arm64-v8a, armeabi-v7a, x86_64, x86)"); continue ;;
      esac
      grep -qx "$t" <<< "$installed" || need_targets+=("$t")
    done
    ((${#need_targets[@]})) && missing+=("Rust targets: rustup target add ${need_targets[*]}")
  fi
fi
gradle="${GRADLE:-gradle}"
if ! command -v "$gradle" >/dev/null 2>&1; then
  missing+=("Gradle 8.9+: https://gradle.org/install/ (or GRADLE=/path/to/gradle)")
fi

if ((${#missing[@]})); then
  echo "build-aar.sh: cannot build the AAR here; missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi
echo "build-aar: prerequisites present (NDK: $ANDROID_NDK_HOME)"
((check_only)) && exit 0

tasks=(assembleRelease collectNativeDependencies publishReleasePublicationToBuildRepository)
"$gradle" -p android-aar --no-daemon "${tasks[@]}" -Pvideokit.abis="$abis" -Pvideokit.rustProfile="$profile" || exit 1
aar=android-aar/build/outputs/aar/videokit-android-release.aar
[[ -f "$aar" ]] || { echo "build-aar.sh: $aar was not produced" >&2; exit 1; }
status=0

# 16 KB pages: every LOAD segment of every .so that reaches an app, aligned to 16384 or more:
# the AAR's own libraries and those of its dependencies (JNA's libjnidispatch.so, from the
# JNA AAR that build.gradle.kts resolves into build/native-deps). Reads ELF headers itself.
echo "build-aar: 16 KB alignment of every .so in the AAR and in JNA's AAR"
native_deps=(android-aar/build/native-deps/*.aar)
[[ -f "${native_deps[0]}" ]] || { echo "build-aar.sh: no dependency AAR in android-aar/build/native-deps (JNA)" >&2; status=1; }
# Required on 64-bit ABIs (the only ones with 16 KB-page devices); 32-bit ones are reported.
python3 scripts/check-elf-alignment.py --64-bit-only "$aar" "${native_deps[@]}" || status=1
for abi in ${abis//,/ }; do
  unzip -l "$aar" "jni/$abi/libvideokit_ffi.so" >/dev/null 2>&1 || { echo "build-aar.sh: jni/$abi/libvideokit_ffi.so missing from the AAR" >&2; status=1; }
done

# The publication: Gradle's POM against the expected one (what scripts/test.sh checks without Gradle).
version="$(sed -n 's/.*"videokit.version") as String?) ?: "\([^"]*\)".*/\1/p' android-aar/build.gradle.kts)"
pom="android-aar/build/repo/io/videokit/videokit-android/$version/videokit-android-$version.pom"
if [[ -f "$pom" ]]; then
  python3 scripts/check-android-publication.py --pom "$pom" || status=1
else
  echo "build-aar.sh: $pom was not published" >&2; status=1
fi
echo "build-aar: $aar"
echo "build-aar: Maven repository android-aar/build/repo (point an app's maven(...) at it, or copy it to yours)"
exit $status
