"""The district server over real HTTP (uvicorn on loopback), fed by real counter databases.

Every test runs twice: on SQLite and on PostgreSQL (see conftest.py).
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import sqlalchemy as sa

from desk_app.models.journal import GENESIS_HASH, Action, action_hash, new_id, seal, verify_chain
from desk_app.models.lifecycle import derive_state
from desk_app.paths import resource_path, templates_dir
from desk_district import service
from desk_district.cli import build_reference
from desk_district.db import access_log, devices, dossiers

from .conftest import BIRTH, MARITAL

VIETNAMESE = set("ăâđêôơưáàảãạếềểễệóòỏõọúùủũụíìỉĩịýỳỷỹỵ")


def vietnamese(text: str) -> bool:
    return bool(VIETNAMESE & set(text.lower()))


def assert_error(response: httpx.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert vietnamese(body["message"]), body
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def enrolled(make_desk, server, **kwargs):
    desk = make_desk(**kwargs)
    assert desk.enroll(server).status_code == 200
    return desk


def by_status(response: httpx.Response) -> list[str]:
    return [r["status"] for r in response.json()["results"]]


# -- other -----------------------------------------------------------------------------------------
def test_health_openapi_and_docs(server):
    health = server.http.get("/api/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["server_time"]
    spec = server.http.get("/openapi.json").json()
    assert {"/api/v1/enroll", "/api/v1/actions", "/api/v1/reference", "/api/v1/health", "/",
            "/api/v1/district/dossiers/{dossier_id}/actions"} <= set(spec["paths"])
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/actions"])
    schemas = spec["components"]["schemas"]
    assert {"EnrollRequest", "PushRequest", "ActionIn", "PushResponse", "PullResponse", "ReferenceResponse",
            "DistrictActionRequest", "ErrorBody"} <= set(schemas)
    assert set(schemas["ActionIn"]["required"]) >= {"id", "dossier_id", "kind", "at", "clerk", "counter",
                                                    "device_id", "prev_hash", "hash"}
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert server.http.get("/docs").status_code == 200


# -- enrolment ---------------------------------------------------------------------------------------
def test_enrolment_code_is_used_once_and_wrong_codes_are_refused(server, make_desk):
    first = make_desk()
    code = server.enrollment_code("42010", 1, "Phường Đại Nài")

    assert_error(first.enroll(server, code="AAAA-BBBB-CCCC-DDDD"), 403, "forbidden")
    other_counter = server.http.post("/api/v1/enroll", json={
        "ward_code": "42010", "counter": 2, "code": code, "device_id": first.device_id})
    assert_error(other_counter, 403, "forbidden")  # a code is for one ward and one counter

    ok = first.enroll(server, code=code.lower().replace("-", " "))  # typed loosely
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["ward_code"] == "42010" and body["ward_name"] == "Phường Đại Nài" and body["counter"] == 1
    assert body["server_time"] and len(body["device_token"]) >= 32
    assert body["paper_key"] == first.counter.setting("paper_key")  # the first counter sets the ward's key

    again = make_desk()
    assert_error(again.enroll(server, code=code), 403, "forbidden")  # once only

    second = make_desk(counter_no=2)
    answer = second.enroll(server)
    assert answer.status_code == 200
    assert answer.json()["paper_key"] == first.counter.setting("paper_key")  # later counters get it back

    with server.db.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(devices)).mappings()]
    assert {r["token_sha256"] for r in rows} == {service.sha256(first.token), service.sha256(second.token)}
    assert first.token not in repr(rows) and second.token not in repr(rows)  # only the hash is kept


def test_expired_code_and_reserved_device_id_are_refused(server, server_clock, make_desk):
    desk = make_desk()
    code = server.enrollment_code("42010", 1, "Phường Đại Nài")
    server_clock.advance(days=7, seconds=1)
    assert_error(desk.enroll(server, code=code), 403, "forbidden")
    code = server.enrollment_code("42010", 1)
    reserved = server.http.post("/api/v1/enroll", json={
        "ward_code": "42010", "counter": 1, "code": code, "device_id": "district"})
    assert_error(reserved, 422, "bad_request")
    assert desk.enroll(server, code=code).status_code == 200  # the refused attempts did not use the code


# -- push -------------------------------------------------------------------------------------------------
def test_push_stores_real_actions_and_a_replay_is_a_duplicate(server, server_clock, make_desk, applicant):
    desk = enrolled(make_desk, server)
    birth = desk.counter.dossiers.receive(BIRTH, applicant)
    marital = desk.counter.dossiers.receive(MARITAL, applicant)
    desk.counter.dossiers.start_processing(marital.code)
    desk.counter.dossiers.transfer(marital.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    batch = desk.journal()
    assert len(batch) == 4

    first = desk.push(server, batch)
    assert first.status_code == 200, first.text
    body = first.json()
    assert by_status(first) == ["stored"] * 4
    assert [r["id"] for r in body["results"]] == [a["id"] for a in batch]
    seqs = [r["server_seq"] for r in body["results"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert all(r["received_at"] and "error" not in r for r in body["results"])
    assert "clock_warning" not in body  # the counter's clock is 5 minutes off: fine

    server_clock.advance(minutes=30)
    replay = desk.push(server, batch)  # the reply was lost: the counter sends again
    assert by_status(replay) == ["duplicate"] * 4
    assert [(r["server_seq"], r["received_at"]) for r in replay.json()["results"]] == \
        [(r["server_seq"], r["received_at"]) for r in body["results"]]

    stats = service.ward_stats(server.db, "42010")
    assert stats["dossiers"] == 2 and stats["actions"] == 4 and stats["rejected"] == 0
    with server.db.read() as conn:
        rows = {r["code"]: dict(r) for r in conn.execute(sa.select(dossiers)).mappings()}
    assert rows[birth.code]["status"] == "received" and rows[birth.code]["procedure_code"] == BIRTH
    assert rows[marital.code]["status"] == "transferred" and rows[marital.code]["transferred"]
    assert rows[marital.code]["ward_code"] == "42010" and rows[marital.code]["created_by"] == desk.device_id
    assert rows[birth.code]["due_at"] == birth.state.due_at


def test_tampered_and_out_of_chain_actions_are_rejected(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    view = desk.counter.dossiers.receive(MARITAL, applicant)
    assert by_status(desk.push(server)) == ["stored"]

    desk.counter.dossiers.start_processing(view.code, note="Chuyển cán bộ tư pháp")
    [genuine] = desk.unsent()
    tampered = {**genuine, "payload": {**genuine["payload"], "note": "Đã sửa sau khi ghi"}}
    answer = desk.push(server, [tampered])
    [result] = answer.json()["results"]
    assert result["status"] == "rejected" and "mã băm" in result["error"] and "server_seq" not in result

    desk.counter.dossiers.transfer(view.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    [_, third] = desk.unsent()
    [result] = desk.push(server, [third]).json()["results"]  # skips the second: the chain is broken
    assert result["status"] == "rejected" and "Chuỗi nhật ký bị đứt" in result["error"]

    assert by_status(desk.push(server)) == ["stored", "stored"]  # in order, the genuine ones go in
    assert service.ward_stats(server.db, "42010")["actions"] == 3

    forged = seal(Action(**{**Action.from_dict(genuine).__dict__, "id": new_id(), "hash": ""}), genuine["prev_hash"])
    [result] = desk.push(server, [forged.to_dict()]).json()["results"]  # a second branch of the chain
    assert result["status"] == "rejected" and "Chuỗi nhật ký bị đứt" in result["error"]


def test_a_refused_item_does_not_break_the_devices_chain(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    view = desk.counter.dossiers.receive(MARITAL, applicant)
    desk.counter.set_settings({"counter_no": 7})  # misconfigured counter number for one action
    desk.counter.dossiers.start_processing(view.code)
    desk.counter.set_settings({"counter_no": 1})
    desk.counter.dossiers.transfer(view.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    answer = desk.push(server).json()["results"]
    assert [r["status"] for r in answer] == ["stored", "rejected", "stored"]
    assert "quầy số 7" in answer[1]["error"]
    again = desk.push(server, desk.journal()).json()["results"]  # a replay answers the same
    assert [r["status"] for r in again] == ["duplicate", "rejected", "duplicate"]
    assert again[1]["error"] == answer[1]["error"]
    assert service.ward_stats(server.db, "42010")["rejected"] == 1


def test_another_wards_dossier_is_rejected(server, make_desk, applicant):
    ours = enrolled(make_desk, server)
    theirs = enrolled(make_desk, server, ward="42011", ward_name="Phường Bắc Hồng")
    view = ours.counter.dossiers.receive(MARITAL, applicant)
    assert by_status(ours.push(server)) == ["stored"]
    [created] = ours.journal()

    assert by_status(theirs.push(server, [])) == []  # an empty batch is fine
    foreign = seal(Action(id=new_id(), dossier_id=view.id, kind="processing_started", at=theirs.clock(),
                          clerk="admin", counter=1, device_id=theirs.device_id, payload={}), GENESIS_HASH)
    [result] = theirs.push(server, [foreign.to_dict()]).json()["results"]
    assert result["status"] == "rejected" and "không thuộc phường/xã" in result["error"]

    # even with a dossier snapshot, a dossier id already held belongs to its ward
    snapshot = seal(Action(id=new_id(), dossier_id=view.id, kind="received", at=theirs.clock(), clerk="admin",
                           counter=1, device_id=theirs.device_id, payload=created["payload"]), foreign.hash)
    [result] = theirs.push(server, [snapshot.to_dict()]).json()["results"]
    assert result["status"] == "rejected" and "không thuộc phường/xã" in result["error"]
    assert "42010" not in result["error"] and "Đại Nài" not in result["error"]

    with server.db.read() as conn:
        row = conn.execute(sa.select(dossiers).where(dossiers.c.id == view.id)).mappings().one()
    assert row["ward_code"] == "42010" and row["action_count"] == 1 and row["status"] == "received"


def test_unknown_kind_and_missing_first_action_are_rejected(server, make_desk):
    desk = enrolled(make_desk, server)
    odd = seal(Action(id=new_id(), dossier_id=new_id(), kind="teleported", at=desk.clock(), clerk="admin",
                      counter=1, device_id=desk.device_id, payload={"dossier": {"code": "x", "procedure_code": "y"}}),
               GENESIS_HASH)
    orphan = seal(Action(id=new_id(), dossier_id=new_id(), kind="processing_started", at=desk.clock(),
                         clerk="admin", counter=1, device_id=desk.device_id, payload={}), odd.hash)
    results = desk.push(server, [odd.to_dict(), orphan.to_dict()]).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "teleported" in results[0]["error"] and "chưa có hồ sơ" in results[1]["error"]


def test_clock_warning_when_the_counter_clock_is_off(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    desk.clock.advance(hours=-2)
    desk.counter.dossiers.receive(BIRTH, applicant)
    body = desk.push(server).json()
    assert body["results"][0]["status"] == "stored"
    assert "chậm" in body["clock_warning"] and "phút" in body["clock_warning"]
    assert "clock_warning" not in desk.push(server, desk.journal()).json()  # duplicates are not fresh


def test_batch_limits_and_wrong_device(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    other = enrolled(make_desk, server, counter_no=2)
    desk.counter.dossiers.receive(BIRTH, applicant)
    [action] = desk.journal()
    too_many = desk.push(server, [action] * 501)
    assert_error(too_many, 413, "too_large")
    with server.client(other.token) as http:
        wrong = http.post("/api/v1/actions", json={"device_id": desk.device_id, "actions": [action]})
    assert_error(wrong, 403, "forbidden")
    with server.client(other.token) as http:  # its own id, but another device's action
        answer = http.post("/api/v1/actions", json={"device_id": other.device_id, "actions": [action]})
    [result] = answer.json()["results"]
    assert result["status"] == "rejected" and "máy khác" in result["error"]
    assert by_status(desk.push(server)) == ["stored"]


# -- pull and district actions ----------------------------------------------------------------------------
def test_pull_returns_district_and_other_counters_actions_of_the_same_ward_only(server, make_desk, applicant):
    one = enrolled(make_desk, server)
    two = enrolled(make_desk, server, counter_no=2)
    elsewhere = enrolled(make_desk, server, ward="42011", ward_name="Phường Bắc Hồng")
    admin = server.admin_token()

    view = one.counter.dossiers.receive(MARITAL, applicant)
    one.counter.dossiers.start_processing(view.code)
    one.counter.dossiers.transfer(view.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    assert by_status(one.push(server)) == ["stored"] * 3
    two.counter.dossiers.receive(BIRTH, applicant)
    assert by_status(two.push(server)) == ["stored"]
    elsewhere.counter.dossiers.receive(BIRTH, applicant)
    assert by_status(elsewhere.push(server)) == ["stored"]

    district = []
    with server.client(admin) as http:
        for kind, payload in [("transfer_received", {"unit": "Sở Tư pháp tỉnh Hà Tĩnh"}),
                              ("official_code_assigned", {"official_code": "H42.10-261123-0099"}),
                              ("note", {"text": "Đã chuyển Phòng Hộ tịch"}),
                              ("transfer_returned", {"from_unit": "Sở Tư pháp tỉnh Hà Tĩnh"})]:
            answer = http.post(f"/api/v1/district/dossiers/{view.id}/actions", json={"kind": kind, "payload": payload})
            assert answer.status_code == 201, answer.text
            district.append(answer.json()["action"])
    assert [a["device_id"] for a in district] == ["district"] * 4
    assert verify_chain(Action.from_dict(a) for a in district) == []  # the server's own chain, from genesis

    pulled = one.pull(server)
    assert pulled.status_code == 200
    body = pulled.json()
    got = body["actions"]
    assert [a["id"] for a in got] == [a["id"] for a in two.journal()] + [a["id"] for a in district]
    assert body["more"] is False and body["last_seq"] == got[-1]["server_seq"]
    seqs = [a["server_seq"] for a in got]
    assert seqs == sorted(seqs)
    for a in got:  # exactly as hashed
        assert action_hash(Action.from_dict(a)) == a["hash"]
    # the counter can apply what it pulled: journal + district actions give the district's answer
    mine = one.counter.store.actions_for(view.id)
    theirs = [Action.from_dict(a) for a in got if a["dossier_id"] == view.id and a["kind"] != "note"]
    state = derive_state([*mine, *theirs])
    assert state.status == "result_ready" and state.official_code == "H42.10-261123-0099"

    other_ids = [a["id"] for a in two.pull(server).json()["actions"]]
    assert other_ids == [a["id"] for a in one.journal()] + [a["id"] for a in district]
    assert elsewhere.pull(server).json() == {"actions": [], "last_seq": 0, "more": False}

    page = two.pull(server, limit=2).json()
    assert page["more"] is True and len(page["actions"]) == 2
    rest = two.pull(server, after=page["last_seq"]).json()
    assert [a["id"] for a in page["actions"] + rest["actions"]] == other_ids and rest["more"] is False
    assert two.pull(server, after=rest["last_seq"]).json() == {"actions": [], "last_seq": rest["last_seq"],
                                                               "more": False}
    with server.db.read() as conn:
        row = conn.execute(sa.select(dossiers).where(dossiers.c.id == view.id)).mappings().one()
    assert row["status"] == "result_ready" and row["official_code"] == "H42.10-261123-0099"


def test_district_actions_need_an_admin_and_a_transferred_dossier(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    received = desk.counter.dossiers.receive(MARITAL, applicant)
    transferred = desk.counter.dossiers.receive(MARITAL, applicant)
    desk.counter.dossiers.transfer(transferred.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    desk.push(server)
    admin = server.admin_token()
    url = "/api/v1/district/dossiers/{}/actions"
    with server.client(desk.token) as http:
        assert_error(http.post(url.format(transferred.id), json={"kind": "note", "payload": {"text": "x"}}),
                     403, "forbidden")
    with server.client(admin) as http:
        assert_error(http.post(url.format(received.id), json={"kind": "transfer_received", "payload": {}}),
                     409, "conflict")
        assert_error(http.post(url.format("nope"), json={"kind": "note", "payload": {"text": "x"}}),
                     404, "not_found")
        assert_error(http.post(url.format(transferred.id), json={"kind": "returned"}), 422, "bad_request")
        assert_error(http.post(url.format(transferred.id), json={"kind": "official_code_assigned", "payload": {}}),
                     422, "bad_request")
        key = new_id()
        first = http.post(url.format(transferred.id), json={"kind": "transfer_received", "id": key,
                                                            "payload": {"unit": "Sở Tư pháp"}, "clerk": "Lê Văn B"})
        assert first.status_code == 201 and first.json()["action"]["clerk"] == "Lê Văn B"
        again = http.post(url.format(transferred.id), json={"kind": "transfer_received", "id": key,
                                                            "payload": {"unit": "Sở Tư pháp"}})
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
        assert again.json()["server_seq"] == first.json()["server_seq"]
        assert_error(http.post(url.format(transferred.id), json={"kind": "note", "id": key, "payload": {"text": "y"}}),
                     409, "conflict")


# -- tokens and ward isolation --------------------------------------------------------------------------------
def test_revoked_unknown_and_malformed_tokens_get_401(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    desk.counter.dossiers.receive(BIRTH, applicant)
    assert desk.pull(server).status_code == 200
    assert service.revoke_counter(server.db, "42010", 1) == 1
    for response in (desk.push(server), desk.pull(server), server.client(desk.token).get("/api/v1/reference")):
        body = assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer" and "thu hồi" in body["message"]
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic YWRtaW46YWRtaW4="},
                    {"Authorization": "Bearer not-a-token"}, {"Authorization": "Bearer " + "x" * 5000},
                    {"Authorization": "Bearer đây-không-phải-token".encode()}):
        assert_error(server.http.get("/api/v1/actions", headers=headers), 401, "unauthorized")
    old = desk.token
    assert desk.enroll(server).status_code == 200  # re-enrolled with a new code: a new token
    assert desk.token != old and by_status(desk.push(server)) == ["stored"]
    assert_error(server.client(old).get("/api/v1/actions"), 401, "unauthorized")


def test_a_replacement_pc_revokes_the_one_it_replaces(server, make_desk):
    old = enrolled(make_desk, server)
    new = enrolled(make_desk, server)  # same ward, same counter number, another PC
    assert_error(old.pull(server), 401, "unauthorized")
    assert new.pull(server).status_code == 200


def test_every_route_refuses_another_wards_token(server, make_desk, applicant):
    ours = enrolled(make_desk, server)
    theirs = enrolled(make_desk, server, ward="42011", ward_name="Phường Bắc Hồng")
    view = ours.counter.dossiers.receive(MARITAL, applicant)
    ours.counter.dossiers.transfer(view.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    assert by_status(ours.push(server)) == ["stored", "stored"]
    theirs.counter.dossiers.receive(BIRTH, {**applicant, "full_name": "Trần Thị Bình", "id_number": "042190012346", "sex": "Nữ"})
    assert by_status(theirs.push(server)) == ["stored"]
    service.publish_reference(server.db, {"catalogue": {"version": "1", "procedures": []}})
    replies: list[httpx.Response] = []

    # enrol: our code cannot move their device into our ward, and the code stays usable
    code = server.enrollment_code("42010", 2)
    moved = server.http.post("/api/v1/enroll", json={"ward_code": "42010", "counter": 2, "code": code,
                                                     "device_id": theirs.device_id})
    replies.append(assert_error(moved, 403, "forbidden") and moved)
    with_their_ward = server.http.post("/api/v1/enroll", json={"ward_code": "42011", "counter": 2, "code": code,
                                                               "device_id": new_id()})
    replies.append(assert_error(with_their_ward, 403, "forbidden") and with_their_ward)
    assert make_desk(counter_no=2).enroll(server, code=code).status_code == 200

    with server.client(theirs.token) as http:
        # push: not as our device, not our actions, not onto our dossier
        as_ours = http.post("/api/v1/actions", json={"device_id": ours.device_id, "actions": ours.journal()})
        replies.append(as_ours)
        assert_error(as_ours, 403, "forbidden")
        ours_relayed = http.post("/api/v1/actions", json={"device_id": theirs.device_id, "actions": ours.journal()})
        assert by_status(ours_relayed) == ["rejected", "rejected"]  # echoes only the ids it was sent
        assert [r["id"] for r in ours_relayed.json()["results"]] == [a["id"] for a in ours.journal()]
        assert all(set(r) == {"id", "status", "error"} for r in ours_relayed.json()["results"])
        onto = seal(Action(id=new_id(), dossier_id=view.id, kind="transfer_received", at=theirs.clock(),
                           clerk="admin", counter=1, device_id=theirs.device_id, payload={"unit": "x"}),
                    theirs.journal()[-1]["hash"])
        onto_ours = http.post("/api/v1/actions", json={"device_id": theirs.device_id, "actions": [onto.to_dict()]})
        replies.append(onto_ours)
        assert by_status(onto_ours) == ["rejected"]
        # pull: nothing of ours, from any cursor
        for after in (0, 1, 2):
            pulled = http.get("/api/v1/actions", params={"after": after})
            replies.append(pulled)
            assert pulled.status_code == 200 and pulled.json()["actions"] == []
        # reference: shared data, no ward's
        reference = http.get("/api/v1/reference")
        replies.append(reference)
        assert reference.status_code == 200
        # district: not with a ward's token
        district = http.post(f"/api/v1/district/dossiers/{view.id}/actions",
                             json={"kind": "transfer_received", "payload": {"unit": "x"}})
        replies.append(district)
        assert_error(district, 403, "forbidden")
    page = server.http.get("/")
    replies.append(page)

    secrets_of_ours = [view.id, view.code, ours.device_id, "Nguyễn Văn Đức", *[a["id"] for a in ours.journal()]]
    for reply in replies:
        for secret in secrets_of_ours:
            assert secret not in reply.text, (reply.request.url, secret)
    with server.db.read() as conn:
        row = conn.execute(sa.select(dossiers).where(dossiers.c.id == view.id)).mappings().one()
    assert row["action_count"] == 2 and row["ward_code"] == "42010"


# -- reference data -------------------------------------------------------------------------------------
def test_reference_with_etag_and_304(server, make_desk):
    desk = enrolled(make_desk, server)
    http = server.client(desk.token)
    assert_error(http.get("/api/v1/reference"), 404, "not_found")
    content = build_reference(resource_path("catalogue", "procedures.json"), templates_dir())
    version, created = service.publish_reference(server.db, content)
    assert created

    full = http.get("/api/v1/reference")
    assert full.status_code == 200
    body = full.json()
    assert full.headers["etag"] == f'"{version}"' and body["version"] == version
    assert body["catalogue"] == json.loads(resource_path("catalogue", "procedures.json").read_text("utf-8"))
    assert len(body["templates"]) >= 20 and {"id", "version", "content"} == set(body["templates"][0])
    assert body["holiday_overrides"] == [] and body["settings"] == {}

    for tag in (full.headers["etag"], version, f'W/"{version}"', f'"old", "{version}"'):
        unchanged = http.get("/api/v1/reference", headers={"If-None-Match": tag})
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert unchanged.headers["etag"] == f'"{version}"'
    assert http.get("/api/v1/reference", headers={"If-None-Match": '"older"'}).status_code == 200

    assert service.publish_reference(server.db, content) == (version, False)  # same content, same version
    newer, created = service.publish_reference(server.db, {**content, "settings": {"sync_minutes": 15}})
    assert created and newer != version
    changed = http.get("/api/v1/reference", headers={"If-None-Match": f'"{version}"'})
    assert changed.status_code == 200 and changed.json()["version"] == newer
    assert changed.json()["settings"] == {"sync_minutes": 15}
    http.close()


# -- bad input ---------------------------------------------------------------------------------------------
def test_malformed_requests_get_400_or_422_with_a_vietnamese_message(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    desk.counter.dossiers.receive(BIRTH, applicant)
    [action] = desk.journal()
    headers = {"Authorization": f"Bearer {desk.token}", "Content-Type": "application/json"}
    post = lambda path, content: server.http.post(path, content=content, headers=headers)  # noqa: E731

    assert_error(post("/api/v1/actions", b'{"device_id": '), 400, "bad_request")
    assert_error(post("/api/v1/actions", b"\xff\xfe\x00"), 400, "bad_request")
    assert_error(post("/api/v1/enroll", b"[1, 2"), 400, "bad_request")
    assert_error(server.http.post("/api/v1/actions", content=json.dumps(
        {"device_id": desk.device_id, "actions": []}), headers={"Authorization": headers["Authorization"],
                                                                 "Content-Type": "text/plain"}),
                 400, "bad_request")
    cases = [
        {},
        {"device_id": desk.device_id},
        {"device_id": desk.device_id, "actions": "all of them"},
        {"device_id": desk.device_id, "actions": [{**action, "hash": "not-hex"}]},
        {"device_id": desk.device_id, "actions": [{**action, "at": "23/11/2026 09:00"}]},
        {"device_id": desk.device_id, "actions": [{**action, "at": "2026-11-23T09:00:00"}]},  # no offset
        {"device_id": desk.device_id, "actions": [{**action, "payload": ["not", "an", "object"]}]},
        {"device_id": desk.device_id, "actions": [{**action, "counter": "một"}]},
        {"device_id": "../../etc/passwd", "actions": []},
        [action],
    ]
    for case in cases:
        body = assert_error(post("/api/v1/actions", json.dumps(case).encode()), 422, "bad_request")
        assert body["fields"]
    missing = assert_error(post("/api/v1/actions", json.dumps({"actions": []}).encode()), 422, "bad_request")
    assert missing["fields"] == [{"field": "device_id", "problem": "thiếu"}]
    assert_error(post("/api/v1/enroll", json.dumps({"ward_code": "abc", "counter": 100}).encode()),
                 422, "bad_request")
    for params in ({"after": -1}, {"after": "x"}, {"limit": 0}, {"limit": 501}):
        assert_error(server.http.get("/api/v1/actions", params=params, headers=headers),
                     422, "bad_request")
    assert_error(server.http.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(server.http.put("/api/v1/actions", headers=headers), 405, "method_not_allowed")
    assert by_status(desk.push(server)) == ["stored"]  # and the server is still fine


# -- overview and access log -----------------------------------------------------------------------------------
def test_overview_page_lists_wards_counters_and_escapes(server, server_clock, make_desk, applicant):
    desk = enrolled(make_desk, server)
    view = desk.counter.dossiers.receive(MARITAL, applicant)
    other = desk.counter.dossiers.receive(MARITAL, applicant)
    desk.counter.dossiers.transfer(other.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    desk.push(server)
    server.enrollment_code("42099", 1, 'Xã <script>alert("x")</script> & Co')
    server_clock.set(2026, 11, 30, 8, 0)  # after the 3-working-day appointment
    assert view.state.due_at < server_clock()

    page = server.http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="vi">' in html and "Tổng quan các phường/xã" in html
    assert "42010" in html and "Phường Đại Nài" in html and "Quầy 1 – Máy quầy 1" in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html and "<script>" not in html
    assert "lần đồng bộ cuối 09:05 23/11/2026" in html
    row = html.split("<td>42010</td>")[1].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert cells[-4:] == ["0", "2", "1", "2"]  # received today, overdue (transferred too), transferred, total
    assert view.code not in html and "Nguyễn Văn Đức" not in html  # figures only
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_access_log_records_who_called_which_route(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    desk.counter.dossiers.receive(BIRTH, applicant)
    desk.push(server)
    server.http.get("/api/v1/actions", headers={"Authorization": "Bearer wrong"})
    with server.db.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(access_log).order_by(access_log.c.id)).mappings()]
    assert [(r["method"], r["route"], r["status"]) for r in rows] == [
        ("POST", "/api/v1/enroll", 200), ("POST", "/api/v1/actions", 200), ("GET", "/api/v1/actions", 401)]
    push = rows[1]
    assert push["principal"] == "device" and push["device_id"] == desk.device_id and push["ward_code"] == "42010"
    assert push["client"] == "127.0.0.1" and push["at"] == server.clock() and push["duration_ms"] >= 0
    assert rows[2]["principal"] is None and rows[2]["device_id"] is None


def test_dossier_creation_time_and_received_at_come_from_the_server_clock(server, server_clock, make_desk,
                                                                          applicant):
    desk = enrolled(make_desk, server)
    desk.counter.dossiers.receive(BIRTH, applicant)
    server_clock.advance(minutes=1)
    [result] = desk.push(server).json()["results"]
    assert result["received_at"].startswith("2026-11-23T02:06:00")  # 09:06 in Vietnam, sent as UTC
    with server.db.read() as conn:
        synced = conn.execute(sa.select(devices.c.last_sync_at)).scalar_one()
    assert synced == server_clock() and synced - desk.clock() == timedelta(minutes=6)


def test_a_dossier_cancelled_as_a_mistake_is_stored_cancelled_on_the_server(server, make_desk, applicant):
    desk = enrolled(make_desk, server)
    wrong = desk.counter.dossiers.receive(MARITAL, applicant)
    desk.counter.dossiers.cancel(wrong.code, "Chọn nhầm thủ tục")
    pushed = desk.push(server, desk.journal())
    assert by_status(pushed) == ["stored", "stored"], pushed.text
    with server.db.read() as conn:
        row = conn.execute(sa.select(dossiers).where(dossiers.c.code == wrong.code)).mappings().one()
    assert row["status"] == "cancelled"
