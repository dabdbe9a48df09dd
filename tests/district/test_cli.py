"""``desk-district``: the administrator's commands on the live server's own database, and
``serve`` as a real process over HTTP and HTTPS."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

import httpx
import pytest

from desk_app.paths import REPO_ROOT
from desk_app.sync.client import SyncClient, SyncError, tls_context
from desk_district.cli import main

from .conftest import BIRTH, reseal

CATALOGUE = str(REPO_ROOT / "resources" / "catalogue" / "procedures.json")
TEMPLATES = str(REPO_ROOT / "forms_templates")


def cli(capsys, *args: str) -> tuple[int, list[str], str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out.strip().splitlines(), captured.err


def test_enroll_prints_the_one_time_code_on_its_last_line(server, make_desk, capsys):
    rc, lines, _ = cli(capsys, "enroll", "--db", server.db_url, "--ward", "42010", "--counter", "1",
                       "--ward-name", "Phường Đại Nài")
    assert rc == 0
    code = lines[-1]
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    assert "Phường Đại Nài" in lines[0] and "một lần" in lines[0]
    desk = make_desk()
    assert desk.enroll(server, code=code).status_code == 200
    assert make_desk().enroll(server, code=code).status_code == 403


def test_admin_token_reference_stats_and_revoke(server, make_desk, applicant, capsys):
    rc, lines, _ = cli(capsys, "token", "--db", server.db_url, "--admin", "--name", "Sở Tư pháp")
    assert rc == 0
    with server.client(lines[-1]) as http:  # accepted as an admin: the dossier is what is missing
        assert http.post("/api/v1/district/dossiers/abc/actions",
                         json={"kind": "note", "payload": {"text": "x"}}).status_code == 404

    rc, lines, _ = cli(capsys, "reference", "--db", server.db_url, "--load", CATALOGUE, "--templates", TEMPLATES)
    assert rc == 0 and "thủ tục" in lines[0]
    version = lines[-1]
    desk = make_desk()
    desk.enroll(server)
    with server.client(desk.token) as http:
        reply = http.get("/api/v1/reference")
        assert reply.headers["etag"] == f'"{version}"' and len(reply.json()["templates"]) >= 20
    rc, lines, _ = cli(capsys, "reference", "--db", server.db_url, "--load", CATALOGUE, "--templates", TEMPLATES)
    assert rc == 0 and lines[-1] == version and lines[0].startswith("Không thay đổi")

    desk.counter.dossiers.receive(BIRTH, applicant)
    desk.push(server)
    rc, lines, _ = cli(capsys, "stats", "--db", server.db_url, "--ward", "42010")
    assert rc == 0
    assert {"Hồ sơ: 1", "Thao tác: 1", "Quầy đang hoạt động: 1", "  received: 1"} <= set(lines)
    rc, lines, _ = cli(capsys, "stats", "--db", server.db_url, "--ward", "42010", "--json")
    stats = json.loads(lines[-1])
    assert (stats["dossiers"], stats["actions"], stats["by_status"]) == (1, 1, {"received": 1})

    rc, lines, _ = cli(capsys, "revoke", "--db", server.db_url, "--ward", "42010", "--counter", "1")
    assert rc == 0 and "Đã thu hồi 1 máy" in lines[-1]
    assert desk.pull(server).status_code == 401
    rc, _, _ = cli(capsys, "revoke", "--db", server.db_url, "--ward", "42010", "--counter", "1")
    assert rc == 1


def test_revoke_cancels_unused_codes(server, make_desk, capsys):
    _, lines, _ = cli(capsys, "enroll", "--db", server.db_url, "--ward", "42010", "--counter", "3")
    cli(capsys, "revoke", "--db", server.db_url, "--ward", "42010", "--counter", "3")
    assert make_desk(counter_no=3).enroll(server, code=lines[-1]).status_code == 403


def test_bad_input_exits_2_with_a_vietnamese_message(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    for args, words in [
        (["enroll", "--db", db, "--ward", "12ab", "--counter", "1"], "Mã đơn vị hành chính"),
        (["enroll", "--db", db, "--ward", "42010", "--counter", "100"], "Số quầy"),
        (["enroll", "--db", db, "--ward", "42010", "--counter", "1", "--ward-name", "x"], "quá ngắn"),
        (["stats", "--db", db, "--ward", "42010"], "chưa có phường/xã"),
        (["reference", "--db", db, "--load", str(tmp_path / "missing.json")], "Không đọc được"),
        (["serve", "--db", db, "--certfile", str(tmp_path / "c.pem")], "--keyfile"),
        (["serve", "--db", db, "--workers", "0"], "--workers"),
        (["serve", "--db", db, "--threads", "0"], "--threads"),
        (["serve", "--db", db, "--keep-alive", "0"], "--keep-alive"),
    ]:
        rc, _, err = cli(capsys, *args)
        assert rc == 2 and err.startswith("Lỗi: ") and words in err, (args, err)
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": "1", "procedures": []}', encoding="utf-8")
    rc, _, err = cli(capsys, "reference", "--db", db, "--load", str(broken))
    assert rc == 2 and "không có thủ tục" in err


def test_default_database_is_the_environment_or_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DESK_DISTRICT_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "enroll", "--ward", "42010", "--counter", "1")[0] == 0
    assert (tmp_path / "district.sqlite3").is_file()
    monkeypatch.setenv("DESK_DISTRICT_DB", str(tmp_path / "elsewhere" / "d.sqlite3"))  # a bare path is SQLite
    assert cli(capsys, "enroll", "--ward", "42010", "--counter", "1")[0] == 0
    assert (tmp_path / "elsewhere" / "d.sqlite3").is_file()


# -- serve, as a process -----------------------------------------------------------------------------
def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: str, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen([sys.executable, "-m", "desk_district", "serve", "--db", db, "--port", str(port),
                             "--log-level", "warning", *extra], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(proc: subprocess.Popen, url: str, **kwargs) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, timeout=2, **kwargs)
        except (httpx.ConnectError, httpx.ReadError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"server did not start: {proc.communicate()}") from None
            time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_serve_over_http(tmp_path):
    port = _port()
    proc = _serve(f"sqlite:///{tmp_path / 'd.sqlite3'}", port)
    try:
        health = _wait(proc, f"http://127.0.0.1:{port}/api/v1/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert "server" not in health.headers  # no version banner
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        _stop(proc)
    assert proc.returncode == 0


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_serve_over_https_and_the_counter_trusts_a_custom_ca(tmp_path, make_desk, capsys):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                           "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    db = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    _, lines, _ = cli(capsys, "enroll", "--db", db, "--ward", "42010", "--counter", "1", "--ward-name", "Phường Đại Nài")
    port = _port()
    proc = _serve(db, port, "--certfile", str(cert), "--keyfile", str(key))
    url = f"https://127.0.0.1:{port}"
    try:
        trusted = ssl.create_default_context(cafile=str(cert))
        assert _wait(proc, f"{url}/api/v1/health", verify=trusted).status_code == 200
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{url}/api/v1/health")  # an unknown certificate is refused, not ignored
        desk = make_desk()
        desk.counter.dossiers.receive(BIRTH, {"full_name": "Nguyễn Văn Đức", "id_number": "042090012345"})
        client = SyncClient(desk.path, clock=desk.clock)
        with pytest.raises(SyncError, match="Không đọc được tệp chứng chỉ"):  # said; the code is not spent
            client.enroll(url, lines[-1], ca_bundle=str(tmp_path / "missing.pem"))
        answer = client.enroll(url, lines[-1], ca_bundle=str(cert))
        assert answer["ward_code"] == "42010"
        report = client.sync_once()  # the stored bundle is the one trusted from now on
        assert report.error is None and report.pushed > 0 and report.waiting == 0
        assert client.sync_once().error is None
        assert tls_context(str(cert)) is tls_context(str(cert))  # the bundle is read once, not every cycle
        cert.write_bytes(b"not a certificate")  # replaced by a broken file: said, not a traceback
        assert "Không đọc được tệp chứng chỉ" in client.sync_once().error
    finally:
        _stop(proc)



def test_serve_options_reach_uvicorn(tmp_path, monkeypatch, capsys):
    import uvicorn

    seen = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: seen.append((target, options)))
    monkeypatch.setattr(sys, "setswitchinterval", lambda value: seen.append(("switch", value)) and None)
    db = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    assert cli(capsys, "serve", "--db", db)[0] == 0
    assert cli(capsys, "serve", "--db", db, "--workers", "3", "--threads", "4", "--keep-alive", "9",
               "--console-access-log")[0] == 0
    (_, interval), (app, one), (factory, three) = seen  # this process serves: 1 ms switch interval
    assert interval == 0.001 and one["timeout_keep_alive"] == 30 and "workers" not in one  # defaults: 1 process, 30 s
    assert one["access_log"] is False and three["access_log"] is True  # the database has every request anyway
    assert factory == "desk_district.app:app_from_environment" and three["factory"] is True
    assert (three["workers"], three["timeout_keep_alive"]) == (3, 9)
    assert os.environ["DESK_DISTRICT_WORKER_DB"] == db and os.environ["DESK_DISTRICT_WORKER_THREADS"] == "4"
    monkeypatch.delenv("DESK_DISTRICT_WORKER_DB")
    monkeypatch.delenv("DESK_DISTRICT_WORKER_THREADS")


def test_serve_with_two_worker_processes_stores_every_action_once(backend, tmp_path):
    """Two processes answering one district (on SQLite they take turns as the writer): 12 counters
    push at once, each batch twice, and every action is stored exactly once, in chain order."""
    from concurrent.futures import ThreadPoolExecutor

    import sqlalchemy as sa

    from desk_app.models.journal import Action, verify_chain
    from desk_district import service
    from desk_district.db import Database, actions

    from .test_push_batches import _journal

    url = backend.new_url()
    db = Database(url)
    db.create_schema()
    port = _port()
    proc = _serve(url, port, "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait(proc, f"{base}/api/v1/health").status_code == 200
        units = []
        for i in range(12):
            ward, counter = f"4{i % 3}010", i // 3 + 1
            code, _ = service.create_enrollment_code(db, ward, counter, ward_name=f"Phường {ward}")
            units.append((ward, counter, code, service.new_id()))

        def work(unit):
            ward, counter, code, device_id = unit
            with httpx.Client(base_url=base, timeout=60) as http:
                token = http.post("/api/v1/enroll", json={"ward_code": ward, "counter": counter, "code": code,
                                                          "device_id": device_id}).json()["device_token"]
                journal = [a for d in range(3) for a in _journal(device_id, ward, counter, service.new_id())]
                journal = reseal(journal)
                http.headers["Authorization"] = f"Bearer {token}"
                replies = [http.post("/api/v1/actions", json={"device_id": device_id, "actions": batch})
                           for batch in (journal[:4], journal, journal)]
                return [[r["status"] for r in reply.json()["results"]] for reply in replies]

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(work, units))
        for got in statuses:
            assert got == [["stored"] * 4, ["duplicate"] * 4 + ["stored"] * 5, ["duplicate"] * 9], got
        with db.read() as conn:
            rows = conn.execute(sa.select(actions.c.device_id, actions.c.content).order_by(actions.c.server_seq)).all()
        assert len(rows) == 12 * 9
        for *_, device_id in units:
            chain = [Action.from_dict(json.loads(r.content)) for r in rows if r.device_id == device_id]
            assert len(chain) == 9 and verify_chain(chain) == []
    finally:
        _stop(proc)
        db.dispose()
    assert proc.returncode == 0
