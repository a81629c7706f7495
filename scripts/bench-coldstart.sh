#!/usr/bin/env bash
# Cold start of the Kotlin layer on the desktop JVM (issue 11), each run a FRESH JVM process,
# side by side in one run against one `videokit serve` (release build):
#   sdk        VKSession.current.configure(...) + start(...) as in Application.onCreate: time to
#              return on the calling thread, and time to the first token (from main() and from
#              JVM start); the library inside the jar, copied out by JNA (desktop JVM only)
#   sdk_libdir the same with the library on jna.library.path, as an Android app finds it in
#              its APK's lib/ folder
#   plain      a plain HttpURLConnection POST to the same route (/v1/sessions), timed the same
#   breakdown  the SDK's cold-start work step by step on one thread (where the time goes), with
#              the library on jna.library.path
#   *_cds      sdk_libdir, plain and breakdown again, each with an AppCDS archive of the classes
#              it loads (made by one training run of that mode before the measured runs): the
#              classes come parsed and verified, as ART has them from install-time dex2oat. The
#              desktop JVM's own cost of reading and verifying classes out of jars is then gone
#              from both sides, SDK and plain alike.
#   *_android  sdk_cds and plain_cds without the two costs of the desktop JVM that an Android
#              process does not have: java.util.logging is set up before the clock starts (the
#              zygote preloads it; JNA's classes log through it) and JNA gets its platform
#              library path (on desktop Linux it runs `ldconfig -p` to find it; on Android it
#              never does). Every other cost stays.
# Runs interleave (sdk, sdk_libdir, plain, breakdown, the *_cds and *_android modes, sdk, ...)
# so drift in machine load hits all alike.
# Prints every run and a markdown table of medians; leaves build/bench/coldstart.md.
#
#   bash scripts/bench-coldstart.sh [RUNS]            # default 8
#   VIDEOKIT_BENCH_NO_BUILD=1 bash scripts/bench-coldstart.sh   # reuse build/jvm as it is
#   VIDEOKIT_BENCH_BUSY=N bash scripts/bench-coldstart.sh   # with N cores kept busy meanwhile
#
# VIDEOKIT_BENCH_BUSY=N: N busy loops at normal priority (as an app's own start-up work, or
# other apps, would be) run on the side for the whole measurement. The SDK's start
# uses several threads (init, warm-up, the runtime, HTTP) and a plain request one, so a second
# core that is not free changes the two differently; a phone starting an app is rarely idle.
#
# Source: android-aar/src/bench/kotlin/ColdStart.kt. Prerequisites: those of build-jvm.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-8}
log() { echo "bench-coldstart: $*" >&2; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-coldstart.sh: RUNS must be a whole number from 1 (got '$RUNS')" >&2; exit 2; }
busy="${VIDEOKIT_BENCH_BUSY:-0}"
[[ "$busy" =~ ^[0-9]+$ ]] || { echo "bench-coldstart.sh: VIDEOKIT_BENCH_BUSY must be a whole number (got '$busy')" >&2; exit 2; }

if [[ -z "${VIDEOKIT_BENCH_NO_BUILD:-}" ]]; then
  log "building the Kotlin layer against the release-mobile library"
  bash scripts/build-jvm.sh --release >&2
  log "building the devserver CLI (release)"
  cargo build --release --quiet -p videokit-cli >&2
fi
# shellcheck source=/dev/null
source build/jvm/env.sh
case "$(cat build/generated/library-path 2>/dev/null || true)" in
  */release-mobile/*) ;;
  *) log "warning: build/jvm does not hold the release-mobile library: not the shipped profile's numbers" ;;
esac
cli="${CARGO_TARGET_DIR:-target}/release/videokit"
[[ -x "$cli" ]] || { echo "bench-coldstart.sh: $cli missing (cargo build --release -p videokit-cli)" >&2; exit 1; }

out=build/bench
rm -rf "$out/coldstart-classes"
mkdir -p "$out/coldstart-classes"
# Compiled like an Android app's code after D8: lambdas as classes, not invokedynamic.
"$KOTLINC" -jvm-target 17 -nowarn -Xlambdas=class -Xsam-conversions=class -Xstring-concat=inline -cp "$VIDEOKIT_COMPILE_CP" -d "$out/coldstart-classes" \
  android-aar/src/bench/kotlin/ColdStart.kt 2>&1 | grep -v 'unable to find kotlin-stdlib' >&2 || true
[[ -f "$out/coldstart-classes/ColdStartKt.class" ]] || { echo "bench-coldstart.sh: ColdStart.kt does not compile" >&2; exit 1; }

# shellcheck source=lib/serve.sh
source scripts/lib/serve.sh
serve_start "$cli" || exit 1
busy_pids=()
if ((busy > 0)); then
  for _ in $(seq 1 "$busy"); do
    python3 -c 'while True: pass' &
    busy_pids+=($!)
  done
  trap 'kill "${busy_pids[@]}" 2>/dev/null || true; serve_stop' EXIT
  log "$busy core(s) kept busy for the whole measurement"
fi
base="$SERVE_BASE"

# In a jar, as an app's classes are (AppCDS archives classes from jars only).
(cd "$out/coldstart-classes" && jar cf ../coldstart.jar .)
cp_run="$out/coldstart.jar:$VIDEOKIT_CP"
libdir=(-Djna.library.path="build/jvm/$VIDEOKIT_PLATFORM")
runs_file="$out/coldstart-runs.txt"
: > "$runs_file"

multiarch="/usr/lib/$(uname -m)-linux-gnu:/lib/$(uname -m)-linux-gnu"
android_like=(-Dvideokit.bench.zygote=1 -Djna.platform.library.path="$multiarch:/usr/lib:/lib")

# One training run per *_cds and *_android mode writes its archive; its numbers are not kept.
train() { # train ARCHIVE-NAME MODE JAVA-ARGS...
  local name="$1" mode="$2"; shift 2
  rm -f "$out/coldstart-$name.jsa"
  java -XX:ArchiveClassesAtExit="$out/coldstart-$name.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off "$@" "${libdir[@]}" -cp "$cp_run" ColdStartKt "$mode" "$base" >/dev/null
  [[ -f "$out/coldstart-$name.jsa" ]] || { echo "bench-coldstart.sh: no AppCDS archive was written for $name" >&2; exit 1; }
}
for mode in sdk plain breakdown; do train "$mode" "$mode"; done
for mode in sdk plain; do train "${mode}_android" "$mode" "${android_like[@]}"; done

run() { # run MODE-LABEL JAVA-ARGS... : one fresh JVM, its line relabelled
  local label="$1"; shift
  java "$@" | sed "s/^[a-z]* /$label /"
}
log "$RUNS runs of each mode, fresh JVM each, against $base"
for i in $(seq 1 "$RUNS"); do
  for mode in sdk sdk_libdir plain breakdown sdk_cds plain_cds breakdown_cds sdk_android plain_android; do
    case "$mode" in
      # The library inside the jar: JNA copies it out to a temporary file (desktop JVM only).
      sdk) line="$(run sdk -cp "$cp_run" ColdStartKt sdk "$base")" ;;
      # The library found on jna.library.path, as an app finds it in its APK's lib/ folder.
      sdk_libdir) line="$(run sdk_libdir "${libdir[@]}" -cp "$cp_run" ColdStartKt sdk "$base")" ;;
      plain) line="$(run plain -cp "$cp_run" ColdStartKt plain "$base")" ;;
      breakdown) line="$(run breakdown "${libdir[@]}" -cp "$cp_run" ColdStartKt breakdown "$base")" ;;
      *_cds)
        m="${mode%_cds}"
        line="$(run "$mode" -XX:SharedArchiveFile="$out/coldstart-$m.jsa" -Xlog:cds=off "${libdir[@]}" -cp "$cp_run" ColdStartKt "$m" "$base")" ;;
      *_android)
        m="${mode%_android}"
        line="$(run "$mode" -XX:SharedArchiveFile="$out/coldstart-$mode.jsa" -Xlog:cds=off "${android_like[@]}" "${libdir[@]}" -cp "$cp_run" ColdStartKt "$m" "$base")" ;;
    esac
    echo "$line" | tee -a "$runs_file" >&2
  done
done

python3 - "$runs_file" "$RUNS" <<'PY' | tee "$out/coldstart.md"
import os, sys, statistics, platform, subprocess
rows, failed = {}, {}
for line in open(sys.argv[1]):
    mode, *kv = line.split()
    d = dict(x.split("=", 1) for x in kv)
    if d.get("ok") != "true":  # a run that got no token measures nothing: counted, not averaged
        failed[mode] = failed.get(mode, 0) + 1
        continue
    rows.setdefault(mode, []).append(d)
def col(mode, key):
    return [float(d[key]) for d in rows.get(mode, []) if d.get(key) not in (None, "?")]
def med(mode, key):
    v = col(mode, key)
    return statistics.median(v) if v else float("nan")
def rng(mode, key):
    v = col(mode, key)
    return f"{min(v):.1f}–{max(v):.1f}" if v else "?"
if failed:
    print("Runs that got no token, left out of the tables: " + ", ".join(f"{m} {n}" for m, n in sorted(failed.items())) + "\n")
jv = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
n = int(os.environ.get("VIDEOKIT_BENCH_BUSY") or 0)
busy = f" {n} busy loop{'s' if n > 1 else ''} running beside it throughout;" if n else ""
print(f"Cold start, fresh JVM per run ({jv}; {platform.machine()}; {os.cpu_count()} cores;{busy} {sys.argv[2]} runs per mode, interleaved), median (range), ms.\n")
print("Classes read from the jars as the desktop JVM does by default (parsed and verified at run time):\n")
print("| measure | SDK, library in the jar (extracted by JNA) | SDK, library on `jna.library.path` (as in an APK) | plain `HttpURLConnection` POST | SDK (APK layout) − plain |")
print("|---|---:|---:|---:|---:|")
for key, name in (("configure_start_ms", "`configure(...)` + `start(...)` return on the calling thread"), ("configure_ms", "&nbsp;&nbsp;of which `configure(...)` (first touch of `VKSession.current`)")):
    print(f"| {name} | {med('sdk',key):.1f} ({rng('sdk',key)}) | {med('sdk_libdir',key):.1f} ({rng('sdk_libdir',key)}) | – | – |")
for key, name in (("first_token_from_main_ms", "first token, from `main()`"), ("first_token_from_jvm_ms", "first token, from JVM start")):
    s, l, p = med('sdk', key), med('sdk_libdir', key), med('plain', key)
    print(f"| {name} | {s:.0f} ({rng('sdk', key)}) | {l:.0f} ({rng('sdk_libdir', key)}) | {p:.0f} ({rng('plain', key)}) | {l - p:+.0f} |")
print()
def sdk_vs_plain(title, sdk, plain):
    print(title + ", for SDK and plain alike:\n")
    print("| measure | SDK, library on `jna.library.path` | plain `HttpURLConnection` POST | SDK − plain |")
    print("|---|---:|---:|---:|")
    for key, name in (("configure_start_ms", "`configure(...)` + `start(...)` return on the calling thread"), ("configure_ms", "&nbsp;&nbsp;of which `configure(...)`")):
        print(f"| {name} | {med(sdk,key):.1f} ({rng(sdk,key)}) | – | – |")
    for key, name in (("first_token_from_main_ms", "first token, from `main()`"), ("first_token_from_jvm_ms", "first token, from JVM start")):
        l, p = med(sdk, key), med(plain, key)
        print(f"| {name} | {l:.0f} ({rng(sdk, key)}) | {p:.0f} ({rng(plain, key)}) | {l - p:+.0f} |")
    print()
sdk_vs_plain("Classes from an AppCDS archive, parsed and verified beforehand (as ART has an app's classes after install)", "sdk_cds", "plain_cds")
sdk_vs_plain("As above, and without the desktop JVM's own two costs an Android process does not have (`java.util.logging` set up beforehand, as the zygote preloads it; no `ldconfig -p` from JNA, which Android's JNA never runs)", "sdk_android", "plain_android")
print("Where the SDK's cold start goes (the `breakdown` mode: the same work step by step on one thread, library on `jna.library.path`), median (range), ms:\n")
print("| step | classes from the jars | classes from AppCDS |")
print("|---|---:|---:|")
for key, name in (("jul_ms", "`java.util.logging` set up (JNA's classes log through it)"),
                  ("jna_ms", "JNA classes and its native stub"),
                  ("searchpath_ms", "JNA's library search path (desktop Linux: `ldconfig -p` in a child process; not on Android)"),
                  ("dlopen_ms", "`libvideokit_ffi.so` found and loaded"),
                  ("integrity_ms", "bindings: `IntegrityCheckingUniffiLib` (register, contract version)"),
                  ("register_ms", "bindings: `UniffiLib` (register the functions the bindings call)"),
                  ("first_call_ms", "one call (`videokitVersion()`)"),
                  ("layer_ms", "Kotlin layer + kotlinx.coroutines classes (`VKSession(...)`)"),
                  ("start_to_token_ms", "`awaitStart` → token (native session, the callback vtables it uses, SDK runtime thread, first request through HttpURLConnection)"),
                  ("warm_request_ms", "for scale: one warm `refresh()` (a request on a warm JVM)")):
    print(f"| {name} | {med('breakdown', key):.1f} ({rng('breakdown', key)}) | {med('breakdown_cds', key):.1f} ({rng('breakdown_cds', key)}) |")
PY
if grep -qv ' ok=true$' "$runs_file"; then
  echo "bench-coldstart.sh: $(grep -cv ' ok=true$' "$runs_file") run(s) got no token (see $runs_file); the tables leave them out" >&2
  exit 1
fi
