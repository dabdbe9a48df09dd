"""The counter's access log reaches the district: once per entry, only for the counter's own
ward, stamped synced only after the server confirmed it."""

from __future__ import annotations

import sqlalchemy as sa

from desk_app.sync.client import SyncClient
from desk_district.db import Database, counter_access
from tests.district.conftest import BIRTH


def _district_rows(server) -> list[dict]:
    db = Database(server.db_url)
    try:
        with db.read() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(counter_access).order_by(counter_access.c.at))]
    finally:
        db.dispose()


def test_access_log_is_synced_once(server, make_desk, applicant):
    desk = make_desk()
    assert desk.enroll(server).status_code == 200
    view = desk.counter.dossiers.receive(BIRTH, applicant)
    desk.counter.privacy.open_record(view.code)
    desk.counter.dossiers.search(applicant["id_number"].replace(" ", ""))
    local = desk.counter.store.privacy.unsynced_access(100)
    assert {e["kind"] for e in local} >= {"view_record", "search_id"}
    desk.counter.set_settings({"district_url": server.base_url, "device_token": desk.token})
    client = SyncClient(desk.path, clock=desk.clock)
    report = client.sync_once()
    assert report.error is None, report.error
    rows = _district_rows(server)
    assert {r["id"] for r in rows} == {e["id"] for e in local}
    assert all(r["ward_code"] == "42010" for r in rows)
    assert "042090012345" not in " ".join(r["subject"] + r["detail"] for r in rows)  # masked at the counter
    assert desk.counter.store.privacy.unsynced_access(100) == []
    again = client.sync_once()
    assert again.error is None and len(_district_rows(server)) == len(rows)  # nothing twice


def test_entries_of_another_device_are_refused(server, make_desk):
    mine, other = make_desk(), make_desk(ward="42011", ward_name="Phường Thành Sen")
    assert mine.enroll(server).status_code == 200 and other.enroll(server).status_code == 200
    entry = {"id": "a" * 32, "at": "2026-11-23T09:00:00+07:00", "clerk": "lan", "counter": 1,
             "device_id": other.device_id, "kind": "view_record", "subject": "x", "detail": {}}
    with server.client(mine.token) as http:
        reply = http.post("/api/v1/access-log", json={"device_id": mine.device_id, "entries": [entry]})
        assert reply.status_code == 403
        reply = http.post("/api/v1/access-log", json={"device_id": other.device_id, "entries": [entry]})
        assert reply.status_code == 403
    assert _district_rows(server) == []
