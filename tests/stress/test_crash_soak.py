"""The crash soak at CI size: the desk app, the sync client and the district server each
SIGKILLed at random moments; no printed receipt without its dossier, a sound database after
every restart, and every action on the district exactly once (scripts/crash_soak.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_crash_soak_small(tmp_path):
    kills = os.environ.get("CRASH_SOAK_KILLS", "3")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "crash_soak.py"), "--kills", kills, "--seed", "7",
                             "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=1800,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "exactly once" in result.stdout and "all checks passed" in result.stdout
