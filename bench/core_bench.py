"""Counter core benchmark: search and save on a large demo ward database.

    python bench/core_bench.py [--dossiers 1000000] [--samples 300] [--db PATH]

Builds the database once with the demo generator (cached under bench/.cache/),
then prints p50/p95 for search by name without diacritics, by CCCD, by dossier
code, and for saving a new dossier (receipt, with synchronous=FULL).
Goals on a 2-core machine: search p95 < 10 ms, save p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desk_app.counter import Counter
from desk_app.storage import driver  # noqa: E402
from desk_app.demo import DEMO_ACCOUNTS, generate_demo  # noqa: E402
from desk_app.models.text import fold  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return p(0.50), p(0.95), ordered[-1]


def timed(fn, inputs) -> list[float]:
    out = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


def build(path: Path, dossiers: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    for leftover in tmp.parent.glob(tmp.name + "*"):
        leftover.unlink()
    start = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"  … {done}/{total} dossiers, {time.perf_counter() - start:.0f} s", flush=True)

    print(f"Building a {dossiers}-dossier demo ward at {path} (once; cached) …", flush=True)
    generate_demo(tmp, dossiers=dossiers, seed=2026, progress=progress)
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.rename(path)
    print(f"Built in {time.perf_counter() - start:.0f} s", flush=True)


BENCH_KEY = "b3" * 32  # a benchmark's key, not a secret: real wards wrap theirs (storage/keys.py)


def encrypted_copy(plain: Path) -> Path:
    from desk_app.storage import keys
    from desk_app.storage.encryption import _export

    target = plain.with_name(plain.stem + "-encrypted.sqlite3")
    if not target.exists():
        print(f"Encrypting a copy of {plain.name} with SQLCipher (once; cached) …", flush=True)
        start = time.perf_counter()
        _export(plain, target.with_name(target.name + ".part"), BENCH_KEY)
        target.with_name(target.name + ".part").rename(target)
        print(f"Encrypted in {time.perf_counter() - start:.0f} s", flush=True)
    keys.remember(target, BENCH_KEY)
    return target


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--encrypted", action="store_true",
                        help="the same ward encrypted with SQLCipher (an encrypted copy is made once and cached)")
    args = parser.parse_args()
    path = args.db or ROOT / "bench" / ".cache" / f"ward-{args.dossiers}.sqlite3"
    build(path, args.dossiers)
    if args.encrypted:
        path = encrypted_copy(path)

    start = time.perf_counter()
    counter = Counter.open(path)  # migrates an older cached database once (with its backup copy)
    opened = time.perf_counter() - start
    counter.login(DEMO_ACCOUNTS[1][0], DEMO_ACCOUNTS[1][3])
    rng = random.Random(1)
    total = counter.store.conn.execute("SELECT max(num) FROM dossiers").fetchone()[0]
    picks = []
    while len(picks) < args.samples:
        row = counter.store._one("SELECT code, applicant_name, applicant_id_number FROM dossiers WHERE num = ?",
                                 [rng.randint(1, total)])
        if row:
            picks.append(row)
    names = [fold(p["applicant_name"]) for p in picks]
    typed_part_way = [n[: max(3, len(n) - 3)] for n in names]  # "nguyen van d": the clerk stops typing
    every_word_cut = [" ".join(w[: max(2, len(w) - 1)] for w in n.split()) for n in names]  # "nguye va du"
    reordered = [" ".join(n.split()[1:] + n.split()[:1]) for n in names]  # "van duc nguyen"
    ids = [p["applicant_id_number"] for p in picks if p["applicant_id_number"]]
    codes = [p["code"] for p in picks]

    counter.dossiers.search(names[0])  # warm the page cache once, as a clerk's first search would
    results = {
        "search: full name, no diacritics": timed(counter.dossiers.search, names),
        "search: name typed part-way": timed(counter.dossiers.search, typed_part_way),
        "search: words out of order (FTS5)": timed(counter.dossiers.search, reordered),
        "search: every word cut short (FTS5)": timed(counter.dossiers.search, every_word_cut),
        "search: CCCD (12 digits)": timed(counter.dossiers.search, ids),
        "search: dossier code": timed(counter.dossiers.search, codes),
    }
    applicants = [{"full_name": p["applicant_name"], "id_number": p["applicant_id_number"]} for p in picks]
    results["save: new dossier (receipt)"] = timed(
        lambda a: counter.dossiers.receive("2.000884", a), applicants[: min(len(applicants), 200)])
    size_mb = os.path.getsize(path) / 1e6
    counts = counter.store.checks.counts()
    counter.close()

    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {driver.sqlite.sqlite_version} ({'SQLCipher, encrypted' if args.encrypted else 'plain file'})")
    print(f"Opened (and migrated if needed) in {opened:.1f} s")
    print(f"Database: {counts['dossiers']} dossiers, {counts['actions']} actions, {counts['citizens']} citizens, "
          f"{size_mb:.0f} MB")
    print(f"{'operation':38} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, samples in results.items():
        p50, p95, worst = percentiles(samples)
        print(f"{name:38} {len(samples):5d} {p50:8.2f} {p95:8.2f} {worst:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
