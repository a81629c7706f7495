#!/usr/bin/env bash
# Runs Swift (`swift ARGS…`) in the current directory, which may be anywhere inside the
# repository (or any folder below it).
#
#   bash scripts/swift.sh build            # swift build
#   bash scripts/swift.sh test             # swift test
#   bash scripts/swift.sh run MyApp        # swift run MyApp
#   bash scripts/swift.sh --provision      # only make sure the toolchain is there
#   bash scripts/swift.sh --exec docc …    # another tool of the toolchain (docc, swift-format, llvm-cov)
#   bash scripts/swift.sh --shell          # a shell inside the toolchain's root (debugging)
#
# macOS, or any machine whose `swift` works natively (VIDEOKIT_SWIFT=native): runs that swift.
#
# Linux: Debian's own Swift 6.0.3 (package `swiftlang`) runs in a Debian 13 ("trixie") root,
# because Debian 12's libc is too old for it. On first use this script makes that root with
# `debootstrap --variant=minbase trixie` (about 75 s) and installs `swiftlang` in it (about 55 s,
# 2 GB), both from Debian's package registry (the mirror of this machine's apt sources). It keeps
# the root under ${VIDEOKIT_TOOLS_DIR:-~/.cache/videokit-tools}/swift-trixie and reuses it. A
# half-made root (an interrupted run) is finished or made again on the next run: debootstrap
# works in a separate folder that is renamed only when complete, and swiftlang's install is
# marked done only when it succeeded.
#
# Each run enters a private mount namespace (`unshare --mount`), mounts /proc, /dev, the
# repository (at the same path) and the cargo target folder (when it is outside the repository)
# inside the root, and chroots there. The namespace, and with it every mount, ends with the run:
# nothing stays mounted on the host, whatever way the run ends. Processes inside share the
# host's network, so they reach servers on the host's 127.0.0.1.
#
# Needs: root (chroot and mount), `unshare` (util-linux), `debootstrap` (apt-get install
# debootstrap; installed by this script when apt-get is there), and the Debian package registry
# reachable for the first run.
set -euo pipefail

log() { echo "swift.sh: $*" >&2; }
die() { log "$*"; exit 1; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$script_dir/.." && pwd -P)"
cwd="$(pwd -P)"

# ---- a native Swift (macOS, or a Linux with a working toolchain) ----
if [[ "$(uname -s)" == Darwin || "${VIDEOKIT_SWIFT:-}" == native ]]; then
  [[ "${1:-}" == --provision ]] && exit 0
  command -v swift >/dev/null 2>&1 || die "no 'swift' on PATH (install Xcode 16 or a Swift 6 toolchain)"
  if [[ "${1:-}" == --exec ]]; then
    shift
    if [[ "$(uname -s)" == Darwin ]]; then exec xcrun "$@"; fi
    exec "$@"
  fi
  exec swift "$@"
fi
[[ "$(uname -s)" == Linux ]] || die "runs on Linux (Debian's Swift in a chroot) or macOS (Xcode's swift); this is $(uname -s)"

TOOLS_DIR="${VIDEOKIT_TOOLS_DIR:-${HOME}/.cache/videokit-tools}"
ROOT="${VIDEOKIT_SWIFT_ROOT:-${TOOLS_DIR}/swift-trixie}"
SUITE=trixie
STAMP_DIR=".videokit"           # inside the root: what provisioning has finished
SWIFT_STAMP="${ROOT}/${STAMP_DIR}/swiftlang.done"
# What is installed in the root (with Recommends: gcc's libc6-dev is how Swift finds the C
# library). The stamp holds this list: changing it re-runs the install on the next run.
PACKAGES="swiftlang libc6-dev libstdc++-14-dev ca-certificates"

[[ "$(id -u)" == 0 ]] || die "needs root: it makes a chroot and mounts /proc, /dev and the repository into it (run it as root, e.g. in a container or CI; or install a Swift 6 toolchain natively and set VIDEOKIT_SWIFT=native)"
command -v unshare >/dev/null 2>&1 || die "'unshare' not found (apt-get install util-linux)"
command -v chroot >/dev/null 2>&1 || die "'chroot' not found (apt-get install coreutils)"

# The mirror of this machine's own apt sources, so the root comes from the same registry.
debian_mirror() {
  local uri=""
  if [[ -n "${VIDEOKIT_DEBIAN_MIRROR:-}" ]]; then echo "$VIDEOKIT_DEBIAN_MIRROR"; return; fi
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    uri="$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' "$f")"
    [[ -n "$uri" ]] && break
  done
  if [[ -z "$uri" ]]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f "$f" ]] || continue
      uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) {print $i; exit} }' "$f")"
      [[ -n "$uri" ]] && break
    done
  fi
  shopt -u nullglob
  echo "$uri"   # empty: debootstrap's own default mirror
}

# Runs a command in the root, in a private mount namespace whose mounts end with it.
#   in_root [--bind DIR]… -- CMD ARGS…
in_root() {
  local binds=()
  while [[ "$1" == --bind ]]; do binds+=("$2"); shift 2; done
  [[ "$1" == -- ]] && shift
  # The inner script gets the root, the folders to bind and the command as arguments.
  unshare --mount --propagation private -- bash -euo pipefail -c '
    root="$1"; n="$2"; shift 2
    binds=("${@:1:$n}"); shift "$n"
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    for d in "${binds[@]}"; do
      mkdir -p "$root$d"
      mount --rbind "$d" "$root$d"
    done
    # Name resolution for apt inside (provisioning); harmless otherwise.
    if [[ -f /etc/resolv.conf ]]; then cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true; fi
    exec chroot "$root" "$@"
  ' in_root "$ROOT" "${#binds[@]}" "${binds[@]}" "$@"
}

