#!/usr/bin/env bash
# The whole test suite, headless. Usage: bash scripts/run-tests.sh [pytest arguments]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# the district tests also run on a real PostgreSQL server, which they start on loopback
export DESK_APP_EXTRA_APT="${DESK_APP_EXTRA_APT:-postgresql}"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
exec python -m pytest "$@"
