"""200 counters pushing at once, with replays and district actions in between: nothing is lost,
nothing is stored twice, every chain stays whole, and no request fails."""

from __future__ import annotations

import json
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import sqlalchemy as sa

from desk_app.models.journal import GENESIS_HASH, Action, new_id, seal, verify_chain
from desk_district.db import actions, dossiers

from .conftest import TLS

WARDS = 20
COUNTERS = 10  # per ward: 200 counters


def make_journal(device_id: str, ward: str, counter: int, at, transfer: bool) -> list[dict]:
    """One dossier's first actions, sealed on the device's chain with the journal's own functions."""
    dossier_id = new_id()
    steps = [("received", {"due_at": (at + timedelta(days=3)).isoformat(), "clock_started_at": at.isoformat(),
                           "dossier": {"code": f"{ward}-Q{counter:02d}-261123-0001", "procedure_code": "1.004873"}}),
             ("processing_started", {"note": ""}),
             ("transferred", {"to_unit": "Sở Tư pháp", "note": ""}) if transfer else ("result_ready", {"note": ""})]
    out, head = [], GENESIS_HASH
    for i, (kind, payload) in enumerate(steps):
        action = seal(Action(id=new_id(), dossier_id=dossier_id, kind=kind, at=at + timedelta(minutes=i),
                             clerk="lan", counter=counter, device_id=device_id, payload=payload), head)
        head = action.hash
        out.append(action.to_dict())
    return out


def test_two_hundred_counters_push_at_once(server):
    at = server.clock()
    admin = server.admin_token()
    fleet = []
    for w in range(WARDS):
        ward = f"5{w:04d}"
        for c in range(1, COUNTERS + 1):
            device_id = new_id()
            code = server.enrollment_code(ward, c, f"Phường Thử {w}")
            fleet.append({"ward": ward, "counter": c, "device_id": device_id, "code": code,
                          "journal": make_journal(device_id, ward, c, at, transfer=c % 2 == 0)})

    def work(unit: dict) -> dict:
        with httpx.Client(base_url=server.base_url, timeout=120, verify=TLS) as http:
            enrol = http.post("/api/v1/enroll", json={"ward_code": unit["ward"], "counter": unit["counter"],
                                                      "code": unit["code"], "device_id": unit["device_id"]})
            assert enrol.status_code == 200, enrol.text
            http.headers["Authorization"] = f"Bearer {enrol.json()['device_token']}"
            journal = unit["journal"]
            replies = [http.post("/api/v1/actions", json={"device_id": unit["device_id"], "actions": batch})
                       for batch in (journal[:2], journal[1:], journal)]  # overlapping: a lost reply resent
            for reply in replies:
                assert reply.status_code == 200, reply.text
            statuses = [[r["status"] for r in reply.json()["results"]] for reply in replies]
            assert statuses == [["stored", "stored"], ["duplicate", "stored"], ["duplicate"] * 3], statuses
            if unit["counter"] % 2 == 0:  # the district answers at once, while others still push
                district = http.post(f"/api/v1/district/dossiers/{journal[0]['dossier_id']}/actions",
                                     json={"kind": "transfer_received", "payload": {"unit": "Sở Tư pháp"}},
                                     headers={"Authorization": f"Bearer {admin}"})
                assert district.status_code == 201, district.text
            seqs = {r["id"]: r["server_seq"] for r in replies[2].json()["results"]}
            return {"device_id": unit["device_id"], "seqs": seqs}

    with ThreadPoolExecutor(max_workers=len(fleet)) as pool:
        done = list(pool.map(work, fleet))

    assert len(done) == WARDS * COUNTERS
    with server.db.read() as conn:
        rows = conn.execute(sa.select(actions.c.server_seq, actions.c.device_id, actions.c.ward_code,
                                      actions.c.content).order_by(actions.c.server_seq)).all()
        statuses = dict(conn.execute(sa.select(dossiers.c.id, dossiers.c.status)).all())
    assert len(rows) == WARDS * COUNTERS * 3 + WARDS * COUNTERS // 2  # nothing lost, nothing twice
    assert len({r.server_seq for r in rows}) == len(rows)
    chains: dict[str, list[Action]] = defaultdict(list)
    for r in rows:
        chains[r.device_id].append(Action.from_dict(json.loads(r.content)))
    for device_id, chain in chains.items():
        assert verify_chain(chain) == [], device_id  # each counter's and the district's own
    assert len(chains["district"]) == WARDS * COUNTERS // 2
    for unit in done:  # the answers name the rows really stored
        stored = {a.id for a in chains[unit["device_id"]]}
        assert set(unit["seqs"]) == stored
    assert sorted(statuses.values()) == sorted(["transferred", "result_ready"] * (WARDS * COUNTERS // 2))

    # one ward's pull: the other nine counters' actions and the district's, nothing else
    ward = fleet[0]["ward"]
    first = next(u for u in fleet if u["ward"] == ward and u["counter"] == 1)
    code = server.enrollment_code(ward, 1)  # the same PC enrols again: a fresh token for the pull
    enrol = server.http.post("/api/v1/enroll", json={"ward_code": ward, "counter": 1, "code": code,
                                                     "device_id": first["device_id"]})
    token = enrol.json()["device_token"]
    pulled = server.client(token).get("/api/v1/actions").json()["actions"]
    expected = [r for r in rows if r.ward_code == ward and r.device_id != first["device_id"]]
    assert [a["server_seq"] for a in pulled] == [r.server_seq for r in expected]
    assert len(pulled) == (COUNTERS - 1) * 3 + COUNTERS // 2
