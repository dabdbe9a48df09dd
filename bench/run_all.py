"""Every benchmark behind one command, with one table at the end.

    python bench/run_all.py [--quick]

Runs core_bench (search and save at 1 M dossiers, plain and encrypted), ui_bench (the window,
peak memory), pdf_bench (ours against LibreOffice when installed), stats_bench, startup_bench
(the bundle when built) and sync_bench (10 000 dossiers pushed, 200 counters, SQLite and
PostgreSQL when available), each as its own process, prints their outputs as they come and then
the table of headline figures. ``--quick`` uses small sizes (a smoke run, not the figures).
The latest table, with the machine it ran on, is kept in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}


def run(label: str, *args: str) -> str:
    print(f"\n=== {label}: {' '.join(args)}", flush=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=ENV, cwd=ROOT)
    out = done.stdout + (f"\n[stderr]\n{done.stderr[-2000:]}" if done.returncode else "")
    print(out, flush=True)
    print(f"({time.perf_counter() - start:.0f} s, exit {done.returncode})", flush=True)
    return done.stdout


def warm(*paths: Path) -> None:
    """Read the large databases once so every benchmark sees the same warm page cache (the first
    run after a reboot reads from disk: its figures are the cold ones, not these)."""
    for path in paths:
        if not path.exists():
            continue
        start, size = time.perf_counter(), 0
        with open(path, "rb") as f:
            while chunk := f.read(16 << 20):
                size += len(chunk)
        print(f"page cache: read {path.name} ({size / 2**30:.1f} GiB) in {time.perf_counter() - start:.0f} s",
              flush=True)


def sync_rows(text: str) -> list[tuple[str, str, str]]:
    """The sync bench's figures per server backend: push time, and the 200 counters' p99 both as
    the counters saw it (round trip on this shared machine) and inside the server."""
    rows = []
    for section in re.split(r"^== district server on ", text, flags=re.M)[1:]:
        backend = section.split(",", 1)[0]
        count = grab(section, r"^push (\d+) dossiers")
        rows.append((f"sync {backend}: push of {count} dossiers",
                     grab(section, r"^push .*?: ([\d.]+ s)"), "< 10 s"))
        rows.append((f"sync {backend}: 200 counters, round trip p99", grab(section, r"counters at once.*?p99 (\d+ ms)"),
                     "p99 < 1 s, no errors") if "errors: 0" in section else
                    (f"sync {backend}: 200 counters", "ERRORS", "no errors"))
        rows.append((f"sync {backend}: 200 counters, inside server p99",
                     grab(section, r"inside the server.*?p99 (\d+ ms)"), "p99 < 1 s"))
    return rows


def grab(text: str, pattern: str) -> str:
    match = re.search(pattern, text, re.M)
    return match.group(1) if match else "—"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 2000 if args.quick else 1_000_000
    samples = "50" if args.quick else "300"
    rows = []
    cache = ROOT / "bench" / ".cache"
    warm(cache / f"ward-{n}.sqlite3", cache / f"ward-{n}-encrypted.sqlite3")
    core = run("core", "bench/core_bench.py", "--dossiers", str(n), "--samples", samples)
    for name in ("search: full name, no diacritics", "search: CCCD (12 digits)", "save: new dossier (receipt)"):
        rows.append((f"{name} ({n} dossiers)", grab(core, rf"^{re.escape(name)}\s+\d+\s+\S+\s+(\S+)") + " ms p95",
                     "p95 < 10 ms" if "search" in name else "p95 < 100 ms"))
    enc = run("core, encrypted", "bench/core_bench.py", "--dossiers", str(n), "--samples", samples, "--encrypted")
    rows.append(("search: full name, encrypted", grab(enc, r"^search: full name, no diacritics\s+\d+\s+\S+\s+(\S+)")
                 + " ms p95", "p95 < 10 ms"))
    rows.append(("save: new dossier, encrypted", grab(enc, r"^save: new dossier \(receipt\)\s+\d+\s+\S+\s+(\S+)")
                 + " ms p95", "p95 < 100 ms"))
    db = ROOT / "bench" / ".cache" / f"ward-{n}.sqlite3"
    ui = run("window", "bench/ui_bench.py", "--db", str(db), "--n", "10" if args.quick else "30")
    rows.append(("window: accept and print receipt + form",
                 grab(ui, r"^intake: accept and print receipt \+ form\s+\d+\s+\S+\s+(\S+)") + " ms p95", "< 100 ms"))
    rows.append(("memory of the app (RSS)", grab(ui, r"Peak memory \(RSS\)[^:]*: (\d+ MB)"), "< 250 MB"))
    pdf = run("pdf", "bench/pdf_bench.py", "--n", "50" if args.quick else "200", "--lo-n", "2" if args.quick else "5")
    rows.append(("PDF receipt + declaration", grab(pdf, r"receipt \+ declaration\s+p50\s+(\S+ ms)") + " p50", "< 25 ms"))
    rows.append(("PDF against LibreOffice", grab(pdf, r"ours is (\d+x) faster"), "≥ 100x"))
    stats = run("statistics", "bench/stats_bench.py", "--dossiers", str(n), "--runs", "3")
    rows.append(("statistics for a year, slowest", grab(stats, r"slowest: (\d+ ms)"), "< 1 s"))
    start = run("cold start", "bench/startup_bench.py", "--dossiers", str(n), "--runs", "5")
    rows.append(("cold start to a usable window", grab(start, r"median (\d+ ms)") + " median", "< 1.0 s"))
    sync = run("sync", "bench/sync_bench.py", *(["--dossiers", "300", "--counters", "20", "--backend", "sqlite"]
                                                  if args.quick else ["--backend", "both"]))
    rows += sync_rows(sync)
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"{'benchmark':48} {'measured':>18}  goal")
    for name, value, goal in rows:
        print(f"{name:48} {value:>18}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
