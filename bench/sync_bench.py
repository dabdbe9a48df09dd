"""Sync benchmark against a real district server process on loopback.

    python bench/sync_bench.py [--dossiers 10000 (0: skip)] [--counters 200] [--backend sqlite|postgresql|both]
                               [--client-processes 4] [--counters-nice 0,19] [--server-workers 1]
                               [--server-threads N] [--pin]

1. One counter pushes 10 000 demo dossiers (all their journal actions) in one sync cycle.
   Goal: < 10 s.
2. 200 counters of 20 wards sync at once (each has a few new dossiers): each runs one whole
   sync cycle (push, pull of the other counters' actions, reference data), all released at the
   same moment. Goal: p99 < 1 s per request, no errors. As in a district at work, reference data
   is published and each counter has synced once before (it holds that data, so its check is
   answered 304 Not Modified; until 2026-11-23 the bench published none and every check was a
   404 error answer).
Prints the figures for each server backend.

What is measured: the wall time of every HTTP request a counter makes, from the moment its
transport sends it to the moment the answer's last byte reached the counter's socket (the
kernel's receive time, SO_TIMESTAMPNS: ``TimingTransport``), and the errors its ``sync_once``
reports. Until 2026-11-23 the end was the moment the counter's thread had read that byte, which
counts the simulator's own waits (one of 50 threads in a process, on a machine it shares): that
time is printed too. The server is ``desk-district serve`` with its default options
(``--server-workers`` passes ``--workers``).

The simulated counters share this machine with the server. Until 2026-11 they were 200 threads
of one Python process: that process's interpreter lock then made a thread wait for its turn
before it could read an answer already there, so the client's own queue was part of every
figure (and its CPU use was more than the server's). They are now spread over
``--client-processes`` processes (threads within each); ``--client-processes 1`` gives the old
arrangement. Each counter still applies what it pulls on its own database, as a counter does.

The counters' own work then takes most of the machine's CPU (about twice the server's), which
in the field is spread over 200 PCs. So for the 200 counters the bench also prints each
request's time inside the server (its ``access_log.duration_ms``: from the application having
the request to its answer complete, before the access-log commit and the network), both by
route, and the CPU seconds of both sides; ``--pin`` puts the server and its PostgreSQL on
a core of their own and the simulated counters on the others, as if the server had its host.

The 200 counters sync in two bursts (each with wards of its own): first with the simulated
counters on equal footing with the server for the CPU, as every figure until 2026-11-23 was
measured; then with the simulated counters at nice 19, so that the server and its database get
the CPU first and the counters take what is left, which is what a server on its own host has
(``--pin`` gives it one core of two, and no more). A round trip still counts a counter's own
delays between taking the time and its request leaving (in the field each has a PC of its own).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpcore  # noqa: E402
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


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


class ArrivalStream(httpcore._backends.sync.SyncStream):
    """A connection that notes when the kernel received what each read returns (SO_TIMESTAMPNS):
    the moment an answer reached the counter, however late its thread gets to read it."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.arrived: float | None = None  # wall-clock seconds, of the last read's data

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            self._sock.settimeout(timeout)
            data, ancillary, _, _ = self._sock.recvmsg(max_bytes, socket.CMSG_SPACE(16))
        except socket.timeout as exc:
            raise httpcore.ReadTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ReadError(exc) from exc
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", payload[:16])
                self.arrived = seconds + nanoseconds / 1e9
        return data


class ArrivalBackend(httpcore.SyncBackend):
    def connect_tcp(self, *args, **kwargs) -> ArrivalStream:  # noqa: ANN002, ANN003
        return ArrivalStream(super().connect_tcp(*args, **kwargs)._sock)


