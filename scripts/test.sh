#!/usr/bin/env bash
# Runs every test of the project. Installs what is missing (Kotlin compiler from npm, JNA and
# JUnit from Debian, tree-sitter from PyPI) through the stage scripts. Works on a fresh
# machine with Rust, Node/npm, Python/pip and Java 17; no standard input needed.
#
#   bash scripts/test.sh            # everything
#   SKIP_KOTLIN=1 bash scripts/test.sh   # Rust and Swift checks only
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

# 1. Rust: unit, engine (fake clock), devserver integration, secrets, vectors, CLI.
stage "cargo test (workspace)" cargo test --workspace --quiet

# 2. Kotlin layer + generated bindings on the desktop JVM, against the devserver.
if [[ -z "${SKIP_KOTLIN:-}" ]]; then
  stage "Kotlin JVM tests" bash scripts/test-kotlin.sh
fi

# 3. The official Kaltura Node client against the devserver (npm kaltura-client).
stage "Kaltura Node client interop" bash scripts/test-kaltura-node.sh
# 3b. The official Kaltura Python client (PyPI KalturaApiClient), multirequest included.
stage "Kaltura Python client interop" bash scripts/test-kaltura-python.sh

# 4. Swift: syntax of every handwritten Swift file, and API parity with Kotlin.
stage "Swift syntax check" python3 scripts/check-swift.py
stage "Swift/Kotlin API parity" python3 scripts/check-api-parity.py

echo
if ((${#failed[@]})); then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all test stages passed"
