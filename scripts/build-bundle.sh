#!/usr/bin/env bash
# Build the one-folder bundle from build.spec and check it with its own self-test.
#   bash scripts/build-bundle.sh            -> dist/desk-app/desk-app
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
    bash scripts/bootstrap.sh
fi
source .venv/bin/activate
python -m pip install -q -e ".[bundle]"
pyinstaller --noconfirm --clean --log-level WARN build.spec
dist/desk-app/desk-app --self-test
echo "Bundle: $(pwd)/dist/desk-app (run dist/desk-app/desk-app)"
