"""The batched push: one serialisation per action, server_seq in journal order, and the dossier
projection the same whether a dossier's journal arrives in one batch or over several."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from desk_app.models.clock import VN_TZ
from desk_app.models.journal import GENESIS_HASH, Action, action_hash, canonical_json, new_id, seal
from desk_district import service
from desk_district.db import actions, dossiers

from .conftest import MARITAL, reseal

AT = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize("clerk", ["lan", 'a","id":"x', '\\",\\"id\\":\\"', "Nguyễn Thị Lan", ',"id":'])
def test_hashed_matches_the_journal_functions(clerk):
    action = seal(Action(id=new_id(), dossier_id=new_id(), kind="received", at=AT, clerk=clerk, counter=1,
                         device_id="dev-1", payload={"id": "p", "dossier": {"code": "X", "id": 3},
                                                     "note": '","hash":"'}), GENESIS_HASH)
    assert service._hashed(action) == (action_hash(action), canonical_json(action.to_dict()))


def _journal(device_id: str, ward: str, counter: int, dossier_id: str) -> list[dict]:
    steps = [("received", {"due_at": (AT + timedelta(days=3)).isoformat(), "clock_started_at": AT.isoformat(),
                           "dossier": {"code": f"{ward}-Q{counter:02d}-261123-0001", "procedure_code": MARITAL}}),
             ("processing_started", {"note": ""}),
             ("transferred", {"to_unit": "Sở Tư pháp", "note": ""})]
    out, head = [], GENESIS_HASH
    for i, (kind, payload) in enumerate(steps):
        action = seal(Action(id=new_id(), dossier_id=dossier_id, kind=kind, at=AT + timedelta(minutes=i),
                             clerk="lan", counter=counter, device_id=device_id, payload=payload), head)
        head = action.hash
        out.append(action.to_dict())
    return out


def _enrol(server, ward: str, counter: int) -> tuple[str, dict]:
    device_id = new_id()
    reply = server.http.post("/api/v1/enroll", json={
        "ward_code": ward, "counter": counter, "code": server.enrollment_code(ward, counter, "Phường Thử"),
        "device_id": device_id})
    assert reply.status_code == 200, reply.text
    return device_id, {"Authorization": f"Bearer {reply.json()['device_token']}"}


def test_projection_and_order_are_the_same_in_one_batch_or_split(server):
    projections = []
    for split in (None, 1, 2):
        device_id, auth = _enrol(server, "42010", 1 + (split or 0))
        journal = _journal(device_id, "42010", 1 + (split or 0), new_id())
        batches = [journal] if split is None else [journal[:split], journal[split:]]
        seqs = []
        for batch in batches:
            reply = server.http.post("/api/v1/actions", json={"device_id": device_id, "actions": batch},
                                     headers=auth)
            assert reply.status_code == 200, reply.text
            assert [r["status"] for r in reply.json()["results"]] == ["stored"] * len(batch)
            seqs += [r["server_seq"] for r in reply.json()["results"]]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3
        with server.db.read() as conn:
            stored = conn.execute(sa.select(actions.c.id, actions.c.server_seq, actions.c.content)
                                  .where(actions.c.device_id == device_id).order_by(actions.c.server_seq)).all()
            row = conn.execute(sa.select(dossiers).where(dossiers.c.id == journal[0]["dossier_id"])).mappings().one()
        assert [(r.id, r.server_seq) for r in stored] == list(zip([a["id"] for a in journal], seqs))
        assert [r.content for r in stored] == [canonical_json(a) for a in journal]  # exactly as hashed
        projections.append({k: row[k] for k in ("status", "due_at", "transferred", "official_code", "action_count",
                                                "last_action_at")})
    assert projections[0] == projections[1] == projections[2]
    assert projections[0]["status"] == "transferred" and projections[0]["action_count"] == 3


def test_the_same_id_twice_in_a_batch_first_copy_broken_stores_the_second(server):
    device_id, auth = _enrol(server, "42010", 1)
    journal = _journal(device_id, "42010", 1, new_id())
    broken = {**journal[0], "clerk": "someone else"}  # its hash no longer matches
    reply = server.http.post("/api/v1/actions", json={"device_id": device_id, "actions": [broken, *journal]},
                             headers=auth)
    assert [r["status"] for r in reply.json()["results"]] == ["rejected", "stored", "stored", "stored"]
    assert "mã băm" in reply.json()["results"][0]["error"]


def test_pull_sends_the_stored_text_with_its_server_seq(server):
    sender, auth = _enrol(server, "42010", 1)
    _, reader = _enrol(server, "42010", 2)
    journal = _journal(sender, "42010", 1, new_id())
    journal[0]["payload"]["note"] = 'Nguyễn "Văn" \\ Đức'
    journal[:] = reseal(journal)
    assert server.http.post("/api/v1/actions", json={"device_id": sender, "actions": journal},
                            headers=auth).status_code == 200
    for after, limit in ((0, 500), (0, 2)):
        reply = server.http.get("/api/v1/actions", params={"after": after, "limit": limit}, headers=reader)
        assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
        with server.db.read() as conn:
            rows = conn.execute(sa.select(actions.c.server_seq, actions.c.content)
                                .order_by(actions.c.server_seq)).all()[:limit]
        expected = {"actions": [{**json.loads(r.content), "server_seq": r.server_seq} for r in rows],
                    "last_seq": rows[-1].server_seq, "more": limit < len(journal)}
        # byte for byte what encoding the decoded actions again would give
        assert reply.content == json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_a_push_locks_its_dossiers_only_for_its_own_token(server):
    """On PostgreSQL a push sends its token check, the lock on its dossiers and its replay lookup
    together (one round trip): the lock must take nothing for a wrong token, a revoked one, or a
    token of another device than the one named, even while that transaction stays open."""
    if server.db.is_sqlite:
        pytest.skip("SQLite locks the whole database for a write; nothing to lock row by row")
    device_id, auth = _enrol(server, "42010", 1)
    journal = _journal(device_id, "42010", 1, new_id())
    reply = server.http.post("/api/v1/actions", json={"device_id": device_id, "actions": journal[:1]}, headers=auth)
    assert [r["status"] for r in reply.json()["results"]] == ["stored"]
    dossier_id = journal[0]["dossier_id"]
    _, other_auth = _enrol(server, "42011", 1)
    token = auth["Authorization"].split()[1]
    now = datetime(2026, 11, 23, 2, 0, tzinfo=VN_TZ)

    def locked_by(credential: str, named: str) -> tuple[int | None, bool]:
        """(the HTTP status refusing the push or None, whether the dossier was locked meanwhile)"""
        with server.db.engine.connect() as conn, conn.begin():
            status = None
            try:
                service._open_push_pipelined(conn, service.Credential(credential), named, [dossier_id],
                                             [journal[1]["id"]], now)
            except service.ApiError as exc:
                status = exc.status
            with server.db.engine.connect() as other, other.begin():
                try:
                    other.execute(sa.text("SELECT id FROM dossiers WHERE id = :id FOR UPDATE NOWAIT"),
                                  {"id": dossier_id})
                    return status, False
                except sa.exc.OperationalError:  # lock not available
                    return status, True

    assert locked_by(token, device_id) == (None, True)  # the pushing device: locked, as it must be
    assert locked_by("not-a-token", device_id) == (401, False)
    assert locked_by(other_auth["Authorization"].split()[1], device_id) == (403, False)  # another device's
    assert service.revoke_counter(server.db, "42010", 1) == 1
    assert locked_by(token, device_id) == (401, False)
