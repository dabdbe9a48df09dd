"""Offline for days, faults on the wire, a client killed mid-push: sync still converges, and the
server holds every action exactly once (issue: district server and sync). The real client, the
real server (SQLite and PostgreSQL), and a fault-injecting proxy of ours on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk_app.sync.client import SyncClient

from .conftest import BIRTH, MARITAL, LiveServer
from .fault_proxy import FaultProxy

ROOT = Path(__file__).resolve().parents[2]


def server_action_ids(server, device_id: str) -> list[str]:
    with server.db.read() as conn:
        rows = conn.execute(sa.text("SELECT id FROM actions WHERE device_id = :d"), {"d": device_id}).fetchall()
    return [r[0] for r in rows]


def assert_exactly_once(server, desk) -> None:
    local = [a["id"] for a in desk.journal()]
    remote = server_action_ids(server, desk.device_id)
    assert len(remote) == len(set(remote)), "an action is stored twice on the server"
    assert sorted(remote) == sorted(local), "the server and the counter disagree"
    assert desk.counter.store.outbox.count() == 0, "something was left behind in the outbox"


@pytest.fixture
def proxy(server):
    p = FaultProxy(server.port)
    yield p
    p.close()


@pytest.fixture
def enrolled(server, proxy, make_desk):
    def make(counter_no: int = 1, ward: str = "42010", ward_name: str = "Phường Đại Nài"):
        desk = make_desk(ward=ward, ward_name=ward_name, counter_no=counter_no)
        client = SyncClient(desk.path, clock=desk.clock, timeout=10)
        client.enroll(proxy.url, server.enrollment_code(ward, counter_no, ward_name))
        return desk, client
    return make


def work_a_day(desk, applicant, n: int = 3) -> None:
    for i in range(n):
        view = desk.counter.dossiers.receive(MARITAL if i % 2 else BIRTH,
                                             {**applicant, "full_name": f"Nguyễn Văn Đức {chr(65 + i)}",
                                              "id_number": f"0420900{i:05d}"})
        desk.counter.dossiers.mark_result_ready(view.code)
        desk.clock.advance(minutes=20)


def retry_until_clean(desk, client, *, rounds: int = 8):
    """What the scheduler does: cycles until nothing waits (the backoff is skipped by moving the clock)."""
    for _ in range(rounds):
        report = client.sync_once()
        if report.error is None and report.waiting == 0:
            return report
        desk.clock.advance(hours=2)
    raise AssertionError(f"did not converge: {report.summary()}")


def test_first_sync_then_nothing_to_sync(server, enrolled, applicant):
    desk, client = enrolled()
    work_a_day(desk, applicant)
    first = client.sync_once()
    assert (first.error, first.pushed, first.waiting) == (None, 6, 0), first.summary()
    again = client.sync_once()
    assert (again.error, again.pushed, again.pulled) == (None, 0, 0)
    assert desk.counter.store.get_setting("last_sync_at")
    assert_exactly_once(server, desk)


def test_a_week_offline_then_sync(server, proxy, enrolled, applicant):
    desk, client = enrolled()
    for day in range(5):
        proxy.queue("down")
        work_a_day(desk, applicant, n=4)
        report = client.sync_once()
        assert report.error and report.waiting == 8 * (day + 1)  # kept, not lost
        desk.clock.advance(days=1)
    report = retry_until_clean(desk, client)
    assert report.pushed == 40
    assert_exactly_once(server, desk)


@pytest.mark.parametrize("faults", [
    ["down", "down", "down"],                # server down, then up
    ["cut_request"],                         # connection cut in the middle of the request
    ["cut_reply"],                           # ... and in the middle of the reply: stored, answer lost
    ["truncate_reply"],
    ["status_500", "status_502"],            # 5xx
    ["garbage"],                             # a malformed reply (a captive portal page)
    ["duplicate"],                           # the network delivers the request twice
    ["cut_reply", "cut_reply", "garbage", "status_500"],
])
def test_faults_on_the_wire_still_converge_exactly_once(server, proxy, enrolled, applicant, faults):
    desk, client = enrolled()
    work_a_day(desk, applicant)
    proxy.queue(*faults)
    retry_until_clean(desk, client)
    assert_exactly_once(server, desk)


def test_retry_waits_with_backoff(server, proxy, enrolled, applicant):
    desk, client = enrolled()
    work_a_day(desk, applicant, n=1)
    proxy.queue("status_500")
    assert client.sync_once().error
    [row] = list(desk.counter.store.query("SELECT attempts, next_attempt_at FROM outbox LIMIT 1"))
    assert row["attempts"] == 1 and row["next_attempt_at"] > desk.clock().isoformat()
    report = client.sync_once()  # too early: nothing is sent, nothing is lost
    assert report.pushed == 0 and report.waiting == 2
    desk.clock.advance(hours=2)
    assert client.sync_once().pushed == 2


def test_a_rejected_item_waits_for_a_person_and_does_not_block_the_rest(server, enrolled, applicant):
    desk, client = enrolled()
    work_a_day(desk, applicant, n=2)
    conn = desk.counter.store.conn
    conn.execute("DROP TRIGGER actions_no_update")
    conn.execute("UPDATE actions SET payload = replace(payload, 'Đức', 'Đúc') WHERE seq = 3")  # tampered
    report = client.sync_once()
    assert report.parked >= 1 and report.pushed >= 1
    from desk_app.sync.client import outbox_state
    state = outbox_state(desk.counter.store)
    assert state["attention"] >= 1 and state["attention_items"][0]["last_error"]
    assert client.sync_once().pushed == 0  # parked items are not retried by themselves


def test_two_counters_of_one_ward_and_two_wards_kept_apart(server, enrolled, applicant):
    one, c1 = enrolled(1)
    two, c2 = enrolled(2)
    other, c3 = enrolled(1, ward="26734", ward_name="Phường Hoàn Kiếm")
    for desk in (one, two, other):
        work_a_day(desk, applicant, n=2)
    for _ in range(2):
        for desk, client in ((one, c1), (two, c2), (other, c3)):
            assert client.sync_once().error is None
    for desk in (one, two, other):
        assert_exactly_once(server, desk)
    codes_one = {r["code"] for r in one.counter.store.query("SELECT code FROM dossiers")}
    codes_other = {r["code"] for r in other.counter.store.query("SELECT code FROM dossiers")}
    assert len(codes_one) == 4  # its own two and counter 2's two
    assert not codes_one & codes_other and len(codes_other) == 2  # nothing of the other ward


def test_a_client_killed_mid_push_resends_and_nothing_doubles(server, proxy, enrolled, applicant, tmp_path):
    desk, client = enrolled()
    work_a_day(desk, applicant, n=6)
    desk.counter.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    proxy.queue("delay:3")  # the push sits on the wire long enough to kill the process
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "desk_app", "sync", "--db", str(desk.path), "--once"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not any(line.startswith("POST /api/v1/actions") for line, _ in proxy.seen):
        assert time.monotonic() < deadline and proc.poll() is None, "the push never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    sending = desk.counter.store.conn.execute("SELECT count(*) FROM outbox WHERE state = 'sending'").fetchone()[0]
    assert sending == 12  # marked in flight before the kill; the server got them once the delay ended
    time.sleep(3.5)
    retry_until_clean(desk, client)
    assert_exactly_once(server, desk)
    assert desk.counter.check() == []


def test_a_refused_first_action_leaves_no_dossier_behind(server, make_desk, applicant):
    from desk_district import service

    desk = make_desk()
    desk.enroll(server)
    desk.counter.dossiers.receive(BIRTH, applicant)
    [first] = desk.unsent()
    tampered = {**first, "payload": {**first["payload"], "note": "sửa sau khi ghi"}}
    reply = desk.push(server, [tampered])
    assert reply.json()["results"][0]["status"] == "rejected"
    assert service.ward_stats(server.db, "42010")["dossiers"] == 0
    assert desk.push(server, [first]).json()["results"][0]["status"] == "stored"
    assert service.ward_stats(server.db, "42010")["dossiers"] == 1


def test_a_batch_waiting_for_its_retry_holds_back_the_ones_after_it(server, proxy, enrolled, applicant, monkeypatch):
    """Found by the crash soak: a batch cut by a dying server waited for its retry while the next
    cycle sent the batches after it; the server saw a gap in the chain, refused them, and they
    were parked for good. The journal must go in order."""
    import desk_app.sync.client as client_module

    monkeypatch.setattr(client_module, "BATCH", 2)
    desk, client = enrolled()
    work_a_day(desk, applicant, n=3)  # 6 actions: three batches of two
    proxy.queue("cut_request")
    assert client.sync_once().error  # the first batch is cut: it waits for its retry
    report = client.sync_once()  # too early for it, and so for everything behind it
    assert (report.pushed, report.parked, report.waiting) == (0, 0, 6)
    desk.clock.advance(hours=2)
    retry_until_clean(desk, client)
    assert desk.counter.store.outbox.counts().get("attention", 0) == 0  # nothing parked
    assert_exactly_once(server, desk)


def test_postgresql_restarting_under_the_server_costs_no_cycle_and_nothing_doubles(
        pg_cluster, server_clock, make_desk, applicant):
    """PostgreSQL stopped and started again (every pooled connection cut): the next sync goes
    through at once (the write is retried on a new connection), exactly once."""
    server = LiveServer(pg_cluster.new_database(), server_clock)
    try:
        desk = make_desk()
        client = SyncClient(desk.path, clock=desk.clock, timeout=10)
        client.enroll(server.base_url, server.enrollment_code("42010", 1, "Phường Đại Nài"))
        work_a_day(desk, applicant, n=2)
        assert client.sync_once().error is None
        pg_cluster.restart()
        work_a_day(desk, applicant, n=2)
        report = client.sync_once()
        assert (report.error, report.waiting, report.pushed) == (None, 0, 4), report.summary()
        assert_exactly_once(server, desk)
        with server.client() as http:  # reads too, on the new connections
            assert http.get("/api/v1/health").status_code == 200
    finally:
        server.stop()
