"""Fixtures for the district server: the REAL server (uvicorn on 127.0.0.1, a free port) on
SQLite and on a throwaway PostgreSQL cluster, and real counter databases that make the
actions to push.

PostgreSQL: the first test that needs it finds ``pg_ctl``/``initdb`` (PATH or
/usr/lib/postgresql/*/bin), installs the ``postgresql`` Debian package if they are missing
and we are root, then runs ``initdb`` in a temporary folder as the ``postgres`` user (initdb
refuses root) and starts it on 127.0.0.1 with a free port and trust auth. Each test gets
its own new database. Without PostgreSQL the ``postgresql`` tests are skipped, unless
``CI`` is set: there they fail.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
import uvicorn

from desk_app.counter import Counter
from desk_app.models.clerks import Clerk
from desk_app.models.clock import VN_TZ
from desk_app.models.journal import GENESIS_HASH, Action, new_id, seal
from desk_app.storage.records import action_from_row
from desk_district.app import create_app
from desk_district.db import Database
from desk_district import service
from tests.conftest import APPLICANT, FakeClock

BIRTH = "1.001193"  # same day
MARITAL = "1.004873"  # 3 working days, can be transferred
IN_CI = bool(os.environ.get("CI"))
START = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)  # Monday 23/11/2026, 09:00
# One TLS context for every test client: httpx builds (and loads CAs into) one per client otherwise,
# ~30 ms each, although these tests speak plain HTTP on loopback.
TLS = ssl.create_default_context()


# -- PostgreSQL ---------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")])
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    if which and shutil.which("initdb"):
        return Path(which).resolve().parent
    return None


def _install_postgresql() -> str:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "pg_ctl/initdb không có và không cài được (cần quyền root và apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env, timeout=600)
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    return "" if result.returncode == 0 else f"apt-get install postgresql failed: {result.stderr[-2000:]}"


@dataclass
class PgCluster:
    bin: Path
    root: Path
    port: int
    user: str | None  # the OS user running the server (None: ourselves)
    superuser: str = "desk"

    def run(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess:
        extra: dict[str, Any] = {}
        if self.user:
            entry = pwd.getpwnam(self.user)
            extra = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        return subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                              cwd=self.root, timeout=120, **extra, **kwargs)

    def start(self) -> None:
        data = self.root / "data"
        result = self.run("initdb", "-D", str(data), "-U", self.superuser, "-A", "trust", "-E", "UTF8",
                          "--locale=C", "--no-sync")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stdout}\n{result.stderr}")
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=400 -c shared_buffers=32MB")
        result = self.run("pg_ctl", "-D", str(data), "-l", str(self.root / "server.log"), "-o", options,
                          "-w", "-t", "60", "start")
        if result.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {result.stdout}\n{result.stderr}\n{log[-3000:]}")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        """Stopped (every connection cut) and started again with the same options. Not as by a
        crash: this throwaway cluster runs without fsync and synchronous commit, so a crash would
        lose what it had confirmed, which a real server's settings never allow."""
        result = self.run("pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "server.log"), "-m", "fast",
                          "-w", "-t", "60", "restart")
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl restart failed: {result.stdout}\n{result.stderr}")

    def new_database(self) -> str:
        import psycopg

        name = f"district_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.superuser, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/{name}"


def _start_cluster() -> PgCluster:
    bin_dir = _pg_bin()
    if bin_dir is None:
        problem = _install_postgresql()
        bin_dir = _pg_bin()
        if bin_dir is None:
            raise RuntimeError(problem or "PostgreSQL installed but pg_ctl not found")
    user = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres").pw_name
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                            "desk-pg"], check=True, capture_output=True)
            user = "desk-pg"
    root = Path(tempfile.mkdtemp(prefix="desk-district-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    cluster = PgCluster(bin_dir, root, _free_port(), user)
    try:
        cluster.start()
    except Exception:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = _start_cluster()
    except Exception as exc:  # noqa: BLE001 - reported as a skip or a CI failure
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.root, ignore_errors=True)


@dataclass
class Backend:
    name: str
    new_url: Callable[[], str]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory) -> Backend:
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("district-sqlite")
        return Backend("sqlite", lambda: f"sqlite:///{folder / uuid.uuid4().hex[:12]}.sqlite3")
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return Backend("postgresql", cluster.new_database)


# -- the live server --------------------------------------------------------------------------------
class LiveServer:
    """``create_app`` served by uvicorn in a thread, on a socket bound to 127.0.0.1:0."""

    def __init__(self, url: str, clock: FakeClock) -> None:
        self.db_url = url
        self.clock = clock
        self.app = create_app(url, clock=clock)
        self.db: Database = self.app.state.db
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so (else each
        # answer waits ~40 ms for a delayed ACK)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.http = httpx.Client(base_url=self.base_url, timeout=30, verify=TLS)

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60, verify=TLS)

    def enrollment_code(self, ward: str, counter: int, ward_name: str | None = None) -> str:
        code, _ = service.create_enrollment_code(self.db, ward, counter, ward_name=ward_name,
                                                 now=self.clock())
        return code

    def admin_token(self) -> str:
        return service.create_admin_token(self.db, "Sở Tư pháp", now=self.clock())


