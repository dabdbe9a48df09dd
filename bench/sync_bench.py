"""Sync benchmark against a real district server process on loopback.

    python bench/sync_bench.py [--dossiers 10000] [--counters 200] [--backend sqlite|postgresql|both]

1. One counter pushes 10 000 demo dossiers (all their journal actions) in one sync cycle.
   Goal: < 10 s.
2. 200 counters of 20 wards sync at once (each has a few new dossiers).
   Goal: p99 < 1 s per request, no errors.
Prints the figures for each server backend.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from desk_app.counter import Counter  # noqa: E402
from desk_app.demo import generate_demo  # noqa: E402
from desk_app.models.clerks import Clerk  # noqa: E402
from desk_app.models.journal import new_id  # noqa: E402
from desk_app.sync.client import SyncClient  # noqa: E402

APPLICANT = {"full_name": "Nguyễn Văn Đức", "id_number": "042090012345", "phone": "0912345678"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TimingTransport(httpx.HTTPTransport):
    """Records the wall time of every request the sync client makes."""

    def __init__(self, sink: list[float], lock: threading.Lock) -> None:
        super().__init__()
        self.sink, self.lock = sink, lock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = super().handle_request(request)
        response.read()
        with self.lock:
            self.sink.append(time.perf_counter() - start)
        return response


def start_server(url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "desk_district", "serve", "--db", url, "--host", "127.0.0.1",
                             "--port", str(port)], cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode(errors="replace")[-2000:])


_DATABASES: dict[str, object] = {}


def enroll_code(url: str, ward: str, counter: int, workdir: Path) -> str:
    """What `desk-district enroll` prints, made in-process (200 CLI starts would dominate the setup)."""
    from desk_district import service
    from desk_district.db import Database

    db = _DATABASES.get(url) or _DATABASES.setdefault(url, Database(url))
    code, _ = service.create_enrollment_code(db, ward, counter, ward_name=f"Phường {ward}")
    return code


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_backend(name: str, url: str, args, tmp: Path, big: Path, template: Path) -> None:
    print(f"\n== district server on {name} ==", flush=True)
    proc, base = start_server(url, tmp)
    try:
        # 1. one counter, ten thousand dossiers
        path = tmp / f"big-{name}.sqlite3"
        shutil.copyfile(big, path)
        client = SyncClient(path, timeout=120)
        client.enroll(base, enroll_code(url, "42010", 1, tmp))
        start = time.perf_counter()
        report = client.sync_once()
        took = time.perf_counter() - start
        print(f"push {args.dossiers} dossiers ({report.pushed} actions): {took:.1f} s "
              f"(error: {report.error or 'none'}, waiting after: {report.waiting})", flush=True)

        # 2. many counters at once
        timings: list[float] = []
        lock = threading.Lock()
        clients = []
        for i in range(args.counters):
            ward, counter_no = f"{43000 + i // 10}", i % 10 + 1
            p = tmp / f"c-{name}-{i}.sqlite3"
            shutil.copyfile(template, p)
            c = Counter.open(p)
            c.set_settings({"ward_code": ward, "counter_no": counter_no, "device_id": new_id()})
            c.clerk = Clerk("admin", "Quản trị", "admin")
            for k in range(3):
                view = c.receive("2.000884", {**APPLICANT, "id_number": f"0420900{i:03d}{k:02d}"})
                c.mark_result_ready(view.code)
            c.close()
            sc = SyncClient(p, timeout=60, transport=TimingTransport(timings, lock))
            sc.enroll(base, enroll_code(url, ward, counter_no, tmp))
            clients.append(sc)
        timings.clear()
        errors: list[str] = []
        barrier = threading.Barrier(len(clients))

        def one(sc: SyncClient) -> None:
            barrier.wait()
            r = sc.sync_once()
            if r.error or r.waiting:
                with lock:
                    errors.append(r.error or f"{r.waiting} left")

        threads = [threading.Thread(target=one, args=(sc,)) for sc in clients]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        print(f"{len(clients)} counters at once: {len(timings)} requests in {wall:.1f} s; per request "
              f"p50 {percentile(timings, .5) * 1000:.0f} ms, p95 {percentile(timings, .95) * 1000:.0f} ms, "
              f"p99 {percentile(timings, .99) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms; "
              f"errors: {len(errors)}", flush=True)
        if errors:
            print("  first error:", errors[0])
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--counters", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    cache = ROOT / "bench" / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    big = cache / f"sync-{args.dossiers}.sqlite3"
    if not big.exists():
        print(f"Building a {args.dossiers}-dossier counter database (once; cached) …", flush=True)
        generate_demo(big.with_suffix(".building"), dossiers=args.dossiers, seed=11)
        for suffix in ("-wal", "-shm"):
            Path(str(big.with_suffix(".building")) + suffix).unlink(missing_ok=True)
        big.with_suffix(".building").rename(big)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        template = tmp / "template.sqlite3"
        c = Counter.open(template, create=True)
        c.initialise(ward_code="43000", ward_name="Phường mẫu", counter_no=1, admin_username="admin",
                     admin_password="quantri123")
        c.close()
        if args.backend in ("sqlite", "both"):
            run_backend("SQLite", f"sqlite:///{tmp / 'district.sqlite3'}", args, tmp, big, template)
        if args.backend in ("postgresql", "both"):
            sys.path.insert(0, str(ROOT))
            from tests.district.conftest import _start_cluster  # the same throwaway cluster as the tests

            cluster = _start_cluster()
            try:
                run_backend("PostgreSQL", cluster.new_database(), args, tmp, big, template)
            finally:
                cluster.stop()
                shutil.rmtree(cluster.root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
