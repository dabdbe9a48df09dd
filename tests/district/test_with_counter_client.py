"""The counter's own sync client (desk_app.sync.client) against the real district server:
the two halves of docs/sync-protocol.md agree."""

from __future__ import annotations

from desk_app.paths import resource_path, templates_dir
from desk_app.models import lifecycle
from desk_app.sync.client import SyncClient, outbox_state
from desk_district import service
from desk_district.cli import build_reference

from .conftest import BIRTH, MARITAL


def test_two_counters_and_the_district_sync_through_the_server(server, make_desk, applicant):
    one, two = make_desk(), make_desk(counter_no=2)
    clients = {}
    for desk in (one, two):
        code = server.enrollment_code(desk.counter.ward_code, desk.counter.counter_no, desk.counter.ward_name)
        clients[desk.device_id] = SyncClient(desk.path, clock=desk.clock)
        answer = clients[desk.device_id].enroll(server.base_url, code)
        assert answer["ward_code"] == "42010" and answer["paper_key"]
    assert two.counter.store.get_setting("paper_key") == one.counter.store.get_setting("paper_key")

    transferred = one.counter.dossiers.receive(MARITAL, applicant)
    one.counter.dossiers.transfer(transferred.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    two.counter.dossiers.receive(BIRTH, {**applicant, "full_name": "Lê Thị Hoa", "id_number": "042190012999", "sex": "Nữ"})

    report = clients[one.device_id].sync_once()
    assert (report.error, report.pushed, report.parked, report.waiting) == (None, 2, 0, 0), report.summary()
    report = clients[two.device_id].sync_once()
    assert (report.error, report.pushed, report.pulled) == (None, 1, 2), report.summary()
    assert two.counter.dossiers.dossier(transferred.code).status == "transferred"  # the other counter's dossier

    admin = server.admin_token()
    with server.client(admin) as http:
        for kind, payload in [("transfer_received", {"unit": "Sở Tư pháp tỉnh Hà Tĩnh"}),
                              ("transfer_returned", {"from_unit": "Sở Tư pháp tỉnh Hà Tĩnh"})]:
            reply = http.post(f"/api/v1/district/dossiers/{transferred.id}/actions",
                              json={"kind": kind, "payload": payload})
            assert reply.status_code == 201, reply.text
    service.publish_reference(server.db, build_reference(resource_path("catalogue", "procedures.json"),
                                                         templates_dir()))

    report = clients[one.device_id].sync_once()
    assert (report.error, report.pushed, report.pulled, report.reference_updated) == (None, 0, 3, True), \
        report.summary()
    assert one.counter.dossiers.dossier(transferred.code).status == "result_ready"
    assert one.counter.check() == []  # its own chain and projections are still whole
    again = clients[one.device_id].sync_once()  # nothing new, and the reference answers 304
    assert (again.error, again.pushed, again.pulled, again.reference_updated) == (None, 0, 0, False)

    report = clients[two.device_id].sync_once()
    assert (report.error, report.pulled) == (None, 2)
    assert two.counter.dossiers.dossier(transferred.code).status == "result_ready"
    stats = service.ward_stats(server.db, "42010")
    assert (stats["dossiers"], stats["actions"], stats["rejected"]) == (2, 5, 0)


def test_a_revoked_counter_is_told_to_enrol_again(server, make_desk, applicant):
    desk = make_desk()
    client = SyncClient(desk.path, clock=desk.clock)
    client.enroll(server.base_url, server.enrollment_code("42010", 1, "Phường Đại Nài"))
    desk.counter.dossiers.receive(BIRTH, applicant)
    service.revoke_counter(server.db, "42010", 1)
    report = client.sync_once()
    assert report.error and "thu hồi" in report.error and report.waiting == 1  # nothing lost


def test_a_district_note_is_applied_and_what_a_counter_cannot_apply_waits_until_it_can(
        server, make_desk, applicant, monkeypatch):
    one = make_desk()
    client = SyncClient(one.path, clock=one.clock)
    client.enroll(server.base_url, server.enrollment_code("42010", 1, one.counter.ward_name))
    transferred = one.counter.dossiers.receive(MARITAL, applicant)
    one.counter.dossiers.transfer(transferred.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    assert client.sync_once().error is None
    admin = server.admin_token()

    def post(kind, payload):
        with server.client(admin) as http:
            reply = http.post(f"/api/v1/district/dossiers/{transferred.id}/actions",
                              json={"kind": kind, "payload": payload})
            assert reply.status_code == 201, reply.text
            return reply.json()["server_seq"]

    post("transfer_received", {"unit": "Sở Tư pháp tỉnh Hà Tĩnh"})
    post("note", {"text": "Đã chuyển Phòng Hộ tịch"})
    # a counter still on a version that does not know a kind the server sends (here: "note")
    with monkeypatch.context() as old_version:
        old_version.delitem(lifecycle.ALLOWED_FROM, "note")
        report = client.sync_once()
        assert (report.error, report.pulled, report.held) == (None, 1, 1), report.summary()
        assert report.notes and "note" in report.notes[0]  # said, and kept
        state = outbox_state(one.counter.store)
        assert state["held"] == 1 and state["held_items"][0]["code"] == transferred.code
        last_seq = post("transfer_returned", {"from_unit": "Sở Tư pháp tỉnh Hà Tĩnh"})
        report = client.sync_once()
        assert (report.error, report.pulled, report.held) == (None, 1, 1), report.summary()
        store = one.counter.store
        assert store.get_setting("pull_after_seq") == str(last_seq)  # past the note: the inbox holds it
        assert outbox_state(store)["held_items"][0]["attempts"] == 3  # pulled, retried, retried
        assert one.counter.dossiers.dossier(transferred.code).status == "result_ready"
        assert one.counter.check() == []  # the held one left nothing half-written

    # upgraded: the next sync applies it, offline or not; a new note comes straight in
    post("note", {"text": "Sở đã trả kết quả"})
    report = client.sync_once()
    assert (report.error, report.pulled, report.held, report.notes) == (None, 2, 0, []), report.summary()
    notes = [a.payload["text"] for a in store.actions_for(transferred.id) if a.kind == "note"]
    assert sorted(notes) == ["Sở đã trả kết quả", "Đã chuyển Phòng Hộ tịch"]
    assert one.counter.dossiers.dossier(transferred.code).status == "result_ready"  # a note changes no status
    assert outbox_state(store)["held"] == 0
    assert one.counter.check() == []
