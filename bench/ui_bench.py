"""Counter window responsiveness on a large ward database (goal: every action < 100 ms).

    QT_QPA_PLATFORM=offscreen python bench/ui_bench.py [--db bench/.cache/ward-1000000.sqlite3]

Works on a copy-free basis: the dossiers it saves are added to the database given (the core
benchmark's cache by default). Prints p50/p95/max per action, with the real widgets.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from desk_app.counter import Counter  # noqa: E402
from desk_app.demo import DEMO_ACCOUNTS  # noqa: E402
from desk_app.models.text import fold  # noqa: E402
from desk_app.ui.app import MainWindow  # noqa: E402


class NoPrinter:
    def print_pdf(self, pdf: bytes, title: str) -> None:
        pass


RAW = "--raw" in sys.argv  # each sample in the order taken (the first after start, ...)


def measure(label: str, fn, inputs, app: QApplication, table: list) -> None:
    samples = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        app.processEvents()
        samples.append((time.perf_counter() - start) * 1000)
    s = sorted(samples)
    table.append((label, len(s), statistics.median(s), s[min(len(s) - 1, int(len(s) * 0.95))], s[-1]))
    if RAW:
        print(f"{label}: " + " ".join(f"{x:.0f}" for x in samples), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / ".cache" / "ward-1000000.sqlite3")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--raw", action="store_true", help="print every sample in the order taken")
    args = parser.parse_args()
    if not args.db.exists():
        print(f"{args.db} does not exist: run bench/core_bench.py first (it builds the database).")
        return 1
    app = QApplication.instance() or QApplication([])
    start = time.perf_counter()
    counter = Counter.open(args.db)
    counter.login(DEMO_ACCOUNTS[1][0], DEMO_ACCOUNTS[1][3])
    window = MainWindow(counter, printer=NoPrinter(), preview=False)
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    opened = (time.perf_counter() - start) * 1000
    rng = random.Random(3)
    top = counter.store.conn.execute("SELECT max(num) FROM dossiers").fetchone()[0]
    rows = [counter.store._one("SELECT code, applicant_name, applicant_id_number FROM dossiers WHERE num = ?",
                               [rng.randint(1, top)]) for _ in range(args.n)]
    rows = [r for r in rows if r]
    table: list = []
    dossiers = window.dossiers
    # the search box runs this 180 ms after the last key (debounce); timed here is the search itself
    measure("search + fill list: name without diacritics", lambda r: dossiers.search(fold(r["applicant_name"])),
            rows, app, table)
    measure("search + fill list: dossier code", lambda r: dossiers.search(r["code"]), rows, app, table)
    queues = ["due_today", "overdue", "needs_apology", "ready_to_return", "waiting_supplement", "transferred"]
    measure("switch work queue", lambda q: dossiers.show_queue(q), queues * 3, app, table)
    measure("open a dossier (details + journal)", lambda r: dossiers.open_dossier(r["code"]), rows, app, table)
    intake = window.intake
    measure("intake: choose procedure", lambda _: intake.choose_procedure("1.001193"), range(10), app, table)
    measure("intake: find returning citizen by CCCD",
            lambda r: intake.lookup_citizen(r["applicant_id_number"]), [r for r in rows if r["applicant_id_number"]],
            app, table)

    def accept(r):
        intake.choose_procedure("2.000884")
        intake.set_values({"applicant.full_name": r["applicant_name"], "applicant.id_number": r["applicant_id_number"],
                           "certification.kind": "Chứng thực chữ ký", "document.name": "Giấy ủy quyền"})
        intake.accept()  # saves, renders receipt + request form, sends them to the printer

    measure("intake: accept and print receipt + form", accept, rows[:10], app, table)
    window.intake.shutdown()
    counts = counter.store.checks.counts()
    counter.close()
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"Database: {args.db.name}, {counts['dossiers']} dossiers; window open in {opened:.0f} ms")
    print(f"Peak memory (RSS) of the app after these actions: {rss:.0f} MB (goal < 250 MB)")
    print(f"{'action':44} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, n, p50, p95, worst in table:
        print(f"{label:44} {n:4d} {p50:8.1f} {p95:8.1f} {worst:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
