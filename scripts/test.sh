#!/usr/bin/env bash
# Runs every test of the project. Installs what is missing (Kotlin compiler from npm, JNA and
# JUnit from Debian, tree-sitter from PyPI, Debian's Swift in a trixie chroot) through the stage
# scripts. Works on a fresh machine with Rust, Node/npm, Python/pip and Java 17, as root (the
# Swift stage chroots); no standard input needed.
#
#   bash scripts/test.sh                 # everything
#   SKIP_KOTLIN=1 bash scripts/test.sh   # without the Kotlin stage
#   SKIP_SWIFT=1 bash scripts/test.sh    # without the Swift stage (the parity check still runs)
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

failed=()
stage() {
  local name="$1"; shift
  echo
  echo "=== ${name} ==="
  local t0=$SECONDS
  if "$@"; then
    echo "=== ${name}: ok ($((SECONDS - t0)) s) ==="
  else
    echo "=== ${name}: FAILED ($((SECONDS - t0)) s) ==="
    failed+=("$name")
  fi
}

# rustfmt and clippy, which a machine with only a minimal Rust toolchain lacks.
rust_components() {
  local missing=()
  cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
  cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
  ((${#missing[@]} == 0)) && return 0
  command -v rustup >/dev/null 2>&1 || { echo "need ${missing[*]}: install them with your Rust toolchain (no rustup here)" >&2; return 1; }
  echo "installing ${missing[*]} (rustup component add)"
  rustup component add "${missing[@]}"
}

# 0. Style: formatting (rustfmt's defaults: no rustfmt.toml) and the devserver's module graph.
stage "rustfmt and clippy components" rust_components
stage "cargo fmt --check" cargo fmt --all -- --check
stage "devserver modules without cycles" bash scripts/check-module-cycles.sh devserver/src

# 1. Rust: unit, engine (fake clock), devserver integration, secrets, vectors, CLI.
stage "cargo test (workspace)" cargo test --workspace --quiet
# 1b. Lints, every crate and target, warnings as errors (after the tests: same dependencies).
stage "cargo clippy (workspace, all targets, -D warnings)" cargo clippy --workspace --all-targets --quiet -- -D warnings

# 2. Kotlin layer + generated bindings on the desktop JVM, against the devserver.
if [[ -z "${SKIP_KOTLIN:-}" ]]; then
  stage "Kotlin JVM tests" bash scripts/test-kotlin.sh
  # 2b. Android without an Android SDK: src/android type-checked against the android.* stubs,
  #     the API level of everything the classes refer to, and a minified (ProGuard) app
  #     run against the devserver, with the test of that check (the old rules must fail).
  stage "Android sources vs android.* stubs" bash scripts/check-android-sources.sh
  stage "Android API level (minSdk)" python3 scripts/check-api-level.py
  stage "Minified release build (ProGuard + consumer-rules.pro)" bash scripts/check-minified.sh
fi
# Android packaging checked here: the POM's dependencies and minSdk, and the 16 KB checker.
stage "Android publication (POM, minSdk, README install)" python3 scripts/check-android-publication.py
stage "16 KB alignment checker" bash scripts/test-elf-alignment.sh

# 3. The official Kaltura Node client against the devserver (npm kaltura-client).
stage "Kaltura Node client interop" bash scripts/test-kaltura-node.sh
# 3b. The official Kaltura Python client (PyPI KalturaApiClient), multirequest included.
stage "Kaltura Python client interop" bash scripts/test-kaltura-python.sh

# 4. Swift with a real compiler: build (Swift 6 mode, no warnings), XCTest against the
#    devserver, the README example, DocC, swift-format. Then API parity with Kotlin.
if [[ -z "${SKIP_SWIFT:-}" ]]; then
  stage "Swift (build, XCTest, example, DocC, format)" bash scripts/test-swift.sh
fi
stage "Swift/Kotlin API parity" python3 scripts/check-api-parity.py

echo
if ((${#failed[@]})); then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all test stages passed"
