# shellcheck shell=bash
# Sourced by the scripts that need the local backend: starts `videokit serve --port 0 --json`
# (the devserver on a free loopback port), waits for the base URL it prints, and stops it
# when the script exits.
#
#   source scripts/lib/serve.sh
#   serve_start "$cli" [SERVE_ARGS...] || exit 1   # sets SERVE_BASE (http://127.0.0.1:PORT),
#                                                  # SERVE_PORT and SERVE_PID
#   ... "$SERVE_BASE" ...
#   serve_stop                                     # optional: the EXIT trap does it too
#
# serve_start sets `trap serve_stop EXIT`; a script with an EXIT trap of its own sets it after
# serve_start and calls serve_stop from it. SERVE_ERR=FILE keeps the server's stderr in FILE
# (default: a temporary file, printed if the server does not start); SERVE_TIMEOUT=SECS is how
# long to wait for the base URL (default 60: a cold debug binary on a busy machine).

SERVE_BASE=""
SERVE_PORT=""
SERVE_PID=""
_serve_out=""
_serve_err_tmp=""

serve_start() {
  local cli="${1:?serve_start: give the videokit binary}"
  shift
  serve_stop
  _serve_out="$(mktemp "${TMPDIR:-/tmp}/videokit-serve.XXXXXX")"
  local err="${SERVE_ERR:-}"
  if [[ -z "$err" ]]; then
    _serve_err_tmp="$(mktemp "${TMPDIR:-/tmp}/videokit-serve-err.XXXXXX")"
    err="$_serve_err_tmp"
  fi
  "$cli" serve --port 0 --json "$@" >"$_serve_out" 2>"$err" &
  SERVE_PID=$!
  trap serve_stop EXIT
  local deadline=$((SECONDS + ${SERVE_TIMEOUT:-60}))
  while ((SECONDS < deadline)); do
    # The one JSON line: {"app_tokens": [...], "base_url": "http://127.0.0.1:PORT"}.
    SERVE_BASE="$(sed -n 's/.*"base_url" *: *"\(http:\/\/127\.0\.0\.1:[0-9][0-9]*\)".*/\1/p' "$_serve_out" | head -n1)"
    [[ -n "$SERVE_BASE" ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z "$SERVE_BASE" ]]; then
    echo "${0##*/}: '$cli serve --port 0 --json $*' did not start:" >&2
    cat "$_serve_out" "$err" >&2
    serve_stop
    return 1
  fi
  SERVE_PORT="${SERVE_BASE##*:}"
}

serve_stop() {
  if [[ -n "$SERVE_PID" ]]; then
    kill "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
  fi
  if [[ -n "$_serve_out" ]]; then rm -f "$_serve_out"; fi
  if [[ -n "$_serve_err_tmp" ]]; then rm -f "$_serve_err_tmp"; fi
  SERVE_PID=""
  _serve_out=""
  _serve_err_tmp=""
}