provision() {
  mkdir -p "$TOOLS_DIR"
  exec 9>"${TOOLS_DIR}/swift-trixie.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi

  if [[ -f "$SWIFT_STAMP" && "$(cat "$SWIFT_STAMP")" == "$PACKAGES" ]]; then exec 9>&-; return 0; fi

  # 1. The base system: debootstrap into ROOT.partial, renamed to ROOT only when it completed.
  if [[ ! -f "${ROOT}/${STAMP_DIR}/debootstrap.done" ]]; then
    if [[ -e "$ROOT" ]]; then
      log "removing an incomplete toolchain root at $ROOT"
      rm -rf --one-file-system "$ROOT"
    fi
    if ! command -v debootstrap >/dev/null 2>&1 && [[ ! -x /usr/sbin/debootstrap ]]; then
      command -v apt-get >/dev/null 2>&1 || die "'debootstrap' not found and no apt-get to install it"
      log "installing debootstrap (apt-get)"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } >/dev/null 2>&1 \
        || die "could not install debootstrap with apt-get (is the Debian package registry reachable?)"
    fi
    local partial="${ROOT}.partial" mirror t0=$SECONDS
    # A run killed with SIGKILL may have left debootstrap's own mounts (proc, sys) inside.
    if command -v findmnt >/dev/null 2>&1; then
      { findmnt -rn -o TARGET | grep -F "$partial/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done; } || true
    fi
    rm -rf --one-file-system "$partial"
    mkdir -p "$partial"
    mirror="$(debian_mirror)"
    log "making a Debian ${SUITE} root for Swift (debootstrap, about 75 s) in ${partial}"
    local dlog="${TOOLS_DIR}/swift-trixie.debootstrap.log"
    # shellcheck disable=SC2086
    # In a private mount namespace too: whatever debootstrap mounts ends with it, however it ends.
    if ! PATH="/usr/sbin:/sbin:$PATH" unshare --mount --propagation private -- \
        debootstrap --variant=minbase "$SUITE" "$partial" $mirror >"$dlog" 2>&1; then
      tail -n 15 "$dlog" >&2
      rm -rf --one-file-system "$partial"
      die "debootstrap ${SUITE} failed (full log: $dlog). Is the Debian package registry reachable from here? Does this machine's debian-archive-keyring know ${SUITE}'s key (apt-get install debian-archive-keyring)?"
    fi
    mkdir -p "${partial}/${STAMP_DIR}"
    date -u +%FT%TZ >"${partial}/${STAMP_DIR}/debootstrap.done"
    mv "$partial" "$ROOT"
    log "debootstrap done in $((SECONDS - t0)) s"
  fi

  # 2. Swift itself. Repairs an interrupted dpkg first; marked done only on success.
  local t0=$SECONDS alog="${TOOLS_DIR}/swift-trixie.apt.log"
  log "installing swiftlang in the ${SUITE} root (apt-get, about 55 s, 2 GB)"
  if ! in_root -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive HOME=/root \
      sh -ec 'dpkg --configure -a; apt-get update -qq; apt-get -f install -y -qq; apt-get install -y -qq "$@"' sh $PACKAGES >"$alog" 2>&1; then
    tail -n 15 "$alog" >&2
    die "could not install swiftlang in ${ROOT} (full log: $alog). Is the Debian package registry reachable? The next run tries again."
  fi
  in_root -- /usr/bin/swift --version >/dev/null 2>&1 || die "swiftlang installed but 'swift --version' fails in ${ROOT} (see $alog)"
  echo "$PACKAGES" >"$SWIFT_STAMP"
  exec 9>&-
  log "swiftlang installed in $((SECONDS - t0)) s: $(in_root -- /usr/bin/swift --version 2>/dev/null | head -1)"
}

provision
case "${1:-}" in
  --provision) exit 0 ;;
esac

# What to make visible inside: the repository, the current folder when it is elsewhere, and the
# cargo target folder when it is elsewhere (tests run the cargo-built `videokit`).
binds=("$repo")
inside() { [[ "$1" == "$2" || "$1" == "$2"/* ]]; }
inside "$cwd" "$repo" || binds+=("$cwd")
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
  mkdir -p "$CARGO_TARGET_DIR"
  tdir="$(cd "$CARGO_TARGET_DIR" && pwd -P)"
  inside "$tdir" "$repo" || inside "$tdir" "$cwd" || binds+=("$tdir")
fi

# A clean environment inside, plus what the project's scripts and tests read.
env_args=(PATH=/usr/libexec/swift/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
          "TERM=${TERM:-dumb}")
while IFS='=' read -r name _; do
  case "$name" in
    VIDEOKIT_*|CI|CARGO_TARGET_DIR|RUST_LOG|NO_COLOR) env_args+=("${name}=${!name}") ;;
  esac
done < <(env)

bind_args=()
for b in "${binds[@]}"; do bind_args+=(--bind "$b"); done
if [[ "${1:-}" == --shell ]]; then
  in_root "${bind_args[@]}" -- /usr/bin/env -i "${env_args[@]}" bash -c 'cd "$1" && exec bash -i' bash "$cwd"
  exit
fi
tool=swift
if [[ "${1:-}" == --exec ]]; then
  tool="${2:?--exec needs a command}"
  shift 2
fi
in_root "${bind_args[@]}" -- /usr/bin/env -i "${env_args[@]}" sh -c 'cd "$1" && tool="$2" && shift 2 && exec "$tool" "$@"' swift "$cwd" "$tool" "$@"
