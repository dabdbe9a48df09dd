"""Cold start of the counter app to its first usable window (the login dialog, event loop
running), on the 1 000 000-dossier demo database.

    python bench/startup_bench.py [--runs 5] [--app dist/desk-app/desk-app] [--dossiers 1000000]

Each run is a new process (the bundle when built, else ``python -m desk_app``) started with
``DESK_APP_STARTUP_PROBE``: the app writes the time the dialog takes input and quits. The
figure is that time minus the spawn time. The first run reads the files from disk as far as the
OS cache allows; later runs are warm. Goal: < 1.0 s on 2 cores. Opening the main window after
login is measured by ui_bench.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / "desk-app" / "desk-app")
    args = parser.parse_args()
    db = ROOT / "bench" / ".cache" / f"ward-{args.dossiers}.sqlite3"
    if not db.exists():
        print(f"missing {db}: run bench/core_bench.py --dossiers {args.dossiers} first (builds and caches it)")
        return 1
    command = [str(args.app)] if args.app.exists() else [sys.executable, "-m", "desk_app"]
    if args.app.exists():
        newest = max(f.stat().st_mtime for f in (ROOT / "desk_app").rglob("*.py"))
        if args.app.stat().st_mtime < newest:  # an old bundle may not open a newer database at all
            print(f"note: {args.app} is older than the source in desk_app/; rebuild it with "
                  f"bash scripts/build-bundle.sh for today's figures", flush=True)
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"), "PYTHONPATH": str(ROOT)}
    print(f"app: {' '.join(command)}  database: {db.name} ({db.stat().st_size / 2**30:.1f} GiB)")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            mark = Path(tmp) / f"probe-{run}"
            start = time.time()
            try:
                done = subprocess.run([*command, "--db", str(db)], env={**env, "DESK_APP_STARTUP_PROBE": str(mark)},
                                      capture_output=True, text=True, timeout=120)
            except subprocess.TimeoutExpired:  # e.g. a dialog waiting for a person (an older bundle)
                print(f"run {run + 1}: no usable login window within 120 s; is the app older than "
                      f"the database (rebuild: bash scripts/build-bundle.sh)?")
                return 1
            if not mark.exists():
                print(f"run {run + 1}: no window (exit {done.returncode}): {done.stderr[-500:]}")
                return 1
            ready = float(mark.read_text(encoding="utf-8"))
            times.append((ready - start) * 1000)
            print(f"run {run + 1}: login window usable after {times[-1]:.0f} ms")
    print(f"first {times[0]:.0f} ms, median {statistics.median(times):.0f} ms, max {max(times):.0f} ms "
          f"(goal < 1000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