class TimingTransport(httpx.HTTPTransport):
    """Records every request the sync client makes: its method and path, the time from sending it
    to its answer's last byte arriving at the counter's socket, and to that byte read by the
    counter's thread (which, 50 threads to a process sharing this machine's two cores, may wait
    long for its turn: a counter on its own PC does not)."""

    def __init__(self, sink: list[tuple[str, float, float]], lock: threading.Lock,
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__(verify=tls or True)  # one shared context: building one per counter takes ~30 ms
        self._pool._network_backend = ArrivalBackend()  # httpx has no parameter for it
        self.sink, self.lock = sink, lock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.time()
        start = time.perf_counter()
        response = super().handle_request(request)
        response.read()
        read = time.perf_counter() - start
        stream = response.extensions.get("network_stream")
        arrived = getattr(getattr(stream, "_stream", stream), "arrived", None)
        arrival = arrived - sent if arrived is not None and arrived >= sent else read
        with self.lock:
            self.sink.append((f"{request.method} {request.url.path}", min(arrival, read), read))
        return response


def start_server(url: str, workdir: Path, workers: int = 1, threads: int | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    extra = ["--threads", str(threads)] if threads else []
    proc = subprocess.Popen([sys.executable, "-m", "desk_district", "serve", "--db", url, "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers), *extra], cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


def district_database(url: str):
    """The bench's own connection to the server's database (one per URL), for what the CLI does."""
    from desk_district.db import Database

    found = _DATABASES.get(url)
    if found is None:
        found = _DATABASES.setdefault(url, Database(url))
    return found


def enroll_code(url: str, ward: str, counter: int, workdir: Path) -> str:
    """What `desk-district enroll` prints, made in-process (200 CLI starts would dominate the setup)."""
    from desk_district import service

    code, _ = service.create_enrollment_code(district_database(url), ward, counter, ward_name=f"Phường {ward}")
    return code


def _counters_process(paths: list[Path], ready, go, out, cpus: set[int] | None = None, nice: int = 0) -> None:
    """One client process: its counters as threads, each one ``sync_once``, every request timed."""
    if nice:
        os.nice(nice)
    if cpus:
        os.sched_setaffinity(0, cpus)
    timings: list[tuple[str, float, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    tls = ssl.create_default_context()
    clients = [SyncClient(p, timeout=60, transport=TimingTransport(timings, lock, tls)) for p in paths]
    start = threading.Barrier(len(clients) + 1)

    def one(sc: SyncClient) -> None:
        start.wait()
        r = sc.sync_once()
        if r.error or r.waiting:
            with lock:
                errors.append(r.error or f"{r.waiting} left")

    threads = [threading.Thread(target=one, args=(sc,)) for sc in clients]
    for t in threads:
        t.start()
    ready.wait()  # every process has its counters ready
    go.wait()  # released together
    cpu = time.process_time()
    start.wait()
    for t in threads:
        t.join()
    out.put((timings, errors, time.process_time() - cpu))


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time so far of a process and its children alive now, e.g. the worker
    processes of ``--workers`` (Linux /proc; None elsewhere)."""
    total = None
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total = (total or 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def sync_at_once(paths: list[Path], processes: int,
                 cpus: set[int] | None = None, nice: int = 0) -> tuple[list[tuple[str, float, float]], list[str], float, float]:
    """Every counter syncs once, all released at the same moment; the counters are spread over
    ``processes`` client processes (threads within each). Returns each request's time, the errors,
    the wall time from the release to the last counter done and the CPU seconds the simulated
    counters used from their release (their share of this machine, which the server shares)."""
    ctx = multiprocessing.get_context("spawn")
    processes = max(1, min(processes, len(paths)))
    ready, go, out = ctx.Barrier(processes + 1), ctx.Barrier(processes + 1), ctx.Queue()
    workers = [ctx.Process(target=_counters_process, args=(paths[k::processes], ready, go, out, cpus, nice))
               for k in range(processes)]
    for w in workers:
        w.start()
    ready.wait()
    start = time.perf_counter()
    go.wait()
    timings: list[tuple[str, float, float]] = []
    errors: list[str] = []
    client_cpu = 0.0
    for _ in workers:
        t, e, c = out.get()
        timings += t
        errors += e
        client_cpu += c
    wall = time.perf_counter() - start
    for w in workers:
        w.join()
    return timings, errors, wall, client_cpu


def server_durations(url: str, since: datetime, expected: int) -> list[tuple[str, str, float]]:
    """Each request's (method, route, time) as the server measured it (``access_log.duration_ms``,
    written a moment after the answer), for the requests made since ``since``: the server's own
    share of a round trip, without the wait of a simulated counter for its turn on this machine's CPU."""
    import sqlalchemy as sa

    from desk_district.db import access_log

    db = district_database(url)
    query = sa.select(access_log.c.method, access_log.c.route, access_log.c.duration_ms).where(
        access_log.c.at >= since, access_log.c.principal == "device")
    deadline = time.monotonic() + 10
    while True:
        with db.read() as conn:
            rows = [(r[0], r[1], float(r[2])) for r in conn.execute(query) if r[2] is not None]
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows


def by_route(timed: list[tuple[str, float]]) -> str:
    routes: dict[str, list[float]] = {}
    for route, ms in timed:
        routes.setdefault(route, []).append(ms)
    return "; ".join(f"{name} ×{len(v)} p50 {percentile(v, .5):.0f} p99 {percentile(v, .99):.0f} ms"
                     for name, v in sorted(routes.items()))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (Linux /proc), e.g. the PostgreSQL postmaster and backends."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def run_backend(name: str, url: str, args, tmp: Path, big: Path | None, template: Path,
                postmaster: int | None = None) -> None:
    print(f"\n== district server on {name}, {args.server_workers} worker process(es) ==", flush=True)
    proc, base = start_server(url, tmp, args.server_workers, args.server_threads)
    try:
        # 1. one counter, ten thousand dossiers (``--dossiers 0``: skipped)
        if big is not None:
            push_many(name, url, base, args, tmp, big)
        for burst, nice in enumerate(args.counters_nice):  # each burst with wards of its own
            many_at_once(name, url, proc, base, args, tmp, template, postmaster, nice, ward_base=43000 + 1000 * burst)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def push_many(name: str, url: str, base: str, args, tmp: Path, big: Path) -> None:
    path = tmp / f"big-{name}.sqlite3"
    shutil.copyfile(big, path)
    client = SyncClient(path, timeout=120)
    client.enroll(base, enroll_code(url, "42010", 1, tmp))
    start = time.perf_counter()
    report = client.sync_once()
    took = time.perf_counter() - start
    print(f"push {args.dossiers} dossiers ({report.pushed} actions): {took:.1f} s "
          f"(error: {report.error or 'none'}, waiting after: {report.waiting})", flush=True)


def publish_reference(url: str) -> str:
    """The repo's catalogue and form templates published, as `desk-district reference` does."""
    from desk_app.paths import resource_path, templates_dir
    from desk_district import service
    from desk_district.cli import build_reference

    content = build_reference(resource_path("catalogue", "procedures.json"), templates_dir())
    version, _ = service.publish_reference(district_database(url), content)
    return version


def many_at_once(name: str, url: str, proc: subprocess.Popen, base: str, args, tmp: Path, template: Path,
                 postmaster: int | None, nice: int = 0, ward_base: int = 43000) -> None:
    # Steady state: the district has published its reference data and each counter has synced
    # once before (so holds it: its check in the burst is answered 304 Not Modified).
    publish_reference(url)
    paths = []
    for i in range(args.counters):
        ward, counter_no = f"{ward_base + i // 10}", i % 10 + 1
        p = tmp / f"c-{name}-{ward_base}-{i}.sqlite3"
        shutil.copyfile(template, p)
        c = Counter.open(p)
        c.set_settings({"ward_code": ward, "counter_no": counter_no, "device_id": new_id()})
        c.close()
        client = SyncClient(p, timeout=60)
        client.enroll(base, enroll_code(url, ward, counter_no, tmp))
        warm_up = client.sync_once()
        if warm_up.error or not warm_up.reference_updated:
            raise RuntimeError(f"counter {i}: first sync {warm_up}")
        c = Counter.open(p)
        c.clerk = Clerk("admin", "Quản trị", "admin")
        for k in range(3):
            view = c.dossiers.receive("2.000884", {**APPLICANT, "id_number": f"0420900{i:03d}{k:02d}"})
            c.dossiers.mark_result_ready(view.code)
        c.close()
        paths.append(p)
    server_cpu = process_cpu_seconds(proc.pid)
    database_cpu = process_cpu_seconds(postmaster) if postmaster else None
    released = datetime.now(timezone.utc)
    client_cpus = None
    if args.pin:  # the server (and its PostgreSQL) on a core of their own, as on their own
        cores = sorted(os.sched_getaffinity(0))  # machine; the simulated counters on the rest
        for pid in process_tree(proc.pid) + (process_tree(postmaster) if postmaster else []):
            os.sched_setaffinity(pid, {cores[0]})  # PostgreSQL backends forked later inherit it
        client_cpus = set(cores[1:]) or {cores[0]}
    timed, errors, wall, client_cpu = sync_at_once(paths, args.client_processes, client_cpus, nice)
    timings = [arrival for _, arrival, _ in timed]
    read = [seconds for _, _, seconds in timed]
    if server_cpu is not None:
        server_cpu = process_cpu_seconds(proc.pid) - server_cpu
    if database_cpu is not None:  # the backends of the server's pool live on: their CPU is counted
        database_cpu = (process_cpu_seconds(postmaster) or 0.0) - database_cpu
    pinned = ", server and its database pinned to one core" if args.pin else ""
    footing = (f"counters at nice {nice}: the server first, as on a host of its own" if nice > 0
               else "counters on equal footing with the server")
    print(f"{len(paths)} counters at once ({args.client_processes} client processes, {footing}{pinned}): "
          f"{len(timings)} requests in {wall:.1f} s; per request, sent to answered (its last byte at the "
          f"counter's socket): p50 {percentile(timings, .5) * 1000:.0f} ms, p95 {percentile(timings, .95) * 1000:.0f} ms, "
          f"p99 {percentile(timings, .99) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms; "
          f"errors: {len(errors)}", flush=True)
    print("    by route: " + by_route([(route, seconds * 1000) for route, seconds, _ in timed]), flush=True)
    print(f"  sent to read by the simulated counter's thread (its own waits for the CPU included): "
          f"p50 {percentile(read, .5) * 1000:.0f} ms, p95 {percentile(read, .95) * 1000:.0f} ms, "
          f"p99 {percentile(read, .99) * 1000:.0f} ms, max {max(read) * 1000:.0f} ms", flush=True)
    # Where this machine's CPU went: the server's own share against the simulated counters'
    # (in the field each counter is its own PC; here they compete with the server).
    logged = server_durations(url, released, len(timings))
    inside = [ms for _, _, ms in logged]
    if inside:
        print(f"  inside the server (its access log: request received to answer complete): "
              f"p50 {percentile(inside, .5):.0f} ms, p95 {percentile(inside, .95):.0f} ms, "
              f"p99 {percentile(inside, .99):.0f} ms, max {max(inside):.0f} ms", flush=True)
        print("    by route: " + by_route([(f"{method} {route}", ms) for method, route, ms in logged]), flush=True)
    print(f"  CPU from the release: server {server_cpu if server_cpu is not None else float('nan'):.1f} s, "
          + (f"its PostgreSQL {database_cpu:.1f} s, " if database_cpu is not None else "")
          + f"simulated counters {client_cpu:.1f} s, over {wall:.1f} s on {os.cpu_count()} cores", flush=True)
    if errors:
        print("  first error:", errors[0])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=10_000, help="for the one-counter push (0: skip it)")
    parser.add_argument("--counters", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--server-workers", type=int, default=1, help="desk-district serve --workers")
    parser.add_argument("--pin", action="store_true",
                        help="for the 200 counters: the server (and PostgreSQL) alone on the first CPU core, "
                             "the simulated counters on the others (Linux), so their work does not take the "
                             "server's CPU")
    parser.add_argument("--server-threads", type=int, default=None,
                        help="desk-district serve --threads (default: the server's own default)")
    parser.add_argument("--counters-nice", type=lambda text: [int(n) for n in text.split(",")], default=[0, 19],
                        help="a burst of the 200 counters for each CPU niceness of their processes, e.g. 0,19 "
                             "(the default): 0 on equal footing with the server; 19 the server first, as when "
                             "it has its host and the counters are PCs of their own (Linux)")
    parser.add_argument("--client-processes", type=int, default=4,
                        help="processes the simulated counters are spread over (1: all threads of one process)")
    args = parser.parse_args()
    cache = ROOT / "bench" / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    big: Path | None = cache / f"sync-{args.dossiers}.sqlite3"
    if not args.dossiers:
        big = None
    elif not big.exists():
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
                postmaster = int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])
                run_backend("PostgreSQL", cluster.new_database(), args, tmp, big, template, postmaster)
            finally:
                cluster.stop()
                shutil.rmtree(cluster.root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