@pytest.fixture
def server_clock() -> FakeClock:
    return FakeClock(START + timedelta(minutes=5))


@pytest.fixture
def server(backend: Backend, server_clock: FakeClock) -> Iterator[LiveServer]:
    live = LiveServer(backend.new_url(), server_clock)
    yield live
    live.stop()


# -- real counters -----------------------------------------------------------------------------------
@dataclass
class Desk:
    """A real counter database (``Counter``) enrolled, or not yet, on the server."""

    counter: Counter
    clock: FakeClock
    path: Path
    token: str | None = None
    sent: set[str] = field(default_factory=set)

    @property
    def device_id(self) -> str:
        return self.counter.device_id

    def journal(self) -> list[dict[str, Any]]:
        """This device's own actions, in its journal order, as the protocol sends them."""
        store = self.counter.store
        out = []
        for row in store.query("SELECT * FROM actions WHERE device_id = ? ORDER BY seq", [self.device_id]):
            out.append({**action_from_row(row).to_dict(), "seq": row["seq"]})
        return out

    def unsent(self) -> list[dict[str, Any]]:
        return [a for a in self.journal() if a["id"] not in self.sent]

    def enroll(self, live: LiveServer, *, code: str | None = None) -> httpx.Response:
        code = code or live.enrollment_code(self.counter.ward_code, self.counter.counter_no,
                                            self.counter.ward_name)
        response = live.http.post("/api/v1/enroll", json={
            "ward_code": self.counter.ward_code, "counter": self.counter.counter_no, "code": code,
            "device_id": self.device_id, "device_name": f"Máy quầy {self.counter.counter_no}",
            "paper_key": self.counter.setting("paper_key")})
        if response.status_code == 200:
            self.token = response.json()["device_token"]
        return response

    def push(self, live: LiveServer, actions: list[dict[str, Any]] | None = None) -> httpx.Response:
        batch = self.unsent() if actions is None else actions
        with live.client(self.token) as http:
            response = http.post("/api/v1/actions", json={"device_id": self.device_id, "actions": batch})
        if response.status_code == 200:
            self.sent.update(r["id"] for r in response.json()["results"] if r["status"] != "rejected")
        return response

    def pull(self, live: LiveServer, after: int = 0, limit: int | None = None) -> httpx.Response:
        params: dict[str, Any] = {"after": after}
        if limit is not None:
            params["limit"] = limit
        with live.client(self.token) as http:
            return http.get("/api/v1/actions", params=params)


@pytest.fixture(scope="session")
def _desk_templates(tmp_path_factory) -> Callable[[str, str, int], Path]:
    """One initialised counter database per (ward, counter number), made once: initialise hashes
    the admin password with argon2, which is slow on purpose."""
    folder = tmp_path_factory.mktemp("desk-templates")
    made: dict[tuple[str, str, int], Path] = {}

    def template(ward: str, ward_name: str, counter_no: int) -> Path:
        key = (ward, ward_name, counter_no)
        if key not in made:
            path = folder / f"{ward}-{counter_no}-{len(made)}.sqlite3"
            counter = Counter.open(path, clock=FakeClock(START), create=True)
            counter.initialise(ward_code=ward, ward_name=ward_name, counter_no=counter_no, admin_username="admin",
                               admin_password="quantri123", admin_full_name="Nguyễn Thị Quản Trị")
            counter.close()
            made[key] = path
        return made[key]

    return template


@pytest.fixture
def make_desk(tmp_path, _desk_templates) -> Iterator[Callable[..., Desk]]:
    made: list[Desk] = []

    def make(ward: str = "42010", ward_name: str = "Phường Đại Nài", counter_no: int = 1) -> Desk:
        clock = FakeClock(START)
        path = tmp_path / f"ward-{ward}-{counter_no}-{len(made)}.sqlite3"
        shutil.copyfile(_desk_templates(ward, ward_name, counter_no), path)
        counter = Counter.open(path, clock=clock)
        # every copy is its own PC: its own device id and the ward key it generated
        counter.set_settings({"device_id": new_id(), "paper_key": secrets.token_hex(32)})
        counter.clerk = Clerk("admin", "Nguyễn Thị Quản Trị", "admin", True)  # logged in (login is tested elsewhere)
        desk = Desk(counter, clock, path)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.counter.close()


@pytest.fixture
def applicant() -> dict[str, str]:
    return dict(APPLICANT)


def reseal(journal: list[dict]) -> list[dict]:
    """The same actions chained again from the genesis hash (after a test edited or merged them)."""
    out, head = [], GENESIS_HASH
    for a in journal:
        action = seal(Action.from_dict({**a, "prev_hash": head}), head)
        head = action.hash
        out.append(action.to_dict())
    return out
