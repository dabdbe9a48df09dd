"""Crash soak: kill the desk app, the sync client and the district server with SIGKILL at
random moments, many times, and check that nothing was lost or doubled.

    python scripts/crash_soak.py [--kills 1000] [--seed 1] [--workdir DIR]

Three phases, each ``--kills`` times:
1. desk: a worker process receives dossiers and prints their receipts (a real PDF, the print
   journaled) in a loop; after each printed receipt it appends the dossier code to a ledger
   (fsync). It is killed at a random moment; the next start checks ``PRAGMA integrity_check``,
   the journal's hash chain and projection (``Counter.check``) and that every code in the
   ledger is a dossier in the database.
2. sync: ``desk-app sync --once`` pushes the outbox to a real ``desk-district serve`` and is
   killed at a random moment, again and again, while the worker adds more.
3. server: the district server is killed at random moments during pushes and restarted.
At the end the outbox is drained and the district must hold exactly the counter's actions
(``desk-district stats``): every synced action once. Prints one line per phase and a summary;
exit code 0 only when every check passed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
WARD = "42010"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the worker that gets killed -----------------------------------------------------------------
def worker(db: Path, ledger: Path, seed: int) -> None:
    """Receive and print for ever (until killed)."""
    from desk_app.counter import Counter
    from desk_app.printing.papers import Papers

    counter = Counter.open(db)
    counter.login("lan", "canbo1234")
    papers = Papers(counter)
    rng = random.Random(seed)
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Đặng Minh Giang"]
    with ledger.open("a", encoding="utf-8") as out:
        while True:
            n = rng.randrange(10**6)
            view = counter.dossiers.receive("2.000815", {"full_name": rng.choice(names), "id_number": f"042090{n:06d}",
                                                         "address": "Tổ dân phố 1, Phường Đại Nài"},
                                   form_data={"pages": 1 + n % 5, "copies": 1 + n % 3})
            paper = papers.dossier_paper(view.code, "receipt")  # rendered and the print journaled
            assert paper.pdf.startswith(b"%PDF")
            out.write(view.code + "\n")  # the receipt is in the citizen's hand from here on
            out.flush()
            os.fsync(out.fileno())


def _run(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, env={**ENV, **(env or {})}, timeout=timeout,
                          cwd=ROOT)


def _check_desk(db: Path, ledger: Path) -> list[str]:
    from desk_app.counter import Counter
    from desk_app.storage.driver import sqlite

    problems = []
    conn = sqlite.connect(str(db))
    result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    conn.close()
    if result != ["ok"]:
        problems.append(f"integrity_check: {result[:3]}")
    counter = Counter.open(db)
    try:
        problems += counter.check()
        printed = [c for c in ledger.read_text(encoding="utf-8").splitlines() if c] if ledger.exists() else []
        missing = [c for c in printed if counter.store.get_dossier(c) is None]
        if missing:
            problems.append(f"{len(missing)} printed receipts without their dossier: {missing[:3]}")
    finally:
        counter.close()
    return problems


def _kill_at_random(proc: subprocess.Popen, rng: random.Random, low: float, high: float) -> None:
    time.sleep(rng.uniform(low, high))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


class Server:
    def __init__(self, url: str, port: int) -> None:
        self.url, self.port, self.proc = url, port, None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "desk_district", "serve", "--db", self.url,
                                      "--port", str(self.port), "--log-level", "warning"],
                                     env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("district server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def soak(kills: int, seed: int, workdir: Path) -> int:
    rng = random.Random(seed)
    db, ledger = workdir / "ward.sqlite3", workdir / "printed.txt"
    district_db = f"sqlite:///{workdir / 'district.sqlite3'}"
    from desk_app.counter import Counter

    counter = Counter.open(db, create=True)
    counter.initialise(ward_code=WARD, ward_name="Phường Đại Nài", counter_no=1, admin_username="admin",
                       admin_password="quantri123")
    counter.login("admin", "quantri123")
    counter.add_clerk("lan", "Trần Thị Lan", "clerk", "canbo1234")
    counter.close()
    port = _free_port()
    server = Server(district_db, port)
    code = _run(sys.executable, "-m", "desk_district", "enroll", "--db", district_db, "--ward", WARD,
                "--counter", "1", "--ward-name", "Phường Đại Nài").stdout.strip().splitlines()[-1]
    server.start()
    enrolled = _run(sys.executable, "-m", "desk_app", "enroll", "--db", str(db), "--server",
                    f"http://127.0.0.1:{port}", "--code", code)
    if enrolled.returncode != 0:
        print(f"enrolment failed: {enrolled.stderr}")
        return 1
    failures = 0
    started = time.time()

    def spawn_worker(n: int) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, __file__, "worker", "--db", str(db), "--ledger", str(ledger),
                                 "--seed", str(seed * 100_000 + n)], env=ENV, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    # 1. the desk app killed during intake and printing
    for n in range(kills):
        proc = spawn_worker(n)
        _kill_at_random(proc, rng, 0.4, 1.6)
        problems = _check_desk(db, ledger)
        if problems:
            failures += 1
            print(f"desk kill {n + 1}: {problems}")
    printed = len(ledger.read_text(encoding="utf-8").splitlines()) if ledger.exists() else 0
    print(f"desk: {kills} kills during intake and printing, {printed} receipts printed, "
          f"{failures} with a problem ({time.time() - started:.0f} s)")

    # 2. the sync client killed mid-push, while the worker keeps adding
    failed_sync = 0
    worker_proc = spawn_worker(kills + 1)
    for n in range(kills):
        sync = subprocess.Popen([sys.executable, "-m", "desk_app", "sync", "--db", str(db), "--once"],
                                env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _kill_at_random(sync, rng, 0.3, 1.5)
    _kill_at_random(worker_proc, rng, 0.0, 0.1)
    problems = _check_desk(db, ledger)
    if problems:
        failed_sync += 1
        print(f"after the sync kills: {problems}")
    print(f"sync: {kills} sync clients killed mid-cycle, {failed_sync} problems")

    # 3. the district server killed during pushes
    failed_server = 0
    worker_proc = spawn_worker(kills + 2)
    for n in range(kills):
        sync = subprocess.Popen([sys.executable, "-m", "desk_app", "sync", "--db", str(db), "--once"],
                                env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.2))
        server.kill()
        sync.wait(timeout=120)
        server.start()
    _kill_at_random(worker_proc, rng, 0.0, 0.1)
    print(f"server: {kills} district servers killed during pushes")

    # drain and count: the backoff the kills caused is not what is measured here, so each try
    # clears it (a clerk's "Đồng bộ ngay" after the network is back)
    from desk_app.storage.db import connect

    for _ in range(60):
        conn = connect(db)
        conn.execute("UPDATE outbox SET next_attempt_at = NULL")
        conn.close()
        result = _run(sys.executable, "-m", "desk_app", "sync", "--db", str(db), "--once", timeout=300)
        counter = Counter.open(db)
        left = counter.store.outbox.count()
        local = counter.store.checks.counts()["actions"]
        counter.close()
        if left == 0:
            break
        time.sleep(0.5)
    stats = json.loads(_run(sys.executable, "-m", "desk_district", "stats", "--db", district_db, "--ward", WARD,
                            "--json").stdout)
    server.stop()
    held = stats.get("actions")
    exact = held == local and left == 0
    if not exact:
        failed_server += 1
        conn = connect(db)
        states = conn.execute("SELECT state, count(*), max(last_error) FROM outbox GROUP BY state").fetchall()
        conn.close()
        print(f"outbox by state (state, count, a last error): {states}; last sync: {result.stdout.strip()[-300:]}")
    problems = _check_desk(db, ledger)
    print(f"district holds {held} actions, the counter made {local}, outbox left {left}: "
          f"{'exactly once' if exact else 'MISMATCH'}; final check: {problems or 'ok'}")
    total = failures + failed_sync + failed_server + (1 if problems else 0)
    print(f"crash soak: {3 * kills} kills in {time.time() - started:.0f} s, "
          f"{'all checks passed' if total == 0 else f'{total} FAILED'}")
    return 0 if total == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode")
    w = sub.add_parser("worker")
    w.add_argument("--db", type=Path, required=True)
    w.add_argument("--ledger", type=Path, required=True)
    w.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.mode == "worker":
        worker(args.db, args.ledger, args.seed)
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return soak(args.kills, args.seed, args.workdir)
    with tempfile.TemporaryDirectory(prefix="crash-soak-") as tmp:
        return soak(args.kills, args.seed, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
