#!/usr/bin/env bash
# Runs every cargo-fuzz target for N executions (default 10 million) and records the counts.
#   bash scripts/fuzz.sh [RUNS] [target ...]
# Needs the nightly toolchain (on the machine) and cargo-fuzz (installed when missing).
# Corpora grow in fuzz/corpus/<target> (gitignored); crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10000000}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(jwt videosdk ks kaltura_api session_response videosdk_server url_template)
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
mkdir -p build/fuzz
results=build/fuzz/results.txt
: >"$results"
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  log="build/fuzz/$t.log"
  start=$SECONDS
  if (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- -runs="$RUNS" -rss_limit_mb=2048 -max_len=4096) >"$log" 2>&1; then
    status=ok
  else
    status=CRASH
  fi
  done_line=$(grep -E "^Done [0-9]+ runs" "$log" | tail -1 || true)
  printf '%-18s %-6s %s (%d s)\n' "$t" "$status" "${done_line:-no summary; see $log}" $((SECONDS - start)) | tee -a "$results"
done
