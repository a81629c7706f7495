#!/usr/bin/env bash
# The official Kaltura client for Python (PyPI KalturaApiClient, format=2 XML) calls
# session.startWidgetSession, appToken.startSession (right and wrong hash, a KS from its own
# generateSession) and a multirequest on the devserver. Installs the client (pinned in
# scripts/python-kaltura/requirements.txt) into a venv under ~/.cache when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VIDEOKIT_PY_VENV:-$HOME/.cache/videokit-tools/kaltura-python-venv}
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import KalturaClient, lxml' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/python-kaltura/requirements.txt
fi
cargo build -p videokit-cli --quiet
source scripts/lib/serve.sh
serve_start "${CARGO_TARGET_DIR:-target}"/debug/videokit
"$venv/bin/python" scripts/python-kaltura/check.py "$SERVE_BASE"
