#!/usr/bin/env bash
# Cold start from Swift in fresh processes (issue 11): RUNS runs of each mode, alternating,
# against one release `videokit serve` on a free loopback port, with the release-mobile
# library:
#   sdk    VKSession.current.configure + start on the main thread, then the first token;
#   plain  one URLSession POST to the same route.
# Prints markdown rows (median and every run, ms from the start of main) and leaves
# build/bench/swift-coldstart.md. A benchmark: it asserts nothing.
#
#   bash scripts/bench-coldstart-swift.sh [RUNS]     # default 7
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd -P)"
RUNS=${1:-7}
log() { echo "bench-coldstart-swift: $*" >&2; }

bash scripts/prepare-swift.sh --release >&2
cargo build --release --quiet -p videokit-cli >&2
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ "$target_dir" == /* ]] || target_dir="$root/$target_dir"
mkdir -p build/bench
# shellcheck source=lib/serve.sh
source scripts/lib/serve.sh
serve_start "$target_dir/release/videokit" || exit 1
base="$SERVE_BASE"

cd swift-package
bash "$root/scripts/swift.sh" build -c release --product VideoKitColdStart >&2
bin="$(bash "$root/scripts/swift.sh" build -c release --show-bin-path)/VideoKitColdStart"
# All runs in one chroot session: a fresh process each, as an app launch is.
lines=$(bash "$root/scripts/swift.sh" --exec sh -c '
  bin="$1"; base="$2"; runs="$3"
  for i in $(seq 1 "$runs"); do "$bin" sdk "$base"; "$bin" plain "$base"; done
' sh "$bin" "$base" "$RUNS")
echo "$lines" >&2
python3 - "$RUNS" <<PY | tee "$root/build/bench/swift-coldstart.md"
import re, statistics, sys
lines = """$lines""".splitlines()
rows = {}
for l in lines:
    m = dict(re.findall(r"(\w+)=([^ ]+)", l))
    if "mode" in m:
        rows.setdefault(m["mode"], []).append((float(m["calls_ms"]), float(m["first_token_ms"]), m["ok"]))
print("| mode (fresh process, Swift 6.0.3 on Linux, release) | calls on the main thread | first token | runs (first token, ms) |")
print("|---|---:|---:|---|")
names = {"sdk": "SDK: configure + start(apiToken:identity:)", "plain": "plain URLSession POST to the same route"}
med = {}
for mode in ("sdk", "plain"):
    r = rows.get(mode, [])
    if not r: continue
    med[mode] = statistics.median(x[1] for x in r)
    print(f"| {names[mode]} | {statistics.median(x[0] for x in r):.2f} ms | {med[mode]:.1f} ms | {' / '.join(f'{x[1]:.1f}' for x in r)} |")
if "sdk" in med and "plain" in med:
    print()
    print(f"First token: SDK {med['sdk'] - med['plain']:+.1f} ms against the plain request (median of {sys.argv[1]} runs each).")
PY
