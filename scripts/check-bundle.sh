#!/usr/bin/env bash
# Build the bundle (build.spec), run its self-test, and start its window offscreen on a fresh
# demo ward under a timeout: the login dialog must come up and take input.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/build-bundle.sh
export QT_QPA_PLATFORM=offscreen
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
DESK_APP_STARTUP_PROBE="$work/ready" timeout 180 dist/desk-app/desk-app --db "$work/demo.sqlite3"
if [[ ! -s "$work/ready" ]]; then
    echo "The bundle's window did not come up." >&2
    exit 1
fi
echo "Bundle window: OK (demo ward created, login dialog took input)."
