#!/usr/bin/env bash
# Start the counter window; on first start it creates a demo ward database.
# Usage: bash scripts/run-app.sh [--db PATH]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "Không có màn hình: chạy cửa sổ trên màn hình ảo Xvfb." >&2
  exec xvfb-run -a -s "-screen 0 1366x768x24" desk-app "$@"
fi
exec desk-app "$@"
