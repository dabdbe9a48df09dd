"""Statistics benchmark: any figure for a year on the 1 000 000-dossier demo ward.

    python bench/stats_bench.py [--dossiers 1000000] [--runs 5]

Uses the demo database cached by core_bench.py (bench/.cache/ward-N.sqlite3; built there if
missing). Opening it with a newer schema migrates it first (timed and printed; the migration
copies a backup beside it, which this script deletes afterwards to save disk). Then, for the
busiest calendar year in the file and for its last month, times ``Counter.statistics`` for the
total and by procedure, domain, clerk and month. Goal: every one under 1 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desk_app.counter import Counter  # noqa: E402
from desk_app.models.statistics import Period  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = ROOT / "bench" / ".cache" / f"ward-{args.dossiers}.sqlite3"
    if not path.exists():
        sys.path.insert(0, str(ROOT / "bench"))
        import core_bench

        core_bench.build(path, args.dossiers)  # about an hour for a million: once, cached
    start = time.perf_counter()
    counter = Counter.open(path)
    opened = time.perf_counter() - start
    backups = path.parent / "backups"
    if backups.exists():
        shutil.rmtree(backups)
    print(f"database {path.name}: opened (with any migration) in {opened:.1f} s")
    conn = counter.store.conn
    years = conn.execute("SELECT substr(received_at, 1, 4) y, count(*) n FROM dossiers "
                         "WHERE received_at IS NOT NULL GROUP BY y ORDER BY n DESC").fetchall()
    year = int(years[0][0])
    print("dossiers received per year: " + ", ".join(f"{y}: {n}" for y, n in sorted(years)))
    last_day = conn.execute("SELECT max(received_at) FROM dossiers WHERE received_at LIKE ?",
                            (f"{year}%",)).fetchone()[0]
    last = date.fromisoformat(last_day[:10])
    cases = [(f"year {year}", Period(date(year, 1, 1), date(year, 12, 31))),
             (f"month {last:%m/%Y}", Period.month(last))]
    print(f"{'period':<14} {'by':<10} {'p50 ms':>8} {'max ms':>8}  received / solved / pending")
    worst = 0.0
    for label, period in cases:
        for dimension in (None, "procedure", "domain", "clerk", "month"):
            times = []
            table = None
            for _ in range(args.runs):
                t0 = time.perf_counter()
                table = counter.statistics(period, dimension=dimension)
                times.append((time.perf_counter() - t0) * 1000)
            worst = max(worst, max(times))
            t = table.total
            print(f"{label:<14} {dimension or 'total':<10} {statistics.median(times):8.1f} {max(times):8.1f}  "
                  f"{t['received']} / {t['solved']} / {t['pending_not_due'] + t['pending_overdue']}")
    print(f"slowest: {worst:.0f} ms (goal < 1000 ms)")
    counter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
